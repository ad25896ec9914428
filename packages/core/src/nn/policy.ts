import * as tf from "@tensorflow/tfjs-core";
import { Random } from "../random.js";
import { adaLN, gelu, linear, silu, sinusoidalFeatures } from "./layers.js";
import { ParamStore } from "./params.js";

/**
 * The policy network of docs/method.md §6, adapted so it trains on the wasm backend (no conv gradients there):
 *
 *   tokens [B,N,D] ─Linear D→H─ AdaLN(c) ─Linear H→C, GELU─ (per-token "1×1 conv")
 *     ─transpose, Linear N→M, GELU─ (token mixing in place of the stride-2 depthwise conv)
 *     ─flatten C·M─ Linear→mlp[0], AdaLN(c), GELU ─ Linear→mlp[1], AdaLN(c), GELU ─ Linear→outputs
 *   c = MLP(sinusoidal(step))
 *
 * As in the paper, every AdaLN modulation and the output layer start at zero, so a fresh network outputs
 * exactly 0 and (with the heuristic residual) reproduces the heuristic schedule. The critic is the same
 * network with one output.
 */
export interface PolicyNetworkConfig {
  /** Feature tokens N and their width D, as the generator's features output gives them. */
  tokens: number;
  featureDim: number;
  /** Raw outputs: one per action key (1 for a critic). */
  outputs: number;
  /** Token width after the input projection (paper: 512). */
  hidden: number;
  /** Channels kept per token before mixing (paper: 128 after the 1×1 conv). */
  channels: number;
  /** Tokens after mixing (paper: the stride-2 conv maps 256 → 64, so N/4). */
  mixedTokens: number;
  /** Widths of the two AdaLN-modulated MLP layers (paper: 1024, 512). */
  mlp: [number, number];
  /** Size of the sinusoidal step features (paper: 256). */
  stepFeatures: number;
  /** Seed of the weight initialisation. */
  seed: number;
}

export function policyNetworkConfig(
  shape: { tokens: number; featureDim: number; outputs: number },
  overrides: Partial<PolicyNetworkConfig> = {},
): PolicyNetworkConfig {
  return {
    hidden: 128,
    channels: 32,
    mixedTokens: Math.max(1, Math.ceil(shape.tokens / 4)),
    mlp: [512, 256],
    stepFeatures: 256,
    seed: 0,
    ...shape,
    ...overrides,
  };
}

export class PolicyNetwork {
  readonly config: PolicyNetworkConfig;
  readonly params: ParamStore;
  private readonly p: Record<string, tf.Variable> = {};

  constructor(config: PolicyNetworkConfig, name = "policy") {
    this.config = config;
    this.params = new ParamStore(name);
    const { featureDim: D, hidden: H, channels: C, tokens: N, mixedTokens: M, mlp, stepFeatures: S, outputs } = config;
    const rng = new Random(config.seed);
    const P = this.params;
    const add = (key: string, v: tf.Variable) => (this.p[key] = v);
    add("embedW", P.weight("embed/w", D, H, "xavier", rng));
    add("embedB", P.zeros("embed/b", [H]));
    add("step1W", P.weight("step/fc1/w", S, H, { normal: 0.02 }, rng));
    add("step1B", P.zeros("step/fc1/b", [H]));
    add("step2W", P.weight("step/fc2/w", H, H, { normal: 0.02 }, rng));
    add("step2B", P.zeros("step/fc2/b", [H]));
    add("ada1W", P.weight("adaln1/w", H, 2 * H, "zeros", rng));
    add("ada1B", P.zeros("adaln1/b", [2 * H]));
    add("chanW", P.weight("channel/w", H, C, "xavier", rng));
    add("chanB", P.zeros("channel/b", [C]));
    add("mixW", P.weight("mix/w", N, M, "xavier", rng));
    add("mixB", P.zeros("mix/b", [M]));
    add("fc1W", P.weight("fc1/w", C * M, mlp[0], "xavier", rng));
    add("fc1B", P.zeros("fc1/b", [mlp[0]]));
    add("ada2W", P.weight("adaln2/w", H, 2 * mlp[0], "zeros", rng));
    add("ada2B", P.zeros("adaln2/b", [2 * mlp[0]]));
    add("fc2W", P.weight("fc2/w", mlp[0], mlp[1], "xavier", rng));
    add("fc2B", P.zeros("fc2/b", [mlp[1]]));
    add("ada3W", P.weight("adaln3/w", H, 2 * mlp[1], "zeros", rng));
    add("ada3B", P.zeros("adaln3/b", [2 * mlp[1]]));
    add("outW", P.weight("out/w", mlp[1], outputs, "zeros", rng));
    add("outB", P.zeros("out/b", [outputs]));
  }

  /** Raw outputs `[B, outputs]` for features `[B, N, D]` and per-sample step indices. Call inside tf.tidy. */
  apply(features: tf.Tensor3D, steps: ArrayLike<number>): tf.Tensor2D {
    const { tokens: N, featureDim: D, channels: C, mixedTokens: M, stepFeatures: S } = this.config;
    const [B, n, d] = features.shape;
    if (n !== N || d !== D) throw new RangeError(`policy expects features [B,${N},${D}], got [${features.shape}]`);
    if (steps.length !== B) throw new RangeError(`expected ${B} step indices, got ${steps.length}`);
    const p = this.p;
    const stepIn = tf.tensor2d(sinusoidalFeatures(steps, S), [B, S]);
    const c = linear(silu(linear(stepIn, p.step1W, p.step1B)), p.step2W, p.step2B);
    const cAct = silu(c);
    let x = linear(features, p.embedW, p.embedB); // [B,N,H]
    x = adaLN(x, linear(cAct, p.ada1W, p.ada1B));
    x = gelu(linear(x, p.chanW, p.chanB)); // [B,N,C]
    x = gelu(linear(tf.transpose(x, [0, 2, 1]), p.mixW, p.mixB)); // [B,C,M]
    let h = tf.reshape(x, [B, C * M]);
    h = gelu(adaLN(linear(h, p.fc1W, p.fc1B), linear(cAct, p.ada2W, p.ada2B)));
    h = gelu(adaLN(linear(h, p.fc2W, p.fc2B), linear(cAct, p.ada3W, p.ada3B)));
    return linear(h, p.outW, p.outB) as tf.Tensor2D;
  }

  /** Forward pass on plain arrays, returning `[B*outputs]` values (no tensors left behind). */
  predict(features: Float32Array, batch: number, steps: ArrayLike<number>): Float32Array {
    const { tokens: N, featureDim: D } = this.config;
    if (features.length !== batch * N * D)
      throw new RangeError(`expected ${batch * N * D} feature values ([${batch},${N},${D}]), got ${features.length}`);
    return tf.tidy(() => this.apply(tf.tensor3d(features, [batch, N, D]), steps).dataSync() as Float32Array);
  }

  get variables(): tf.Variable[] {
    return this.params.variables;
  }

  get parameterCount(): number {
    return this.params.size;
  }

  dispose(): void {
    this.params.dispose();
  }
}

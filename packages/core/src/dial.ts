import { ActionDecoder, type ActionSpec } from "./actions/spec.js";
import type { Batch, ExecutedActions, GenerationEnv, Observation, ResetOptions } from "./env.js";
import type { PolicyNetwork } from "./nn/policy.js";
import { Random } from "./random.js";
import type { LabeledBatch, RewardModel } from "./rewards/reward.js";
import type { NamedArray } from "./train/tensor-file.js";

/**
 * The fidelity-diversity dial (docs/method.md §12.3, paper Sec. III-F2): a second, fidelity-oriented policy acts
 * beside the frozen base policy and the executed action is a per-sample blend of the two,
 * a = (1 − λ)·a_base + λ·a_fid, so λ = 0 is the base policy exactly and λ = 1 the fidelity policy alone. Training
 * draws λ per trajectory and rewards (1 − λ)·r_adv + λ·r_fid; only the fidelity policy learns.
 */

/** Per sample b and key, (1 − λ_b)·base + λ_b·fidelity of the executed (post-activation) actions. */
export function blendActions(base: ExecutedActions, fidelity: ExecutedActions, lambdas: Float32Array): ExecutedActions {
  const out: ExecutedActions = {};
  for (const [key, b] of Object.entries(base)) {
    const f = fidelity[key];
    if (!f) throw new RangeError(`the fidelity policy gave no action "${key}"`);
    if (f.length !== b.length || lambdas.length !== b.length)
      throw new RangeError(`action "${key}": ${b.length} base, ${f.length} fidelity values and ${lambdas.length} weights`);
    // λ = 0 and 1 return the operand itself (no rounding), so the ends of the dial are the two policies exactly.
    out[key] = b.map((v, i) => (lambdas[i] === 0 ? v : lambdas[i] === 1 ? f[i] : (1 - lambdas[i]) * v + lambdas[i] * f[i]));
  }
  return out;
}

/** λ fixed for every sample (sampling), or drawn uniformly in [0, 1] per trajectory (training). */
export type DialLambda = number | "uniform";

/** Salt of the λ stream, so it is not the stream the inner env draws from the same seed. */
const LAMBDA_SALT = 0x2545f491;

export function checkLambda(lambda: DialLambda): void {
  if (lambda !== "uniform" && !(Number.isFinite(lambda) && lambda >= 0 && lambda <= 1))
    throw new RangeError(`lambda must be in [0, 1] (0: the base policy, 1: the fidelity policy), got ${lambda}`);
}

/**
 * The env the fidelity policy acts on: at every decision the frozen base policy reads the same observation, its
 * action is decoded with its own decoder (its own smoothing memory), and the env executes the blend with the acting
 * policy's action. With λ "uniform", each reset draws one λ per sample from `seed` (per noise group, so a group's
 * explorations, which group-relative advantages compare, share theirs).
 */
export class DialEnv implements GenerationEnv {
  readonly horizon: number;
  readonly actionSpec: ActionSpec;
  readonly featureShape: readonly [number, number];
  readonly numClasses: number;
  readonly stochastic: boolean;
  private readonly baseDecoder: ActionDecoder;
  private current = new Float32Array(0);
  private observation: Observation | undefined;

  constructor(
    readonly inner: GenerationEnv,
    private readonly base: { actor: PolicyNetwork; actionSpec: ActionSpec },
    readonly lambda: DialLambda,
  ) {
    checkLambda(lambda);
    if (JSON.stringify(base.actionSpec) !== JSON.stringify(inner.actionSpec))
      throw new RangeError("the base policy's action spec is not the env's (another model, step count or starting schedule)");
    this.horizon = inner.horizon;
    this.actionSpec = inner.actionSpec;
    this.featureShape = inner.featureShape;
    this.numClasses = inner.numClasses;
    this.stochastic = inner.stochastic;
    this.baseDecoder = new ActionDecoder(base.actionSpec);
  }

  /** The λ of each sample of the current batch. */
  get lambdas(): Float32Array {
    return this.current.slice();
  }

  async reset(conditions: Int32Array, seed: number, options?: ResetOptions): Promise<void> {
    await this.inner.reset(conditions, seed, options);
    const B = conditions.length;
    this.baseDecoder.reset(B);
    this.observation = undefined;
    if (this.lambda !== "uniform") this.current = new Float32Array(B).fill(this.lambda);
    else {
      const rng = new Random((seed ^ LAMBDA_SALT) >>> 0);
      const group = options?.noiseGroup ?? 1;
      this.current = new Float32Array(B);
      for (let b = 0; b < B; b += group) this.current.fill(rng.uniform(), b, Math.min(B, b + group));
    }
  }

  async observe(): Promise<Observation> {
    this.observation = await this.inner.observe();
    return this.observation;
  }

  async step(actions: ExecutedActions): Promise<void> {
    const obs = this.observation;
    if (!obs) throw new Error("the dial env steps after an observation (the base policy reads it)");
    const B = this.current.length;
    const raw = this.base.actor.predict(obs.features.data, B, new Float32Array(B).fill(obs.step));
    const baseActions = this.baseDecoder.decode(raw, obs.step);
    this.observation = undefined;
    await this.inner.step(blendActions(baseActions, actions, this.current));
  }

  render(): Promise<Batch> {
    return this.inner.render();
  }
}

/**
 * The dial's training reward, (1 − λ)·r_adv + λ·r_fid per sample with the λ of its trajectory (`lambdas()`, the dial
 * env's current draw: the trainer scores each batch right after its rollout). The adversarial part's discriminator
 * keeps learning (`update` and its state are the adversarial reward's). It owns both parts: `dispose` releases them.
 */
export class DialReward implements RewardModel {
  readonly update?: (real: LabeledBatch, fake: LabeledBatch) => Promise<Record<string, number>>;
  readonly exportState?: () => Promise<Record<string, NamedArray>>;
  readonly importState?: (tensors: Record<string, NamedArray>) => Promise<void>;

  constructor(
    readonly adversarial: RewardModel,
    readonly fidelity: RewardModel,
    private readonly lambdas: () => Float32Array,
  ) {
    if (adversarial.update) this.update = adversarial.update.bind(adversarial);
    if (adversarial.exportState) this.exportState = adversarial.exportState.bind(adversarial);
    if (adversarial.importState) this.importState = adversarial.importState.bind(adversarial);
  }

  async dispose(): Promise<void> {
    await this.adversarial.dispose?.();
    await this.fidelity.dispose?.();
  }

  async score(samples: Batch, labels: Int32Array): Promise<Float32Array> {
    const lambdas = this.lambdas();
    if (lambdas.length !== labels.length) throw new RangeError(`${lambdas.length} dial weights for ${labels.length} samples`);
    const [adv, fid] = [await this.adversarial.score(samples, labels), await this.fidelity.score(samples, labels)];
    return adv.map((a, b) => (1 - lambdas[b]) * a + lambdas[b] * fid[b]);
  }
}

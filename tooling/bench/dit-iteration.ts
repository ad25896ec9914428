/**
 * Times AdaGen training iterations on the zoo's dit-tiny (ONNX) and says where the time goes.
 *
 *   node --conditions=adagen-source --import tsx tooling/bench/dit-iteration.ts [--steps 4] [--trajectories 256]
 *     [--batch 64] [--disc-steps 5] [--disc-batch 64] [--chunk 64] [--iterations 2] [--seed 0]
 *
 * Setup: DiffusionEnv (DPM-Solver++(2S), time-uniform heuristic, w = 1) over dit-tiny, images rendered as
 * [0,1] NHWC for a ViT discriminator (patch 4, width 64, depth 2) trained against Fashion-MNIST training images,
 * a policy/critic of about 0.3M parameters each on the 49×128 features, PPO with the paper's 5 full-batch epochs.
 * The first iteration warms up (wasm kernels, onnxruntime arenas); the figures are for the last one. Each phase is
 * split into ONNX calls, policy/critic forwards, reward or discriminator work and the rest (solver math, action
 * decoding, buffers). The first line echoes the command; the last is one JSON object with every figure.
 */
import {
  AdaGenTrainer,
  AdversarialReward,
  initTensorflow,
  ImageRealData,
  ViTDiscriminator,
  statesToImages,
  type Batch,
  type LabeledBatch,
} from "@adagen/core";
import { DiffusionEnv, loadNoisePredictor, type NoisePredictor } from "@adagen/diffusion";
import { loadFashionMnist, modelPath } from "@adagen/zoo";
import { benchArgs } from "./bench-command.js";

const defaults = { steps: 4, trajectories: 256, batch: 64, "disc-steps": 5, "disc-batch": 64, chunk: 64, iterations: 2, seed: 0 };
type Flag = keyof typeof defaults;

function parseArgs(argv: string[]): Record<Flag, number> {
  const out = { ...defaults };
  for (let i = 0; i < argv.length; i += 2) {
    const flag = argv[i].replace(/^--/, "") as Flag;
    if (!(flag in defaults)) throw new Error(`unknown flag ${argv[i]} (expected ${Object.keys(defaults).map((f) => `--${f}`).join(", ")})`);
    const v = Number(argv[i + 1]);
    if (!(Number.isInteger(v) && v >= (flag === "seed" || flag === "disc-steps" ? 0 : 1)))
      throw new Error(`--${flag} needs a positive integer, got ${argv[i + 1]}`);
    out[flag] = v;
  }
  return out;
}

/** One timed call: when it started (performance.now ms), how long it took, and its batch. */
interface Span {
  start: number;
  ms: number;
  batch: number;
}

/** Times every call of a NoisePredictor. */
class TimedPredictor implements NoisePredictor {
  readonly spans: Span[] = [];
  constructor(private readonly inner: NoisePredictor) {}
  get dataShape() {
    return this.inner.dataShape;
  }
  get featureShape() {
    return this.inner.featureShape;
  }
  get numClasses() {
    return this.inner.numClasses;
  }
  async predict(x: Float32Array, tau: Float32Array, labels: Int32Array, batch: number) {
    const start = performance.now();
    const out = await this.inner.predict(x, tau, labels, batch);
    this.spans.push({ start, ms: performance.now() - start, batch });
    return out;
  }
}

/** Wraps `obj[method]` so each call is recorded in `spans`; batch is read from the arguments by `batchOf`. */
function timeMethod<T extends object>(obj: T, method: keyof T & string, spans: Span[], batchOf: (args: unknown[]) => number): void {
  const original = (obj[method] as (...args: unknown[]) => unknown).bind(obj);
  (obj as Record<string, unknown>)[method] = (...args: unknown[]) => {
    const start = performance.now();
    const result = original(...args);
    if (result instanceof Promise)
      return result.then((v) => {
        spans.push({ start, ms: performance.now() - start, batch: batchOf(args) });
        return v;
      });
    spans.push({ start, ms: performance.now() - start, batch: batchOf(args) });
    return result;
  };
}

const args = benchArgs(import.meta.url, parseArgs);
const backend = await initTensorflow();
const onnx = await loadNoisePredictor(modelPath("dit-tiny"), {
  sampleShape: [1, 28, 28],
  featureShape: [49, 128],
  numClasses: 10,
  chunkSize: args.chunk,
});
const predictor = new TimedPredictor(onnx);
const env = new DiffusionEnv(predictor, { steps: args.steps, renderTransform: statesToImages });
const discriminator = new ViTDiscriminator({ height: 28, width: 28, channels: 1, numClasses: 10, patch: 4, dim: 64, depth: 2, heads: 4, seed: args.seed });
const reward = new AdversarialReward(discriminator);
const realData = new ImageRealData(loadFashionMnist("train"));
const trainer = new AdaGenTrainer({
  env,
  reward,
  realData,
  network: { hidden: 128, channels: 32, mixedTokens: 13, mlp: [256, 128], stepFeatures: 128 },
  batchSize: args.batch,
  trajectoriesPerIteration: args.trajectories,
  discriminatorSteps: args["disc-steps"],
  discriminatorBatch: args["disc-batch"],
  seed: args.seed,
});

// Raw model throughput (one conditional pass per image, as each half of a guided evaluation), measured first,
// on the same session the training uses, before tfjs has run anything.
async function imagesPerSecond(B: number, reps: number): Promise<number> {
  const x = new Float32Array(B * 784).map((_, i) => Math.sin(i));
  const tau = new Float32Array(B).fill(0.5);
  const labels = Int32Array.from({ length: B }, (_, i) => i % 10);
  await onnx.predict(x, tau, labels, B);
  const start = performance.now();
  for (let i = 0; i < reps; i++) await onnx.predict(x, tau, labels, B);
  return (reps * B) / ((performance.now() - start) / 1000);
}
const throughput = Math.round(await imagesPerSecond(64, 10));
console.log(`dit-tiny forward at batch 64 (chunk ${args.chunk}): ${throughput} images/s (${(1000 / throughput).toFixed(2)} ms per image)`);

const policySpans: Span[] = [];
const criticSpans: Span[] = [];
const scoreSpans: Span[] = [];
const updateSpans: Span[] = [];
const realSpans: Span[] = [];
timeMethod(trainer.actor, "predict", policySpans, (a) => a[1] as number);
timeMethod(trainer.critic, "predict", criticSpans, (a) => a[1] as number);
timeMethod(reward, "score", scoreSpans, (a) => (a[0] as Batch).shape[0]);
timeMethod(reward, "update", updateSpans, (a) => (a[0] as LabeledBatch).samples.shape[0]);
timeMethod(realData, "sample", realSpans, (a) => a[0] as number);

const s = (ms: number) => Number((ms / 1000).toFixed(2));
const sum = (spans: Span[], from: number, to: number) =>
  spans.filter((x) => x.start >= from && x.start < to).reduce((acc, x) => acc + x.ms, 0);
const count = (spans: Span[], from: number, to: number) => spans.filter((x) => x.start >= from && x.start < to).length;

console.log(
  `backend ${backend}; dit-tiny at ${args.steps} NFE (${2 * args.steps} forwards per trajectory), chunk ${args.chunk}; ` +
    `policy ${trainer.actor.parameterCount} + critic ${trainer.critic.parameterCount} parameters; ViT discriminator ${discriminator.params.size} parameters`,
);
console.log(
  `per iteration: ${args.trajectories} PPO trajectories in batches of ${args.batch}, PPO ${trainer.ppo.epochs} epochs × ${trainer.ppo.minibatches} minibatch, ` +
    `${args["disc-steps"]} discriminator steps of ${args["disc-batch"]} fake + ${args["disc-batch"]} real`,
);

let report: Record<string, unknown> = {};
for (let it = 0; it < args.iterations; it++) {
  const t0 = performance.now();
  const m = await trainer.step();
  const t1 = t0 + m.seconds.rollout * 1000;
  const t2 = t1 + m.seconds.ppo * 1000;
  const t3 = t0 + m.seconds.total * 1000;
  const rollOnnx = sum(predictor.spans, t0, t1);
  const rollPolicy = sum(policySpans, t0, t1);
  const rollCritic = sum(criticSpans, t0, t1);
  const rollReward = sum(scoreSpans, t0, t1);
  const discOnnx = sum(predictor.spans, t2, t3);
  const discPolicy = sum(policySpans, t2, t3);
  const discUpdate = sum(updateSpans, t2, t3);
  const discReal = sum(realSpans, t2, t3);
  report = {
    iteration: m.iteration,
    warm: it > 0,
    totalSeconds: s(m.seconds.total * 1000),
    rollout: {
      seconds: s(m.seconds.rollout * 1000),
      onnx: s(rollOnnx),
      onnxCalls: count(predictor.spans, t0, t1),
      onnxImagesPerSecond: Math.round(
        predictor.spans.filter((x) => x.start >= t0 && x.start < t1).reduce((a, x) => a + x.batch, 0) / (rollOnnx / 1000),
      ),
      policy: s(rollPolicy),
      critic: s(rollCritic),
      policyCalls: count(policySpans, t0, t1),
      rewardScore: s(rollReward),
      other: s(m.seconds.rollout * 1000 - rollOnnx - rollPolicy - rollCritic - rollReward),
      // What sampling with a trained policy would pay: actor forwards against actor + ONNX time.
      policyShareOfSampling: Number((rollPolicy / (rollPolicy + rollOnnx)).toFixed(3)),
    },
    ppo: { seconds: s(m.seconds.ppo * 1000) },
    discriminator: {
      seconds: s(m.seconds.discriminator * 1000),
      fakeRolloutOnnx: s(discOnnx),
      fakeRolloutPolicy: s(discPolicy),
      updates: s(discUpdate),
      realSampling: s(discReal),
      other: s(m.seconds.discriminator * 1000 - discOnnx - discPolicy - discUpdate - discReal),
    },
    rewardMean: Number(m.rewardMean.toFixed(4)),
    discriminatorLoss: m.discriminator ? Number(m.discriminator.discriminatorLoss.toFixed(4)) : null,
  };
  const r = report.rollout as Record<string, number>;
  const d = report.discriminator as Record<string, number>;
  console.log(
    `iteration ${m.iteration}${it === 0 ? " (warm-up)" : ""}: total ${report.totalSeconds} s | ` +
      `rollout ${r.seconds} s (ONNX ${r.onnx} s in ${r.onnxCalls} calls = ${r.onnxImagesPerSecond} images/s, policy ${r.policy} s in ${r.policyCalls} calls, critic ${r.critic} s, ` +
      `reward ${r.rewardScore} s, other ${r.other} s; policy share of sampling ${(100 * r.policyShareOfSampling).toFixed(1)}%) | PPO ${(report.ppo as Record<string, number>).seconds} s | ` +
      `discriminator ${d.seconds} s (fake rollouts: ONNX ${d.fakeRolloutOnnx} s, policy ${d.fakeRolloutPolicy} s; D updates ${d.updates} s; ` +
      `real sampling ${d.realSampling} s; other ${d.other} s)`,
  );
}

console.log(JSON.stringify({ bench: "dit-iteration", args, backend, policyParameters: trainer.actor.parameterCount, discriminatorParameters: discriminator.params.size, ...report, onnxImagesPerSecondAtBatch64: throughput }));
await onnx.dispose();
trainer.dispose();

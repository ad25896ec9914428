/**
 * Flat resources over long training runs (docs/reliability.md, "Resources"):
 *
 *   pnpm bench:resources [--toy 500] [--dit 50]
 *   (node --expose-gc --conditions=adagen-source --import tsx tooling/bench/resources.ts ...)
 *
 * 1. The toy task (core's ToyTargetEnv, adversarial reward on an MLP discriminator, as trainer.test.ts): --toy
 *    iterations of `AdaGenTrainer.step`, then one rejected (NaN reward) iteration.
 * 2. The zoo's dit-tiny through `train` (@adagen/diffusion) at steps 2, 8 trajectories, batch 8 (cpu-small recipe
 *    otherwise, validation FID on 100 samples every 10 iterations): --dit iterations.
 * 3. onnxruntime sessions (`OnnxModel.liveSessions`) after a finished run, a run stopped by an error mid-training, a
 *    diverging run (NonFiniteError), a sampler used and disposed, a sampler whose sample() refuses its input, a
 *    sampler refused while opening, and a model refused by its contract.
 *
 * Fails (exit 1) when
 * - the tfjs tensor count after any iteration differs from its count after the first one (the first creates the
 *   Adam moments; a rejected iteration must leave it unchanged too), or a run, finished or failed, leaves tensors
 *   behind once it has returned;
 * - RSS grows by more than RSS_TOLERANCE_MIB after the warm-up (WARMUP_SHARE of the iterations): the wasm heap and
 *   onnxruntime's arenas grow to their working size during the warm-up. Transient peaks of up to ~45 MiB come and go
 *   between samples (allocator arenas), so each side is the lowest of three samples: the first three from the end of
 *   the warm-up on, and the last three; a leak raises the floor, a peak does not (figures in docs/reliability.md);
 * - any onnxruntime session is still live after a run, failed or not, or after a sampler is disposed.
 * Prints tensor count, tensor MiB, RSS and JS heap at the start, at every tenth of the run and at the end.
 */
import * as tf from "@tensorflow/tfjs-core";
import { AdaGenTrainer, AdversarialReward, FunctionReward, MLPDiscriminator, NonFiniteError, OnnxModel, initTensorflow, type RealDataSource } from "@adagen/core";
import { createSampler, train } from "@adagen/diffusion";
import { cardPath, zooPath } from "@adagen/zoo";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
// The core tests' toy task (not part of core's public API).
import { ToyTargetEnv, toyReward } from "../../packages/core/src/testing/toy-env.js";
import { benchArgs } from "./bench-command.js";

/** Allowed RSS growth after the warm-up, MiB (docs/reliability.md). */
export const RSS_TOLERANCE_MIB = 48;
/** Share of the iterations counted as warm-up for the RSS check. */
export const WARMUP_SHARE = 0.2;

const MiB = 1024 * 1024;
const failures: string[] = [];
const fail = (what: string) => {
  failures.push(what);
  console.log(`  FAIL ${what}`);
};

function parseArgs(argv: string[]): { toy: number; dit: number } {
  const out = { toy: 500, dit: 50 };
  for (let i = 0; i < argv.length; i += 2) {
    const [flag, value] = [argv[i], Number(argv[i + 1])];
    if (!(Number.isInteger(value) && value >= 2)) throw new Error(`${flag} needs an integer ≥ 2, got ${argv[i + 1]}`);
    if (flag === "--toy") out.toy = value;
    else if (flag === "--dit") out.dit = value;
    else throw new Error(`unknown flag ${flag} (expected --toy N, --dit N)`);
  }
  return out;
}

interface Sample {
  iteration: number;
  tensors: number;
  tensorMiB: number;
  rssMiB: number;
  heapMiB: number;
}

function measure(iteration: number): Sample {
  (globalThis as { gc?: () => void }).gc?.();
  const m = tf.memory();
  const u = process.memoryUsage();
  return { iteration, tensors: m.numTensors, tensorMiB: m.numBytes / MiB, rssMiB: u.rss / MiB, heapMiB: u.heapUsed / MiB };
}

function print(label: string, s: Sample): void {
  console.log(
    `  ${label.padEnd(14)} iteration ${String(s.iteration).padStart(4)}: ${String(s.tensors).padStart(5)} tensors ` +
      `(${s.tensorMiB.toFixed(2)} MiB), RSS ${s.rssMiB.toFixed(1)} MiB, JS heap ${s.heapMiB.toFixed(1)} MiB`,
  );
}

/** Tracks one run: the tensor count after every iteration against the first, and RSS at tenths of the run. */
class Tracker {
  readonly samples: Sample[] = [];
  private first?: Sample;
  private warm?: Sample;
  private readonly marks: Set<number>;
  private drifts = 0;

  constructor(
    private readonly name: string,
    private readonly iterations: number,
  ) {
    this.marks = new Set(Array.from({ length: 11 }, (_, i) => Math.max(1, Math.round((i * iterations) / 10))));
  }

  /** After iteration `i` (1-based). */
  after(i: number): void {
    const tensors = tf.memory().numTensors;
    if (!this.first) {
      this.first = measure(i);
      this.samples.push(this.first);
      print("first", this.first);
      return;
    }
    if (tensors !== this.first.tensors && this.drifts++ < 3)
      fail(`${this.name}: ${tensors} tensors after iteration ${i}, ${this.first.tensors} after iteration ${this.first.iteration}`);
    const warmAt = Math.max(2, Math.round(WARMUP_SHARE * this.iterations));
    if (i === warmAt || this.marks.has(i)) {
      const s = measure(i);
      this.samples.push(s);
      if (i === warmAt) this.warm = s;
      print(i === warmAt ? "warm" : i === this.iterations ? "end" : "", s);
    }
  }

  finish(): void {
    const end = this.samples.at(-1)!;
    if (!this.warm || end.iteration !== this.iterations) throw new Error(`${this.name}: the run stopped at iteration ${end.iteration}`);
    const after = this.samples.filter((s) => s.iteration >= this.warm!.iteration);
    const floor = (ss: Sample[]) => Math.min(...ss.map((s) => s.rssMiB));
    const early = after.slice(0, 3);
    const late = after.slice(-3);
    const growth = floor(late) - floor(early);
    console.log(
      `  ${this.name}: tensors ${this.first!.tensors} → ${end.tensors}; RSS floor ${floor(early).toFixed(1)} MiB ` +
        `(iterations ${early.map((s) => s.iteration).join(", ")}) → ${floor(late).toFixed(1)} MiB (iterations ` +
        `${late.map((s) => s.iteration).join(", ")}): ${growth >= 0 ? "+" : ""}${growth.toFixed(1)} MiB (tolerance ${RSS_TOLERANCE_MIB}); ` +
        `first to last sample ${(end.rssMiB - this.first!.rssMiB).toFixed(1)} MiB`,
    );
    if (growth > RSS_TOLERANCE_MIB) fail(`${this.name}: RSS grew ${growth.toFixed(1)} MiB after the warm-up`);
  }
}

function expectSessions(what: string, want: number): void {
  const live = OnnxModel.liveSessions;
  console.log(`  onnxruntime sessions ${what}: ${live}`);
  if (live !== want) fail(`${live} onnxruntime sessions ${what}, expected ${want}`);
}

function expectTensors(what: string, before: number): void {
  const n = tf.memory().numTensors;
  console.log(`  tensors ${what}: ${n - before >= 0 ? "+" : ""}${n - before}`);
  if (n !== before) fail(`${n - before} tensors left ${what}`);
}

/** Real samples for the toy task: the best actions themselves. */
function toyRealData(horizon: number): RealDataSource {
  const shadow = new ToyTargetEnv(horizon);
  return {
    async sample(count, rng) {
      const labels = Int32Array.from({ length: count }, () => rng.int(2));
      await shadow.reset(labels, rng.nextUint32());
      const data = new Float32Array(count * 2 * horizon);
      for (let b = 0; b < count; b++)
        for (let k = 0; k < horizon; k++) data[b * 2 * horizon + k] = data[b * 2 * horizon + horizon + k] = shadow.target(b, k);
      return { samples: { data, shape: [count, 2 * horizon] }, labels };
    },
  };
}

async function toyRun(iterations: number): Promise<void> {
  console.log(`toy task: ${iterations} iterations (64 trajectories, 2 decisions, adversarial reward, 2 discriminator steps)`);
  const horizon = 2;
  const start = tf.memory().numTensors;
  let poison = false;
  const reward = new AdversarialReward(new MLPDiscriminator({ inputDim: 2 * horizon, numClasses: 2, hidden: [64, 64], seed: 1 }), { learningRate: 1e-2 });
  const score = reward.score.bind(reward);
  reward.score = async (samples, labels) => {
    const r = await score(samples, labels);
    if (poison) r[0] = NaN;
    return r;
  };
  const trainer = new AdaGenTrainer({
    env: new ToyTargetEnv(horizon),
    reward,
    realData: toyRealData(horizon),
    ppo: { learningRate: 3e-3, explorationStd: 0.4, epochs: 4, minibatches: 2 },
    network: { hidden: 16, channels: 4, mlp: [32, 16], stepFeatures: 16 },
    batchSize: 32,
    trajectoriesPerIteration: 64,
    discriminatorSteps: 2,
    discriminatorBatch: 32,
    seed: 1,
  });
  const tracker = new Tracker("toy", iterations);
  for (let i = 1; i <= iterations; i++) {
    await trainer.step();
    tracker.after(i);
  }
  tracker.finish();
  const before = tf.memory().numTensors;
  poison = true;
  try {
    await trainer.step();
    fail("toy: the NaN reward was not rejected");
  } catch (err) {
    if (!(err instanceof NonFiniteError)) throw err;
    console.log(`  rejected iteration: ${err.message}`);
  }
  expectTensors("by a rejected iteration", before);
  trainer.dispose();
  reward.discriminator.params.dispose();
  reward.optimizer.dispose();
  expectTensors("once the toy trainer and its reward are disposed", start);
}

async function ditRun(iterations: number): Promise<void> {
  console.log(`dit-tiny: ${iterations} iterations of train (steps 2, 8 trajectories, batch 8, validation on 100 samples every 10)`);
  const dir = mkdtempSync(join(tmpdir(), "adagen-resources-"));
  const base = { model: cardPath("dit-tiny"), steps: 2, trajectories: 8, batch: 8, validation: { every: 10, n: 100 } } as const;
  try {
    expectSessions("before", 0);
    const start = tf.memory().numTensors;
    const tracker = new Tracker("dit-tiny", iterations);
    let during = -1;
    await train({
      ...base,
      iterations,
      out: join(dir, "ok"),
      onEvent: (e) => {
        if (e.type !== "iteration") return;
        tracker.after(e.metrics.iteration);
        during = OnnxModel.liveSessions;
      },
    });
    tracker.finish();
    console.log(`  onnxruntime sessions during the run: ${during}`);
    expectSessions("after the run", 0);
    expectTensors("after the run", start);

    let before = tf.memory().numTensors;
    // Stopped by an error thrown mid-training (here by the progress callback).
    await train({
      ...base,
      iterations: 3,
      out: join(dir, "stopped"),
      onEvent: (e) => {
        if (e.type === "iteration" && e.metrics.iteration === 2) throw new Error("stop");
      },
    }).then(
      () => fail("the stopped run finished"),
      (err: Error) => void (err.message === "stop" || fail(`stopped run: ${err.message}`)),
    );
    expectSessions("after a run stopped by an error", 0);
    expectTensors("after a run stopped by an error", before);
    before = tf.memory().numTensors;

    // Diverging: a learning rate of 1e38 overflows the first PPO update.
    await train({ ...base, iterations: 2, out: join(dir, "nan"), recipe: { learningRate: 1e38 }, validation: { every: 0 } }).then(
      () => fail("the diverging run finished"),
      (err: Error) => {
        if (!(err instanceof NonFiniteError)) throw err;
        console.log(`  diverging run: ${err.message}`);
      },
    );
    expectSessions("after a diverging run", 0);
    expectTensors("after a diverging run", before);
    before = tf.memory().numTensors;

    const sampler = await createSampler({ model: cardPath("dit-tiny"), policy: "default", steps: 4 });
    await sampler.sample({ n: 8, seed: 0 });
    await sampler.sample({ labels: Int32Array.of(99), seed: 0 }).then(
      () => fail("label 99 was accepted"),
      () => undefined,
    );
    await sampler.dispose();
    expectSessions("after a sampler (one sample refused) is disposed", 0);
    await createSampler({ model: cardPath("dit-tiny"), schedule: "best", steps: 3 }).then(
      async (s) => {
        await s.dispose();
        fail("a best schedule at 3 steps was found");
      },
      () => undefined,
    );
    expectSessions("after a sampler refused while opening", 0);
    await OnnxModel.load(zooPath("models/dit-tiny.onnx"), { inputs: { nope: { dtype: "float32", shape: [1] } }, outputs: {} }).then(
      async (m) => {
        await m.dispose();
        fail("a wrong contract was accepted");
      },
      () => undefined,
    );
    expectSessions("after a model refused by its contract", 0);
    expectTensors("after the samplers", before);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const args = benchArgs(import.meta.url, parseArgs);
const backend = await initTensorflow();
if (!(globalThis as { gc?: () => void }).gc) console.log("(no --expose-gc: RSS is measured without a collection first)");
console.log(`tfjs backend ${backend}; RSS tolerance after warm-up ${RSS_TOLERANCE_MIB} MiB (warm-up: first ${WARMUP_SHARE * 100}% of the iterations)`);
const t0 = performance.now();
await toyRun(args.toy);
await ditRun(args.dit);
console.log(`${failures.length === 0 ? "OK" : `FAILED (${failures.length})`} in ${((performance.now() - t0) / 1000).toFixed(0)} s`);
process.exitCode = failures.length === 0 ? 0 : 1;

/**
 * The generators the CLI knows: a zoo ONNX model, the paradigm adapter's env over it with the paper's heuristic
 * (docs/method.md §4.3), and its hand-designed baseline schedules. Every env renders [0,1] NHWC images `[B,28,28,1]`
 * (`statesToImages`), what the ViT discriminator and the feature extractor read.
 */
import { statesToImages, type Batch, type GenerationEnv } from "@adagen/core";
import {
  DiffusionEnv,
  karrasGrid,
  loadNoisePredictor,
  logSnrUniformGrid,
  sampleDiffusionSchedule,
  timeUniformGrid as diffusionUniformGrid,
} from "@adagen/diffusion";
import {
  DEFAULT_START_TIME,
  FlowEnv,
  SIT_GUIDANCE,
  SIT_SMOOTHING,
  loadVelocityPredictor,
  sampleFlowSchedule,
  shiftedGrid,
  timeUniformGrid as flowUniformGrid,
} from "@adagen/flow";
import { modelPath } from "@adagen/zoo";

export class UsageError extends Error {}

export type ScheduleName = "uniform" | "logsnr" | "karras" | "shifted";

/** Time shift of `--schedule shifted` when `--shift` is not given: s > 1 puts finer steps near data. */
export const DEFAULT_SHIFT = 2;

export interface ScheduleRequest {
  name: ScheduleName;
  /** Constant CFG weight w (0 = unguided); the model's heuristic weight when omitted. */
  guidance?: number;
  shift?: number;
  /** Start time (diffusion tau, flow t); the model's heuristic start when omitted. */
  start?: number;
}

/**
 * The schedule an untrained policy reproduces (the residual the policy's outputs are added to, docs/method.md §4.4):
 * by default the paper's heuristic; `adagen train --init best` starts from the searched best baseline instead.
 */
export interface PolicyInit {
  /** What it is, e.g. "heuristic" or "best: logsnr, w = 2". */
  name: string;
  times: number[];
  guidance: number;
}

/** A model opened for T guided evaluations. */
export interface OpenedModel {
  env: GenerationEnv;
  /** Images `[B,28,28,1]` in [0,1] from a fixed schedule and constant guidance, no policy. */
  sampleSchedule(schedule: ScheduleRequest, labels: Int32Array, seed: number): Promise<Batch>;
  /** The T+1 time points of a fixed schedule. */
  scheduleTimes(schedule: ScheduleRequest): Float64Array;
  dispose(): Promise<void>;
}

export interface ModelEntry {
  name: string;
  description: string;
  /** The heuristic's constant guidance weight (docs/method.md §4.3). */
  guidance: number;
  schedules: readonly ScheduleName[];
  /** The heuristic's start time (docs/method.md §4.3). */
  start: number;
  /** Start times `adagen baselines` tries besides the heuristic's (the policy picks its own). */
  searchStarts: readonly number[];
  open(steps: number, init?: PolicyInit): Promise<OpenedModel>;
}

/** The zoo's 28×28 Fashion-MNIST generators: sample shape, policy features (last-block tokens), classes. */
const ZOO_GRAPH = { sampleShape: [1, 28, 28], featureShape: [49, 128], numClasses: 10 } as const;

/** DiT heuristic (docs/method.md §4.3): time-uniform 0.9 → 0.01, w = 1.0, smoothing rho = 0.4, DPM-Solver++(2S). */
const DIT = { tauStart: 0.9, tauEnd: 0.01, guidance: 1.0, smoothing: 0.4 } as const;

const ditTiny: ModelEntry = {
  name: "dit-tiny",
  description: "noise-prediction DiT (diffusion, VP-linear), DPM-Solver++(2S); heuristic time-uniform 0.9 → 0.01, w = 1.0",
  guidance: DIT.guidance,
  schedules: ["uniform", "logsnr", "karras"],
  start: DIT.tauStart,
  searchStarts: [0.9, 0.8, 0.7],
  async open(steps, init) {
    const predictor = await loadNoisePredictor(modelPath("dit-tiny"), ZOO_GRAPH);
    try {
      const env = new DiffusionEnv(predictor, {
        steps,
        solver: "2S",
        tauStart: DIT.tauStart,
        tauEnd: DIT.tauEnd,
        heuristicTimes: init?.times,
        guidanceInit: init?.guidance ?? DIT.guidance,
        smoothing: DIT.smoothing,
        renderTransform: statesToImages,
      });
      const vp = env.schedule;
      const scheduleTimes = (s: ScheduleRequest) => {
        const start = s.start ?? DIT.tauStart;
        return Float64Array.from(
          s.name === "uniform"
            ? diffusionUniformGrid(steps, start, DIT.tauEnd)
            : s.name === "logsnr"
              ? logSnrUniformGrid(vp, steps, start, DIT.tauEnd)
              : karrasGrid(vp, steps, start, DIT.tauEnd),
        );
      };
      return {
        scheduleTimes,
        env,
        async sampleSchedule(s, labels, seed) {
          const times = Array.from(scheduleTimes(s));
          const states = await sampleDiffusionSchedule(predictor, {
            times,
            guidance: s.guidance ?? DIT.guidance,
            conditions: labels,
            seed,
            solver: "2S",
            schedule: vp,
          });
          return statesToImages(states);
        },
        dispose: () => predictor.dispose(),
      };
    } catch (err) {
      await predictor.dispose();
      throw err;
    }
  },
};

const sitTiny: ModelEntry = {
  name: "sit-tiny",
  description: `velocity-prediction SiT (rectified flow), DPM-Solver++(2S); heuristic time-uniform 0.01 → 0.99, w = ${SIT_GUIDANCE}`,
  guidance: SIT_GUIDANCE,
  schedules: ["uniform", "shifted"],
  start: DEFAULT_START_TIME,
  searchStarts: [0.01, 0.05, 0.1],
  async open(steps, init) {
    const predictor = await loadVelocityPredictor(modelPath("sit-tiny"), ZOO_GRAPH);
    try {
      // SiT heuristic (docs/method.md §4.3): time-uniform 0.01 → 0.99 (FlowEnv's default grid), w = 1.5, rho = 0.8.
      const env = new FlowEnv(predictor, {
        steps,
        solver: "dpm2S",
        heuristicTimes: init?.times,
        guidanceInit: init?.guidance ?? SIT_GUIDANCE,
        smoothing: SIT_SMOOTHING,
        renderTransform: statesToImages,
      });
      const scheduleTimes = (s: ScheduleRequest) => {
        const start = s.start ?? DEFAULT_START_TIME;
        return Float64Array.from(s.name === "shifted" ? shiftedGrid(steps, s.shift ?? DEFAULT_SHIFT, start) : flowUniformGrid(steps, start));
      };
      return {
        scheduleTimes,
        env,
        async sampleSchedule(s, labels, seed) {
          const times = Array.from(scheduleTimes(s));
          return sampleFlowSchedule(predictor, {
            times,
            guidance: s.guidance ?? SIT_GUIDANCE,
            conditions: labels,
            seed,
            solver: "dpm2S",
            renderTransform: statesToImages,
          });
        },
        dispose: () => predictor.dispose(),
      };
    } catch (err) {
      await predictor.dispose();
      throw err;
    }
  },
};

export const MODELS: Readonly<Record<string, ModelEntry>> = { "dit-tiny": ditTiny, "sit-tiny": sitTiny };

export function getModel(name: string): ModelEntry {
  const m = MODELS[name];
  if (!m) throw new UsageError(`unknown model "${name}" (known: ${Object.keys(MODELS).join(", ")})`);
  return m;
}

/** Opens a model, turning the env's step-count checks (e.g. too many steps for the 0.01 time gap) into usage errors. */
export async function openModel(entry: ModelEntry, steps: number, init?: PolicyInit): Promise<OpenedModel> {
  try {
    return await entry.open(steps, init);
  } catch (err) {
    if (err instanceof RangeError) throw new UsageError(`${entry.name} at ${steps} steps: ${err.message}`);
    throw err;
  }
}

export function checkSchedule(entry: ModelEntry, name: string): ScheduleName {
  if (!(entry.schedules as readonly string[]).includes(name))
    throw new UsageError(`--schedule ${name} does not apply to ${entry.name} (choose ${entry.schedules.join(", ")})`);
  return name as ScheduleName;
}

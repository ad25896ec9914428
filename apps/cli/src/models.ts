/**
 * The generators the CLI knows: a zoo ONNX model, the paradigm adapter's env over it with the paper's heuristic
 * (METHOD.md §4.3), and its hand-designed baseline schedules. Every env renders [0,1] NHWC images `[B,28,28,1]`
 * (`statesToImages`), what the ViT discriminator and the feature extractor read.
 */
import type { Batch, GenerationEnv } from "@adagen/core";
import {
  DiffusionEnv,
  OnnxNoisePredictor,
  karrasGrid,
  type EndPointNoise,
  logSnrUniformGrid,
  sampleWithSchedule as diffusionSample,
  statesToImages,
  timeUniformGrid as diffusionUniformGrid,
} from "@adagen/diffusion";
import {
  FlowEnv,
  MAX_TIME,
  OnnxVelocityPredictor,
  SIT_GUIDANCE,
  SIT_SMOOTHING,
  sampleWithSchedule as flowSample,
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
}

/**
 * The schedule an untrained policy reproduces (the residual the policy's outputs are added to, METHOD.md §4.4):
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
  /** The forward noise of the sampler's last time point (real images for the discriminator get the same). */
  endPointNoise: EndPointNoise;
  dispose(): Promise<void>;
}

export interface ModelEntry {
  name: string;
  description: string;
  /** The heuristic's constant guidance weight (METHOD.md §4.3). */
  guidance: number;
  schedules: readonly ScheduleName[];
  open(steps: number, init?: PolicyInit): Promise<OpenedModel>;
}

/** DiT heuristic (METHOD.md §4.3): time-uniform 0.9 → 0.01, w = 1.0, smoothing rho = 0.4, DPM-Solver++(2S). */
const DIT = { tauStart: 0.9, tauEnd: 0.01, guidance: 1.0, smoothing: 0.4 } as const;

const ditTiny: ModelEntry = {
  name: "dit-tiny",
  description: "noise-prediction DiT (diffusion, VP-linear), DPM-Solver++(2S); heuristic time-uniform 0.9 → 0.01, w = 1.0",
  guidance: DIT.guidance,
  schedules: ["uniform", "logsnr", "karras"],
  async open(steps, init) {
    const predictor = await OnnxNoisePredictor.load(modelPath("dit-tiny"));
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
      const scheduleTimes = (s: ScheduleRequest) =>
        Float64Array.from(
          s.name === "uniform"
            ? diffusionUniformGrid(steps, DIT.tauStart, DIT.tauEnd)
            : s.name === "logsnr"
              ? logSnrUniformGrid(vp, steps, DIT.tauStart, DIT.tauEnd)
              : karrasGrid(vp, steps, DIT.tauStart, DIT.tauEnd),
        );
      return {
        scheduleTimes,
        env,
        endPointNoise: { alpha: vp.alpha(DIT.tauEnd), sigma: vp.sigma(DIT.tauEnd) },
        async sampleSchedule(s, labels, seed) {
          const times = Array.from(scheduleTimes(s));
          const states = await diffusionSample(predictor, {
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
  async open(steps, init) {
    const predictor = await OnnxVelocityPredictor.load(modelPath("sit-tiny"));
    try {
      // SiT heuristic (METHOD.md §4.3): time-uniform 0.01 → 0.99 (FlowEnv's default grid), w = 1.5, rho = 0.8.
      const env = new FlowEnv(predictor, {
        steps,
        solver: "dpm2S",
        heuristicTimes: init?.times,
        guidanceInit: init?.guidance ?? SIT_GUIDANCE,
        smoothing: SIT_SMOOTHING,
        renderTransform: statesToImages,
      });
      const scheduleTimes = (s: ScheduleRequest) =>
        Float64Array.from(s.name === "shifted" ? shiftedGrid(steps, s.shift ?? DEFAULT_SHIFT) : flowUniformGrid(steps));
      return {
        scheduleTimes,
        env,
        // Linear interpolant at the 0.99 ceiling: 0.99·x_data + 0.01·noise.
        endPointNoise: { alpha: MAX_TIME, sigma: 1 - MAX_TIME },
        async sampleSchedule(s, labels, seed) {
          const times = Array.from(scheduleTimes(s));
          return flowSample(predictor, {
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

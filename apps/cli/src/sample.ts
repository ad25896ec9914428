/**
 * `adagen sample`: N class-balanced samples from a trained policy or a baseline schedule (core's `createSampler`),
 * written as an ADM-layout npz (`arr_0` uint8 [N,H,W,C], `arr_1` int64 labels), atomically.
 */
import { existsSync, mkdirSync, readdirSync } from "node:fs";
import { dirname } from "node:path";
import { bestBaseline, createSampler, describeSearchKeys, shippedPolicyPath } from "@adagen/core";
import { writeNpz } from "@adagen/metrics";
import { Flags, checkOutputFile } from "./args.js";
import { DEFAULT_SHIFT, UsageError, checkSchedule, getModel, hasGuidanceRamps, hasTimePoints, stepListOf, type ModelEntry, type ScheduleRequest } from "./models.js";
import { ProgressBar } from "@adagen/metrics";
import { displayPath } from "./scoring.js";

export interface SampleResult {
  output: string;
  model: string;
  steps: number;
  samples: number;
  seed: number;
  sampler: string;
}

/** `--policy default`: the shipped policy for this model and step count (the card's policies folder). */
export function shippedPolicy(entry: ModelEntry, steps: number): string {
  const path = shippedPolicyPath(entry, steps);
  if (!existsSync(path))
    throw new UsageError(
      `no shipped policy for ${entry.name} at ${steps} steps (${entry.card.policies ? `shipped: ${shippedSteps(entry)}` : "its card names no policies folder"}); train one with "adagen train --model ${entry.name} --steps ${steps}" and pass --policy runs/${entry.name}-${steps}/policy.adagen`,
    );
  return path;
}

/** "4, 8, 16 steps": the step counts of the model's policies in its card's policies folder. */
function shippedSteps(entry: ModelEntry): string {
  const dir = entry.card.policies!;
  const prefix = `${entry.name}-`;
  const steps = (existsSync(dir) ? readdirSync(dir) : [])
    .filter((f) => f.startsWith(prefix) && /^\d+\.adagen$/.test(f.slice(prefix.length)))
    .map((f) => Number(f.slice(prefix.length, -".adagen".length)))
    .sort((x, y) => x - y);
  return steps.length ? `${steps.join(", ")} steps` : "none";
}

/** `--schedule best`: the searched best schedule and guidance (packages/zoo/baselines.json). */
function bestSchedule(entry: ModelEntry, steps: number): ScheduleRequest {
  const found = bestBaseline(entry, steps);
  if (!found)
    throw new UsageError(
      `no searched baseline for ${entry.name} at ${steps} steps in ${entry.card.baselines ? displayPath(entry.card.baselines) : "its card (no baselines file)"}; run "adagen baselines --model ${entry.name} --steps ${steps}" or choose a named schedule`,
    );
  return found.best.schedule;
}

export async function sample(flags: Flags, quiet: boolean): Promise<SampleResult> {
  const entry = getModel(flags.require("model", flags.string, "sample"));
  const [steps] = stepListOf(entry, flags.has("steps") ? [flags.number("steps")!] : undefined, "sample");
  const n = flags.require("n", flags.number, "sample");
  const seed = flags.require("seed", flags.number, "sample");
  const output = flags.require("out", flags.string, "sample");
  checkOutputFile(output);
  const policy = flags.string("policy");
  const scheduleName = flags.string("schedule");
  if ((policy === undefined) === (scheduleName === undefined)) throw new UsageError("sample needs exactly one of --policy PATH or --schedule NAME");
  if (policy !== undefined || scheduleName === "best")
    for (const f of ["guidance", "guidance-end", "shift", "start", "times"])
      if (flags.has(f)) throw new UsageError(`--${f} applies to a named --schedule, not to ${policy !== undefined ? "--policy" : "--schedule best"}`);
  const policyPath = policy === "default" ? shippedPolicy(entry, steps) : policy;
  const schedule: ScheduleRequest | undefined =
    scheduleName === undefined
      ? undefined
      : scheduleName === "best"
        ? bestSchedule(entry, steps)
        : {
            name: checkSchedule(entry, scheduleName),
            guidance: flags.number("guidance"),
            guidanceEnd: flags.number("guidance-end"),
            shift: flags.number("shift"),
            start: flags.number("start"),
            times: flags.list("times"),
          };
  if (flags.has("start") && !hasTimePoints(entry)) throw new UsageError(`--start applies to time-point samplers (diffusion, flow), not to ${entry.name}`);
  if (flags.has("times") && !hasTimePoints(entry)) throw new UsageError(`--times applies to time-point samplers (diffusion, flow), not to ${entry.name}`);
  if (flags.has("times") && (flags.has("start") || flags.has("shift")))
    throw new UsageError(`--times gives every time point, the start among them: drop --${flags.has("start") ? "start" : "shift"}`);
  const times = schedule?.times;
  if (times && times.length !== steps + 1) throw new UsageError(`--times needs ${steps + 1} time points for --steps ${steps} (steps + 1), got ${times.length}`);
  if (flags.has("guidance-end") && !hasGuidanceRamps(entry))
    throw new UsageError(`--guidance-end applies to samplers whose fixed schedules take a guidance ramp, which ${entry.name}'s do not`);
  if (flags.has("shift") && schedule?.name !== "shifted") throw new UsageError("--shift applies to --schedule shifted only");
  const bestOf = flags.number("best-of") ?? 0;
  if (bestOf > 0 && policyPath === undefined) throw new UsageError("--best-of scores candidates with a policy's discriminator: it needs --policy");
  const lookahead = flags.number("lookahead") ?? 1;
  const lambda = flags.number("lambda");
  if (lambda !== undefined && policyPath === undefined) throw new UsageError("--lambda blends a dial's fidelity policy with its base: it needs --policy");
  if (lookahead > 1 && policyPath === undefined) throw new UsageError("--lookahead values next states with a policy's critic: it needs --policy");

  const sampler = await createSampler({ adapter: entry.adapter, model: entry.card, steps, policy: policyPath, schedule });
  try {
    const bar = new ProgressBar(`sample ${entry.name} T=${steps}`, n, "images", !quiet);
    let result;
    try {
      result = await sampler.sample({ n, seed, bestOf, lookahead, lambda, onProgress: (done) => bar.update(done) });
    } catch (err) {
      bar.abort();
      throw err;
    }
    try {
      mkdirSync(dirname(output), { recursive: true });
      writeNpz(output, {
        arr_0: { dtype: "uint8", shape: result.shape, data: result.images },
        arr_1: { dtype: "int64", shape: [n], data: BigInt64Array.from(result.labels, (l) => BigInt(l)) },
      });
    } catch (err) {
      throw new UsageError(`${output}: cannot write (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
    }
    bar.done(`${n} images written to ${output}`);
    const timePoints = hasTimePoints(entry);
    const described =
      schedule === undefined
        ? `policy ${policyPath}${lambda !== undefined ? `, dial λ = ${lambda}` : ""}${lookahead > 1 ? `, lookahead ${lookahead} by its critic` : ""}${bestOf > 0 ? `, best of ${bestOf + 1} by its discriminator` : ""}`
        : `${schedule.name} schedule, ${schedule.guidance !== undefined || entry.facts.heuristicSchedule === undefined ? `w = ${schedule.guidance ?? entry.guidance}${schedule.guidanceEnd === undefined ? "" : ` → ${schedule.guidanceEnd}`}` : "heuristic guidance"}` +
          (schedule.name === "shifted" ? `, shift ${schedule.shift ?? DEFAULT_SHIFT}` : "") +
          (schedule.times ? `, times ${schedule.times.join(", ")}` : timePoints ? `, start ${schedule.start ?? entry.start}` : "") +
          describeSearchKeys(schedule);
    return { output, model: entry.name, steps, samples: n, seed, sampler: described };
  } finally {
    await sampler.dispose();
  }
}

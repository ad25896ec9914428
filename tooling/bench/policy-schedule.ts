/**
 * What a policy file executes, in numbers: for a time-point model (dit-tiny, sit-tiny), the time point and the
 * guidance weight at each decision over N class-balanced samples (mean, standard deviation, range), beside its
 * starting schedule; for a token model (maskgit-tiny, var-tiny), every decoded action (guidance, temperatures,
 * top-k, top-p, mask ratio) at each decision likewise. The numbers behind `pnpm start`'s schedules.png, for a
 * closing note or a README.
 *
 *   node --conditions=adagen-source --import tsx tooling/bench/policy-schedule.ts --model sit-tiny --steps 4
 *        --policy FILE [--n 256] [--seed 3]   (FILE: a policy file, or a run's checkpoint.adagen: the policy of the
 *                                             run's last iteration, before any selection)
 *        [--by-class]                         also each class's mean of every quantity at each decision (does the
 *                                             policy treat classes differently? bench:class-oracle measures what
 *                                             that is worth)
 *   (or: pnpm -s bench:policy-schedule --model sit-tiny --steps 4 --policy FILE)
 *
 * The first line echoes the command; the last is one JSON object with every figure.
 */
import { relative } from "node:path";
import { ActionDecoder, balancedLabels, disposePolicy, initTensorflow, openModel, openPolicy, policyEnv, policyInitOf, rollout } from "@adagen/core";
import { policyFileOf } from "./checkpoint-policy.js";
import { zooModel } from "./zoo-model.js";
import { benchArgs } from "./bench-command.js";

function parseArgs(argv: string[]): { model: string; steps: number; policy: string; n: number; seed: number; byClass: boolean } {
  const out = { model: "", steps: 0, policy: "", n: 256, seed: 3, byClass: false };
  for (let i = 0; i < argv.length; i += 2) {
    const [flag, value] = [argv[i], argv[i + 1]];
    const num = Number(value);
    if (flag === "--by-class") (out.byClass = true), i--;
    else if (flag === "--model" && value) out.model = value;
    else if (flag === "--policy" && value) out.policy = value;
    else if (flag === "--steps" && Number.isInteger(num) && num >= 1) out.steps = num;
    else if (flag === "--n" && Number.isInteger(num) && num >= 1) out.n = num;
    else if (flag === "--seed" && Number.isInteger(num) && num >= 0) out.seed = num;
    else throw new Error(`unknown flag or bad value: ${flag} ${value ?? ""} (expected --model M, --steps T, --policy FILE, --n N, --seed S, --by-class)`);
  }
  if (!out.model || !out.steps || !out.policy) throw new Error("--model, --steps and --policy are required");
  return out;
}

const args = benchArgs(import.meta.url, parseArgs);
const entry = zooModel(args.model);
await initTensorflow();
const { file: policyFile, iteration } = await policyFileOf(args.policy, args.model, args.steps);
const init = await policyInitOf(policyFile, entry, args.steps);
if (!init) throw new Error(`${args.policy} records no starting schedule (init); this bench compares a policy with the schedule it started from`);
const model = await openModel(entry, args.steps, init);
const policy = await openPolicy(policyFile, entry, args.steps, model);
type Summary = { mean: number; sd: number; min: number; max: number };
const summary = (rows: ArrayLike<number>[]): Summary[] =>
  rows.map((row) => {
    const v = Array.from(row);
    const mean = v.reduce((a, b) => a + b, 0) / v.length;
    const sd = Math.sqrt(v.reduce((a, b) => a + (b - mean) ** 2, 0) / v.length);
    return { mean, sd, min: Math.min(...v), max: Math.max(...v) };
  });
/** Each class's mean of every row (one row per decision), as `[class][decision]`. */
const classMeans = (rows: ArrayLike<number>[], labels: Int32Array, classes: number): number[][] =>
  Array.from({ length: classes }, (_, c) =>
    rows.map((row) => {
      let [sum, n] = [0, 0];
      for (let i = 0; i < labels.length; i++) if (labels[i] === c) [sum, n] = [sum + row[i], n + 1];
      return sum / n;
    }),
  );
const printClassMeans = (name: string, means: number[][]) => {
  console.log(`${name}: each class's mean per decision`);
  // A class with no sample among --n (fewer samples than classes) has no mean: "-".
  means.forEach((m, c) => console.log(`  class ${String(c).padEnd(4)}${m.map((v) => (Number.isNaN(v) ? "-" : v.toFixed(4)).padStart(10)).join("")}`));
};
const fmt = (s: Summary) => `${s.mean.toFixed(4)} ± ${s.sd.toFixed(4)} [${s.min.toFixed(3)}, ${s.max.toFixed(3)}]`;
const shown = relative(process.cwd(), args.policy);
try {
  // Time-point envs report their executed times and guidance; token envs' executedSchedule is a plain table.
  const env = model.env as typeof model.env & { executedSchedule?: () => { times: Float64Array[]; guidance: Float32Array[] } | Float32Array[][] };
  const labels = balancedLabels(args.n, model.env.numClasses);
  const { actions } = await rollout(policyEnv(model.env, policy), policy.actor, new ActionDecoder(policy.actionSpec), labels, args.seed);
  console.log(`${shown}${iteration === undefined ? "" : ` (checkpoint of iteration ${iteration})`} on ${args.model} at ${args.steps} steps, ${args.n} samples (seed ${args.seed}); starting schedule: ${init.name}`);
  const common = { policy: shown, model: args.model, steps: args.steps, n: args.n, seed: args.seed, init };
  const executed = env.executedSchedule?.();
  if (executed && !Array.isArray(executed)) {
    const times = summary(executed.times);
    const guidance = summary(executed.guidance);
    console.log("decision".padEnd(10) + "time: mean ± sd [min, max]".padEnd(36) + "guidance: mean ± sd [min, max]");
    for (let k = 0; k < Math.max(times.length, guidance.length); k++)
      console.log(String(k).padEnd(10) + (times[k] ? fmt(times[k]) : "-").padEnd(36) + (guidance[k] ? fmt(guidance[k]) : "-"));
    console.log(`starting time points ${init.times.map((t) => t.toFixed(4)).join(", ")}; starting guidance ${Array.isArray(init.guidance) ? init.guidance.join(", ") : init.guidance}`);
    const byClass = args.byClass ? { times: classMeans(executed.times, labels, model.env.numClasses), guidance: classMeans(executed.guidance, labels, model.env.numClasses) } : undefined;
    if (byClass) (printClassMeans("time", byClass.times), printClassMeans("guidance", byClass.guidance));
    console.log(JSON.stringify({ ...common, times, guidance, ...(byClass ? { byClass } : {}) }));
  } else {
    // Token models: the decoded actions themselves (what the env executes, e.g. top-k before rounding to a count).
    const keys = Object.keys(actions[0] ?? {});
    const perKey = Object.fromEntries(keys.map((key) => [key, summary(actions.map((a) => a[key]))]));
    for (const key of keys) {
      console.log(`${key}: mean ± sd [min, max] per decision`);
      perKey[key].forEach((s, k) => console.log(`  ${String(k).padEnd(8)}${fmt(s)}`));
    }
    const byClass = args.byClass ? Object.fromEntries(keys.map((key) => [key, classMeans(actions.map((a) => a[key]), labels, model.env.numClasses)])) : undefined;
    if (byClass) for (const key of keys) printClassMeans(key, byClass[key]);
    console.log(JSON.stringify({ ...common, actions: perKey, ...(byClass ? { byClass } : {}) }));
  }
} finally {
  disposePolicy(policy);
  await model.dispose();
}

/**
 * The policy's share of sampling wall time at batch 256, on the zoo's dit-tiny, sit-tiny, maskgit-tiny and var-tiny
 * (a model with a fixed step count, var-tiny's 6 scales, at that count whatever --steps says).
 *
 *   node --conditions=adagen-source --import tsx tooling/bench/policy-share.ts [--steps 4,8] [--repeats 3] [--models maskgit-tiny]
 *   (or: pnpm bench:policy-share --steps 4,8)
 *
 * Goal: policyShare ≤ 2%, i.e. a learned per-sample schedule costs next to nothing on top of the generator.
 *
 * Setup: the CLI's envs exactly (the zoo cards through their adapters, zoo-model.ts: heuristic schedule; DPM-Solver++(2S) for
 * dit-tiny, tokens decoded to images for maskgit-tiny), an untrained actor of the CLI's size (POLICY_NETWORK; it runs the same forward as a trained
 * one), the deterministic policy (no exploration, no critic) on 256 class-balanced labels. Per model and step count:
 * one warm-up rollout (wasm kernels, onnxruntime arenas), then `--repeats` timed ones. Figures are seconds per
 * rollout of 256 samples, averaged over the repeats: wall time, time inside predictor (ONNX) calls, time inside the
 * actor's `predict` (what `rollout` calls each decision). policyShare = policy seconds / wall seconds. The first
 * line echoes the command; the last is one JSON object with every row.
 */
import { ActionDecoder, PRESETS, PolicyNetwork, balancedLabels, initTensorflow, openModel, policyNetworkConfig, rollout } from "@adagen/core";
import { DiffusionEnv } from "@adagen/diffusion";
import { FlowEnv } from "@adagen/flow";
import { MaskGitEnv } from "@adagen/maskgit";
import { VarEnv } from "@adagen/var";
import { zooModel } from "./zoo-model.js";
import { benchArgs } from "./bench-command.js";

/** The CLI's policy size: core's "cpu-small" preset. */
const POLICY_NETWORK = PRESETS["cpu-small"].network;

const BATCH = 256;
const MODELS = ["dit-tiny", "sit-tiny", "maskgit-tiny", "var-tiny"] as const;

function parseArgs(argv: string[]): { steps: number[]; repeats: number; models: string[] } {
  const out = { steps: [4], repeats: 3, models: [...MODELS] as string[] };
  for (let i = 0; i < argv.length; i += 2) {
    const [flag, value] = [argv[i], argv[i + 1]];
    if (flag === "--models") {
      const names = (value ?? "").split(",");
      const unknown = names.find((n) => !(MODELS as readonly string[]).includes(n));
      if (unknown !== undefined) throw new Error(`--models: unknown model "${unknown}" (${MODELS.join(", ")})`);
      out.models = names;
      continue;
    }
    const ints = (value ?? "").split(",").map(Number);
    if (!ints.every((v) => Number.isInteger(v) && v >= 1)) throw new Error(`${flag} needs positive integers, got ${value}`);
    if (flag === "--steps") out.steps = ints;
    else if (flag === "--repeats" && ints.length === 1) out.repeats = ints[0];
    else throw new Error(`unknown flag or value: ${flag} ${value} (expected --steps 4[,8,…], --repeats N, --models a,b)`);
  }
  return out;
}

/** Replaces `obj[method]` on the instance by a wrapper that reports each call's duration in ms (awaited if async). */
function timeMethod<T extends object>(obj: T, method: keyof T & string, add: (ms: number) => void): void {
  const original = (obj[method] as (...args: unknown[]) => unknown).bind(obj);
  (obj as Record<string, unknown>)[method] = (...args: unknown[]) => {
    const start = performance.now();
    const result = original(...args);
    if (result instanceof Promise) return result.finally(() => add(performance.now() - start));
    add(performance.now() - start);
    return result;
  };
}

const args = benchArgs(import.meta.url, parseArgs);
const backend = await initTensorflow();

interface Row {
  model: string;
  steps: number;
  totalSeconds: number;
  onnxSeconds: number;
  policySeconds: number;
  policyShare: number;
}

async function measure(model: string, steps: number): Promise<Row> {
  const opened = await openModel(zooModel(model), steps);
  const env = opened.env;
  // The generator's ONNX calls: the ODE envs' `predictor`, MaskGitEnv's `model`, VarEnv's transformer and inputs graph.
  const onnxCalls: [object, string][] =
    env instanceof DiffusionEnv || env instanceof FlowEnv
      ? [[env.predictor, "predict"]]
      : env instanceof MaskGitEnv
        ? [[env.model, "predict"]]
        : env instanceof VarEnv
          ? [[env.model, "predict"], [env.model, "inputs"]]
          : [];
  if (onnxCalls.length === 0) throw new Error(`${model}: expected a DiffusionEnv, FlowEnv, MaskGitEnv or VarEnv`);
  const decoder = new ActionDecoder(env.actionSpec);
  const [tokens, featureDim] = env.featureShape;
  const actor = new PolicyNetwork(policyNetworkConfig({ tokens, featureDim, outputs: decoder.numKeys }, { seed: 0, ...POLICY_NETWORK }), "actor");
  const timers = { onnx: 0, policy: 0 };

  // Wrapped on the instances, so the env and rollout call them exactly as they would unwrapped.
  for (const [object, method] of onnxCalls) timeMethod(object, method as never, (ms) => (timers.onnx += ms));
  timeMethod(actor, "predict", (ms) => (timers.policy += ms));

  try {
    const labels = balancedLabels(BATCH, env.numClasses);
    await rollout(env, actor, decoder, labels, 0);
    timers.onnx = timers.policy = 0;
    const start = performance.now();
    for (let r = 0; r < args.repeats; r++) await rollout(env, actor, decoder, labels, 1 + r);
    const per = (ms: number) => ms / 1000 / args.repeats;
    const total = per(performance.now() - start);
    return {
      model,
      steps,
      totalSeconds: Number(total.toFixed(3)),
      onnxSeconds: Number(per(timers.onnx).toFixed(3)),
      policySeconds: Number(per(timers.policy).toFixed(4)),
      policyShare: Number((per(timers.policy) / total).toFixed(4)),
    };
  } finally {
    actor.dispose();
    await opened.dispose();
  }
}

console.log(
  `tfjs backend ${backend}; batch ${BATCH}; seconds per rollout, mean of ${args.repeats} after one warm-up; ` +
    `policy ${JSON.stringify(POLICY_NETWORK)}`,
);
const header = ["model", "steps", "total s", "ONNX s", "policy s", "other s", "policy share"];
console.log(header.map((h) => h.padStart(14)).join(""));
const rows: Row[] = [];
for (const model of args.models) {
  // A model whose step count is fixed (var-tiny: one decision per scale) runs at that count only.
  const fixed = zooModel(model).facts.fixedSteps;
  for (const steps of fixed !== undefined ? [fixed] : args.steps) {
    const row = await measure(model, steps);
    rows.push(row);
    const other = row.totalSeconds - row.onnxSeconds - row.policySeconds;
    const cells = [
      row.model,
      row.steps,
      row.totalSeconds.toFixed(3),
      row.onnxSeconds.toFixed(3),
      row.policySeconds.toFixed(4),
      other.toFixed(3),
      `${(100 * row.policyShare).toFixed(2)}%`,
    ];
    console.log(cells.map((c) => String(c).padStart(14)).join(""));
  }
}
console.log(JSON.stringify({ batch: BATCH, rows }));

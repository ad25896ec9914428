/** A run's checkpoint read as a policy file, for the benches that take a policy. */
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { PolicyNetwork, readTensorFile, savePolicy, type ActionSpec, type PolicyNetworkConfig } from "@adagen/core";

/** A trainer checkpoint's actor as a temporary policy file; a policy file as it is. */
export async function policyFileOf(path: string, model: string, steps: number): Promise<{ file: string; iteration?: number }> {
  const { meta, tensors } = await readTensorFile(path);
  if (meta.format !== "adagen-trainer-checkpoint") return { file: path };
  const actor = new PolicyNetwork(meta.actor as PolicyNetworkConfig, "actor");
  try {
    actor.params.import(Object.fromEntries(Object.entries(tensors).filter(([k]) => k.startsWith("actor/")).map(([k, v]) => [k.slice(6), v])));
    const file = join(mkdtempSync(join(tmpdir(), "policy-schedule-")), "policy.adagen");
    // The starting schedule sets the action table the policy's outputs are residuals on, and a non-adaptive run's
    // policy must read the step-only features it was trained on: the run's run.json has both (no sharedFeatures
    // there means the older constant features, as in a policy file).
    const { init, adaptive, sharedFeatures } = JSON.parse(readFileSync(join(dirname(path), "run.json"), "utf8"));
    const shared = adaptive === false ? { adaptive: false, ...(sharedFeatures ? { sharedFeatures } : {}) } : {};
    await savePolicy(file, actor, meta.actionSpec as ActionSpec, { model, steps, iteration: meta.iteration, init, ...shared });
    return { file, iteration: meta.iteration as number };
  } finally {
    actor.dispose();
  }
}

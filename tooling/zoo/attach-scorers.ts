/**
 * Adds a run's discriminator and critic to a policy file written before policy files carried them (training now
 * attaches both itself), so that policy can refine its samples (`adagen sample --best-of N`, `--lookahead K`).
 *
 *   node --conditions=adagen-source --import tsx tooling/zoo/attach-scorers.ts POLICY.adagen RUN_DIR
 *
 * Both are the run's last checkpoint's: the discriminator's `discriminator/…` weights with the choice recorded in
 * run.json, the critic's `critic/…` weights with its network config (the checkpoint's info).
 * The policy must be the run's own: its actor weights are compared with RUN_DIR/policy.adagen first.
 *
 *   node --conditions=adagen-source --import tsx tooling/zoo/attach-scorers.ts POLICY.adagen --discriminator-of OTHER.adagen
 *
 * Adds the discriminator OTHER carries (a policy file for the same model and step count) to a policy whose run
 * trained none (the influence reward has no discriminator), so that policy can still refine by best-of-N; the
 * discriminator's info keeps the run and iteration it came from.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import {
  attachToPolicy,
  carriedDiscriminatorPart,
  criticPart,
  discriminatorPart,
  readTensorFile,
  type DiscriminatorChoice,
  type PolicyNetworkConfig,
} from "@adagen/core";

const USAGE = "usage: attach-scorers.ts POLICY.adagen RUN_DIR, or attach-scorers.ts POLICY.adagen --discriminator-of OTHER.adagen";

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  if (args.length === 3 && args[1] === "--discriminator-of") return discriminatorOf(args[0], args[2]);
  const [policy, runDir] = args;
  if (args.length !== 2) throw new Error(USAGE);
  for (const f of [policy, join(runDir, "run.json"), join(runDir, "checkpoint.adagen"), join(runDir, "policy.adagen")])
    if (!existsSync(f)) throw new Error(`${f}: no such file`);
  const [own, run] = [await readTensorFile(policy), await readTensorFile(join(runDir, "policy.adagen"))];
  const actorKeys = (t: Record<string, { data: Float32Array }>) => Object.keys(t).filter((k) => !k.startsWith("discriminator/") && !k.startsWith("critic/")).sort();
  const same =
    actorKeys(own.tensors).join() === actorKeys(run.tensors).join() &&
    actorKeys(own.tensors).every((k) => Buffer.from(own.tensors[k].data.buffer, own.tensors[k].data.byteOffset, own.tensors[k].data.byteLength).equals(
      Buffer.from(run.tensors[k].data.buffer, run.tensors[k].data.byteOffset, run.tensors[k].data.byteLength)));
  if (!same) throw new Error(`${policy} is not ${join(runDir, "policy.adagen")}: its weights differ`);
  const choice = JSON.parse(readFileSync(join(runDir, "run.json"), "utf8")).discriminator as DiscriminatorChoice;
  const checkpoint = await readTensorFile(join(runDir, "checkpoint.adagen"));
  const weights = Object.fromEntries(Object.entries(checkpoint.tensors).filter(([k]) => k.startsWith("discriminator/")));
  const critic = Object.fromEntries(Object.entries(checkpoint.tensors).filter(([k]) => k.startsWith("critic/")));
  await attachToPolicy(policy, [
    discriminatorPart(choice, weights, checkpoint.meta.iteration as number),
    criticPart(checkpoint.meta.critic as PolicyNetworkConfig, critic),
  ]);
  console.log(
    `${policy}: attached the ${choice.kind} discriminator (${Object.keys(weights).length} arrays) and the critic (${Object.keys(critic).length}) ` +
      `of ${runDir}, iteration ${String(checkpoint.meta.iteration)}`,
  );
}

/** Attaches the discriminator `other` carries to `policy` (both for the same model and step count). */
async function discriminatorOf(policy: string, other: string): Promise<void> {
  for (const f of [policy, other]) if (!existsSync(f)) throw new Error(`${f}: no such file`);
  const [own, source] = [(await readTensorFile(policy)).meta, (await readTensorFile(other)).meta];
  if (own.model !== source.model || own.steps !== source.steps)
    throw new Error(`${other} is for ${String(source.model)} at ${String(source.steps)} steps, ${policy} for ${String(own.model)} at ${String(own.steps)}`);
  const part = await carriedDiscriminatorPart(other);
  if (!part) throw new Error(`${other} carries no discriminator`);
  await attachToPolicy(policy, [part]);
  console.log(`${policy}: attached the discriminator ${other} carries`);
}

main().catch((err: Error) => {
  console.error(`attach-scorers: ${err.message}`);
  process.exit(1);
});

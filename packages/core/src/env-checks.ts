/**
 * The checks every `GenerationEnv` makes on its callers, one wording for all paradigms: the conditions of a reset,
 * a decision out of turn, and the executed actions of a step.
 */
import type { ActionSpec } from "./actions/spec.js";
import type { ExecutedActions } from "./env.js";

/** At least one condition, each 0..numClasses (numClasses = unconditional). */
export function checkConditions(conditions: Int32Array, numClasses: number): void {
  if (conditions.length === 0) throw new RangeError("reset needs at least one condition");
  for (const c of conditions)
    if (!(Number.isInteger(c) && c >= 0 && c <= numClasses))
      throw new RangeError(`condition ${c} is out of range 0..${numClasses} (${numClasses} = unconditional)`);
}

/** `observe` or `step` (`what`) needs a reset batch (B > 0) and a decision left (taken < horizon). */
export function checkDecisionLeft(what: string, batch: number, taken: number, horizon: number): void {
  if (batch === 0) throw new Error(`${what} called before reset`);
  if (taken >= horizon) throw new Error(`trajectory is finished (${horizon} decisions taken)`);
}

/** The executed values of action `key`, one per sample. */
export function actionValues(actions: ExecutedActions, key: string, batch: number, spec: ActionSpec): Float32Array {
  const a = actions[key];
  if (!a) throw new RangeError(`missing action "${key}" (expected keys ${spec.keys.map((k) => k.name).join(", ")})`);
  if (a.length !== batch) throw new RangeError(`action "${key}" has ${a.length} values, expected ${batch} (one per sample)`);
  return a;
}

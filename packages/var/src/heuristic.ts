/**
 * VAR's heuristic (docs/method.md §4.3): the same values at every scale, the model's defaults. Guidance is a
 * multiplier w of the sampler's built-in ramp k/(S − 1) (§5.2 step 3), so the scale-0 weight has no effect.
 */
import { linearRamp } from "@adagen/core";

/** The action keys of the VAR sampler, in the order of the heuristic table's columns. */
export const VAR_KEYS = ["guidanceScale", "topK", "topP", "sampleTemperature"] as const;

export interface VarDefaults {
  /** Multiplier of the guidance ramp (var-tiny: 1.5). */
  cfg: number;
  /** Top-k count, 0 = no filter (var-tiny: 112). */
  topK: number;
  /** Top-p mass, 1 = no filter (var-tiny: 0.96). */
  topP: number;
  /** Sampling temperature, applied after both filters (1). */
  temperature: number;
}

/** A fixed schedule's linear ramps over the scales: each value from its `VarDefaults` one at scale 0 to this at the last. */
export interface VarRamps {
  /** The guidance multiplier's end (the sampler still multiplies it by its own ramp k/(S − 1)). */
  cfgEnd?: number;
  /** The sampling temperature's end. */
  temperatureEnd?: number;
}

/**
 * S rows [guidanceScale, topK, topP, sampleTemperature] of a fixed schedule: the heuristic with the defaults, or a
 * searched baseline whose guidance multiplier and sampling temperature may ramp linearly over the scales (`VarRamps`).
 */
export function varSchedule(scales: number, values: VarDefaults & VarRamps): number[][] {
  if (!(Number.isInteger(scales) && scales >= 1)) throw new RangeError(`scales must be a positive integer, got ${scales}`);
  const { cfg, cfgEnd, topK, topP, temperature, temperatureEnd } = values;
  if (!(cfg > 0 && Number.isFinite(cfg))) throw new RangeError(`cfg must be > 0 (softplus range), got ${cfg}`);
  if (cfgEnd !== undefined && !(cfgEnd > 0 && Number.isFinite(cfgEnd)))
    throw new RangeError(`guidance ramp end must be > 0 (softplus range), got ${cfgEnd}`);
  if (!(Number.isInteger(topK) && topK >= 1)) throw new RangeError(`topK must be a positive integer (the policy's range is (0, codebook)), got ${topK}`);
  if (!(topP > 0 && topP < 1)) throw new RangeError(`topP must be in (0, 1) (sigmoid range), got ${topP}`);
  if (!(temperature > 0 && Number.isFinite(temperature))) throw new RangeError(`temperature must be > 0 (softplus range), got ${temperature}`);
  if (temperatureEnd !== undefined && !(temperatureEnd > 0 && Number.isFinite(temperatureEnd)))
    throw new RangeError(`sampling temperature ramp end must be > 0 (softplus range), got ${temperatureEnd}`);
  const multiplier = linearRamp(scales, cfg, cfgEnd);
  const temperatures = linearRamp(scales, temperature, temperatureEnd);
  return Array.from({ length: scales }, (_, k) => [multiplier[k], topK, topP, temperatures[k]]);
}

/**
 * The top-k count of an executed action value a ∈ (0, V): ⌊a + ½⌋. The paper truncates; rounding keeps an integer
 * table value (the heuristic's 112) exact after the float32 round trip through the activation, where 111.99999
 * would truncate to 111.
 */
export function topKCount(action: number): number {
  return Math.floor(action + 0.5);
}

/** The guidance weight VAR applies at scale k of S: the policy's multiplier w on the built-in ramp k/(S − 1). */
export function rampedGuidance(w: number, k: number, scales: number): number {
  return scales > 1 ? (w * k) / (scales - 1) : 0;
}

/**
 * `train`: one AdaGen training run (docs/method.md §10) of a model at one step count, resumable, with the policy
 * selected on validation FID. The two-line happy path:
 *
 *   const run = await train({ adapter: flowAdapter, model: "card.json", steps: 4, preset: "cpu-small" });
 *   const sampler = await createSampler({ adapter: flowAdapter, model: "card.json", policy: run.policy });
 *
 * (`@adagen/diffusion` and `@adagen/flow` export `train` with their adapter bound.) A run directory holds:
 *   run.json          what was trained (model, steps, batch, trajectories, seed, network, recipe...), written once
 *   checkpoint.adagen everything to resume exactly (AdaGenTrainer.save), rewritten atomically every iteration
 *   metrics.jsonl     one JSON line of IterationMetrics per iteration (with `validation` when scored)
 *   best.adagen       the best-validation policy so far (a new best waits in best-pending.adagen until its
 *                     iteration is checkpointed)
 *   policy.adagen     the selected policy, at the end, carrying the discriminator and critic of the last iteration
 *   run.lock          the pid of the run writing here, while it runs (run-lock.ts): a second run is refused
 * Non-adaptive runs (paper Table XI, "learnable vs adaptive") train on core's `nonAdaptive` env: features of the
 * step index only (`sharedFeatures`, recorded in run.json and the policy file), so the policy learns one schedule
 * shared by all samples; the policy file says `adaptive: false`. The checkpoint is first written at iteration 0; each iteration then appends its metrics line and
 * replaces the checkpoint, so a run killed at any point resumes from the last checkpoint; lines past it are dropped
 * on resume and redone, and temporary files of interrupted writes are removed. tooling/check/crash-test.ts kills a run
 * at random moments and checks that the resumed result is byte-identical to an uninterrupted one.
 */
import { existsSync, readFileSync, readdirSync, renameSync, rmSync, statSync } from "node:fs";
import { appendFile, mkdir } from "node:fs/promises";
import { basename, dirname, join, resolve } from "node:path";
import { writeFileAtomic } from "@adagen/metrics";
import type { PolicyInit, ScheduleRequest } from "../card/adapter.js";
import type { ModelCard } from "../card/model-card.js";
import type { GeneratorAdapter, OpenedGenerator } from "../card/adapter.js";
import { nonAdaptive, sharedFeaturesOf, type SharedFeatures } from "../non-adaptive.js";
import type { ActionSpec } from "../actions/spec.js";
import { DialEnv, DialReward } from "../dial.js";
import type { GenerationEnv } from "../env.js";
import type { PolicyNetwork, PolicyNetworkConfig } from "../nn/policy.js";
import { AdversarialReward, DISCRIMINATOR_LOSSES } from "../rewards/adversarial.js";
import { translateCutout } from "../rewards/augment.js";
import { NEGATIVES, discriminatorNegatives } from "../rewards/negatives.js";
import { ClassifierReward } from "../rewards/classifier-reward.js";
import { FeatureFidReward } from "../rewards/feature-fid-reward.js";
import { FrechetInfluenceReward } from "../rewards/frechet-influence-reward.js";
import { MeanReward } from "../rewards/mean-reward.js";
import { featureSpaceFile, openFeatureSpace } from "../rewards/feature-space.js";
import type { Discriminator } from "../rewards/discriminator.js";
import type { RewardModel } from "../rewards/reward.js";
import { scheduleGuidance } from "../ode/guidance-ramp.js";
import { initTensorflow } from "../runtime/backend.js";
import { readTensorFile, writeTensorFile } from "../train/tensor-file.js";
import { AdaGenTrainer, type IterationMetrics } from "../train/trainer.js";
import { bestBaseline, bestConstantGuidance, describeSchedule } from "./baselines-file.js";
import { discriminatorFor, makeDiscriminator, type DiscriminatorChoice } from "./discriminators.js";
import { attachToPolicy, carriedDiscriminatorPart, carriedDiscriminatorWeights, criticPart, dialBasePart, discriminatorPart, openPolicy, openPolicyCritic, sharedFeaturesIn, type PolicyPart } from "./policy-file.js";
import { generateImages } from "./generate.js";
import { InputError } from "./input-error.js";
import { acquireRunLock } from "./run-lock.js";
import { loadModel, openModel, type AdaGenModel } from "./model.js";
import { loadRealImages } from "./real-images.js";
import { AUGMENTS, preset as presetNamed, type PresetName, type Recipe, type TrainingPreset, type Validation } from "./recipes.js";
import { Scorer, type Scores } from "./scoring.js";

const RUN_FORMAT = "adagen-run";

export const REWARDS = ["adversarial", "pretrained", "fid", "influence"] as const;
export type RewardName = (typeof REWARDS)[number];

/** What a run takes from a trained policy file it builds on: its path (absolute), starting schedule and network. */
interface BasePolicy {
  path: string;
  init: PolicyInit;
  network: Partial<PolicyNetworkConfig>;
}

/**
 * A trained policy file a run builds on (`role` names it in errors): it must be readable, trained for this model and
 * step count, and not itself a dial's fidelity policy.
 */
async function basePolicyOf(
  file: string,
  model: AdaGenModel,
  steps: number,
  role: string,
): Promise<BasePolicy & { adaptive: boolean; sharedFeatures?: SharedFeatures }> {
  if (!existsSync(file)) throw new InputError(`${file}: no such policy file (${role})`);
  const { meta } = await readTensorFile(file).catch((err: Error) => {
    throw new InputError(`${file}: not a readable policy (${err.message})`);
  });
  if (meta.model !== model.name || meta.steps !== steps)
    throw new InputError(`${file}: ${role} was trained for ${String(meta.model)} at ${String(meta.steps)} steps, not ${model.name} at ${steps}`);
  if (meta.dialBase) throw new InputError(`${file} is itself a dial's fidelity policy; ${role} must be a plain policy`);
  const init = (meta.init as PolicyInit | undefined) ?? (await policyInit(model, steps, "heuristic"));
  // The file's sizes (tokens, feature width and outputs come from the env, and the critic has one output).
  const { tokens: _t, featureDim: _d, outputs: _o, ...network } = meta.network as PolicyNetworkConfig;
  const adaptive = meta.adaptive !== false;
  const fail = (why: string): never => {
    throw new InputError(`${file}: ${role} is not usable (${why})`);
  };
  return { path: resolve(file), init, network, adaptive, ...(adaptive ? {} : { sharedFeatures: sharedFeaturesIn(meta, fail) }) };
}

/** What a dial run takes from its base policy file. */
async function dialBaseOf(file: string, model: AdaGenModel, steps: number, reward: string, shared: boolean): Promise<BasePolicy> {
  if (reward !== "adversarial") throw new InputError(`a dial's fidelity policy trains on the blended reward; reward "${reward}" does not apply`);
  if (shared) throw new InputError("a dial's fidelity policy is adaptive (it blends with the base policy per sample); non-adaptive does not apply");
  if (!model.card.fidelity) throw new InputError(`the dial's fidelity reward needs a fidelity classifier: ${model.card.file} has no "fidelity.model"`);
  const { adaptive, ...base } = await basePolicyOf(file, model, steps, "the dial's base policy");
  if (!adaptive) throw new InputError(`${file}: the dial's base policy is non-adaptive; the dial blends adaptive policies`);
  return base;
}

/**
 * A warm start's policy file: an adaptive run needs an adaptive policy and a non-adaptive run a non-adaptive one (the
 * two read different inputs).
 */
async function warmStartOf(file: string, model: AdaGenModel, steps: number, shared: boolean): Promise<BasePolicy & { sharedFeatures?: SharedFeatures }> {
  const { adaptive, ...base } = await basePolicyOf(file, model, steps, "the warm start");
  if (adaptive === shared)
    throw new InputError(`${file}: the warm start is ${adaptive ? "an adaptive" : "a non-adaptive"} policy, the run ${shared ? "learns one shared schedule" : "is adaptive"}`);
  return base;
}

/**
 * Starts a new run's policy and critic (and its discriminator, when the file carries one of the same kind and size)
 * from a trained policy file, so training continues where that policy's run left off, with this run's reward.
 */
async function warmStart(file: string, model: AdaGenModel, steps: number, opened: OpenedGenerator, trainer: AdaGenTrainer, discriminator: Discriminator | undefined): Promise<void> {
  if (!existsSync(file)) throw new InputError(`${file}: the warm start's policy file is missing`);
  const source = await openPolicy(file, model, steps, opened);
  try {
    trainer.actor.params.import(await source.actor.params.export());
  } finally {
    source.actor.dispose();
  }
  const meta = (await readTensorFile(file)).meta;
  if (meta.critic) {
    const critic = await openPolicyCritic(file);
    try {
      trainer.critic.params.import(await critic.params.export());
    } catch {
      // Another critic size: the run's own starts fresh (the group-relative advantages do not need it).
    } finally {
      critic.dispose();
    }
  }
  if (discriminator) await startFromCarried(discriminator, file);
}

/** Starts a new run's discriminator from the one a policy file carries, when the file carries one of the same kind and size. */
async function startFromCarried(discriminator: Discriminator, file: string): Promise<void> {
  const weights = await carriedDiscriminatorWeights(file);
  if (Object.keys(weights).length === 0) return;
  try {
    discriminator.params.import(weights);
  } catch {
    // Another discriminator size or kind: the run's own starts fresh (warm-up first).
  }
}

interface OpenedDial {
  env: DialEnv;
  base: { actor: PolicyNetwork; actionSpec: ActionSpec };
  /** The fidelity classifier; the run's `DialReward` owns it once built. */
  fidelity: ClassifierReward;
  /** Releases the base policy. */
  dispose(): void;
}

/**
 * The dial run's parts: the base policy (frozen) around the model's env, and the fidelity classifier. On a new run the
 * discriminator starts from the one the base policy file carries (when it carries one of the same size).
 */
async function openDial(spec: { base: string; fidelity: string }, model: AdaGenModel, steps: number, opened: OpenedGenerator, discriminator: Discriminator, fresh: boolean): Promise<OpenedDial> {
  if (!existsSync(spec.base)) throw new InputError(`${spec.base}: the dial's base policy is missing`);
  const base = await openPolicy(spec.base, model, steps, opened);
  let fidelity: ClassifierReward | undefined;
  try {
    fidelity = await openFidelityReward(model, spec.fidelity);
    if (fresh) await startFromCarried(discriminator, spec.base);
    return { env: new DialEnv(opened.env, base, "uniform"), base, fidelity, dispose: () => base.actor.dispose() };
  } catch (err) {
    base.actor.dispose();
    await fidelity?.dispose();
    throw err;
  }
}

/** Real images behind the "fid" reward's statistics (64-d features; 2,000 take about 10 s of backbone time here). */
const FID_REFERENCE_IMAGES = 2000;

/** The "fid" ablation reward on the card's discriminator backbone (`recorded`: its file name in run.json). */
async function openFeatureFidReward(model: AdaGenModel, recorded: string, seed: number): Promise<FeatureFidReward> {
  const backbone = model.card.discriminator?.backbone;
  if (!backbone) throw new InputError(`the run's reward is "fid" (${recorded}), but ${model.card.file} has no "discriminator.backbone"`);
  if (basename(backbone) !== recorded) throw new InputError(`the run's reward backbone is ${recorded}, ${model.card.file} names ${basename(backbone)}`);
  if (!existsSync(backbone)) throw new InputError(`${backbone}: the discriminator backbone (named in ${model.card.file}) does not exist`);
  return FeatureFidReward.create(backbone, loadRealImages(model.card), { count: FID_REFERENCE_IMAGES, seed });
}

/** The card's fidelity classifier as a fixed reward; `recorded` is the file name run.json holds, checked against the card. */
async function openFidelityReward(model: AdaGenModel, recorded: string): Promise<ClassifierReward> {
  const spec = model.card.fidelity;
  if (!spec) throw new InputError(`the run's reward is "pretrained" (${recorded}), but ${model.card.file} has no "fidelity.model"`);
  if (basename(spec.model) !== recorded) throw new InputError(`the run's reward classifier is ${recorded}, ${model.card.file} names ${basename(spec.model)}`);
  if (!existsSync(spec.model)) throw new InputError(`${spec.model}: the fidelity classifier (named in ${model.card.file}) does not exist`);
  return ClassifierReward.load(spec.model, { imageShape: model.card.image.shape, numClasses: model.card.classes.count, input: spec.input, output: spec.output });
}

export interface TrainRunOptions {
  /** Runs the card's paradigm (the paradigm packages' `train` binds it). */
  adapter: GeneratorAdapter;
  /** The model card, or its file. */
  model: ModelCard | string;
  /** Model evaluations per sample. */
  steps: number;
  /** Named preset or a full one (default "cpu-small"); the options below override its parts. */
  preset?: PresetName | TrainingPreset;
  /** Train until this many iterations in total (with `resume`, counting those done). */
  iterations?: number;
  /** Run directory (default runs/NAME-T; runs/NAME-T-shared for a non-adaptive run, runs/NAME-T-fidelity for a dial's). */
  out?: string;
  /** Continue the run in `out` from its checkpoint, with its own settings. */
  resume?: boolean;
  batch?: number;
  trajectories?: number;
  seed?: number;
  /**
   * The schedule the untrained policy reproduces: "best" (default: the card's searched best baseline), "best-constant"
   * (the best of its constant-guidance candidates) or "heuristic".
   */
  init?: InitName;
  /** "projected" or "vit" (default: projected when the card has a backbone). */
  discriminator?: string;
  /** Minibatch group size of the projected discriminator's batch-statistics term (0 or absent: off). */
  discriminatorMinibatch?: number;
  /**
   * "adversarial" (default): the discriminator co-trained with the policy. "pretrained": the card's fidelity
   * classifier's confidence in each sample's class, fixed. "fid": each sample's leave-one-out effect on the batch's
   * Fréchet distance to real images in the discriminator backbone's features (never the FID extractor). The last
   * two are the paper's reward ablation (Sec. III-D).
   */
  reward?: RewardName;
  /**
   * The "influence" reward's frozen ViT backbone file (default: the card's discriminator backbone); the zoo's
   * self-supervised packages/zoo/models/fmnist-vit-ssl.adagen is the one the alignment screen prefers.
   */
  rewardBackbone?: string | string[];
  /**
   * The "influence" reward's shape: one distance per class (default) or for all images, real images behind its
   * statistics (default 10,000), images per class (or in all) its running statistics remember (500 per class, 2,000
   * unconditional), and images of the starting policy that fill them first (the horizon's worth).
   */
  influence?: { classConditional?: boolean; referenceImages?: number; horizon?: number; primeImages?: number };
  /**
   * Train the fidelity policy of the dial (docs/method.md §12.3) for this base policy file: the base stays frozen,
   * the new policy starts as its copy, λ is drawn per trajectory, the reward is (1 − λ)·r_adv + λ·r_fid (the card's
   * fidelity classifier); no validation selection (the policy is the last iteration's).
   */
  fidelityOf?: string;
  /**
   * Start the policy (and its critic, and a discriminator of the same kind) from this trained policy file of the same
   * model and step count, instead of the untrained policy: continue a shipped policy with another reward or recipe.
   * The file's network and starting schedule are the run's; validation still scores iteration 0 (the file's policy).
   */
  warmStart?: string;
  recipe?: Partial<Recipe>;
  validation?: Partial<Validation>;
  /** One schedule shared by all samples (the step index only) instead of an adaptive policy. */
  nonAdaptive?: boolean;
  /** Progress: the run's start, the starting schedule's validation, every iteration. */
  onEvent?: (event: TrainEvent) => void;
  /** Resolves a relative discriminator backbone recorded by older runs. */
  resolveBackbone?: (path: string) => string;
}

export type TrainEvent =
  | { type: "start"; dir: string; resumedFrom?: number; adaptive: boolean; policyParameters: number; trajectories: number; batch: number; validation: Validation; iterations: number }
  | { type: "validation"; iteration: 0; fid: number; init: string; warmStart?: string }
  | { type: "iteration"; metrics: IterationMetrics & { validation?: Scores }; secondsPerIteration: number; best?: Scores & { iteration: number }; iterations: number };

export interface TrainResult {
  dir: string;
  policy: string;
  iteration: number;
  /** The iteration whose policy policy.adagen holds (the best validation FID, or the last). */
  selectedIteration: number;
  bestValidation?: Scores & { iteration: number };
  /** The schedule the untrained policy reproduced. */
  init: PolicyInit;
  /** False for a non-adaptive run (one shared schedule). */
  adaptive: boolean;
  resumedFrom?: number;
  last?: IterationMetrics;
}

interface RunInfo {
  format: typeof RUN_FORMAT;
  model: string;
  steps: number;
  batch: number;
  trajectories: number;
  seed: number;
  network: Partial<PolicyNetworkConfig>;
  /** The schedule the untrained policy reproduces. */
  init: PolicyInit;
  discriminator: DiscriminatorChoice;
  /**
   * The card's fidelity classifier (file name) when the reward is "pretrained"; its discriminator backbone when it
   * is "fid" (a Fréchet distance in those features); absent: adversarial.
   */
  reward?: { kind: "pretrained"; model: string } | { kind: "fid"; backbone: string } | InfluenceRewardInfo;
  /** A dial's fidelity-policy run: the base policy file and the card's fidelity classifier (file name). */
  dial?: { base: string; fidelity: string };
  /** The trained policy file the run started from (absolute), when not the untrained policy. */
  warmStart?: string;
  recipe: Recipe;
  validation: Validation;
  /** false for a non-adaptive run; absent in runs written before the option existed: adaptive. */
  adaptive?: boolean;
  /** What a non-adaptive run's policy reads (core's `nonAdaptive`); absent in runs before "step": "constant". */
  sharedFeatures?: SharedFeatures;
}

/**
 * The "influence" reward of a run (core's FrechetInfluenceReward): its backbone as given (resolved from the
 * working directory), class by class, its running statistics' memory in images per class, and how many images of
 * the starting policy fill them before the first iteration.
 */
interface InfluenceRewardInfo {
  kind: "influence";
  /** Several: the reward is the mean of their influences. */
  backbone: string | string[];
  classConditional: boolean;
  referenceImages: number;
  horizon: number;
  primeImages: number;
}

/** How a policy source runs on `env`: adaptive, or the shared schedule of core's `nonAdaptive` view and what it reads. */
function sharedView(env: GenerationEnv): { adaptive: boolean; sharedFeatures?: SharedFeatures } {
  const features = sharedFeaturesOf(env);
  return features ? { adaptive: false, sharedFeatures: features } : { adaptive: true };
}

/**
 * The run's influence reward: in its backbone's features, or with several backbones the mean of their influences
 * (core's MeanReward; each member keeps its own running statistics).
 */
async function openInfluenceReward(model: AdaGenModel, info: InfluenceRewardInfo, seed: number): Promise<RewardModel> {
  const members: RewardModel[] = [];
  try {
    for (const backbone of [info.backbone].flat()) {
      if (!existsSync(featureSpaceFile(backbone).file)) throw new InputError(`${backbone}: the run's influence-reward backbone (run.json) does not exist`);
      const space = await openFeatureSpace(backbone, model.card.image.shape).catch((err: Error) => {
        throw new InputError(`${backbone}: not a feature space for the influence reward (${err.message.split("\n")[0]})`);
      });
      members.push(
        await FrechetInfluenceReward.create(space, loadRealImages(model.card), model.card.classes.count, {
          classConditional: info.classConditional,
          count: info.referenceImages,
          seed,
          horizon: info.horizon,
        }),
      );
    }
  } catch (err) {
    for (const m of members) await m.dispose?.();
    throw err;
  }
  return members.length === 1 ? members[0] : new MeanReward(members);
}

/** The influence reward's running statistics from `count` images of the starting policy (seed + 101), before iteration 1. */
async function primeInfluence(reward: RewardModel, opened: OpenedGenerator, env: GenerationEnv, actor: PolicyNetwork, count: number, seed: number): Promise<void> {
  const source = { kind: "policy", actor, actionSpec: opened.env.actionSpec, path: "(starting policy)", ...sharedView(env) } as const;
  const images = await generateImages(opened, source, count, seed + 101);
  const [n, H, W, C] = images.shape;
  const size = H * W * C;
  const none = { samples: { data: new Float32Array(0), shape: [0, H, W, C] }, labels: new Int32Array(0) };
  for (let start = 0; start < n; start += 256) {
    const end = Math.min(n, start + 256);
    const data = Float32Array.from(images.images.subarray(start * size, end * size), (v) => v / 255);
    await reward.update!(none, { samples: { data, shape: [end - start, H, W, C] }, labels: images.labels.slice(start, end) });
  }
}

/** Images per class (or in all, unconditional) the influence reward's running statistics remember (enough for a 64-d covariance). */
const INFLUENCE_HORIZON = { perClass: 500, unconditional: 2000 };
/** Real images behind its class statistics (1,000 per class for the zoo's 10). */
const INFLUENCE_REFERENCE_IMAGES = 10000;

/** The influence reward's recorded shape from the options and the defaults. */
function influenceSizes(o: TrainRunOptions["influence"], classes: number): Omit<InfluenceRewardInfo, "kind" | "backbone"> {
  const classConditional = o?.classConditional ?? true;
  const horizon = o?.horizon ?? (classConditional ? INFLUENCE_HORIZON.perClass : INFLUENCE_HORIZON.unconditional);
  return {
    classConditional,
    referenceImages: o?.referenceImages ?? INFLUENCE_REFERENCE_IMAGES,
    horizon,
    primeImages: o?.primeImages ?? horizon * (classConditional ? classes : 1),
  };
}

/** The starting schedules `policyInit` knows. */
export const INIT_NAMES = ["best", "best-constant", "heuristic"] as const;
export type InitName = (typeof INIT_NAMES)[number];

/**
 * "heuristic": the paper's heuristic (docs/method.md §4.3). "best": the searched best baseline for this step count
 * (the card's baselines file), so training starts from the strongest fixed sampler; the heuristic when none was
 * searched. "best-constant": the best of the search's constant-guidance candidates (differs from "best" when a
 * guidance ramp won), e.g. to reproduce a run started before ramps were searched.
 */
export async function policyInit(model: AdaGenModel, steps: number, name: string): Promise<PolicyInit> {
  if (!(INIT_NAMES as readonly string[]).includes(name)) throw new InputError(`init "${name}" is not one of ${INIT_NAMES.join(", ")}`);
  const search = name === "heuristic" ? undefined : bestBaseline(model, steps);
  const best = search && (name === "best-constant" ? { ...search, best: bestConstantGuidance(search) } : search);
  const opened = await openModel(model, steps);
  try {
    const spec = opened.env.actionSpec;
    const t = spec.keys.findIndex((k) => k.name === "nextTime");
    if (t < 0) {
      // Not a time-point sampler: the starting schedule is the whole action table.
      const heuristic = best && opened.scheduleActions ? opened.scheduleActions(best.best.schedule) : spec.heuristic.map((row) => [...row]);
      const name = best && opened.scheduleActions ? `best: ${describeSchedule(best.best.schedule)}` : "heuristic";
      return { name, times: [], guidance: model.facts.guidance, heuristic };
    }
    if (!best) return { name: "heuristic", times: spec.heuristic.map((row) => row[t]), guidance: model.facts.guidance };
    return scheduleInit(opened, model, steps, best.best.schedule, "best");
  } finally {
    await opened.dispose();
  }
}

/**
 * A time-point sampler's fixed schedule as a policy's starting schedule: its T+1 time points and its guidance per
 * evaluation (a searched weight of 0 raised to `MIN_START_GUIDANCE`). `opened` is the model at `steps`; `label`
 * prefixes the name (e.g. "best").
 */
export function scheduleInit(opened: OpenedGenerator, model: AdaGenModel, steps: number, schedule: ScheduleRequest, label: string): PolicyInit {
  return {
    name: `${label}: ${describeSchedule(schedule)}`,
    times: Array.from(opened.scheduleTimes(schedule)),
    guidance: startingGuidance(scheduleGuidance(schedule, steps, model.facts.guidance)),
  };
}

/**
 * The policy's guidance output is a softplus (> 0), so a searched weight of 0 (a ramp from the unguided prediction)
 * starts at this floor instead; it moves the guided prediction by 0.001·(eps_c − eps_u).
 */
export const MIN_START_GUIDANCE = 1e-3;

function startingGuidance(guidance: number | number[]): number | number[] {
  return typeof guidance === "number" ? Math.max(guidance, MIN_START_GUIDANCE) : guidance.map((w) => Math.max(w, MIN_START_GUIDANCE));
}

/** The best validation score recorded in a run's metrics (for resuming selection). */
function readBest(metricsFile: string): (Scores & { iteration: number }) | undefined {
  if (!existsSync(metricsFile)) return undefined;
  let best: (Scores & { iteration: number }) | undefined;
  for (const line of readFileSync(metricsFile, "utf8").split("\n")) {
    if (!line.trim()) continue;
    const m = JSON.parse(line) as { iteration: number; validation?: Scores };
    if (m.validation && (!best || m.validation.fid < best.fid)) best = { ...m.validation, iteration: m.iteration };
  }
  return best;
}

/**
 * A new best policy goes to best-pending.adagen first and becomes best.adagen once its iteration is checkpointed
 * (`commit`), so best.adagen never holds an iteration the checkpoint has not reached: a run killed in between and
 * resumed with fewer --iterations would otherwise select a policy its metrics do not name. On resume the pending file
 * is committed when the checkpoint reached it, else dropped (its iteration is redone).
 */
const PENDING_BEST = "best-pending.adagen";

async function settlePendingBest(dir: string, iteration: number): Promise<void> {
  const pending = join(dir, PENDING_BEST);
  if (!existsSync(pending)) return;
  const done = ((await readTensorFile(pending)).meta.iteration as number) <= iteration;
  if (done) renameSync(pending, join(dir, "best.adagen"));
  else rmSync(pending);
}

/** Scores the deterministic policy on fixed seeds against the training statistics and keeps the best in a file. */
class Validator {
  private pending = false;

  private constructor(
    private readonly config: Validation,
    private readonly opened: OpenedGenerator,
    private readonly scorer: Scorer,
    private readonly bestFile: string,
    public best: (Scores & { iteration: number }) | undefined,
  ) {}

  static async open(config: Validation, model: AdaGenModel, opened: OpenedGenerator, bestFile: string, best: (Scores & { iteration: number }) | undefined): Promise<Validator> {
    return new Validator(config, opened, await Scorer.create(model.card, "train"), bestFile, best && existsSync(bestFile) ? best : undefined);
  }

  /** The statistics the validation scores against. */
  get reference(): string {
    return this.scorer.statsFile;
  }

  async evaluate(trainer: AdaGenTrainer, info: Record<string, unknown>): Promise<Scores> {
    // The trainer's env is the nonAdaptive view for a non-adaptive run: validate the policy on what it reads.
    const source = { kind: "policy", actor: trainer.actor, actionSpec: this.opened.env.actionSpec, path: "(training)", ...sharedView(trainer.env) } as const;
    const score = await this.scorer.score(await generateImages(this.opened, source, this.config.n, this.config.seed));
    if (!this.best || score.fid < this.best.fid) {
      await trainer.exportPolicy(this.pendingFile, { ...info, validationFid: score.fid });
      this.pending = true;
      this.best = { ...score, iteration: trainer.iteration };
    }
    return score;
  }

  private get pendingFile(): string {
    return join(dirname(this.bestFile), PENDING_BEST);
  }

  /** Call once the evaluated iteration is checkpointed: a new best becomes best.adagen. */
  commit(): void {
    if (!this.pending) return;
    renameSync(this.pendingFile, this.bestFile);
    this.pending = false;
  }

  dispose(): Promise<void> {
    return this.scorer.dispose();
  }
}

function readRunInfo(dir: string): RunInfo {
  const file = join(dir, "run.json");
  if (!existsSync(file)) throw new InputError(`${file}: missing; ${dir} was not written by adagen train`);
  let info: RunInfo;
  try {
    info = JSON.parse(readFileSync(file, "utf8")) as RunInfo;
  } catch (err) {
    throw new InputError(`${file}: not valid JSON (${(err as Error).message})`);
  }
  if (info.format !== RUN_FORMAT) throw new InputError(`${file}: not an adagen run (format ${String(info.format)})`);
  if (!info.recipe || !info.validation) throw new InputError(`${file}: written by an older adagen (no recipe); start a new run`);
  if ("noisyReals" in info.recipe)
    throw new InputError(`${file}: written by an older adagen whose samplers stopped short of the data end; start a new run`);
  return info;
}

/** Keeps the metrics lines of iterations 1..iteration (a line written after the last checkpoint is redone). */
function truncateMetrics(file: string, iteration: number): void {
  if (!existsSync(file)) return;
  const kept: string[] = [];
  for (const line of readFileSync(file, "utf8").split("\n")) {
    if (!line.trim()) continue;
    try {
      if ((JSON.parse(line) as IterationMetrics).iteration <= iteration) kept.push(line);
    } catch {
      // a torn last line from a killed run
    }
  }
  writeFileAtomic(file, Buffer.from(kept.map((l) => `${l}\n`).join(""), "utf8"));
}

/** The files a run writes atomically, and their temporary names (writeTensorFile's and writeFileAtomic's). */
const RUN_FILES = ["run.json", "checkpoint.adagen", "metrics.jsonl", "best.adagen", PENDING_BEST, "policy.adagen"];
const isTempFile = (name: string) => RUN_FILES.some((f) => name.startsWith(`${f}.tmp-`) || (name.startsWith(`.${f}.`) && name.endsWith(".tmp")));

/** Removes the temporary files of a killed run's interrupted writes (called holding the run lock: no writer is left). */
function removeTempFiles(dir: string): void {
  for (const name of readdirSync(dir)) if (isTempFile(name)) rmSync(join(dir, name), { force: true });
}

/** Drops undefined values, so options not given leave the preset alone. */
function defined<T extends object>(o: T | undefined): Partial<T> {
  return Object.fromEntries(Object.entries(o ?? {}).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** Largest rollout batch: the CLI's --batch limit; beyond it the decoded images of one batch outgrow memory. */
export const MAX_BATCH = 4096;

export async function train(options: TrainRunOptions): Promise<TrainResult> {
  const model = loadModel(options.model, options.adapter);
  const { steps } = options;
  if (!(Number.isInteger(steps) && steps >= 1)) throw new InputError(`steps must be a positive integer, got ${steps}`);
  const base = typeof options.preset === "object" ? options.preset : presetNamed(options.preset ?? "cpu-small");
  const iterations = options.iterations ?? base.iterations;
  if (!(Number.isInteger(iterations) && iterations >= 1)) throw new InputError(`iterations must be a positive integer, got ${iterations}`);
  const shared = options.nonAdaptive === true;
  const dir = options.out ?? join("runs", `${model.name}-${steps}${shared ? "-shared" : ""}${options.fidelityOf !== undefined ? "-fidelity" : ""}`);
  const checkpoint = join(dir, "checkpoint.adagen");
  const metricsFile = join(dir, "metrics.jsonl");
  const policyFile = join(dir, "policy.adagen");
  const bestFile = join(dir, "best.adagen");
  const runFile = join(dir, "run.json");
  const emit = options.onEvent ?? (() => {});

  if (existsSync(dir) && !statSync(dir).isDirectory()) throw new InputError(`${dir} is a file, not a run directory`);
  const lock = acquireRunLock(dir);
  try {
    removeTempFiles(dir);
    let info: RunInfo;
    if (options.resume) {
      if (!existsSync(checkpoint)) throw new InputError(`${checkpoint}: no checkpoint to resume; start the run without resume`);
      info = readRunInfo(dir);
      if (info.model !== model.name || info.steps !== steps)
        throw new InputError(`${dir} was trained for ${info.model} at ${info.steps} steps, not ${model.name} at ${steps}`);
      for (const k of ["batch", "trajectories", "seed"] as const) {
        const v = options[k];
        if (v !== undefined && v !== info[k]) throw new InputError(`${k} ${v} differs from the run's ${info[k]}; a resumed run keeps its settings`);
      }
      const changed = (["init", "discriminator", "discriminatorMinibatch", "reward", "fidelityOf", "warmStart", "recipe", "validation", "preset"] as const).filter((k) => options[k] !== undefined);
      if (changed.length) throw new InputError(`${changed.join(", ")} cannot change on resume; a resumed run keeps the settings in ${runFile}`);
      if (shared && info.adaptive !== false) throw new InputError(`non-adaptive differs from the run's adaptive policy; a resumed run keeps the settings in ${runFile}`);
    } else {
      // run.json alone (a run that failed before its first checkpoint) is not a run worth keeping.
      const existing = ["checkpoint.adagen", "metrics.jsonl", "policy.adagen"].filter((f) => existsSync(join(dir, f)));
      if (existing.length > 0)
        throw new InputError(`${dir} already holds a run (${existing.join(", ")}); resume it, or choose another directory`);
      const { batch, trajectories } = options;
      if (batch !== undefined && !(Number.isInteger(batch) && batch >= 1 && batch <= MAX_BATCH))
        throw new InputError(`batch must be an integer in 1..${MAX_BATCH}, got ${batch}`);
      if (trajectories !== undefined && !(Number.isInteger(trajectories) && trajectories >= 1))
        throw new InputError(`trajectories must be a positive integer, got ${trajectories}`);
      const rewardName = options.reward ?? "adversarial";
      if (!(REWARDS as readonly string[]).includes(rewardName)) throw new InputError(`reward "${rewardName}" is not one of ${REWARDS.join(", ")}`);
      if (rewardName === "pretrained" && !model.card.fidelity)
        throw new InputError(`reward "pretrained" needs a fidelity classifier: ${model.card.file} has no "fidelity.model"`);
      const influenceBackbone = options.rewardBackbone ?? model.card.discriminator?.backbone;
      if (options.rewardBackbone !== undefined && rewardName !== "influence")
        throw new InputError(`a reward backbone (${[options.rewardBackbone].flat().join(", ")}) is for reward "influence", not "${rewardName}"`);
      if (rewardName === "influence" && (!influenceBackbone || influenceBackbone.length === 0))
        throw new InputError(`reward "influence" measures in a ViT backbone's features: give one (rewardBackbone), ${model.card.file} names none`);
      if (Array.isArray(influenceBackbone) && new Set(influenceBackbone).size !== influenceBackbone.length)
        throw new InputError(`the influence reward's backbones name one file twice: ${influenceBackbone.join(", ")}`);
      const { classConditional, ...sizes } = options.influence ?? {};
      if (classConditional !== undefined && typeof classConditional !== "boolean") throw new InputError(`influence.classConditional must be true or false, got ${String(classConditional)}`);
      for (const [k, v] of Object.entries(sizes))
        if (v !== undefined && !(Number.isInteger(v) && v >= 2)) throw new InputError(`influence.${k} must be an integer of at least 2, got ${v}`);
      if (options.influence !== undefined && rewardName !== "influence") throw new InputError(`influence sizes are for reward "influence", not "${rewardName}"`);
      if (rewardName === "influence")
        for (const b of [influenceBackbone!].flat()) if (!existsSync(featureSpaceFile(b).file)) throw new InputError(`${b}: the influence reward's backbone does not exist`);
      if (rewardName === "fid" && !model.card.discriminator)
        throw new InputError(`reward "fid" measures in the discriminator backbone's features: ${model.card.file} has no "discriminator.backbone"`);
      const dialBase = options.fidelityOf === undefined ? undefined : await dialBaseOf(options.fidelityOf, model, steps, rewardName, shared);
      if (options.warmStart !== undefined && dialBase) throw new InputError("a dial's fidelity policy starts as its base policy; a warm start does not apply");
      if (options.warmStart !== undefined && options.init !== undefined)
        throw new InputError(`init "${options.init}" and a warm start (${options.warmStart}) both set the starting policy; give one`);
      const warm = options.warmStart === undefined ? undefined : await warmStartOf(options.warmStart, model, steps, shared);
      const start = dialBase ?? warm;
      const augment = options.recipe?.augment;
      if (augment !== undefined && !(AUGMENTS as readonly string[]).includes(augment))
        throw new InputError(`augment "${augment}" is not one of ${AUGMENTS.join(", ")}`);
      const negatives = options.recipe?.negatives;
      if (negatives !== undefined && !(NEGATIVES as readonly string[]).includes(negatives))
        throw new InputError(`negatives "${negatives}" is not one of ${NEGATIVES.join(", ")}`);
      const dLoss = options.recipe?.discriminatorLoss;
      if (dLoss !== undefined && !(DISCRIMINATOR_LOSSES as readonly string[]).includes(dLoss))
        throw new InputError(`discriminator loss "${dLoss}" is not one of ${DISCRIMINATOR_LOSSES.join(", ")}`);
      info = {
        format: RUN_FORMAT,
        model: model.name,
        steps,
        batch: options.batch ?? base.batch,
        trajectories: options.trajectories ?? base.trajectories,
        seed: options.seed ?? base.seed,
        network: start?.network ?? base.network,
        init: start ? start.init : await policyInit(model, steps, options.init ?? "best"),
        discriminator: discriminatorFor(model.card, options.discriminator, options.discriminatorMinibatch),
        // Recorded only when not the default, so run.json of an adversarial run stays as before.
        ...(rewardName === "pretrained" ? { reward: { kind: "pretrained" as const, model: basename(model.card.fidelity!.model) } } : {}),
        ...(rewardName === "fid" ? { reward: { kind: "fid" as const, backbone: basename(model.card.discriminator!.backbone) } } : {}),
        ...(rewardName === "influence"
          ? {
              reward: {
                kind: "influence" as const,
                backbone: influenceBackbone!,
                ...influenceSizes(options.influence, model.card.classes.count),
              },
            }
          : {}),
        ...(dialBase ? { dial: { base: dialBase.path, fidelity: basename(model.card.fidelity!.model) } } : {}),
        ...(warm ? { warmStart: warm.path } : {}),
        recipe: { ...base.recipe, ...defined(options.recipe) },
        // A dial run has no validation selection: FID is not what the fidelity policy is for.
        validation: dialBase ? { ...base.validation, ...defined(options.validation), every: 0 } : { ...base.validation, ...defined(options.validation) },
        adaptive: !shared,
        // A warm start's shared schedule keeps what it was trained to read.
        ...(shared ? { sharedFeatures: warm?.sharedFeatures ?? "step" } : {}),
      };
    }
    const adaptive = info.adaptive !== false;
    // What a non-adaptive run's policy reads; runs written before step encodings read constants.
    const sharedFeatures = adaptive ? undefined : (info.sharedFeatures ?? "constant");

    await initTensorflow();
    const opened = await openModel(model, steps, info.init);
    let trainer: AdaGenTrainer | undefined;
    let discriminator: Discriminator | undefined;
    let reward: RewardModel | undefined;
    let dial: OpenedDial | undefined;
    try {
      const { recipe } = info;
      if (info.reward?.kind === "pretrained") reward = await openFidelityReward(model, info.reward.model);
      else if (info.reward?.kind === "fid") reward = await openFeatureFidReward(model, info.reward.backbone, info.seed);
      else if (info.reward?.kind === "influence") reward = await openInfluenceReward(model, info.reward, info.seed);
      else {
        discriminator = await makeDiscriminator(info.discriminator, info.seed, options.resolveBackbone);
        reward = new AdversarialReward(discriminator, { learningRate: recipe.discriminatorLearningRate, loss: recipe.discriminatorLoss ?? "logistic" });
      }
      let env: GenerationEnv = adaptive ? opened.env : nonAdaptive(opened.env, { features: sharedFeatures });
      if (info.dial) {
        dial = await openDial(info.dial, model, steps, opened, discriminator!, !options.resume);
        env = dial.env;
        reward = new DialReward(reward, dial.fidelity, () => dial!.env.lambdas);
      }
      trainer = new AdaGenTrainer({
        env,
        reward,
        realData: loadRealImages(model.card),
        network: info.network,
        ppo: {
          learningRate: recipe.learningRate,
          explorationStd: recipe.explorationStd,
          stdDecayAt: recipe.stdDecayAt ?? [],
          epochs: recipe.epochs,
          minibatches: recipe.minibatches,
        },
        groupSize: recipe.groupSize,
        batchSize: info.batch,
        trajectoriesPerIteration: info.trajectories,
        // The influence reward's "update" adds the fakes to its running statistics: each rollout image once, unaltered.
        ...(info.reward?.kind === "influence"
          ? { discriminatorSteps: Math.ceil(info.trajectories / info.batch), discriminatorWarmup: 0, discriminatorFakes: "rollout" as const }
          : {
              discriminatorSteps: recipe.discriminatorSteps,
              discriminatorWarmup: recipe.discriminatorWarmup,
              discriminatorFakes: recipe.discriminatorFakes,
              discriminatorAugment: recipe.augment === "translate-cutout" ? translateCutout() : undefined,
              discriminatorNegatives: discriminatorNegatives(recipe.negatives ?? "none"),
            }),
        discriminatorBatch: info.batch,
        seed: info.seed,
      });

      let resumedFrom: number | undefined;
      if (options.resume) {
        let meta: Record<string, unknown>;
        try {
          meta = (await readTensorFile(checkpoint)).meta;
        } catch (err) {
          const message = (err as Error).message;
          throw new InputError(message.includes(checkpoint) ? message : `${checkpoint}: ${message}`);
        }
        if (JSON.stringify(meta.actionSpec) !== JSON.stringify(opened.env.actionSpec))
          throw new InputError(`${checkpoint}: its action spec does not match ${model.name} at ${steps} steps`);
        try {
          await trainer.load(checkpoint);
        } catch (err) {
          throw new InputError(`${checkpoint}: cannot restore (${(err as Error).message})`);
        }
        resumedFrom = trainer.iteration;
        // At iteration 0 the starting schedule's validation line may be missing: drop it and redo it below.
        truncateMetrics(metricsFile, trainer.iteration === 0 ? -1 : trainer.iteration);
        await settlePendingBest(dir, trainer.iteration);
      } else {
        try {
          await mkdir(dir, { recursive: true });
          writeFileAtomic(runFile, Buffer.from(JSON.stringify(info, null, 2) + "\n", "utf8"));
        } catch (err) {
          throw new InputError(`${dir}: cannot write the run (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
        }
        // The dial's fidelity policy starts as the base policy: at every λ the first samples are the base's.
        if (dial) trainer.actor.params.import(await dial.base.actor.params.export());
        if (info.warmStart) await warmStart(info.warmStart, model, steps, opened, trainer, discriminator);
        if (info.reward?.kind === "influence") await primeInfluence(reward!, opened, env, trainer.actor, info.reward.primeImages, info.seed);
        // Iteration 0, so a run stopped during its first iteration can still be resumed.
        await trainer.save(checkpoint);
      }

      const startIteration = trainer.iteration;
      emit({
        type: "start",
        dir,
        resumedFrom,
        adaptive,
        policyParameters: trainer.actor.parameterCount,
        trajectories: info.trajectories,
        batch: info.batch,
        validation: info.validation,
        iterations,
      });
      const validation = info.validation.every > 0 ? await Validator.open(info.validation, model, opened, bestFile, readBest(metricsFile)) : undefined;
      const policyInfo = () => ({
        model: model.name,
        steps,
        iteration: trainer!.iteration,
        batch: info.batch,
        trajectories: info.trajectories,
        seed: info.seed,
        init: info.init,
        adaptive,
        ...(sharedFeatures ? { sharedFeatures } : {}),
        // Where the run began when not the untrained policy (the file's name; run.json keeps its path).
        ...(info.warmStart ? { warmStart: basename(info.warmStart) } : {}),
      });
      let last: IterationMetrics | undefined;
      const started = performance.now();
      try {
        if (validation && trainer.iteration === 0) {
          const v = await validation.evaluate(trainer, policyInfo());
          await appendFile(metricsFile, JSON.stringify({ iteration: 0, validation: v }) + "\n");
          validation.commit();
          emit({ type: "validation", iteration: 0, fid: v.fid, init: info.init.name, ...(info.warmStart ? { warmStart: info.warmStart } : {}) });
        }
        while (trainer.iteration < iterations) {
          const m: IterationMetrics & { validation?: Scores } = await trainer.step();
          if (validation && (trainer.iteration % info.validation.every === 0 || trainer.iteration === iterations))
            m.validation = await validation.evaluate(trainer, policyInfo());
          await appendFile(metricsFile, JSON.stringify(m) + "\n");
          await trainer.save(checkpoint);
          validation?.commit();
          last = m;
          const secondsPerIteration = (performance.now() - started) / 1000 / (trainer.iteration - startIteration);
          emit({ type: "iteration", metrics: m, secondsPerIteration, best: validation?.best, iterations });
        }
      } finally {
        await validation?.dispose();
      }
      let selected = trainer.iteration;
      if (validation?.best) {
        // The best validation policy (possibly the starting schedule at iteration 0) is the run's policy.
        const { meta, tensors } = await readTensorFile(bestFile);
        const selectedBy = `validation FID (${info.validation.n} samples, seed ${info.validation.seed}, vs ${validation.reference})`;
        await writeTensorFile(policyFile, { meta: { ...meta, selectedBy }, tensors });
        selected = validation.best.iteration;
      } else {
        await trainer.exportPolicy(policyFile, policyInfo());
      }
      // The policy carries the discriminator and the critic as trained to the end of the run, for refinement
      // (best-of-N scores with the one, lookahead with the other), and a dial's its base; one write.
      const parts: PolicyPart[] = [criticPart(trainer.critic.config, await trainer.critic.params.export())];
      if (discriminator) parts.push(discriminatorPart(info.discriminator, await discriminator.params.export(), trainer.iteration));
      else if (info.warmStart) {
        // A run without a discriminator (a fixed or statistics reward) keeps the one its warm start carries, so the
        // policy can still refine by best-of-N; the file records the iteration of the run that trained it.
        const carried = await carriedDiscriminatorPart(info.warmStart);
        if (carried) parts.push(carried);
      }
      if (dial) parts.push(await dialBasePart(dial.base.actor));
      await attachToPolicy(policyFile, parts);
      return {
        dir,
        policy: policyFile,
        iteration: trainer.iteration,
        selectedIteration: selected,
        bestValidation: validation?.best,
        init: info.init,
        adaptive,
        resumedFrom,
        last,
      };
    } finally {
      trainer?.dispose();
      // The reward's own state (Adam moments, sessions); the discriminator itself is disposed below.
      await reward?.dispose?.();
      dial?.dispose();
      (discriminator as { dispose?: () => void } | undefined)?.dispose?.();
      await opened.dispose();
    }
  } finally {
    lock.release();
  }
}

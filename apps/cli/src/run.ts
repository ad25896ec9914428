/**
 * The adagen commands. `runCli(argv)` returns the exit code; stdout carries only the result (one JSON object with
 * --json), stderr carries progress and errors.
 */
import { STEPS_RANGE, Flags, parseFlags, type FlagSpec } from "./args.js";
import { BASELINE_DEFAULTS, SHIFTS, SHIPPED_BASELINES, searchBaselines } from "./baselines.js";
import { CONFIRM_SEED_OFFSET, REFINE_DEFAULTS, refineBaselines } from "./baseline-refine.js";
import { compare, formatCompare } from "./compare.js";
import { TRAIN_STATS } from "./scoring.js";
import { InputError, MAX_BEST_OF, MAX_LOOKAHEAD, NonFiniteError, describeSchedule } from "@adagen/core";
import { DEFAULT_SHIFT, MODEL_CHOICES, UsageError, getModel } from "./models.js";
import { ZOO_CARDS } from "@adagen/zoo";
import { sample } from "./sample.js";
import { DIAL_DEFAULTS, dialReport, formatDial } from "./dial.js";
import { DEFAULT_RECIPE, DEFAULT_VALIDATION, TRAIN_DEFAULTS, train } from "./train.js";

const ZOO_MODELS = ZOO_CARDS.map((name) => getModel(name));
const MODEL_LIST = ZOO_MODELS.map((m) => `  ${m.name.padEnd(9)} ${m.description}; schedules: ${m.schedules.join(", ")}`).join("\n");
/** "dit-tiny 0.9, sit-tiny 0.01" for a fact of each zoo model. */
const perZooModel = (fact: (m: (typeof ZOO_MODELS)[number]) => string) => ZOO_MODELS.map((m) => `${m.name} ${fact(m)}`).join(", ");

const STEPS = { kind: "int", min: STEPS_RANGE.min, max: STEPS_RANGE.max } as const;
const COMMON: Record<string, FlagSpec> = { model: { kind: "string" }, quiet: { kind: "bool" }, json: { kind: "bool" } };

const SPECS: Record<string, Record<string, FlagSpec>> = {
  train: {
    ...COMMON,
    steps: STEPS,
    iterations: { kind: "int", min: 1 },
    batch: { kind: "int", min: 1, max: 4096 },
    trajectories: { kind: "int", min: 1 },
    out: { kind: "string" },
    resume: { kind: "bool" },
    seed: { kind: "seed" },
    discriminator: { kind: "string" },
    init: { kind: "string" },
    lr: { kind: "number", min: 1e-9 },
    std: { kind: "number", min: 1e-6 },
    group: { kind: "int", min: 1 },
    "d-lr": { kind: "number", min: 1e-9 },
    "d-steps": { kind: "int", min: 0 },
    "d-warmup": { kind: "int", min: 0 },
    "d-minibatch": { kind: "int", min: 0, max: 1024 },
    augment: { kind: "string" },
    "d-loss": { kind: "string" },
    "d-negatives": { kind: "string" },
    reward: { kind: "string" },
    "reward-backbone": { kind: "string" },
    "influence-unconditional": { kind: "bool" },
    "fidelity-of": { kind: "string" },
    "warm-start": { kind: "string" },
    "eval-every": { kind: "int", min: 0 },
    "eval-n": { kind: "int", min: 2 },
    "non-adaptive": { kind: "bool" },
  },
  sample: {
    ...COMMON,
    steps: STEPS,
    policy: { kind: "string" },
    schedule: { kind: "string" },
    guidance: { kind: "number", min: 0 },
    "guidance-end": { kind: "number", min: 0 },
    shift: { kind: "number", min: 1e-6 },
    start: { kind: "number", min: 0 },
    times: { kind: "numberList", min: 0 },
    n: { kind: "int", min: 1 },
    seed: { kind: "seed" },
    out: { kind: "string" },
    "best-of": { kind: "int", min: 0, max: MAX_BEST_OF },
    lookahead: { kind: "int", min: 1, max: MAX_LOOKAHEAD },
    lambda: { kind: "number", min: 0, max: 1 },
  },
  baselines: {
    ...COMMON,
    steps: { kind: "intList", min: STEPS_RANGE.min, max: STEPS_RANGE.max },
    n: { kind: "int", min: 2 },
    seed: { kind: "seed" },
    guidance: { kind: "numberList", min: 0 },
    "guidance-ends": { kind: "numberList", min: 0 },
    schedules: { kind: "string" },
    starts: { kind: "numberList", min: 0 },
    "mask-temps": { kind: "numberList", min: 0 },
    "sample-temps": { kind: "numberList", min: 0 },
    "sample-temp-ends": { kind: "numberList", min: 0 },
    "top-ks": { kind: "intList", min: 1 },
    "top-ps": { kind: "numberList", min: 0 },
    merge: { kind: "bool" },
    rescore: { kind: "int", min: 1 },
    "rescore-n": { kind: "int", min: 2 },
    "refine-times": { kind: "numberList", min: 0, max: 1 },
    "refine-sweeps": { kind: "int", min: 1 },
    "refine-n": { kind: "int", min: 2 },
    "refine-continue": { kind: "bool" },
    "refine-knobs": { kind: "string" },
    "refine-from": { kind: "int", min: 1, max: 64 },
    "refine-confirm": { kind: "bool" },
    out: { kind: "string" },
  },
  dial: {
    ...COMMON,
    steps: STEPS,
    policy: { kind: "string" },
    n: { kind: "int", min: 2 },
    seed: { kind: "seed" },
    lambdas: { kind: "numberList", min: 0, max: 1 },
    out: { kind: "string" },
  },
  compare: {
    ...COMMON,
    steps: { kind: "intList", min: STEPS_RANGE.min, max: STEPS_RANGE.max },
    n: { kind: "int", min: 2 },
    seed: { kind: "seed" },
    "policy-dir": { kind: "string" },
    shared: { kind: "string" },
  },
};

const COMMON_HELP = `Common options:
  --json     print exactly one JSON object on stdout
  --quiet    no progress on stderr
  -h, --help this help

Errors (unknown options or models, bad values, unusable checkpoints or policies) print one line on
stderr and exit with code 2; nothing is written. Exit code 1 is a bug.`;

const HELP: Record<string, string> = {
  dial: `adagen dial --model M --steps T --policy FILE [--n N --seed S --lambdas LIST --out DIR]

The fidelity/diversity dial's report (paper Sec. III-F2, Fig. 13) for a dial's fidelity policy FILE (written by
"adagen train --fidelity-of BASE"): at each λ of --lambdas, N class-balanced samples on seed S executing
(1 − λ)·base + λ·fidelity actions, scored by FID and class accuracy (the card's extractor against its test
statistics, as compare) and by precision and recall (k = 3: the same features against N of the card's training
images). λ = 0 is the base policy exactly.

  --model M            ${MODEL_CHOICES}
  --steps T            the policy's step count
  --policy FILE        a dial's fidelity policy
  --n N                samples per λ (default ${DIAL_DEFAULTS.n})
  --seed S             sampling seed (default ${DIAL_DEFAULTS.seed})
  --lambdas LIST       the values of λ in [0, 1] (default ${DIAL_DEFAULTS.lambdas.join(",")})
  --out DIR            report folder (default ${DIAL_DEFAULTS.out}): dial.json, dial.md (the table), dial.png
                       (FID, precision, recall and class accuracy against λ), samples.png (the same seeds at
                       λ = 0, 0.5, 1, one class per row)

Output: the table, or with --json {"model", "steps", "policy", "samples", "seed", "reference", "rows":
[{"lambda", "fid", "classAccuracy", "precision", "recall"}], "out"}.

${COMMON_HELP}`,
  main: `adagen: learned per-sample sampling schedules (AdaGen) for ONNX generators: the zoo's Fashion-MNIST
models, or your own described by a model card (docs/model-cards.md)

Usage:
  adagen train   --model M --steps T [options]     train a policy (PPO + adversarial reward)
  adagen sample  --model M --steps T (--policy PATH | --schedule NAME) --n N --seed S --out FILE.npz
  adagen compare --model M --steps 4,8 --n N        FID and class accuracy: baseline vs shared schedule vs policy
  adagen baselines --model M --steps 4,8            search the best fixed schedule × guidance
  adagen dial --model M --steps T --policy FILE     the fidelity/diversity dial: FID, precision, recall vs λ
  adagen COMMAND --help                              options of one command

Models (--model NAME, or --model path/to/card.json):
${MODEL_LIST}
A model with a fixed step count (var-tiny: one decision per scale, 6) takes it without --steps; any other value is refused.

${COMMON_HELP}`,
  train: `adagen train --model M --steps T [options]

Trains an AdaGen policy for model M at T guided model evaluations (docs/method.md §10): each iteration rolls out
--trajectories exploring trajectories, scores them with the discriminator (--discriminator),
takes a PPO update of the policy and critic (about 28k parameters each), then --d-steps discriminator
updates of --batch generated (the rollout's images, reused) vs --batch real training images (the card's data.train; every
sampler lands on the data end, so both are clean images; --augment transforms both alike). Before the first iteration the discriminator is warmed up for --d-warmup
steps on the heuristic's samples. Every --eval-every iterations the deterministic policy samples --eval-n
held-out images, scored by FID against the card's training statistics; the best (iteration 0 = the heuristic)
becomes policy.adagen. With --non-adaptive the policy learns one schedule shared by all samples.

  --model M            ${MODEL_CHOICES}
  --steps T            guided model evaluations per sample, ${STEPS_RANGE.min}..${STEPS_RANGE.max}
  --iterations N       train until N iterations in total (default ${TRAIN_DEFAULTS.iterations}; with --resume, counts the
                       iterations already done)
  --batch B            trajectories per env call, and images per discriminator update (default ${TRAIN_DEFAULTS.batch})
  --trajectories N     trajectories per iteration (default ${TRAIN_DEFAULTS.trajectories})
  --seed S             seed of every random draw (default ${TRAIN_DEFAULTS.seed})
  --out DIR            run directory (default runs/M-T, runs/M-T-shared with --non-adaptive); created if missing
  --lr X               policy/critic Adam learning rate (default ${DEFAULT_RECIPE.learningRate}; the paper's 1e-5 needs its 1000 iterations)
  --init I             the schedule the untrained policy reproduces: best (default: the searched best baseline
                       in the card's baselines file, the heuristic when there is none), best-constant (the best
                       of that search's constant-guidance candidates, which differs from best when a guidance
                       ramp won) or heuristic (the paper's)
  --discriminator D    projected (default when the card names a discriminator backbone: trainable heads on
                       that frozen pretrained ViT body, as the paper's frozen-DINO design) or vit (a small ViT
                       trained from scratch; the default otherwise)
  --std X              exploration std on the raw policy outputs (default ${DEFAULT_RECIPE.explorationStd})
  --group G            explore each (label, initial noise) G times and use group-relative advantages
                       (reward minus the group's mean) instead of the critic's (default ${DEFAULT_RECIPE.groupSize})
  --d-lr X             discriminator Adam learning rate (default ${DEFAULT_RECIPE.discriminatorLearningRate})
  --d-steps N          discriminator steps per iteration (default ${DEFAULT_RECIPE.discriminatorSteps})
  --d-warmup N         discriminator steps before the first iteration (default ${DEFAULT_RECIPE.discriminatorWarmup})
  --d-minibatch M      projected discriminator only: split each batch into groups of about M samples and add to
                       every logit a learned readout of how far the sample's features lie from its group's mean,
                       so the reward can see a batch that lacks diversity (0: off, the default)
  --d-loss L           discriminator loss: logistic (mean softplus(−l_real) + mean softplus(l_fake)) or hinge
                       (mean relu(1 − l_real) + mean relu(1 + l_fake)), docs/method.md §9.2; the reward is
                       sigmoid(mean logit) either way (default ${DEFAULT_RECIPE.discriminatorLoss})
  --d-negatives N      extra discriminator fakes, one corrupted training image per two fakes, so fine detail
                       past the data's level reads as fake (docs/method.md §14 item 16): none, noise (pixel
                       noise of std uniform up to 0.1), sharpen (unsharp mask of amount up to 2) or
                       noise-sharpen (either, at random); default ${DEFAULT_RECIPE.negatives}
  --augment A          discriminator input augmentation, reals and fakes alike: none or translate-cutout
                       (DiffAugment: shifts up to 1/8 of the side, a zeroed square of half the side;
                       default ${DEFAULT_RECIPE.augment})
  --reward R           adversarial (default): the discriminator trained alongside; pretrained: the card's
                       fidelity classifier's probability of each sample's class, fixed, no discriminator (the
                       paper's reward ablation; the zoo's is models/fmnist-fidelity.onnx, trained on the
                       training images only, not the FID extractor); fid: the ablation's "FID of the batch",
                       each sample's leave-one-out effect on the batch's Fréchet distance to 2,000 training
                       images in the discriminator backbone's features (never the FID extractor); influence:
                       a reward that sees batch statistics, each sample's first-order effect on the class's
                       Fréchet distance between the policy's images (running statistics of about 500 images
                       per class) and 10,000 training images in a frozen feature space (docs/method.md §14
                       item 17)
  --reward-backbone F  the influence reward's feature space: a ViT backbone (.adagen), an ONNX model with a
                       "features" output, or F.onnx#OUTPUT for another [B, D] output (for example
                       packages/zoo/models/fmnist-fidelity.onnx#logits, the fidelity classifier's class scores;
                       default: the card's discriminator backbone). Several, comma-separated (F1,F2,…):
                       the reward is the mean of their influences, each with its own running statistics
  --influence-unconditional
                       one Fréchet distance over all classes (running statistics of about 2,000 images)
  --fidelity-of PATH   train the fidelity policy of the fidelity/diversity dial (paper Sec. III-F2) for the base
                       policy PATH: the base stays frozen, the new policy starts as its copy, every trajectory
                       executes (1 − λ)·base + λ·new with λ uniform in [0, 1] and is rewarded (1 − λ)·adversarial
                       + λ·fidelity (the card's classifier); the discriminator starts from the base file's. No
                       validation selection: policy.adagen is the last iteration's and carries the base, so
                       "adagen sample --lambda L" blends the two (default --out runs/M-T-fidelity)
  --warm-start PATH    start from the trained policy PATH (same model and steps; its critic, and its
                       discriminator when of the same kind and size) instead of the untrained policy, e.g. to
                       continue a shipped policy with another --reward; its network and starting schedule are
                       the run's (not with --init or --fidelity-of). Iteration 0's validation scores PATH
  --eval-every K       validation every K iterations; 0: none, policy.adagen is the last policy (default ${DEFAULT_VALIDATION.every})
  --eval-n N           samples per validation (default ${DEFAULT_VALIDATION.n})
  --non-adaptive       learn ONE schedule shared by all samples (paper Table XI, "learnable vs adaptive"): the
                       policy and critic see the step index only, the generator's features are replaced by
                       the step's sinusoidal encoding (core's nonAdaptive); same reward and recipe. Recorded in
                       run.json and in the policy file (adaptive: false), which sample and compare then run the
                       same way
  --resume             continue the run in DIR from DIR/checkpoint.adagen where it stopped (weights, Adam
                       states, RNG, iteration), with its own --batch, --trajectories and --seed (giving
                       different ones is an error)

The run directory holds run.json (the settings), checkpoint.adagen (rewritten atomically after every
iteration), metrics.jsonl (one JSON line per iteration) and, at the end, policy.adagen for
"adagen sample --policy". Without --resume an existing run in DIR is never overwritten. A run killed at any
point (even SIGKILL) continues with --resume to the same files as an uninterrupted run, redoing at most the
iteration in progress. While a run trains, DIR/run.lock holds its pid and a second train on DIR is refused.
If a reward, advantage, loss, gradient or parameter becomes NaN or infinite, that iteration is rejected
(nothing of it is kept or written; checkpoint.adagen stays the last good iteration) and the run stops with
one line on stderr naming the quantity and the iteration, exit code 3.
Progress on stderr: iteration, reward mean ± std, discriminator loss, seconds per iteration, ETA.

Output: "wrote DIR/policy.adagen (iteration K of N, validation FID F)", or with --json {"dir", "policy",
"adaptive", "iteration", "selectedIteration", "validationFid", "resumedFrom", "rewardMean", "discriminatorLoss"}.

${COMMON_HELP}`,
  sample: `adagen sample --model M --steps T (--policy PATH | --schedule NAME) --n N --seed S --out FILE.npz

Generates N class-balanced samples (label i is floor(K·i/N) for K classes) and writes them in the ADM npz
layout: arr_0 uint8 [N,H,W,C] (the card's image shape; [N,28,28,1] for the zoo), arr_1 int64 [N] labels. The
file is written to a temporary name and renamed.
The same --seed gives the same labels and initial noise whatever the sampler.

  --model M            ${MODEL_CHOICES}
  --steps T            guided model evaluations per sample, ${STEPS_RANGE.min}..${STEPS_RANGE.max}
  --policy PATH        a policy.adagen written by "adagen train" for this model and step count (one trained
                       with --non-adaptive runs as it was trained: one schedule for all samples)
                       or "default": the shipped policy for this model and step count (the card's policies
                       folder, M-T.adagen; the zoo's are in packages/zoo/policies)
  --schedule NAME      a fixed schedule with constant guidance, no policy; "best": the searched best
                       configuration for this step count (the card's baselines file, see adagen baselines:
                       schedule, start time and guidance; MaskGIT's masking and sampling temperatures; VAR's
                       top-k, top-p and sampling temperature), or one of the model's schedules: diffusion
                       uniform (time-uniform, the DiT heuristic's grid), logsnr, karras (rho 7); flow uniform
                       (the SiT heuristic's grid), shifted; MaskGIT cosine, linear, square (mask ratio, with the
                       heuristic's temperatures); VAR constant (the card's top-k, top-p and temperature)
  --guidance W         constant CFG weight w ≥ 0 for --schedule (eps = eps_c + w(eps_c − eps_u));
                       default: the model's heuristic (${perZooModel((m) => String(m.guidance))})
  --guidance-end W     ramp the weight linearly from --guidance at the first model evaluation (MaskGIT: step;
                       VAR: the multiplier of its built-in ramp, scale) to W at the last (default: constant)
  --shift S            time shift of --schedule shifted (default ${DEFAULT_SHIFT}; S > 1 puts finer steps near data)
  --start T            start time of --schedule (default the heuristic's: ${perZooModel((m) => String(m.start))})
  --times T0,T1,…      diffusion, flow: the T+1 time points of --schedule themselves, from the start to the data
                       end (e.g. 0.7,0.35,0.15,0.04,0.01 for dit-tiny at 4 steps), in place of its grid and --start;
                       each must be at least 0.01 past the previous
  --n N                number of samples
  --seed S             sampling seed, 0..4294967295
  --out FILE.npz       output file; its folder is created if missing
  --best-of N          refine a policy's samples (paper Algorithm 2): draw N more candidates per image from
                       other initial noise and keep the one the policy's discriminator scores highest (the
                       discriminator its run trained, carried in the policy file; files without one are refused).
                       N in 0..${MAX_BEST_OF}, costing N + 1 sampling passes; 0 (the default) is plain sampling
  --lookahead K        maskgit, var: refine a policy's samples with its value network (paper Eq. 13): every
                       transition but the last is drawn K times with the same action and each sample continues
                       from the next state the policy's critic (carried in the policy file) values highest.
                       K in 1..${MAX_LOOKAHEAD}, costing about K + 1 generator passes per step instead of 2; 1 (the
                       default) is plain sampling. Combines with --best-of
  --lambda L           a dial's fidelity policy (adagen train --fidelity-of): execute (1 − L)·base + L·fidelity
                       actions, L in [0, 1]; 0 (the default for such a policy) is its base policy exactly, 1 the
                       most fidelity

Output: "wrote FILE.npz (N samples)", or with --json {"output", "model", "steps", "samples", "seed", "sampler"}.

${COMMON_HELP}`,
  baselines: `adagen baselines --model M --steps 4,8 [options]

Finds "the baseline" for each step count: every fixed schedule of the model (diffusion: uniform, logsnr,
karras; flow: uniform, shifted with shift ${SHIFTS.join(" and ")}) × every start time of --starts × every
constant guidance weight of --guidance (and, with --guidance-ends, every linear ramp between them) (× MaskGIT's temperatures; × VAR's top-k, top-p and temperature) samples --n class-balanced images on the held-out seed --seed, scored by
FID against the card's training statistics (evaluation.trainStats; the zoo's: packages/zoo/${TRAIN_STATS}; the
test statistics are kept for compare). The lowest FID wins. Results are merged into --out after each step count
(written atomically). Killed, a search keeps the step counts it finished in --out; the interrupted one starts
over (run again with the remaining step counts).

  --model M            ${MODEL_CHOICES}
  --steps LIST         comma-separated step counts, e.g. 4,8,16
  --n N                samples per candidate (default ${BASELINE_DEFAULTS.n})
  --seed S             sampling seed of the search (default ${BASELINE_DEFAULTS.seed}; compare uses 0)
  --guidance LIST      constant CFG weights to try (default ${BASELINE_DEFAULTS.guidance.join(",")})
  --guidance-ends LIST also try guidance ramps, from each weight of --guidance at the first model evaluation
                       (MaskGIT: step; VAR: multiplier, scale) to each of LIST at the last (linear; a pair of equal
                       weights is the constant; default none: constants only)
  --schedules LIST     the model's schedules to search, comma-separated (default all of them)
  --merge              add the candidates to the grid already in --out for that step count (same --n and
                       --seed) instead of replacing it, e.g. to try more start times
  --rescore K          score the grid's K lowest-FID candidates again on --rescore-n samples (same seed) and take
                       the winner from those: on 1,000 samples neighbouring candidates differ by less than the
                       FID's noise (default off; a --merge keeps the file's K and reuses rows it already rescored)
  --rescore-n N        samples per rescored candidate (default ${BASELINE_DEFAULTS.rescoreN})
  --refine-times LIST  instead of a grid search: refine the winner already in --out by moving one interior time
                       point (diffusion, flow; maskgit: the mask ratio after one step) at a time by each fraction
                       of LIST of its gap to a neighbour (e.g. 0.4,0.2: coarse, then fine), both ways, taking a
                       move that lowers FID by more than ${REFINE_DEFAULTS.minGain * 100} %; scored on the search's seed; its winner becomes
                       the best (a policy places every time point, a named grid only the start). Takes no grid
                       flag; a later grid search of that step count replaces the refinement
  --refine-knobs LIST  refine the winner's scalar settings too (or alone), after its time points: each KEY:STEP of
                       LIST moves KEY up by STEP, then down, one setting at a time, e.g.
                       guidance:0.25,guidanceEnd:0.5,maskTemperature:5 (keys: guidance, guidanceEnd; maskgit:
                       maskTemperature; maskgit, var: sampleTemperature, sampleTemperatureEnd; var: topK, topP;
                       a move out of a setting's range is skipped); moves are taken, swept and scored as
                       --refine-times's are
  --refine-sweeps N    passes over the interior points per fraction, and over the knobs (default ${REFINE_DEFAULTS.sweeps}; a pass without a move ends it)
  --refine-n N         samples per refined candidate (default the search's rescore samples, else ${BASELINE_DEFAULTS.rescoreN})
  --refine-continue    start from the refinement already in --out (its best, on its samples) instead of the grid's
                       winner; a sampler an earlier pass scored is not scored again (e.g. a finer fraction after
                       a coarse pass)
  --refine-confirm     take a move only when it also beats the current best by the same margin on a second seed
                       (the search's plus ${CONFIRM_SEED_OFFSET}; both scored there on the same samples): a sampler whose draws change with
                       every setting (maskgit, var) makes the best of many moves look better than it is
  --refine-from S      diffusion, flow, maskgit: also score the time points (mask ratios) of the S-step best in --out
                       carried to this step count (read off their curve over the fraction of steps done), with the
                       grid winner's settings and with that best's own, and refine from whichever of these and the
                       winner scores lowest; alone, that choice is the whole refinement (--steps 16 --refine-from 8)
                       A grid search or refinement journals each score in OUT.journal as it takes it: run the same
                       command again after an interruption and it reads them back (not sampled again), writes what
                       an uninterrupted run writes and removes the journal (delete it to score afresh)
  --starts LIST        start times to try (default the card's sampler.searchStarts: ${perZooModel((m) => m.searchStarts.join(",") || "none")})
  --mask-temps LIST    maskgit: masking temperatures to try (default the card's sampler.searchSpace)
  --sample-temps LIST  maskgit, var: sampling temperatures to try (default the card's sampler.searchSpace)
  --sample-temp-ends LIST
                       maskgit, var: also ramp each sampling temperature linearly to each of LIST at the last step
                       (scale) (default none: constants only)
  --top-ks LIST        var: top-k counts to try (default the card's sampler.searchSpace)
  --top-ps LIST        var: top-p masses to try (default the card's sampler.searchSpace)
  --out FILE           results file (default runs/baselines.json); the zoo ships packages/zoo/${SHIPPED_BASELINES},
                       which its cards name, so --schedule best and compare read it

Output: one line per step count with the winner, or with --json the whole results file.

${COMMON_HELP}`,
  compare: `adagen compare --model M --steps 4,8 --n N [options]

For each step count, three rows: FID and class accuracy of the baseline, the best fixed schedule ×
constant guidance found by "adagen baselines" (the card's baselines file; the model's heuristic when
none was searched); of the learned shared schedule, a policy trained with "adagen train --non-adaptive"
at SHARED/M-T-shared/policy.adagen (row omitted with a note when absent); and of the adaptive policy:
the shipped one (the card's policies folder, M-T.adagen), or DIR/M-T/policy.adagen with --policy-dir
(skipped with a note when absent). All use the same N class-balanced labels and initial noise.
FID: the card's extractor features of the uint8 samples against its test statistics (the zoo's:
fmnist-features' 128-d features vs packages/zoo/stats/fmnist-test-stats.npz). Class accuracy: share of
samples the extractor's logits classify as their conditioning class ("-" when the card names no logits).
Small N biases FID upwards (use 10,000 for reported figures). Compare writes nothing but its output: killed,
it keeps no partial state and starts from scratch when run again.

  --model M            ${MODEL_CHOICES}
  --steps LIST         comma-separated step counts, e.g. 4,8,16
  --n N                samples per sampler and step count (≥ 2)
  --seed S             sampling seed (default 0)
  --policy-dir DIR     compare the runs in DIR (as "adagen train" writes them, e.g. runs) instead of the
                       shipped policies
  --shared DIR         where the shared-schedule runs are: DIR/M-T-shared/policy.adagen (default runs, where
                       "adagen train --non-adaptive" writes them)

Output: a markdown table (one line per sampler and step count), or with --json {"model", "samples",
"seed", "reference", "rows": [{"steps", "baseline": {"fid", "classAccuracy", "sampler"}, "shared": {"fid", "classAccuracy", "policy", "fidRatio"}
| null, "adagen": {"fid", "classAccuracy", "policy"} | null, "fidRatio", "note"?, "sharedNote"?}]}
(fidRatio: FID / baseline FID).

${COMMON_HELP}`,
};

export async function runCli(argv: string[]): Promise<number> {
  const out = (s: string): void => {
    process.stdout.write(s + "\n");
  };
  try {
    const [command, ...rest] = argv;
    if (command === undefined || command === "-h" || command === "--help") {
      if (command === undefined) throw new UsageError("no command given (train, sample, compare, baselines, dial); see adagen --help");
      out(HELP.main);
      return 0;
    }
    if (!(command in SPECS)) throw new UsageError(`unknown command "${command}" (train, sample, compare, baselines, dial); see adagen --help`);
    const values = parseFlags(rest, SPECS[command], command);
    if (values.get("help") === true) {
      out(HELP[command]);
      return 0;
    }
    const flags = new Flags(values);
    const json = flags.bool("json");
    const quiet = flags.bool("quiet");
    switch (command) {
      case "train": {
        const r = await train(flags, quiet);
        if (json)
          out(
            JSON.stringify({
              dir: r.dir,
              policy: r.policy,
              adaptive: r.adaptive,
              iteration: r.iteration,
              selectedIteration: r.selectedIteration,
              validationFid: r.bestValidation?.fid ?? null,
              resumedFrom: r.resumedFrom ?? null,
              rewardMean: r.last?.rewardMean ?? null,
              discriminatorLoss: r.last?.discriminator?.discriminatorLoss ?? null,
            }),
          );
        else
          out(
            `wrote ${r.policy} (${r.adaptive ? "" : "shared schedule, "}iteration ${r.selectedIteration} of ${r.iteration}` +
              `${r.bestValidation ? `, validation FID ${r.bestValidation.fid.toFixed(2)}` : ""})`,
          );
        return 0;
      }
      case "dial": {
        const r = await dialReport(flags, quiet);
        if (json) out(JSON.stringify(r));
        else out(formatDial(r));
        return 0;
      }
      case "sample": {
        const r = await sample(flags, quiet);
        if (json) out(JSON.stringify(r));
        else out(`wrote ${r.output} (${r.samples} samples, ${r.sampler})`);
        return 0;
      }
      case "baselines": {
        const r = flags.has("refine-times") || flags.has("refine-knobs") || flags.has("refine-from") ? await refineBaselines(flags, quiet) : await searchBaselines(flags, quiet);
        if (json) out(JSON.stringify(r.file));
        else {
          for (const steps of r.steps) {
            const search = r.file.models[r.model][String(steps)];
            const samples = search.refined?.samples ?? search.rescored?.samples ?? search.samples;
            out(`${r.model} T=${steps}: ${describeSchedule(search.best.schedule)}, validation FID ${search.best.fid.toFixed(2)} on ${samples} samples`);
          }
        }
        return 0;
      }
      case "compare": {
        const r = await compare(flags, quiet);
        out(json ? JSON.stringify(r) : formatCompare(r));
        return 0;
      }
    }
    return 0;
  } catch (err) {
    if (err instanceof InputError) {
      process.stderr.write(`adagen: ${err.message}\n`);
      return 2;
    }
    if (err instanceof NonFiniteError) {
      // Training diverged (only train trains): not the user's input, not a bug in the code.
      process.stderr.write(`adagen train: ${err.message}\n`);
      return 3;
    }
    throw err;
  }
}

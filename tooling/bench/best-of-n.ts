/**
 * Repeated sampling (paper Algorithm 2, Table X): FID of a policy's samples when each image is the best of N + 1
 * candidates by the policy's own discriminator (the one its run trained, carried in the policy file), for N = 0..max.
 * All N come from one set of draws: each chunk is sampled max + 1 times (candidate c from core's `candidateSeed`),
 * and the image kept at N is the best of candidates 0..N, exactly what `adagen sample --best-of N` writes for the
 * same seed. FID and class accuracy are the card's extractor against its test statistics, as in `adagen compare`.
 * `--lookahead K` (MaskGIT, VAR) draws every candidate with lookahead by the policy's critic (paper Table IX: both
 * refinements together); generator passes per image are counted and printed beside each row.
 *
 *   node --conditions=adagen-source --import tsx tooling/bench/best-of-n.ts --model dit-tiny --steps 4 [--policy FILE]
 *        [--n 10000] [--max 6] [--seed 0] [--lookahead K]
 *   (or: pnpm -s bench:best-of-n --model dit-tiny --steps 4)
 *
 * The first line echoes the command; the last is one JSON object with every row.
 */
import { relative } from "node:path";
import {
  Scorer,
  generateImages,
  initTensorflow,
  openModel,
  disposePolicy,
  openPolicy,
  openPolicyCritic,
  openPolicyReward,
  pickBest,
  policyInitOf,
  quantizeImages,
  shippedPolicyPath,
} from "@adagen/core";
import { ProgressBar } from "@adagen/metrics";
import { zooModel } from "./zoo-model.js";
import { benchArgs } from "./bench-command.js";

interface Args {
  model: string;
  steps: number;
  policy?: string;
  n: number;
  max: number;
  seed: number;
  lookahead: number;
}

function parseArgs(argv: string[]): Args {
  const out: Args = { model: "dit-tiny", steps: 4, n: 10000, max: 6, seed: 0, lookahead: 1 };
  for (let i = 0; i < argv.length; i += 2) {
    const [flag, value] = [argv[i], argv[i + 1]];
    const num = Number(value);
    if (flag === "--model" && value) out.model = value;
    else if (flag === "--policy" && value) out.policy = value;
    else if (flag === "--steps" && Number.isInteger(num) && num >= 1) out.steps = num;
    else if (flag === "--n" && Number.isInteger(num) && num >= 2) out.n = num;
    else if (flag === "--max" && Number.isInteger(num) && num >= 0 && num <= 64) out.max = num;
    else if (flag === "--seed" && Number.isInteger(num) && num >= 0 && num <= 0xffffffff) out.seed = num;
    else if (flag === "--lookahead" && Number.isInteger(num) && num >= 1 && num <= 16) out.lookahead = num;
    else
      throw new Error(
        `unknown flag or bad value: ${flag} ${value ?? ""} (expected --model M, --steps T, --policy FILE, --n N ≥ 2, --max 0..64, --seed S, --lookahead 1..16)`,
      );
  }
  return out;
}

const args = benchArgs(import.meta.url, parseArgs);
const entry = zooModel(args.model);
const policyPath = args.policy ?? shippedPolicyPath(entry, args.steps);
await initTensorflow();
const opened = await openModel(entry, args.steps, await policyInitOf(policyPath, entry, args.steps));
const source = await openPolicy(policyPath, entry, args.steps, opened);
const judge = await openPolicyReward(policyPath, entry);
const critic = args.lookahead > 1 ? await openPolicyCritic(policyPath) : undefined;
const scorer = await Scorer.create(entry.card, "test");
try {
  const [H, W, C] = entry.card.image.shape;
  const size = H * W * C;
  const K = args.max + 1;
  const sets = Array.from({ length: K }, () => new Uint8Array(args.n * size));
  const keptScore = new Float64Array(K);
  const bar = new ProgressBar(`best-of-${args.max}${critic ? ` lookahead ${args.lookahead}` : ""} ${entry.name} T=${args.steps}`, args.n, "images", true);
  // The generator's own count of rows it ran (every adapter's model keeps one), for the cost column.
  const counter = (opened.env as { model?: { forwards?: unknown } }).model;
  const forwardsBefore = typeof counter?.forwards === "number" ? counter.forwards : undefined;
  const started = performance.now();
  const generated = await generateImages(opened, source, args.n, args.seed, (d) => bar.update(d), undefined, {
    candidates: K,
    reward: judge.reward,
    lookahead: critic ? { candidates: args.lookahead, critic } : undefined,
    onCandidates(start, batches, scores) {
      for (let N = 0; N < K; N++) {
        const best = pickBest(batches.slice(0, N + 1), scores.slice(0, N + 1));
        quantizeImages(best.samples.data, sets[N], start * size);
        for (const s of best.scores) keptScore[N] += s;
      }
    },
  });
  const seconds = (performance.now() - started) / 1000;
  const passesPerCandidate = forwardsBefore === undefined ? undefined : ((counter!.forwards as number) - forwardsBefore) / (args.n * K);
  bar.done(`${K} candidates per image in ${seconds.toFixed(0)} s`);
  // The pick at N = max is what generateImages itself kept: the two paths agree.
  if (!Buffer.from(generated.images).equals(Buffer.from(sets[args.max]))) throw new Error("the best-of-max images differ from generateImages' own pick");

  console.log(
    `\n${entry.name}, ${args.steps} steps, policy ${relative(process.cwd(), policyPath)} (discriminator of iteration ${judge.iteration}), ` +
      `${args.n} samples, seed ${args.seed}, test statistics${critic ? `, lookahead ${args.lookahead} by the policy's critic` : ""}`,
  );
  console.log("N".padStart(3) + "candidates".padStart(12) + "generator passes".padStart(18) + "FID".padStart(9) + "vs N=0".padStart(9) + "class acc".padStart(11) + "mean D score".padStart(14));
  const rows: { N: number; fid: number; classAccuracy: number | null; ratio: number; meanScore: number }[] = [];
  for (let N = 0; N < K; N++) {
    const s = await scorer.score({ images: sets[N], labels: generated.labels, shape: [args.n, H, W, C] });
    const row = { N, fid: s.fid, classAccuracy: s.classAccuracy, ratio: rows.length ? s.fid / rows[0].fid : 1, meanScore: keptScore[N] / args.n };
    rows.push(row);
    console.log(
      String(N).padStart(3) +
        `${N + 1}`.padStart(12) +
        (passesPerCandidate === undefined ? "-" : (passesPerCandidate * (N + 1)).toFixed(1)).padStart(18) +
        row.fid.toFixed(3).padStart(9) +
        row.ratio.toFixed(3).padStart(9) +
        (row.classAccuracy === null ? "-" : `${(100 * row.classAccuracy).toFixed(1)} %`).padStart(11) +
        row.meanScore.toFixed(4).padStart(14),
    );
  }
  console.log(
    `(generator passes: rows the generator ran per kept image, ${passesPerCandidate === undefined ? "not counted by this model" : `${passesPerCandidate.toFixed(2)} per candidate`}; ` +
      `generation took ${seconds.toFixed(0)} s for all ${K} candidates)`,
  );
  console.log(
    JSON.stringify({ model: entry.name, steps: args.steps, policy: relative(process.cwd(), policyPath), n: args.n, seed: args.seed, lookahead: args.lookahead, passesPerCandidate, seconds, rows }),
  );
} finally {
  critic?.dispose();
  judge.dispose();
  disposePolicy(source);
  await scorer.dispose();
  await opened.dispose();
}

/**
 * The fidelity-diversity dial (paper Sec. III-F2, Fig. 13): FID, precision, recall and class accuracy of a dial's
 * fidelity policy (`adagen train --fidelity-of BASE`) at each λ, on the same labels and seed. λ = 0 is the base
 * policy exactly. FID and class accuracy: the card's extractor against its test statistics (as `adagen compare`);
 * precision and recall (k = 3): the same extractor's features against the first N test images.
 *
 *   node --conditions=adagen-source --import tsx tooling/bench/dial.ts --model dit-tiny --steps 4 --policy FILE
 *        [--n 10000] [--seed 0] [--lambdas 0,0.25,0.5,0.75,1]
 *   (or: pnpm -s bench:dial --model dit-tiny --steps 4 --policy runs/dit-tiny-4-fidelity/policy.adagen)
 *
 * The first line echoes the command; the last is one JSON object with every row.
 */
import { relative } from "node:path";
import { Scorer, createSampler } from "@adagen/core";
import { precisionRecall } from "@adagen/metrics";
import { loadFashionMnist } from "@adagen/zoo";
import { zooModel } from "./zoo-model.js";

interface Args {
  model: string;
  steps: number;
  policy?: string;
  n: number;
  seed: number;
  lambdas: number[];
}

function parseArgs(argv: string[]): Args {
  const out: Args = { model: "dit-tiny", steps: 4, n: 10000, seed: 0, lambdas: [0, 0.25, 0.5, 0.75, 1] };
  for (let i = 0; i < argv.length; i += 2) {
    const [flag, value] = [argv[i], argv[i + 1]];
    const num = Number(value);
    if (flag === "--model" && value) out.model = value;
    else if (flag === "--policy" && value) out.policy = value;
    else if (flag === "--steps" && Number.isInteger(num) && num >= 1) out.steps = num;
    else if (flag === "--n" && Number.isInteger(num) && num >= 10 && num <= 10000) out.n = num;
    else if (flag === "--seed" && Number.isInteger(num) && num >= 0 && num <= 0xffffffff) out.seed = num;
    else if (flag === "--lambdas" && value && value.split(",").every((v) => Number(v) >= 0 && Number(v) <= 1 && v.trim() !== ""))
      out.lambdas = value.split(",").map(Number);
    else throw new Error(`unknown flag or bad value: ${flag} ${value ?? ""} (expected --model M, --steps T, --policy FILE, --n 10..10000, --seed S, --lambdas a,b,…)`);
  }
  if (!out.policy) throw new Error("--policy FILE (a dial's fidelity policy) is required");
  return out;
}

console.log(`$ node ${process.execArgv.join(" ")} ${relative(process.cwd(), process.argv[1])} ${process.argv.slice(2).join(" ")}`.trimEnd());
const args = parseArgs(process.argv.slice(2).filter((a) => a !== "--"));
const entry = zooModel(args.model);
const sampler = await createSampler({ adapter: entry.adapter, model: entry.card, steps: args.steps, policy: args.policy });
const scorer = await Scorer.create(entry.card, "test");
try {
  const test = loadFashionMnist("test");
  const reference = await scorer.extract({
    images: test.images.subarray(0, args.n * 784),
    labels: Int32Array.from(test.labels.subarray(0, args.n)),
    shape: [args.n, 28, 28, 1],
  });
  console.log(`\n${entry.name}, ${args.steps} steps, dial policy ${args.policy}, ${args.n} samples, seed ${args.seed}; test statistics, ${args.n} test images for precision/recall`);
  console.log("λ".padStart(6) + "FID".padStart(9) + "precision".padStart(11) + "recall".padStart(9) + "class acc".padStart(11));
  const rows: { lambda: number; fid: number; precision: number; recall: number; classAccuracy: number | null }[] = [];
  for (const lambda of args.lambdas) {
    const images = await sampler.sample({ n: args.n, seed: args.seed, lambda });
    const scores = await scorer.score(images);
    const { features } = await scorer.extract(images);
    const pr = precisionRecall(features, reference.features, { k: 3 });
    const row = { lambda, fid: scores.fid, precision: pr.precision, recall: pr.recall, classAccuracy: scores.classAccuracy };
    rows.push(row);
    console.log(
      lambda.toFixed(2).padStart(6) +
        row.fid.toFixed(3).padStart(9) +
        row.precision.toFixed(4).padStart(11) +
        row.recall.toFixed(4).padStart(9) +
        (row.classAccuracy === null ? "-" : `${(100 * row.classAccuracy).toFixed(1)} %`).padStart(11),
    );
  }
  console.log(JSON.stringify({ model: entry.name, steps: args.steps, policy: args.policy, n: args.n, seed: args.seed, rows }));
} finally {
  await scorer.dispose();
  await sampler.dispose();
}

/**
 * The adagen-bench commands. `runCli(argv)` returns the exit code; stdout carries only the result (one JSON
 * object with --json), stderr carries progress and errors.
 */
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { modelPath } from "@adagen/zoo";
import {
  FeatureExtractor,
  MetricsInputError,
  checkFinite,
  NpzReader,
  StatisticsAccumulator,
  countPngFiles,
  frechetDistance,
  inceptionScore,
  isDirectory,
  kernelInceptionDistance,
  npzImageBatches,
  precisionRecall,
  pngFolderBatches,
  sampleBatchShape,
  statisticsFromArrays,
  writeStatistics,
  type FeatureBatch,
  type FeatureStatistics,
  type ImageBatch,
} from "@adagen/metrics";
import { ProgressBar } from "@adagen/metrics";

class UsageError extends Error {}

interface Flags {
  extractor?: string;
  featuresOutput?: string;
  logitsOutput?: string;
  batchSize: number;
  json: boolean;
  output?: string;
  quiet: boolean;
  subsets?: number;
  subsetSize?: number;
  splits?: number;
  k?: number;
  seed?: number;
  help: boolean;
}

const COMMON = `Inputs:
  A sample npz     ADM layout: arr_0 uint8 N x H x W x C (C = 1 or 3), optional arr_1 labels;
                   float32/float64 arr_0 in [0, 1] is used unquantised
  A PNG folder     every *.png in it, sorted by name, all of one size
  A statistics npz pytorch-fid layout: mu (d,), sigma (d, d)   [fid only]

Options:
  --extractor PATH   ONNX feature extractor (contract in PATH.json, see @adagen/metrics README);
                     default: @adagen/zoo's fmnist-features (28x28 grayscale, 128-d features)
  --features-output NAME
                     the extractor output to use as features, overriding the contract's
                     "featuresOutput" (default: the contract's, else "features", else the first)
  --logits-output NAME
                     the extractor output to use as logits (is), overriding the contract's
                     "logitsOutput" (default: the contract's, else an output named "logits")
  --batch-size N     images per extractor call (default 64)
  --json             print exactly one JSON object on stdout
  --quiet            no progress bar on stderr
  -h, --help         this help

Errors (missing or corrupt files, wrong shapes or dtypes, non-finite features, too few samples,
mismatched dimensions, images of the wrong size for the extractor, an output name the extractor
does not have) print one line on stderr and exit with code 2; no output file is written.`;

const HELP: Record<string, string> = {
  main: `adagen-bench: FID, KID, Inception Score and precision/recall for image samples

Usage:
  adagen-bench fid A B [options]          Fréchet distance (pytorch-fid formula)
  adagen-bench kid A B [options]          Kernel Inception Distance (torch-fidelity algorithm)
  adagen-bench is A [options]             Inception Score from the extractor's logits
  adagen-bench pr A B [options]           precision and recall (k-NN manifolds, k = 3)
  adagen-bench stats A -o OUT.npz         pytorch-fid statistics (mu, sigma) of A's features
  adagen-bench COMMAND --help             options of one command

${COMMON}`,
  fid: `adagen-bench fid A B [options]

Fréchet distance between the feature statistics of A and B:
  ||mu_A - mu_B||^2 + tr(S_A) + tr(S_B) - 2 tr sqrt(S_A S_B)
Statistics npz files are used as they are; samples and PNG folders go through --extractor, and
their mean and covariance (divide by N - 1) are computed in float64.

Output: "FID: <value>", or with --json {"fid", "meanTerm", "covarianceTerm", "dims", "rankA", "samples"}.

${COMMON}`,
  kid: `adagen-bench kid A B [options]

Kernel Inception Distance: unbiased MMD^2 with the kernel (x.y / d + 1)^3, mean and std over random
subsets drawn as torch-fidelity draws them (numpy RandomState(seed).choice).

  --subsets N       number of subsets (default 100)
  --subset-size N   samples per subset (default 1000, capped at the smaller sample count)
  --seed N          subset seed (default 2020)

Output: "KID: <mean> ± <std>", or with --json {"kidMean", "kidStd", "subsets", "subsetSize", "samples"}.

${COMMON}`,
  is: `adagen-bench is A [options]

Inception Score from the extractor's logits output (named by its contract's "logitsOutput", by
--logits-output NAME, else the model's output called "logits"):
rows shuffled with numpy RandomState(seed).permutation, split into contiguous chunks, per chunk
exp(mean KL(p || mean p)), mean and std over chunks (docs/method.md section 13.1).

  --splits N   number of chunks (default 10)
  --seed N     shuffle seed (default 2020)

Output: "IS: <mean> ± <std>", or with --json {"isMean", "isStd", "splits", "samples"}.

${COMMON}`,
  pr: `adagen-bench pr A B [options]

Improved precision and recall (Kynkäänniemi et al. 2019): A is the generated set, B the reference.
Precision: share of A inside B's manifold; recall: share of B inside A's manifold; a manifold is the
union of balls reaching each point's k-th nearest neighbour. Cost grows with N^2 x d.

  --k N   neighbourhood size (default 3)

Output: "precision: <p>  recall: <r>", or with --json {"precision", "recall", "k", "samples"}.

${COMMON}`,
  stats: `adagen-bench stats A -o OUT.npz [options]

Extract A's features and write their statistics as a pytorch-fid npz: mu (d,) and sigma (d, d)
float64, plus count (the number of samples). The file is written to a temporary name and renamed,
so a failed run leaves nothing behind.

  -o, --output PATH   the statistics file to write (required)

Output: "wrote OUT.npz (N samples, d dims)", or with --json {"output", "samples", "dims"}.

${COMMON}`,
};

function parseArgs(argv: string[]): { command?: string; positional: string[]; flags: Flags } {
  const flags: Flags = { batchSize: 64, json: false, quiet: false, help: false };
  const positional: string[] = [];
  const intArg = (name: string, v: string | undefined, min: number): number => {
    const n = Number(v);
    if (v === undefined || !Number.isInteger(n) || n < min) throw new UsageError(`${name} needs an integer ≥ ${min}, got ${v ?? "nothing"}`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = (): string | undefined => argv[++i];
    switch (a) {
      case "-h":
      case "--help":
        flags.help = true;
        break;
      case "--json":
        flags.json = true;
        break;
      case "--quiet":
        flags.quiet = true;
        break;
      case "--extractor": {
        const v = next();
        if (v === undefined) throw new UsageError("--extractor needs a path");
        flags.extractor = v;
        break;
      }
      case "--features-output":
      case "--logits-output": {
        const v = next();
        if (v === undefined || v === "") throw new UsageError(`${a} needs an output name`);
        if (a === "--features-output") flags.featuresOutput = v;
        else flags.logitsOutput = v;
        break;
      }
      case "-o":
      case "--output": {
        const v = next();
        if (v === undefined) throw new UsageError(`${a} needs a path`);
        flags.output = v;
        break;
      }
      case "--batch-size":
        flags.batchSize = intArg(a, next(), 1);
        break;
      case "--subsets":
        flags.subsets = intArg(a, next(), 1);
        break;
      case "--subset-size":
        flags.subsetSize = intArg(a, next(), 2);
        break;
      case "--splits":
        flags.splits = intArg(a, next(), 1);
        break;
      case "--k":
        flags.k = intArg(a, next(), 1);
        break;
      case "--seed":
        flags.seed = intArg(a, next(), 0);
        break;
      default:
        if (a.startsWith("-") && a !== "-") throw new UsageError(`unknown option ${a}`);
        positional.push(a);
    }
  }
  const [command, ...rest] = positional;
  return { command, positional: rest, flags };
}

const COMMAND_FLAGS: Record<string, string[]> = {
  fid: [],
  kid: ["subsets", "subsetSize", "seed"],
  is: ["splits", "seed"],
  pr: ["k"],
  stats: ["output"],
};

type Input =
  | { kind: "stats"; path: string; stats: FeatureStatistics }
  | { kind: "npz"; path: string; reader: NpzReader; count: number; height: number; width: number; channels: number }
  | { kind: "png"; path: string; count: number };

function openInput(path: string): Input {
  if (isDirectory(path)) return { kind: "png", path, count: countPngFiles(path) };
  if (!existsSync(path)) throw new MetricsInputError("no such file or folder", path);
  const reader = NpzReader.open(path);
  const keys = reader.keys();
  if (keys.includes("mu") && keys.includes("sigma")) {
    const arrays = new Map([
      ["mu", reader.read("mu")],
      ["sigma", reader.read("sigma")],
    ]);
    reader.close();
    return { kind: "stats", path, stats: statisticsFromArrays(arrays, path) };
  }
  if (keys.includes("arr_0")) {
    const shape = sampleBatchShape(reader);
    return { kind: "npz", path, reader, ...shape };
  }
  reader.close();
  throw new MetricsInputError(
    `neither a statistics file (mu, sigma) nor a sample batch (arr_0); arrays: ${keys.join(", ") || "none"}`,
    path,
  );
}

interface Extracted {
  /** All features (kid, pr), or only their row count and dims when streamed into `stats` (fid, stats). */
  features: FeatureBatch;
  logits?: FeatureBatch;
  stats?: FeatureStatistics;
}

async function extract(
  input: Input,
  flags: Flags,
  extractor: () => Promise<FeatureExtractor>,
  streamStats: boolean,
): Promise<Extracted> {
  if (input.kind === "stats") throw new Error("unreachable");
  const ex = await extractor();
  let batches: AsyncIterable<ImageBatch>;
  if (input.kind === "npz") {
    ex.checkImages(input.height, input.width, input.channels, input.path);
    batches = npzImageBatches(input.reader, flags.batchSize);
  } else {
    batches = pngFolderBatches(input.path, flags.batchSize);
  }
  const bar = new ProgressBar(`features ${input.path}`, input.count, "images", !flags.quiet);
  let acc: StatisticsAccumulator | undefined;
  try {
    const out = await ex.extractAll(batches, {
      total: input.count,
      source: input.path,
      onProgress: (p) => bar.update(p.done),
      keep: !streamStats,
      onBatch: (b) => {
        const f = { data: b.features, rows: b.rows, dims: b.featureDims };
        const l = b.logits ? { data: b.logits, rows: b.rows, dims: b.logitDims as number } : undefined;
        try {
          checkFinite(f);
          if (l) checkFinite(l);
        } catch (err) {
          if (err instanceof MetricsInputError) throw new MetricsInputError(`extractor output: ${err.message}`, input.path);
          throw err;
        }
        if (streamStats) {
          acc ??= new StatisticsAccumulator(b.featureDims);
          acc.add(f);
        }
      },
    });
    bar.done();
    if (out.rows < 2) throw new MetricsInputError(`need at least 2 samples, got ${out.rows}`, input.path);
    const features = { data: out.features, rows: out.rows, dims: out.featureDims };
    const logits = out.logits ? { data: out.logits, rows: out.rows, dims: out.logitDims as number } : undefined;
    return { features, logits, stats: acc?.finalize() };
  } catch (err) {
    bar.abort();
    throw err;
  } finally {
    if (input.kind === "npz") input.reader.close();
  }
}

function statsOf(input: Input, extracted: Extracted | undefined): FeatureStatistics {
  if (input.kind === "stats") return input.stats;
  return (extracted as Extracted).stats as FeatureStatistics;
}

function fmt(x: number): string {
  return Number.isInteger(x) ? String(x) : x.toPrecision(8);
}

export async function runCli(argv: string[]): Promise<number> {
  const out = (s: string): void => {
    process.stdout.write(s + "\n");
  };
  const inputs: Input[] = [];
  let extractor: FeatureExtractor | undefined;
  try {
    const { command, positional, flags } = parseArgs(argv);
    if (command === undefined) {
      if (flags.help) {
        out(HELP.main);
        return 0;
      }
      throw new UsageError("no command given (fid, kid, is, pr, stats); see --help");
    }
    if (!(command in COMMAND_FLAGS)) throw new UsageError(`unknown command "${command}" (fid, kid, is, pr, stats)`);
    if (flags.help) {
      out(HELP[command]);
      return 0;
    }
    const allowed = new Set(COMMAND_FLAGS[command]);
    for (const f of ["subsets", "subsetSize", "seed", "splits", "k", "output"] as const) {
      if (flags[f] !== undefined && !allowed.has(f)) throw new UsageError(`option --${f.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)} does not apply to ${command}`);
    }
    const arity = command === "is" || command === "stats" ? 1 : 2;
    if (positional.length !== arity) {
      throw new UsageError(`${command} takes ${arity === 1 ? "one input" : "two inputs"}, got ${positional.length}; see ${command} --help`);
    }
    if (command === "stats" && flags.output === undefined) throw new UsageError("stats needs -o OUT.npz");

    for (const p of positional) inputs.push(openInput(p));
    const needsSamples = command !== "fid" && command !== "stats";
    for (const i of inputs) {
      if (i.kind === "stats" && needsSamples) {
        throw new MetricsInputError(`${command} needs samples (a sample npz or PNG folder), not statistics`, i.path);
      }
      if (i.kind === "stats" && command === "stats") throw new MetricsInputError("is already a statistics file", i.path);
    }
    const getExtractor = async (): Promise<FeatureExtractor> => {
      if (extractor) return extractor;
      // Without --extractor, the zoo's Fashion-MNIST classifier: the project's FID features for 28x28 data.
      const path = flags.extractor === undefined ? modelPath("fmnist-features") : resolve(flags.extractor);
      extractor = await FeatureExtractor.create(path);
      if (flags.featuresOutput !== undefined || flags.logitsOutput !== undefined) {
        // Reload with the resolved contract (from PATH.json or the model's defaults) and the named outputs;
        // create() refuses a name the model does not have: 'model has no output "X" (outputs: a, b)'.
        const spec = {
          ...extractor.spec,
          ...(flags.featuresOutput !== undefined ? { featuresOutput: flags.featuresOutput } : {}),
          ...(flags.logitsOutput !== undefined ? { logitsOutput: flags.logitsOutput } : {}),
        };
        const resolved = extractor;
        extractor = undefined;
        await resolved.dispose();
        extractor = await FeatureExtractor.create(path, spec);
      }
      if (command === "is" && !extractor.spec.logitsOutput) {
        throw new MetricsInputError('the extractor contract names no "logitsOutput" (pass --logits-output NAME); the Inception Score needs logits', flags.extractor);
      }
      return extractor;
    };
    const extracted: (Extracted | undefined)[] = [];
    const streamStats = command === "fid" || command === "stats";
    for (const i of inputs) extracted.push(i.kind === "stats" ? undefined : await extract(i, flags, getExtractor, streamStats));
    const samples = inputs.map((i, k) => (i.kind === "stats" ? (i.stats.count ?? null) : extracted[k]?.features.rows));

    switch (command) {
      case "fid": {
        const [a, b] = inputs.map((i, k) => statsOf(i, extracted[k]));
        if (a.mu.length !== b.mu.length) {
          throw new MetricsInputError(`feature dimensions differ: ${positional[0]} has ${a.mu.length}, ${positional[1]} has ${b.mu.length}`);
        }
        const r = frechetDistance(a, b);
        if (flags.json) out(JSON.stringify({ fid: r.fid, meanTerm: r.meanTerm, covarianceTerm: r.covarianceTerm, dims: r.dims, rankA: r.rank1, samples }));
        else out(`FID: ${fmt(r.fid)}`);
        return 0;
      }
      case "kid": {
        const [a, b] = extracted as Extracted[];
        const r = kernelInceptionDistance(a.features, b.features, { subsets: flags.subsets, subsetSize: flags.subsetSize, seed: flags.seed });
        if (flags.json) out(JSON.stringify({ ...r, samples }));
        else out(`KID: ${fmt(r.kidMean)} ± ${fmt(r.kidStd)} (${r.subsets} subsets of ${r.subsetSize})`);
        return 0;
      }
      case "is": {
        const [a] = extracted as Extracted[];
        const r = inceptionScore(a.logits as FeatureBatch, { splits: flags.splits, seed: flags.seed });
        if (flags.json) out(JSON.stringify({ ...r, samples }));
        else out(`IS: ${fmt(r.isMean)} ± ${fmt(r.isStd)} (${r.splits} splits)`);
        return 0;
      }
      case "pr": {
        const [a, b] = extracted as Extracted[];
        const r = precisionRecall(a.features, b.features, { k: flags.k });
        if (flags.json) out(JSON.stringify({ ...r, samples }));
        else out(`precision: ${fmt(r.precision)}  recall: ${fmt(r.recall)} (k = ${r.k})`);
        return 0;
      }
      case "stats": {
        const s = statsOf(inputs[0], extracted[0]);
        const path = flags.output as string;
        try {
          writeStatistics(path, s);
        } catch (err) {
          throw new MetricsInputError(`cannot write (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`, path);
        }
        if (flags.json) out(JSON.stringify({ output: path, samples: s.count, dims: s.mu.length }));
        else out(`wrote ${path} (${s.count} samples, ${s.mu.length} dims)`);
        return 0;
      }
    }
    return 0;
  } catch (err) {
    if (err instanceof MetricsInputError || err instanceof UsageError) {
      process.stderr.write(`adagen-bench: ${err.message}\n`);
      return 2;
    }
    throw err;
  } finally {
    for (const i of inputs) if (i.kind === "npz") {
      try {
        i.reader.close();
      } catch {
        // already closed after extraction
      }
    }
    await extractor?.dispose();
  }
}

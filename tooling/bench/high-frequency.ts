/**
 * How much fine detail do images carry? The mean absolute discrete Laplacian (4·x − the 4 neighbours, on [0, 1]
 * pixels, interior pixels, first channel) of sample files against the card's real training images. A discriminator
 * trained on samples smoother than the data learns "more detail looks real" and keeps rewarding it past the data's
 * level (zoo policies README, paired alignment): this prints where samplers sit on that axis.
 *
 *   node --conditions=adagen-source --import tsx tooling/bench/high-frequency.ts [--reals 1000] [FILE.npz …]
 *   (or: pnpm -s bench:high-frequency FILE.npz …; files as `adagen sample` writes them, uint8 [N,28,28,1])
 *
 * It also prints the same training images as the discriminator's negatives corrupt them (core's noisedReals and
 * sharpenedReals at their defaults, seed 1), so a reader sees where the negatives sit on that axis.
 */
import { Random, noisedReals, sharpenedReals, type Batch } from "@adagen/core";
import { readNpz } from "@adagen/metrics";
import { loadFashionMnist } from "@adagen/zoo";
import { benchArgs } from "./bench-command.js";

/** Mean |Laplacian| of `count` uint8 images `[count, H, W, C]`, channel 0. */
function laplacianEnergy(images: ArrayLike<number>, count: number, H: number, W: number, C: number): number {
  let sum = 0;
  const at = (n: number, y: number, x: number) => images[((n * H + y) * W + x) * C] / 255;
  for (let n = 0; n < count; n++)
    for (let y = 1; y < H - 1; y++)
      for (let x = 1; x < W - 1; x++) sum += Math.abs(4 * at(n, y, x) - at(n, y - 1, x) - at(n, y + 1, x) - at(n, y, x - 1) - at(n, y, x + 1));
  return sum / (count * (H - 2) * (W - 2));
}

function parseArgs(argv: string[]): { reals: number; files: string[] } {
  let reals = 1000;
  const files = [...argv];
  if (files[0] === "--reals") {
    reals = Number(files[1]);
    if (!(Number.isInteger(reals) && reals >= 1)) throw new Error(`--reals needs a positive integer, got ${files[1]}`);
    files.splice(0, 2);
  }
  const flag = files.find((f) => f.startsWith("--"));
  if (flag !== undefined) throw new Error(`unknown flag ${flag} (expected [--reals N] FILE.npz …)`);
  return { reals, files };
}

const { reals, files } = benchArgs(import.meta.url, parseArgs);
const train = loadFashionMnist("train");
const rows: { source: string; images: number; energy: number }[] = [];
const n = Math.min(reals, train.count);
rows.push({ source: `training images (first ${n})`, images: n, energy: laplacianEnergy(train.images, n, 28, 28, 1) });
const realBatch: Batch = { data: Float32Array.from(train.images.subarray(0, n * 784), (v) => v / 255), shape: [n, 28, 28, 1] };
for (const [source, corrupt] of [
  ["  … noised (noise negatives)", noisedReals],
  ["  … sharpened (sharpen negatives)", sharpenedReals],
] as const) {
  const out = corrupt(realBatch, new Random(1));
  rows.push({ source, images: n, energy: laplacianEnergy(Uint8Array.from(out.data, (v) => Math.round(v * 255)), n, 28, 28, 1) });
}
for (const file of files) {
  const arrays = readNpz(file);
  const images = arrays.get("arr_0");
  if (!images || images.shape.length !== 4) throw new Error(`${file}: no arr_0 of shape [N,H,W,C]`);
  const [N, H, W, C] = images.shape;
  rows.push({ source: file, images: N, energy: laplacianEnergy(images.data as ArrayLike<number>, N, H, W, C) });
}
for (const r of rows) console.log(`${r.source.padEnd(40)} ${String(r.images).padStart(6)} images  mean |Laplacian| ${r.energy.toFixed(4)}`);
console.log(JSON.stringify({ rows }));

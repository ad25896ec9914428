/**
 * Writes the first 10,000 Fashion-MNIST training images (or, with the split "test", test images) as an ADM-style
 * sample batch (arr_0 uint8 [N,28,28,1], arr_1 labels), e.g. to check the FID floor through adagen-bench against
 * the zoo's test statistics, or as the reference set of `adagen-bench pr`:
 *   node --conditions=adagen-source --import tsx tooling/zoo/real-train-npz.ts /tmp/train10k.npz
 *   pnpm -s bench fid /tmp/train10k.npz packages/zoo/stats/fmnist-test-stats.npz --json
 *   node --conditions=adagen-source --import tsx tooling/zoo/real-train-npz.ts /tmp/test10k.npz 10000 test
 */
import { writeNpz } from "@adagen/metrics";
import { loadFashionMnist } from "@adagen/zoo";

const out = process.argv[2];
if (!out) {
  console.error("usage: real-train-npz.ts OUT.npz [count] [train|test]");
  process.exit(2);
}
const n = Number(process.argv[3] ?? 10000);
const split = process.argv[4] ?? "train";
if (split !== "train" && split !== "test") {
  console.error(`split must be train or test, got ${split}`);
  process.exit(2);
}
const train = loadFashionMnist(split);
writeNpz(out, {
  arr_0: { dtype: "uint8", shape: [n, 28, 28, 1], data: train.images.slice(0, n * 784) },
  arr_1: { dtype: "int64", shape: [n], data: BigInt64Array.from(train.labels.slice(0, n), (v) => BigInt(v)) },
});
console.log(`wrote ${out}: ${n} ${split === "train" ? "training" : "test"} images`);

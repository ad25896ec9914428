/**
 * Writes the first 10,000 Fashion-MNIST training images as an ADM-style sample batch (arr_0 uint8 [N,28,28,1],
 * arr_1 labels), e.g. to check the FID floor through adagen-bench against the zoo's test statistics:
 *   node --conditions=adagen-source --import tsx tooling/zoo/real-train-npz.ts /tmp/train10k.npz
 *   pnpm -s bench fid /tmp/train10k.npz packages/zoo/stats/fmnist-test-stats.npz --json
 */
import { writeNpz } from "@adagen/metrics";
import { loadFashionMnist } from "@adagen/zoo";

const out = process.argv[2];
if (!out) {
  console.error("usage: real-train-npz.ts OUT.npz [count]");
  process.exit(2);
}
const n = Number(process.argv[3] ?? 10000);
const train = loadFashionMnist("train");
writeNpz(out, {
  arr_0: { dtype: "uint8", shape: [n, 28, 28, 1], data: train.images.slice(0, n * 784) },
  arr_1: { dtype: "int64", shape: [n], data: BigInt64Array.from(train.labels.slice(0, n), (v) => BigInt(v)) },
});
console.log(`wrote ${out}: ${n} training images`);

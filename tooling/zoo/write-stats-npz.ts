/**
 * Writes packages/zoo/stats/fmnist-test-stats.npz: the zoo's Fashion-MNIST test-set statistics (fmnist-features,
 * 128-d) in pytorch-fid's layout (mu, sigma), so `adagen-bench fid samples.npz <that file>` works directly.
 * Run from the repo root: node --conditions=adagen-source --import tsx tooling/zoo/write-stats-npz.ts
 */
import { writeStatistics } from "@adagen/metrics";
import { loadReferenceStats, zooPath } from "@adagen/zoo";

const ref = loadReferenceStats();
const out = zooPath("stats/fmnist-test-stats.npz");
writeStatistics(out, { mu: ref.mean, sigma: ref.cov, count: ref.count });
console.log(`wrote ${out} (${ref.dim}-d, ${ref.count} images)`);

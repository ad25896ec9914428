/**
 * Compare this package's symmetric eigenvalue solver with ml-matrix's EigenvalueDecomposition (JAMA tred2/tql2,
 * which always accumulates eigenvectors) on the same random symmetric matrix. Prints one JSON line per size.
 *
 *   node --conditions=adagen-source --import tsx apps/bench/scripts/eig-compare.ts [sizes...]   (default 256 512 1024)
 */
import { EigenvalueDecomposition, Matrix } from "ml-matrix";
import { symmetricEigenvalues } from "@adagen/metrics";

const sizes = process.argv.slice(2).map(Number);
for (const n of sizes.length ? sizes : [256, 512, 1024]) {
  const A = new Float64Array(n * n);
  let s = 12345;
  for (let i = 0; i < n; i++)
    for (let j = 0; j <= i; j++) {
      s = (Math.imul(s, 1103515245) + 12345) >>> 0;
      A[i * n + j] = A[j * n + i] = s / 2 ** 32 - 0.5;
    }
  const rows = Array.from({ length: n }, (_, i) => Array.from(A.subarray(i * n, (i + 1) * n)));
  let t = performance.now();
  const ours = symmetricEigenvalues(Float64Array.from(A), n);
  const oursSec = (performance.now() - t) / 1000;
  t = performance.now();
  const evd = new EigenvalueDecomposition(new Matrix(rows), { assumeSymmetric: true });
  const mlSec = (performance.now() - t) / 1000;
  const ml = Float64Array.from(evd.realEigenvalues).sort();
  let maxDiff = 0;
  for (let i = 0; i < n; i++) maxDiff = Math.max(maxDiff, Math.abs(ml[i] - ours[i]));
  console.log(JSON.stringify({ n, oursSeconds: +oursSec.toFixed(3), mlMatrixSeconds: +mlSec.toFixed(3), maxEigenvalueDiff: maxDiff }));
}

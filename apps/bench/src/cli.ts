#!/usr/bin/env node
/**
 * adagen-bench: sample-quality metrics from the command line.
 *
 *   adagen-bench fid A B      Fréchet distance        (A, B: sample npz, PNG folder or statistics npz)
 *   adagen-bench kid A B      Kernel Inception Distance (samples only)
 *   adagen-bench is A         Inception Score           (samples only; the extractor must output logits)
 *   adagen-bench pr A B       precision / recall, k = 3 (A generated, B reference; samples only)
 *   adagen-bench stats A -o out.npz   pytorch-fid statistics of A's features
 *
 * Exit codes: 0 success, 2 bad input or usage (one line on stderr naming the file and the problem), 1 bug.
 */
import { runCli } from "./run.js";

runCli(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`adagen-bench: internal error: ${(err as Error).stack ?? String(err)}\n`);
    process.exitCode = 1;
  },
);

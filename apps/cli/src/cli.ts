#!/usr/bin/env node
/**
 * adagen: train, sample and compare AdaGen sampling policies for the zoo's generators.
 *
 *   adagen train   --model dit-tiny --steps 4 [--iterations N --batch B --trajectories N --out DIR --resume --seed S]
 *   adagen sample  --model dit-tiny --steps 4 (--policy PATH | --schedule NAME [--guidance W]) --n N --seed S --out FILE.npz
 *   adagen compare --model dit-tiny --steps 4,8 --n N [--policy-dir DIR] [--json]
 *
 * Exit codes: 0 success, 2 bad input or usage (one line on stderr), 1 bug.
 */
import { runCli } from "./run.js";

runCli(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`adagen: internal error: ${(err as Error).stack ?? String(err)}\n`);
    process.exitCode = 1;
  },
);

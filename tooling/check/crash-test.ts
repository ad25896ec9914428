/**
 * Crash test of `adagen train`: a small run is trained once without interruption (the reference), then again in
 * another directory while being SIGKILLed at seeded random moments and resumed with --resume after each kill (started
 * afresh when a kill came before the first checkpoint), until it finishes. The final run.json, checkpoint.adagen,
 * best.adagen, policy.adagen and metrics.jsonl must be byte-identical to the reference (metrics.jsonl after removing
 * each line's `seconds`, the wall-clock timings), and no temporary file or run.lock may be left behind.
 *
 *   pnpm -s test:crash [--kills N] [--seed S] [--iterations N] [--keep DIR]
 *
 * Kill i aims at iteration 1 + i·iterations/kills, so the kills spread over the whole run, and lands, by a seeded
 * draw, during the start-up, right when that iteration's checkpoint temporary file appears (a checkpoint write),
 * right after its metrics line is appended (before its checkpoint), or at a random moment inside it. A kill "hit a
 * checkpoint write" when the checkpoint's temporary file is still there after it. Iterations redone per kill: the
 * iteration in progress, or the one finished but not yet checkpointed (its metrics line is written, the checkpoint
 * still holds the one before). One line per kill, then the summary; the exit code is 1 when the files differ or a
 * kill cost more than one iteration.
 */
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, watch } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { Random, readTensorFile } from "@adagen/core";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const COMPARED = ["run.json", "checkpoint.adagen", "best.adagen", "policy.adagen", "metrics.jsonl"];

const { values: args } = parseArgs({
  options: {
    kills: { type: "string", default: "12" },
    seed: { type: "string", default: "1" },
    iterations: { type: "string", default: "12" },
    keep: { type: "string" },
  },
});
const kills = Number(args.kills);
const seed = Number(args.seed);
const iterations = Number(args.iterations);
for (const [name, v, min] of [["kills", kills, 0], ["seed", seed, 0], ["iterations", iterations, 1]] as const)
  if (!(Number.isInteger(v) && v >= min)) {
    console.error(`crash-test: --${name} must be an integer >= ${min}, got ${String(args[name])}`);
    process.exit(2);
  }

// The run: small enough for a few seconds per iteration, with validation (best.adagen) and a discriminator warm-up.
const MODEL = ["--model", "dit-tiny", "--steps", "2", "--iterations", String(iterations)];
const SETTINGS = ["--trajectories", "8", "--batch", "8", "--eval-n", "16", "--eval-every", "3", "--d-warmup", "2", "--d-steps", "2", "--seed", "5"];

interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
  /** Milliseconds from the spawn to the first progress line ("training into" / "resuming"). */
  startedAfter?: number;
}

interface Launch {
  pid: number;
  /** Resolves at the first progress line: the run is set up (checkpoint loaded or iteration 0 written). */
  started: Promise<void>;
  exited: Promise<Exit>;
  kill(): void;
}

function launch(dir: string, resume: boolean): Launch {
  const cli = ["--conditions=adagen-source", "--import", "tsx", "apps/cli/src/cli.ts", "train", ...MODEL, "--out", dir];
  const child = spawn(process.execPath, resume ? [...cli, "--resume"] : [...cli, ...SETTINGS], { cwd: ROOT, stdio: ["ignore", "ignore", "pipe"] });
  const t0 = performance.now();
  let stderr = "";
  let startedAfter: number | undefined;
  let onStart = () => {};
  const started = new Promise<void>((done) => (onStart = done));
  child.stderr.setEncoding("utf8");
  child.stderr.on("data", (chunk: string) => {
    stderr += chunk;
    if (startedAfter === undefined && /^(training into|resuming) /m.test(stderr)) {
      startedAfter = performance.now() - t0;
      onStart();
    }
  });
  const exited = new Promise<Exit>((done) => child.on("close", (code, signal) => done({ code, signal, stderr, startedAfter })));
  return { pid: child.pid!, started, exited, kill: () => child.kill("SIGKILL") };
}

/** The iteration a checkpoint holds; -1 when there is none. */
async function checkpointIteration(dir: string): Promise<number> {
  const file = join(dir, "checkpoint.adagen");
  if (!existsSync(file)) return -1;
  return (await readTensorFile(file)).meta.iteration as number;
}

/** The last iteration with a complete metrics line (-1 when none); a torn last line is skipped. */
function metricsIteration(dir: string): number {
  const file = join(dir, "metrics.jsonl");
  if (!existsSync(file)) return -1;
  let last = -1;
  for (const line of readFileSync(file, "utf8").split("\n")) {
    try {
      last = Math.max(last, (JSON.parse(line) as { iteration: number }).iteration);
    } catch {
      // empty or torn
    }
  }
  return last;
}

/** metrics.jsonl without the wall-clock `seconds` of each line, the one part a rerun cannot reproduce. */
function metricsWithoutTimings(file: string): string {
  return readFileSync(file, "utf8")
    .split("\n")
    .filter((l) => l.trim())
    .map((l) => {
      const { seconds: _, ...rest } = JSON.parse(l) as { seconds?: unknown };
      return JSON.stringify(rest);
    })
    .join("\n");
}

/** Names of the compared files that differ, and files only one directory holds. */
function differences(ref: string, got: string): string[] {
  const out: string[] = [];
  for (const name of COMPARED) {
    const a = join(ref, name);
    const b = join(got, name);
    if (existsSync(a) !== existsSync(b)) out.push(`${name} (${existsSync(a) ? "missing" : "not in the reference"})`);
    else if (!existsSync(a)) continue;
    else if (name === "metrics.jsonl" ? metricsWithoutTimings(a) !== metricsWithoutTimings(b) : !readFileSync(a).equals(readFileSync(b)))
      out.push(name);
  }
  // Nothing else: no run.lock, no temporary file of an interrupted write, no pending best policy.
  for (const dir of [ref, got]) {
    const left = readdirSync(dir).filter((f) => !COMPARED.includes(f));
    if (left.length) out.push(`left behind in ${dir}: ${left.join(", ")}`);
  }
  return out;
}

class Failure extends Error {}
const fail = (message: string): never => {
  throw new Failure(message);
};

const base = args.keep ? resolve(args.keep) : mkdtempSync(join(tmpdir(), "adagen-crash-"));
if (args.keep && existsSync(base) && readdirSync(base).length > 0) {
  console.error(`crash-test: --keep ${args.keep}: not empty`);
  process.exit(2);
}
const refDir = join(base, "reference");
const runDir = join(base, "killed");
mkdirSync(refDir, { recursive: true });
mkdirSync(runDir, { recursive: true });

try {
  // The reference, timed: the start-up and seconds per iteration scale the random delays.
  const t0 = performance.now();
  const ref = await launch(refDir, false).exited;
  if (ref.code !== 0) fail(`the reference run failed (exit ${ref.code}):\n${ref.stderr}`);
  const total = performance.now() - t0;
  const startup = ref.startedAfter ?? total / 4;
  const perIteration = (total - startup) / iterations;
  console.log(`reference: ${iterations} iterations in ${(total / 1000).toFixed(1)} s (start-up ${(startup / 1000).toFixed(1)} s)`);

  const rng = new Random(seed);
  /**
   * Arms kill number i of a process resumed at checkpoint c (-1: started afresh) and returns its disarm and its
   * description. Kill i aims at iteration 1 + i·iterations/kills (or the next one not yet checkpointed), so the kills
   * spread over the whole run, and lands, by a seeded draw: during start-up; at the checkpoint write of that
   * iteration (when its temporary file appears); right after its metrics line (before its checkpoint); or at a
   * random moment inside it.
   */
  const arm = (run: Launch, i: number, c: number): { plan: string; disarm: () => void } => {
    const target = Math.max(c + 1, 1 + Math.floor((i * iterations) / kills));
    const kind = rng.uniform();
    const fraction = 0.1 + 0.8 * rng.uniform();
    if (kind < 0.15 || target > iterations) {
      const delay = startup * (0.2 + 0.8 * fraction);
      const timer = setTimeout(run.kill, delay);
      return { plan: `during start-up, after ${(delay / 1000).toFixed(1)} s`, disarm: () => clearTimeout(timer) };
    }
    let timer: NodeJS.Timeout | undefined;
    const tmpFiles = new Set<string>();
    let armed = true;
    const kill = () => {
      if (armed) run.kill();
      armed = false;
    };
    const lineReached = (iteration: number) => metricsIteration(runDir) >= iteration;
    let plan: string;
    let onEvent: (event: string, name: string) => void;
    if (kind < 0.45) {
      // This process's nth temporary checkpoint file holds iteration c + n.
      plan = `at the checkpoint write of iteration ${target}`;
      onEvent = (_, name) => {
        if (name.startsWith(`checkpoint.adagen.tmp-${run.pid}-`) && tmpFiles.add(name).size === target - c) kill();
      };
    } else if (kind < 0.7) {
      plan = `after the metrics line of iteration ${target}`;
      onEvent = (event, name) => {
        if (event === "change" && name === "metrics.jsonl" && lineReached(target)) kill();
      };
    } else {
      plan = `${Math.round(fraction * 100)}% into iteration ${target}`;
      const later = () => (timer ??= setTimeout(kill, fraction * perIteration));
      // From the previous iteration's metrics line, or from the start of the process when that one is done.
      if (target - 1 <= c) void run.started.then(later);
      onEvent = (event, name) => {
        if (event === "change" && name === "metrics.jsonl" && target - 1 > c && lineReached(target - 1)) later();
      };
    }
    const watcher = watch(runDir, (event, name) => name && onEvent(event, name));
    return {
      plan,
      disarm: () => {
        armed = false;
        watcher.close();
        clearTimeout(timer);
      },
    };
  };
  let killed = 0;
  let resumes = 0;
  let duringWrites = 0;
  let redone = 0;
  let maxRedone = 0;
  let maxLost = 0;
  let finished = false;
  while (!finished) {
    const before = await checkpointIteration(runDir);
    const resume = before >= 0;
    if (resume) resumes++;
    const run = launch(runDir, resume);
    const { plan, disarm } = killed < kills ? arm(run, killed, before) : { plan: "none", disarm: () => {} };
    const exit = await run.exited;
    disarm();
    if (exit.signal === "SIGKILL") {
      killed++;
      const hitWrite = readdirSync(runDir).some((f) => f.startsWith("checkpoint.adagen.tmp-"));
      if (hitWrite) duringWrites++;
      const after = await checkpointIteration(runDir);
      const lined = metricsIteration(runDir);
      // Finished but not checkpointed (its line is written), else the one in progress. A process killed before its
      // start line did no training; metrics lines past the checkpoint are then an earlier kill's, dropped on resume.
      const started = exit.startedAfter !== undefined;
      const lost = started ? Math.max(0, lined - after) : 0;
      const cost = !started || after < 0 ? 0 : lost > 0 ? lost : after < iterations ? 1 : 0;
      redone += cost;
      maxRedone = Math.max(maxRedone, cost);
      maxLost = Math.max(maxLost, lost);
      console.log(
        `kill ${killed} (${plan}${exit.startedAfter === undefined ? ", before the run started" : ""}): checkpoint ${before} -> ${after}, last metrics line ${lined}, ` +
          `${cost} redone${hitWrite ? ", during a checkpoint write" : ""}`,
      );
    } else if (exit.code === 0) {
      finished = true;
      console.log(`${resume ? `resumed at ${before}` : "started"}, finished (planned kill: ${plan})`);
    } else {
      fail(`a run ${resume ? `resumed at iteration ${before}` : "started afresh"} failed (exit ${exit.code ?? exit.signal}):\n${exit.stderr}`);
    }
  }

  const diff = differences(refDir, runDir);
  const identical = diff.length === 0;
  if (!identical) console.log(`differs from the reference: ${diff.join("; ")}`);
  console.log(
    `crash test: ${killed} kills (${duringWrites} during checkpoint writes), ${resumes} resumes, ${redone} iterations redone ` +
      `(max ${maxRedone} per kill), identical: ${identical ? "yes" : "no"}`,
  );
  if (!identical || maxRedone > 1 || maxLost > 1) process.exitCode = 1;
} catch (err) {
  if (!(err instanceof Failure)) throw err;
  console.error(`crash-test: ${err.message}`);
  process.exitCode = 1;
} finally {
  if (!args.keep) rmSync(base, { recursive: true, force: true });
}

/**
 * One writer per run directory: `train` holds DIR/run.lock (the holder's pid) while it runs, so a second run on the
 * same directory is refused instead of interleaving checkpoints and metrics lines with the first. The lock is created
 * with an exclusive open; a lock whose pid is no longer alive (a crashed or SIGKILLed run) is stale and taken over,
 * so a killed run never leaves its directory stuck.
 */
import { mkdirSync, readFileSync, readdirSync, rmdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { InputError } from "./input-error.js";

export const RUN_LOCK = "run.lock";

export interface RunLock {
  readonly file: string;
  /** Removes the lock (and the directory when taking the lock created it and nothing else was written there). */
  release(): void;
}

/** Whether a process with this pid exists (EPERM: it exists but belongs to another user). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** The pid in a lock file; undefined when it cannot be read (a holder killed between creating and writing it). */
function holder(file: string): number | undefined {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch {
    return undefined;
  }
  const pid = Number(text.trim());
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

/** Takes the lock of run directory `dir` (created if missing), or throws an InputError naming the live holder. */
export function acquireRunLock(dir: string): RunLock {
  const file = join(dir, RUN_LOCK);
  let created: string | undefined;
  try {
    created = mkdirSync(dir, { recursive: true });
  } catch (err) {
    throw new InputError(`${dir}: cannot create the run directory (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  // Two tries: the second follows the removal of a stale lock. Two runs taking over the same stale lock in the
  // same instant could both succeed; starting runs by hand makes that window academic.
  for (let attempt = 0; ; attempt++) {
    try {
      writeFileSync(file, `${process.pid}\n`, { flag: "wx" });
      break;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== "EEXIST") throw new InputError(`${file}: cannot create the run lock (${code ?? (err as Error).message})`);
      const pid = holder(file);
      if (pid !== undefined && alive(pid))
        throw new InputError(`${dir} is in use by another training run (pid ${pid}); wait for it or stop it`);
      if (attempt > 0) throw new InputError(`${file}: cannot take over the stale run lock`);
      rmSync(file, { force: true });
    }
  }
  let released = false;
  return {
    file,
    release() {
      if (released) return;
      released = true;
      // Only our own lock: never remove one a later run took over.
      if (holder(file) === process.pid) rmSync(file, { force: true });
      if (created !== undefined) {
        try {
          if (readdirSync(dir).length === 0) rmdirSync(dir);
        } catch {
          // left as is: the directory is not ours to insist on
        }
      }
    },
  };
}

import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { InputError } from "./input-error.js";
import { acquireRunLock, RUN_LOCK } from "./run-lock.js";

const tmp = mkdtempSync(join(tmpdir(), "adagen-run-lock-"));
const children: { kill(): boolean }[] = [];
afterAll(() => {
  for (const c of children) c.kill();
});

/** The pid of a process that has exited. */
function finishedPid(): number {
  const r = spawnSync(process.execPath, ["-e", ""]);
  expect(r.status).toBe(0);
  return r.pid!;
}

describe("acquireRunLock: one writer per run directory", () => {
  it("writes the holder's pid and refuses a second holder, naming the directory and pid", () => {
    const dir = join(tmp, "held");
    const lock = acquireRunLock(dir);
    expect(readFileSync(join(dir, RUN_LOCK), "utf8").trim()).toBe(String(process.pid));
    expect(() => acquireRunLock(dir)).toThrow(InputError);
    expect(() => acquireRunLock(dir)).toThrow(`${dir} is in use by another training run (pid ${process.pid}); wait for it or stop it`);
    lock.release();
    expect(existsSync(join(dir, RUN_LOCK))).toBe(false);
    acquireRunLock(dir).release();
  });

  it("refuses while another live process holds the lock", async () => {
    const child = spawn(process.execPath, ["-e", "setTimeout(() => {}, 60000)"], { stdio: "ignore" });
    children.push(child);
    await new Promise((resolve) => child.once("spawn", resolve));
    const dir = join(tmp, "other");
    mkdirSync(dir);
    writeFileSync(join(dir, RUN_LOCK), `${child.pid}\n`);
    expect(() => acquireRunLock(dir)).toThrow(`is in use by another training run (pid ${child.pid})`);
    // The refused attempt leaves the holder's lock alone.
    expect(readFileSync(join(dir, RUN_LOCK), "utf8").trim()).toBe(String(child.pid));
    child.kill();
    await new Promise((resolve) => child.once("exit", resolve));
    // Killed: the lock is stale now and taken over.
    const lock = acquireRunLock(dir);
    expect(readFileSync(join(dir, RUN_LOCK), "utf8").trim()).toBe(String(process.pid));
    lock.release();
  });

  it("takes over a stale lock: a finished process's pid, or an empty file from a holder killed while creating it", () => {
    const dir = join(tmp, "stale");
    mkdirSync(dir);
    for (const content of [`${finishedPid()}\n`, ""]) {
      writeFileSync(join(dir, RUN_LOCK), content);
      const lock = acquireRunLock(dir);
      expect(readFileSync(join(dir, RUN_LOCK), "utf8").trim()).toBe(String(process.pid));
      lock.release();
      expect(existsSync(join(dir, RUN_LOCK))).toBe(false);
    }
  });

  it("release removes a directory the lock created when nothing else was written, and keeps others", () => {
    const fresh = join(tmp, "fresh", "run");
    acquireRunLock(fresh).release();
    expect(existsSync(fresh)).toBe(false);

    const used = join(tmp, "used");
    const lock = acquireRunLock(used);
    writeFileSync(join(used, "run.json"), "{}");
    lock.release();
    expect(existsSync(join(used, "run.json"))).toBe(true);

    const existing = join(tmp, "existing");
    mkdirSync(existing);
    acquireRunLock(existing).release();
    expect(existsSync(existing)).toBe(true);
  });

  it("release never removes a lock another run has taken over since", () => {
    const dir = join(tmp, "taken");
    const lock = acquireRunLock(dir);
    writeFileSync(join(dir, RUN_LOCK), "1\n");
    lock.release();
    expect(readFileSync(join(dir, RUN_LOCK), "utf8")).toBe("1\n");
  });

  it("refuses a run directory it cannot create, naming it", () => {
    const file = join(tmp, "a-file");
    writeFileSync(file, "");
    expect(() => acquireRunLock(join(file, "run"))).toThrow(new RegExp(`^${file}/run: cannot create the run directory \\(ENOTDIR\\)$`));
  });
});

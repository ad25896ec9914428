/**
 * Running the two CLIs from tests: spawned as a user runs them (`node --import tsx`, real exit codes and signals),
 * or in this process through their `runCli` (stdout and stderr captured; faster, for errors raised before any
 * real work), and the checks every bad-input row makes: one line on stderr, exit code 2, nothing written.
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { basename, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { expect, vi } from "vitest";

export const ROOT = fileURLToPath(new URL("../../", import.meta.url));

export type Tool = "adagen" | "adagen-bench";
const ENTRY: Record<Tool, string> = { adagen: "apps/cli/src/cli.ts", "adagen-bench": "apps/bench/src/cli.ts" };

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface SpawnOptions {
  /** Modules loaded before the CLI (`--import`), e.g. test/support/fs-faults.ts. */
  preload?: string[];
  env?: Record<string, string>;
}

function nodeArgs(tool: Tool, args: string[], o: SpawnOptions): string[] {
  return ["--conditions=adagen-source", "--import", "tsx", ...(o.preload ?? []).flatMap((p) => ["--import", p]), ENTRY[tool], ...args];
}

/** The CLI as a separate process, to completion. */
export function spawnCli(tool: Tool, args: string[], o: SpawnOptions = {}): CliResult {
  const r = spawnSync(process.execPath, nodeArgs(tool, args, o), { cwd: ROOT, encoding: "utf8", env: { ...process.env, ...o.env } });
  return { code: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}

/** The CLI as a separate process, sent `signal` after `afterMs` milliseconds. */
export async function spawnCliAndSignal(tool: Tool, args: string[], signal: NodeJS.Signals, afterMs: number): Promise<CliResult> {
  const child = spawn(process.execPath, nodeArgs(tool, args, {}), { cwd: ROOT });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d) => (stdout += String(d)));
  child.stderr.on("data", (d) => (stderr += String(d)));
  const timer = setTimeout(() => child.kill(signal), afterMs);
  const [code, sig] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) => child.on("close", (c, s) => resolve([c, s])));
  clearTimeout(timer);
  return { code, signal: sig, stdout, stderr };
}

/** A CLI's `runCli(argv)` in this process, stdout and stderr captured. */
export async function inProcess(runCli: (argv: string[]) => Promise<number>, args: string[]): Promise<CliResult> {
  let stdout = "";
  let stderr = "";
  const out = vi.spyOn(process.stdout, "write").mockImplementation((s) => ((stdout += String(s)), true));
  const err = vi.spyOn(process.stderr, "write").mockImplementation((s) => ((stderr += String(s)), true));
  try {
    const code = await runCli(args);
    return { code, signal: null, stdout, stderr };
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
}

/** Exit code 2, nothing on stdout, exactly one stderr line `TOOL: ...` that matches, no stack. */
export function expectOneLineError(r: CliResult, tool: Tool, pattern: RegExp): void {
  expect(r.code, r.stderr).toBe(2);
  expect(r.stdout).toBe("");
  const lines = r.stderr.trimEnd().split("\n");
  expect(lines.length, r.stderr).toBe(1);
  expect(lines[0].startsWith(`${tool}: `), lines[0]).toBe(true);
  expect(lines[0]).not.toMatch(/internal error|\n\s+at /);
  expect(lines[0]).toMatch(pattern);
}

/** Temporary files of an atomic write to `path` (@adagen/metrics' writeFileAtomic: `.NAME.PID.TIME.tmp`). */
export function tempFilesOf(path: string): string[] {
  const dir = dirname(path);
  if (!existsSync(dir)) return [];
  return readdirSync(dir).filter((f) => f.startsWith(`.${basename(path)}.`) && f.endsWith(".tmp"));
}

/** `path` was not written, and no temporary file of a write to it is left. */
export function expectNotWritten(path: string): void {
  expect(existsSync(path), `${path} exists`).toBe(false);
  expect(tempFilesOf(path)).toEqual([]);
}

/** Every file in `dir` and below that looks like a temporary file of an atomic write. */
export function tempFilesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: "utf8" }).filter((f) => /(^|\/)\.[^/]+\.\d+\.\d+\.tmp$/.test(f));
}

/**
 * Flag parsing shared by the commands: each command declares its flags and their kinds; anything else, a missing
 * value or a bad one is a `UsageError` (one line on stderr, exit 2).
 */
import { accessSync, constants, existsSync, statSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { UsageError } from "./models.js";

export type FlagKind = "bool" | "string" | "int" | "seed" | "number" | "intList" | "numberList";

export interface FlagSpec {
  kind: FlagKind;
  /** Smallest accepted value (int, number, intList). */
  min?: number;
  max?: number;
}

export type FlagValue = boolean | string | number | number[];

const MAX_SEED = 2 ** 32 - 1;

export function parseFlags(argv: string[], specs: Record<string, FlagSpec>, command: string): Map<string, FlagValue> {
  const out = new Map<string, FlagValue>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const name = arg === "-h" ? "help" : arg.startsWith("--") ? arg.slice(2) : undefined;
    if (name === undefined) throw new UsageError(`${command}: unexpected argument "${arg}"; see adagen ${command} --help`);
    if (name === "help") {
      out.set("help", true);
      continue;
    }
    const spec = specs[name];
    if (!spec) throw new UsageError(`${command}: unknown option ${arg}; see adagen ${command} --help`);
    if (out.has(name)) throw new UsageError(`${command}: ${arg} given twice`);
    if (spec.kind === "bool") {
      out.set(name, true);
      continue;
    }
    const v = argv[++i];
    if (v === undefined || (v.startsWith("--") && spec.kind === "string")) throw new UsageError(`${arg} needs a value`);
    out.set(name, parseValue(arg, v, spec));
  }
  return out;
}

function parseValue(flag: string, v: string, spec: FlagSpec): FlagValue {
  const int = (s: string, min: number, max: number): number => {
    const n = Number(s);
    if (!/^-?\d+$/.test(s) || !Number.isSafeInteger(n) || n < min || n > max) {
      const range = max === Number.MAX_SAFE_INTEGER ? `≥ ${min}` : `in ${min}..${max}`;
      throw new UsageError(`${flag} needs an integer ${range}, got "${s}"`);
    }
    return n;
  };
  switch (spec.kind) {
    case "string":
      if (v === "") throw new UsageError(`${flag} needs a non-empty value`);
      return v;
    case "int":
      return int(v, spec.min ?? 1, spec.max ?? Number.MAX_SAFE_INTEGER);
    case "seed":
      return int(v, 0, MAX_SEED);
    case "number": {
      const n = Number(v);
      if (v.trim() === "" || !Number.isFinite(n) || n < (spec.min ?? -Infinity) || n > (spec.max ?? Infinity))
        throw new UsageError(
          `${flag} needs a number${spec.min !== undefined && spec.max !== undefined ? ` in ${spec.min}..${spec.max}` : spec.min !== undefined ? ` ≥ ${spec.min}` : ""}, got "${v}"`,
        );
      return n;
    }
    case "intList": {
      const parts = v.split(",");
      const values = parts.map((p) => {
        try {
          return int(p.trim(), spec.min ?? 1, spec.max ?? Number.MAX_SAFE_INTEGER);
        } catch {
          throw new UsageError(
            `${flag} needs comma-separated integers in ${spec.min ?? 1}..${spec.max ?? "∞"} (e.g. 4,8), got "${v}"`,
          );
        }
      });
      if (new Set(values).size !== values.length) throw new UsageError(`${flag} lists a value twice: "${v}"`);
      return values;
    }
    case "numberList": {
      const values = v.split(",").map((p) => Number(p.trim()));
      if (values.some((n, i) => v.split(",")[i].trim() === "" || !Number.isFinite(n) || n < (spec.min ?? -Infinity) || n > (spec.max ?? Infinity)))
        throw new UsageError(`${flag} needs comma-separated numbers${spec.min !== undefined ? ` ≥ ${spec.min}` : ""} (e.g. 0.5,1,2), got "${v}"`);
      if (new Set(values).size !== values.length) throw new UsageError(`${flag} lists a value twice: "${v}"`);
      return values;
    }
    default:
      return true;
  }
}

/** Typed getters over a parsed flag map. */
export class Flags {
  constructor(private readonly values: Map<string, FlagValue>) {}
  has(name: string): boolean {
    return this.values.has(name);
  }
  string(name: string): string | undefined {
    return this.values.get(name) as string | undefined;
  }
  number(name: string): number | undefined {
    return this.values.get(name) as number | undefined;
  }
  list(name: string): number[] | undefined {
    return this.values.get(name) as number[] | undefined;
  }
  bool(name: string): boolean {
    return this.values.get(name) === true;
  }
  require<T>(name: string, get: (n: string) => T | undefined, command: string): T {
    const v = get.call(this, name);
    if (v === undefined) throw new UsageError(`${command} needs --${name}; see adagen ${command} --help`);
    return v;
  }
}

/** The step counts a model can take: the time grids keep ≥ 0.01 between points, so at most ~89 evaluations. */
export const STEPS_RANGE = { min: 1, max: 64 } as const;

/**
 * Refuses an output file that cannot be written, before any work is done for it: it is a folder, or the nearest
 * existing folder above it is a file or not writable (folders missing below that one are created when writing).
 */
export function checkOutputFile(path: string): void {
  const fail = (why: string): never => {
    throw new UsageError(`${path}: cannot write (${why})`);
  };
  if (existsSync(path) && statSync(path).isDirectory()) fail("EISDIR");
  let dir = dirname(resolve(path));
  while (!existsSync(dir)) dir = dirname(dir);
  if (!statSync(dir).isDirectory()) fail(`ENOTDIR: ${dir} is a file`);
  try {
    accessSync(dir, constants.W_OK);
  } catch (err) {
    fail(`${(err as NodeJS.ErrnoException).code ?? "not writable"}: ${dir}`);
  }
}

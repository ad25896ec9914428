/**
 * Reads fields of a parsed JSON document by dotted path, each check failing with one line that names the file, the
 * field and the offending value: `card.json: "generator.sampleShape" must be a list of positive integers, got [1,0]`.
 * Used by the model card (core) and by each paradigm's section of it (the adapters).
 */
import { isAbsolute, resolve, dirname } from "node:path";
import { InputError } from "../product/input-error.js";

export class ModelCardError extends InputError {
  override name = "ModelCardError";
}

function show(v: unknown): string {
  if (v === undefined) return "nothing";
  const s = JSON.stringify(v);
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

export class CardFields {
  constructor(
    /** The document's file, named in every error; relative paths inside it resolve against its folder. */
    readonly file: string,
    readonly root: unknown,
    /** Prefix of every path (a section of the document, e.g. "sampler"). */
    readonly prefix = "",
  ) {}

  /** The fields of a sub-object, with paths named from the root. */
  section(path: string, optional = false): CardFields | undefined {
    const v = this.get(path);
    if (v === undefined && optional) return undefined;
    if (!(typeof v === "object" && v !== null && !Array.isArray(v))) this.fail(path, "must be an object", v);
    return new CardFields(this.file, v, this.name(path));
  }

  has(path: string): boolean {
    return this.get(path) !== undefined;
  }

  get(path: string): unknown {
    let v: unknown = this.root;
    for (const key of path.split(".")) {
      if (Array.isArray(v)) v = /^\d+$/.test(key) ? v[Number(key)] : undefined;
      else if (typeof v === "object" && v !== null) v = (v as Record<string, unknown>)[key];
      else return undefined;
    }
    return v;
  }

  fail(path: string, what: string, got: unknown): never {
    throw new ModelCardError(`${this.file}: "${this.name(path)}" ${what}, got ${show(got)}`);
  }

  string(path: string): string;
  string(path: string, fallback: string): string;
  string(path: string, fallback?: string): string {
    const v = this.get(path);
    if (v === undefined && fallback !== undefined) return fallback;
    if (!(typeof v === "string" && v.length > 0)) this.fail(path, "must be a non-empty string", v);
    return v;
  }

  oneOf<T extends string>(path: string, allowed: readonly T[], fallback?: T): T {
    const v = this.get(path);
    if (v === undefined && fallback !== undefined) return fallback;
    if (!(allowed as readonly unknown[]).includes(v)) this.fail(path, `must be one of ${allowed.map((a) => `"${a}"`).join(", ")}`, v);
    return v as T;
  }

  number(path: string, range: { min?: number; max?: number; integer?: boolean; above?: number } = {}, fallback?: number): number {
    const v = this.get(path);
    if (v === undefined && fallback !== undefined) return fallback;
    const ok =
      typeof v === "number" &&
      Number.isFinite(v) &&
      (!range.integer || Number.isInteger(v)) &&
      (range.min === undefined || v >= range.min) &&
      (range.max === undefined || v <= range.max) &&
      (range.above === undefined || v > range.above);
    if (!ok) {
      const bounds = [
        range.above !== undefined ? `> ${range.above}` : "",
        range.min !== undefined ? `≥ ${range.min}` : "",
        range.max !== undefined ? `≤ ${range.max}` : "",
      ].filter(Boolean);
      this.fail(path, `must be ${range.integer ? "an integer" : "a number"}${bounds.length ? ` ${bounds.join(" and ")}` : ""}`, v);
    }
    return v as number;
  }

  /** A list of numbers (each checked against `range`), of `length` entries when given. */
  numbers(path: string, range: { min?: number; max?: number; integer?: boolean; above?: number } = {}, length?: number, fallback?: number[]): number[] {
    const v = this.get(path);
    if (v === undefined && fallback !== undefined) return fallback;
    if (!Array.isArray(v) || v.length === 0 || (length !== undefined && v.length !== length))
      this.fail(path, `must be a list of ${length ?? "one or more"} numbers`, v);
    return v.map((_, i) => this.number(`${path}.${i}`, range));
  }

  /** A shape: positive integers, `length` of them when given. */
  shape(path: string, length?: number): number[] {
    const v = this.get(path);
    if (!(Array.isArray(v) && v.length > 0 && (length === undefined || v.length === length) && v.every((d) => Number.isInteger(d) && d > 0)))
      this.fail(path, `must be a list of ${length ?? "one or more"} positive integers`, v);
    return v as number[];
  }

  strings(path: string, fallback?: string[]): string[] {
    const v = this.get(path);
    if (v === undefined && fallback !== undefined) return fallback;
    if (!(Array.isArray(v) && v.length > 0 && v.every((s) => typeof s === "string" && s.length > 0)))
      this.fail(path, "must be a list of non-empty strings", v);
    return v as string[];
  }

  /** A file path, resolved against the document's folder. */
  path(path: string): string {
    const p = this.string(path);
    return isAbsolute(p) ? p : resolve(dirname(this.file), p);
  }

  private name(path: string): string {
    return this.prefix ? `${this.prefix}.${path}` : path;
  }
}

import * as tf from "@tensorflow/tfjs-core";
import type { Random } from "../random.js";

/**
 * Named trainable variables of one network, created with seeded initialisers (so a network is reproducible
 * from its seed on every backend) and listed in creation order for optimisers and checkpoints.
 */
let storeCount = 0;

export class ParamStore {
  readonly prefix: string;
  /** tfjs variable names are global: each store gets its own scope; checkpoints use the names without it. */
  private readonly scope: string;
  private readonly vars = new Map<string, tf.Variable>();

  constructor(prefix: string) {
    this.prefix = prefix;
    this.scope = `${prefix}_${storeCount++}`;
  }

  /** A [fanIn, fanOut] weight with Xavier-uniform values, or zeros. */
  weight(name: string, fanIn: number, fanOut: number, init: "xavier" | "zeros" | { normal: number }, rng: Random): tf.Variable {
    const values = new Float32Array(fanIn * fanOut);
    if (init === "xavier") {
      const limit = Math.sqrt(6 / (fanIn + fanOut));
      for (let i = 0; i < values.length; i++) values[i] = (2 * rng.uniform() - 1) * limit;
    } else if (init !== "zeros") {
      for (let i = 0; i < values.length; i++) values[i] = init.normal * rng.normal();
    }
    return this.add(name, tf.tensor2d(values, [fanIn, fanOut]));
  }

  zeros(name: string, shape: number[]): tf.Variable {
    return this.add(name, tf.zeros(shape));
  }

  normal(name: string, shape: number[], std: number, rng: Random): tf.Variable {
    const size = shape.reduce((a, b) => a * b, 1);
    const values = new Float32Array(size);
    for (let i = 0; i < size; i++) values[i] = std * rng.normal();
    return this.add(name, tf.tensor(values, shape));
  }

  private add(name: string, init: tf.Tensor): tf.Variable {
    if (this.vars.has(name)) throw new Error(`duplicate parameter ${this.prefix}/${name}`);
    const v = tf.variable(init, true, `${this.scope}/${name}`);
    init.dispose();
    this.vars.set(name, v);
    return v;
  }

  get variables(): tf.Variable[] {
    return [...this.vars.values()];
  }

  /** Parameter names, without the store's scope. */
  get names(): string[] {
    return [...this.vars.keys()];
  }

  get size(): number {
    let n = 0;
    for (const v of this.vars.values()) n += v.size;
    return n;
  }

  /** Copies values from another store of the same layout (e.g. policy → policy_old). */
  copyFrom(other: ParamStore): void {
    const src = other.variables;
    const dst = this.variables;
    if (src.length !== dst.length) throw new Error(`cannot copy ${src.length} parameters into ${dst.length}`);
    dst.forEach((v, i) => v.assign(src[i]));
  }

  /** Snapshot as plain arrays, keyed by the name without prefix. */
  async export(): Promise<Record<string, { shape: number[]; data: Float32Array }>> {
    const out: Record<string, { shape: number[]; data: Float32Array }> = {};
    for (const [name, v] of this.vars) out[name] = { shape: v.shape, data: (await v.data()) as Float32Array };
    return out;
  }

  import(values: Record<string, { shape: number[]; data: Float32Array }>): void {
    for (const [name, v] of this.vars) {
      const entry = values[name];
      if (!entry) throw new Error(`checkpoint has no parameter "${name}" for ${this.prefix}`);
      if (entry.shape.join(",") !== v.shape.join(","))
        throw new Error(`parameter ${this.prefix}/${name}: checkpoint shape [${entry.shape}] does not match [${v.shape}]`);
      const t = tf.tensor(entry.data, entry.shape);
      v.assign(t);
      t.dispose();
    }
  }

  dispose(): void {
    for (const v of this.vars.values()) v.dispose();
    this.vars.clear();
  }
}

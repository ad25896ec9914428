// Types only: the runtime (and its native library) is loaded by OnnxModel.load, so importing @adagen/core
// does not load libonnxruntime and onnxruntime-node is needed only by code that runs an ONNX model.
import type * as Ort from "onnxruntime-node";

/**
 * An onnxruntime-node session that checks what it is given against the model's declared contract, so a wrong
 * export or a wrong input fails with a message naming the model, the tensor, and the expected and actual
 * shape or dtype — never deep inside the runtime.
 */
export type OnnxDType = "float32" | "int64" | "int32" | "uint8" | "bool";

/** One declared tensor: dtype and shape, where a string dimension is symbolic (e.g. "B" for the batch). */
export interface TensorContract {
  dtype: OnnxDType;
  shape: (number | string)[];
}

export interface OnnxContract {
  inputs: Record<string, TensorContract>;
  outputs: Record<string, TensorContract>;
}

export type FeedValue = Float32Array | BigInt64Array | Int32Array | Uint8Array;

export interface OnnxModelOptions {
  /** Threads for one operator (default: all cores, at most 2 here). */
  intraOpThreads?: number;
}

let runtime: Promise<typeof Ort> | undefined;
/** Sessions created by OnnxModel.load and not yet released (OnnxModel.liveSessions). */
let liveSessions = 0;

/** onnxruntime-node, imported on first use (an optional peer dependency of @adagen/core). */
function loadOnnxRuntime(): Promise<typeof Ort> {
  runtime ??= import("onnxruntime-node").then(
    (m) => ((m as { default?: typeof Ort }).default ?? m) as typeof Ort,
    (err: unknown) => {
      runtime = undefined;
      throw new Error(`OnnxModel needs the onnxruntime-node package (npm install onnxruntime-node): ${(err as Error).message.split("\n")[0]}`);
    },
  );
  return runtime;
}

export class OnnxModel {
  readonly name: string;
  readonly contract: OnnxContract;
  private readonly ort: typeof Ort;
  private readonly session: Ort.InferenceSession;
  private released = false;

  /** onnxruntime sessions loaded and not yet released, process-wide (the resource checks: pnpm bench:resources). */
  static get liveSessions(): number {
    return liveSessions;
  }

  private constructor(name: string, ort: typeof Ort, session: Ort.InferenceSession, contract: OnnxContract) {
    this.name = name;
    this.ort = ort;
    this.session = session;
    this.contract = contract;
  }

  /** Loads `file` and checks that it declares exactly the contract's input and output names. */
  static async load(file: string, contract: OnnxContract, options: OnnxModelOptions = {}): Promise<OnnxModel> {
    const ort = await loadOnnxRuntime();
    let session: Ort.InferenceSession;
    try {
      session = await ort.InferenceSession.create(file, {
        graphOptimizationLevel: "all",
        intraOpNumThreads: options.intraOpThreads ?? 0,
        interOpNumThreads: 1,
        // ORT's worker threads otherwise spin after each run, taking the core the policy (tfjs) needs next.
        extra: { session: { intra_op: { allow_spinning: "0" } } },
      });
    } catch (err) {
      throw new Error(`cannot load ONNX model ${file}: ${(err as Error).message.split("\n")[0]}`);
    }
    liveSessions++;
    const check = (kind: string, declared: readonly string[], wanted: string[]) => {
      const missing = wanted.filter((n) => !declared.includes(n));
      if (missing.length)
        throw new Error(`ONNX model ${file}: missing ${kind} ${missing.map((m) => `"${m}"`).join(", ")} (it declares ${declared.join(", ")})`);
    };
    try {
      check("input", session.inputNames, Object.keys(contract.inputs));
      check("output", session.outputNames, Object.keys(contract.outputs));
    } catch (err) {
      // Refused, the session is released here: the caller never gets a model to dispose.
      liveSessions--;
      await session.release();
      throw err;
    }
    return new OnnxModel(file, ort, session, contract);
  }

  /**
   * Runs the model. Inputs are given with their concrete shapes; symbolic dimensions must agree across inputs
   * and outputs (every "B" is the same number).
   */
  async run(feeds: Record<string, { data: FeedValue; shape: number[] }>): Promise<Record<string, { data: FeedValue; shape: number[] }>> {
    const bound = new Map<string, number>();
    const ortFeeds: Record<string, Ort.Tensor> = {};
    for (const [name, spec] of Object.entries(this.contract.inputs)) {
      const feed = feeds[name];
      if (!feed) throw new Error(`${this.name}: input "${name}" was not given`);
      checkShape(this.name, `input "${name}"`, spec, feed.shape, bound);
      const dtype = dtypeOf(feed.data);
      if (dtype !== spec.dtype) throw new Error(`${this.name}: input "${name}" must be ${spec.dtype}, got ${dtype}`);
      const size = feed.shape.reduce((a, b) => a * b, 1);
      if (size !== feed.data.length)
        throw new Error(`${this.name}: input "${name}" of shape [${feed.shape}] needs ${size} values, got ${feed.data.length}`);
      ortFeeds[name] = new this.ort.Tensor(spec.dtype, feed.data, feed.shape);
    }
    const results = await this.session.run(ortFeeds);
    const out: Record<string, { data: FeedValue; shape: number[] }> = {};
    for (const [name, spec] of Object.entries(this.contract.outputs)) {
      const t = results[name];
      const shape = [...t.dims];
      checkShape(this.name, `output "${name}"`, spec, shape, bound);
      if (t.type !== spec.dtype) throw new Error(`${this.name}: output "${name}" is ${t.type}, expected ${spec.dtype}`);
      out[name] = { data: t.data as FeedValue, shape };
    }
    for (const t of Object.values(results)) t.dispose?.();
    return out;
  }

  async dispose(): Promise<void> {
    if (this.released) return;
    this.released = true;
    liveSessions--;
    await this.session.release();
  }
}

function dtypeOf(data: FeedValue): OnnxDType {
  if (data instanceof Float32Array) return "float32";
  if (data instanceof BigInt64Array) return "int64";
  if (data instanceof Int32Array) return "int32";
  return "uint8";
}

function checkShape(model: string, what: string, spec: TensorContract, shape: number[], bound: Map<string, number>): void {
  const fail = () => {
    const expected = spec.shape.map((d) => (typeof d === "string" && bound.has(d) ? `${d}=${bound.get(d)}` : d));
    return new Error(`${model}: expected ${what} of shape [${expected.join(",")}], got [${shape.join(",")}]`);
  };
  if (shape.length !== spec.shape.length) throw fail();
  spec.shape.forEach((d, i) => {
    if (typeof d === "number") {
      if (shape[i] !== d) throw fail();
    } else if (bound.has(d)) {
      if (bound.get(d) !== shape[i]) throw fail();
    } else bound.set(d, shape[i]);
  });
}

// Types only: onnxruntime-node (an optional peer dependency) is imported when a parity check runs, so importing
// @adagen/zoo for its paths, manifest or dataset does not load libonnxruntime.
import type * as Ort from "onnxruntime-node";
import { zooPath } from "./paths.js";
import type { Fixture } from "./manifest.js";

/** Per-output max abs difference between onnxruntime-node and the PyTorch outputs saved in a fixture. */
export interface ParityResult {
  file: string;
  maxAbsDiff: number;
  outputs: Record<string, number>;
}

async function loadOnnxRuntime(): Promise<typeof Ort> {
  try {
    const m = await import("onnxruntime-node");
    return ((m as { default?: typeof Ort }).default ?? m) as typeof Ort;
  } catch (err) {
    throw new Error(`checkParity needs the onnxruntime-node package (npm install onnxruntime-node): ${(err as Error).message.split("\n")[0]}`);
  }
}

/** Runs the fixture's ONNX file (CPU, 2 threads) on its inputs and compares every output with the saved one. */
export async function checkParity(fixture: Fixture): Promise<ParityResult> {
  const ort = await loadOnnxRuntime();
  const session = await ort.InferenceSession.create(zooPath(`models/${fixture.file}`), {
    intraOpNumThreads: 2,
    graphOptimizationLevel: "all",
  });
  try {
    const feeds: Record<string, Ort.Tensor> = {};
    for (const [name, t] of Object.entries(fixture.inputs)) feeds[name] = new ort.Tensor(t.dtype, t.data, t.shape);
    const result = await session.run(feeds);
    const outputs: Record<string, number> = {};
    let worst = 0;
    for (const [name, ref] of Object.entries(fixture.outputs)) {
      const got = result[name];
      if (!got) throw new Error(`${fixture.file}: missing output "${name}"`);
      const dims = Array.from(got.dims);
      if (dims.join(",") !== ref.shape.join(",")) {
        throw new Error(`${fixture.file}: output "${name}" has shape [${dims.join(",")}], expected [${ref.shape.join(",")}]`);
      }
      let diff = 0;
      const a = got.data as Float32Array | BigInt64Array;
      for (let i = 0; i < ref.data.length; i++) diff = Math.max(diff, Math.abs(Number(a[i]) - Number(ref.data[i])));
      outputs[name] = diff;
      worst = Math.max(worst, diff);
    }
    return { file: fixture.file, maxAbsDiff: worst, outputs };
  } finally {
    await session.release();
  }
}

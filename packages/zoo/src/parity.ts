import * as ort from "onnxruntime-node";
import { zooPath } from "./paths.js";
import type { Fixture, FixtureTensor } from "./manifest.js";

/** Per-output max abs difference between onnxruntime-node and the PyTorch outputs saved in a fixture. */
export interface ParityResult {
  file: string;
  maxAbsDiff: number;
  outputs: Record<string, number>;
}

function toOrt(t: FixtureTensor): ort.Tensor {
  return new ort.Tensor(t.dtype, t.data, t.shape);
}

/** Runs the fixture's ONNX file (CPU, 2 threads) on its inputs and compares every output with the saved one. */
export async function checkParity(fixture: Fixture): Promise<ParityResult> {
  const session = await ort.InferenceSession.create(zooPath(`models/${fixture.file}`), {
    intraOpNumThreads: 2,
    graphOptimizationLevel: "all",
  });
  try {
    const feeds: Record<string, ort.Tensor> = {};
    for (const [name, t] of Object.entries(fixture.inputs)) feeds[name] = toOrt(t);
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

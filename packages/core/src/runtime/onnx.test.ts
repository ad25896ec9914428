import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { OnnxModel, type OnnxContract } from "./onnx.js";

// Made by tooling/fixtures/make_tiny_onnx.py: out = x·W + y (W = arange(12)/10 as 4×3), features = out[:, None].
const file = fileURLToPath(new URL("../../../../test/fixtures/tiny-generator.onnx", import.meta.url));
const contract: OnnxContract = {
  inputs: { x: { dtype: "float32", shape: ["B", 4] }, y: { dtype: "int64", shape: ["B"] } },
  outputs: { out: { dtype: "float32", shape: ["B", 3] }, features: { dtype: "float32", shape: ["B", 1, 3] } },
};

describe("OnnxModel", () => {
  it("runs a real ONNX graph and returns outputs with their shapes", async () => {
    const model = await OnnxModel.load(file, contract);
    const res = await model.run({
      x: { data: Float32Array.from([1, 0, 0, 0, 0, 0, 0, 1]), shape: [2, 4] },
      y: { data: BigInt64Array.from([0n, 2n]), shape: [2] },
    });
    expect(res.out.shape).toEqual([2, 3]);
    expect([...res.out.data].map((v) => Number(Number(v).toFixed(5)))).toEqual([0, 0.1, 0.2, 2.9, 3, 3.1]);
    expect(res.features.shape).toEqual([2, 1, 3]);
    await model.dispose();
  });

  it("names the model, tensor, expected and actual shape or dtype on bad input", async () => {
    const model = await OnnxModel.load(file, contract);
    await expect(
      model.run({ x: { data: new Float32Array(6), shape: [2, 3] }, y: { data: new BigInt64Array(2), shape: [2] } }),
    ).rejects.toThrow(/tiny-generator\.onnx: expected input "x" of shape \[B=2,4\], got \[2,3\]/);
    await expect(
      model.run({ x: { data: new Float32Array(8), shape: [2, 4] }, y: { data: new BigInt64Array(3), shape: [3] } }),
    ).rejects.toThrow(/expected input "y" of shape \[B=2\], got \[3\]/);
    await expect(
      model.run({ x: { data: new Float32Array(8), shape: [2, 4] }, y: { data: new Int32Array(2), shape: [2] } }),
    ).rejects.toThrow(/input "y" must be int64, got int32/);
    await model.dispose();
  });

  it("refuses a model that does not declare the contract's tensors", async () => {
    await expect(
      OnnxModel.load(file, { ...contract, outputs: { eps: { dtype: "float32", shape: ["B", 3] } } }),
    ).rejects.toThrow(/missing output "eps" \(it declares out, features\)/);
    await expect(OnnxModel.load("/nonexistent/model.onnx", contract)).rejects.toThrow(/cannot load ONNX model \/nonexistent\/model\.onnx/);
  });
});

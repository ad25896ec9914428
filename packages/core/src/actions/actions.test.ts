import { describe, expect, it } from "vitest";
import { activate, inverseActivate, inverseSoftplus, logit, sigmoid, softplus } from "./activations.js";
import { smoothSequence, unsmoothSequence } from "./smoothing.js";
import { ActionDecoder, residualOffsets, residualTable, type ActionSpec } from "./spec.js";

const close = (a: number[], b: number[], tol: number) =>
  a.forEach((v, i) => expect(Math.abs(v - b[i]), `index ${i}: ${v} vs ${b[i]}`).toBeLessThan(tol));

describe("activations", () => {
  it("round-trips every activation", () => {
    for (const x of [-8, -2.5, -0.1, 0, 0.3, 1.7, 6]) {
      for (const [name, scale] of [["sigmoid", 1], ["softplus", 1], ["scaledSigmoid", 4096]] as const) {
        expect(inverseActivate(name, activate(name, x, scale), scale)).toBeCloseTo(x, 6);
      }
    }
  });

  it("is stable at extreme inputs", () => {
    expect(softplus(800)).toBe(800);
    expect(softplus(-800)).toBe(0);
    expect(sigmoid(-800)).toBe(0);
    expect(inverseSoftplus(40)).toBeCloseTo(40, 10);
    expect(Number.isFinite(logit(0))).toBe(true);
    expect(() => inverseSoftplus(0)).toThrow(/positive/);
  });

  it("matches the docs/method.md §16 constants", () => {
    expect(inverseSoftplus(1)).toBeCloseTo(0.541325, 6);
    expect(inverseSoftplus(1.5)).toBeCloseTo(1.24752, 5);
    expect(inverseSoftplus(2)).toBeCloseTo(1.85459, 5);
    expect(logit(900 / 4096)).toBeCloseTo(-1.26726, 5);
    expect(logit(0.96)).toBeCloseTo(3.17805, 5);
  });
});

describe("smoothing", () => {
  it("inverts exactly", () => {
    const u = [0.3, -1, 2, 5, -4];
    close(unsmoothSequence(smoothSequence(u, 0.8), 0.8), u, 1e-9);
  });

  it("is causal: later inputs never change earlier outputs", () => {
    const a = smoothSequence([1, 2, 3, 4, 5], 0.6);
    const b = smoothSequence([1, 2, 3, -40, 99], 0.6);
    expect(a.slice(0, 3)).toEqual(b.slice(0, 3));
    expect(a[3]).not.toBe(b[3]);
  });
});

// docs/method.md §16 test vectors.
const T = 16;
const maskgitSpec = (rho: number): ActionSpec => ({
  keys: [
    { name: "maskRatio", activation: "sigmoid" },
    { name: "maskTemperature", activation: "softplus" },
    { name: "samplingTemperature", activation: "softplus" },
    { name: "guidanceScale", activation: "softplus" },
  ],
  heuristic: Array.from({ length: T }, (_, k) => {
    const r = (k + 1 - 0.001) / T;
    return [Math.cos((Math.PI / 2) * r), 1 - r, 1, (k + 0.001) / T];
  }),
  smoothing: rho,
});
const ditSpec: ActionSpec = {
  keys: [
    { name: "nextTime", activation: "sigmoid" },
    { name: "guidanceScale", activation: "softplus" },
  ],
  heuristic: Array.from({ length: T + 1 }, (_, k) => [0.9 - (k * 0.89) / T, 1]),
  smoothing: 0.4,
};
const sitSpec: ActionSpec = {
  keys: [
    { name: "nextTime", activation: "sigmoid" },
    { name: "guidanceScale", activation: "softplus" },
  ],
  heuristic: Array.from({ length: T + 1 }, (_, k) => [0.01 + (k * 0.98) / T, 1.5]),
  smoothing: 0.8,
};

describe("residual table (docs/method.md §16)", () => {
  it("MaskGIT mask-ratio residual, rho = 0.8", () => {
    const h = residualTable(maskgitSpec(0.8)).map((row) => row[0]);
    close(h.slice(0, 4), [5.33314, -1.66411, -0.22554, 0.07661], 2e-5);
    close(h.slice(8, 12), [-0.76964, -1.08808, -1.46509, -1.93219], 2e-5);
    close(h.slice(12), [-2.55657, -3.50909, -5.42513, -37.26992], 5e-4);
  });

  it("MaskGIT CFG residual and constant temperature, rho = 0.8", () => {
    const table = residualTable(maskgitSpec(0.8));
    close(table.slice(0, 4).map((r) => r[3]), [-9.68031, 25.0205, 0.881786, 0.171053], 2e-4);
    close(table.slice(12).map((r) => r[3]), [0.598628, 0.687339, 0.77456, 0.860251], 2e-5);
    table.forEach((row) => expect(row[2]).toBeCloseTo(0.541325, 6));
  });

  it("DiT time residual, rho = 0.4", () => {
    const h = residualTable(ditSpec).map((r) => r[0]);
    close(h.slice(0, 4), [2.19722, 1.35376, 1.06825, 0.80595], 2e-5);
    close(h.slice(15), [-3.1061, -5.88792], 2e-5);
  });

  it("SiT time residual, rho = 0.8", () => {
    const h = residualTable(sitSpec).map((r) => r[0]);
    close(h.slice(0, 4), [-4.59512, 5.54226, 0.87541, 0.38701], 2e-5);
    close([h[16]], [12.70502], 2e-4);
  });
});

describe("residualOffsets", () => {
  const spec = (times: number[], guidance: number[]): ActionSpec => ({
    keys: [
      { name: "nextTime", activation: "sigmoid" },
      { name: "guidanceScale", activation: "softplus" },
    ],
    heuristic: times.map((t, k) => [t, guidance[k]]),
    smoothing: 0.4,
  });
  const from = spec([0.7, 0.47, 0.2, 0.05, 0.01], [0.001, 0.001, 1.5, 3, 4.5]);
  const to = spec([0.7, 0.36, 0.2, 0.11, 0.01], [2, 2, 2.5, 3, 4]);
  const decodeAll = (s: ActionSpec, raw: number[][]) => {
    const decoder = new ActionDecoder(s);
    decoder.reset(1);
    return raw.map((row, k) => decoder.decode(Float32Array.from(row), k));
  };

  it("makes a policy around one schedule execute another from decision 1 on", () => {
    const offsets = residualOffsets(from, to);
    expect(offsets[0]).toEqual([0, 0]);
    const executed = decodeAll(from, offsets);
    for (let k = 1; k < 5; k++) {
      expect(executed[k].nextTime[0]).toBeCloseTo(to.heuristic[k][0], 5);
      expect(executed[k].guidanceScale[0]).toBeCloseTo(to.heuristic[k][1], 4);
    }
    // Decision 0 keeps the first schedule's row (here its guidance differs from the second's).
    expect(executed[0].guidanceScale[0]).toBeCloseTo(0.001, 6);
  });

  it("is zero for the same schedule, and refuses specs of another shape", () => {
    residualOffsets(from, from).forEach((row) => expect(row).toEqual([0, 0]));
    expect(() => residualOffsets(from, { ...to, smoothing: 0 })).toThrow(/differ/);
    expect(() => residualOffsets(from, { ...to, heuristic: to.heuristic.slice(1) })).toThrow(/differ/);
  });
});

describe("ActionDecoder", () => {
  for (const [name, spec] of [
    ["MaskGIT rho=0.8", maskgitSpec(0.8)],
    ["MaskGIT rho=0", maskgitSpec(0)],
    ["DiT rho=0.4", ditSpec],
    ["SiT rho=0.8", sitSpec],
  ] as const) {
    it(`reproduces the heuristic exactly from zero outputs (${name})`, () => {
      const decoder = new ActionDecoder(spec);
      const B = 3;
      decoder.reset(B);
      spec.heuristic.forEach((row, k) => {
        const a = decoder.decode(new Float32Array(B * spec.keys.length), k);
        spec.keys.forEach((key, j) => {
          for (let b = 0; b < B; b++) {
            const want = row[j];
            expect(Math.abs(a[key.name][b] - want), `${key.name} step ${k}`).toBeLessThan(1e-6 + 1e-6 * Math.abs(want));
          }
        });
      });
    });
  }

  it("mask tokens kept masked follow the §16 table", () => {
    const decoder = new ActionDecoder(maskgitSpec(0.8));
    decoder.reset(1);
    const kept = maskgitSpec(0.8).heuristic.map((_, k) => Math.min(Math.floor(256 * decoder.decode(new Float32Array(4), k).maskRatio[0]), 255));
    const want = [254, 251, 244, 236, 225, 212, 197, 181, 162, 142, 120, 97, 74, 49, 25, 0];
    kept.forEach((n, k) => expect(Math.abs(n - want[k])).toBeLessThanOrEqual(1)); // float32 boundary (§16)
  });

  it("smooths raw outputs per sample and resets between generations", () => {
    const spec: ActionSpec = { keys: [{ name: "x", activation: "softplus" }], heuristic: [[1], [1], [1]], smoothing: 0.5 };
    const decoder = new ActionDecoder(spec);
    decoder.reset(2);
    const h = residualTable(spec).map((r) => r[0]);
    const a0 = decoder.decode(Float32Array.from([1, 0]), 0);
    const a1 = decoder.decode(Float32Array.from([0, 0]), 1);
    const v0 = h[0] + 1;
    expect(a0.x[0]).toBeCloseTo(softplus(v0), 5);
    expect(a1.x[0]).toBeCloseTo(softplus(0.5 * v0 + 0.5 * h[1]), 5); // the step-0 push persists through the EMA
    expect(a1.x[1]).toBeCloseTo(1, 5);
    expect(() => decoder.decode(new Float32Array(2), 0)).toThrow(/expected decision 2/);
    decoder.reset(2);
    expect(decoder.decode(new Float32Array(2), 0).x[0]).toBeCloseTo(1, 5);
  });

  it("applies clamps after the activation", () => {
    const spec: ActionSpec = { keys: [{ name: "t", activation: "sigmoid", min: 0.2, max: 0.6 }], heuristic: [[0.5]], smoothing: 0 };
    const decoder = new ActionDecoder(spec);
    decoder.reset(2);
    const a = decoder.decode(Float32Array.from([5, -5]), 0);
    expect([...a.t]).toEqual([Math.fround(0.6), Math.fround(0.2)]);
  });
});

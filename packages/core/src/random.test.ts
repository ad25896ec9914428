import { describe, expect, it } from "vitest";
import { Random, sampleStreams } from "./random.js";

describe("Random", () => {
  it("is reproducible from its seed and differs across seeds", () => {
    const a = new Random(42);
    const b = new Random(42);
    const c = new Random(43);
    const xs = Array.from({ length: 5 }, () => a.uniform());
    expect(Array.from({ length: 5 }, () => b.uniform())).toEqual(xs);
    expect(Array.from({ length: 5 }, () => c.uniform())).not.toEqual(xs);
  });

  it("restores its exact stream from a saved state (including a pending normal)", () => {
    const r = new Random(7);
    r.normal(); // leaves a spare Box-Muller value
    const state = JSON.parse(JSON.stringify(r.getState()));
    const next = [r.normal(), r.normal(), r.uniform()];
    const s = new Random(0);
    s.setState(state);
    expect([s.normal(), s.normal(), s.uniform()]).toEqual(next);
  });

  it("draws standard normals and uniform integers", () => {
    const r = new Random(1);
    const n = 20000;
    let m = 0;
    let v = 0;
    for (let i = 0; i < n; i++) {
      const x = r.normal();
      m += x / n;
      v += (x * x) / n;
    }
    expect(Math.abs(m)).toBeLessThan(0.03);
    expect(Math.abs(v - 1)).toBeLessThan(0.05);
    const counts = [0, 0, 0];
    for (let i = 0; i < 3000; i++) counts[r.int(3)]++;
    counts.forEach((c) => expect(Math.abs(c - 1000)).toBeLessThan(120));
  });
});

describe("sampleStreams", () => {
  it("gives each sample its own stream, independent of the batch; a noise group shares one", () => {
    const first = (streams: Random[]) => streams.map((r) => r.nextUint32());
    const five = first(sampleStreams(5, 7));
    expect(first(sampleStreams(2, 7))).toEqual(five.slice(0, 2));
    expect(new Set(five).size).toBe(5);
    const grouped = first(sampleStreams(5, 7, 2));
    expect(grouped[0]).toBe(grouped[1]);
    expect(grouped[2]).toBe(grouped[3]);
    expect(grouped[0]).not.toBe(grouped[2]);
    expect(() => sampleStreams(2, 7, 0)).toThrow("noiseGroup must be a positive integer, got 0");
  });
});

import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { encode } from "fast-png";
import { describe, expect, it } from "vitest";
import { readNpz, readStatistics, writeNpz } from "@adagen/metrics";

const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const F = join(ROOT, "packages/metrics/fixtures");
const fx = (n: string): string => join(F, n);
const reference = JSON.parse(readFileSync(fx("reference.json"), "utf8"));
const EX = ["--extractor", fx("extractor_28.onnx")];
// "Bring your own generator" fixtures (tooling/fixtures/make_byo_fixtures.sh): RGB 32x32 reals of two data sets and
// an extractor whose FID output is called "embedding" (64-d), with a second output "pooled" (128-d).
const byo = (n: string): string => join(ROOT, "test/fixtures/byo", n);
const BYO_EX = ["--extractor", byo("rgb-extractor.onnx")];

function bench(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ["--conditions=adagen-source", "--import", "tsx", "apps/bench/src/cli.ts", ...args], {
    cwd: ROOT,
    encoding: "utf8",
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Exit 2, nothing on stdout, exactly one stderr line that matches. */
function expectInputError(r: ReturnType<typeof bench>, pattern: RegExp): void {
  expect(r.code, r.stderr).toBe(2);
  expect(r.stdout).toBe("");
  const lines = r.stderr.trimEnd().split("\n");
  expect(lines.length, r.stderr).toBe(1);
  expect(lines[0]).toMatch(/^adagen-bench: /);
  expect(lines[0]).toMatch(pattern);
}

const tmp = mkdtempSync(join(tmpdir(), "bench-"));

describe("adagen-bench fid", () => {
  it("prints exactly one JSON object for two pytorch-fid statistics files", () => {
    const r = bench("fid", fx("stats_a.npz"), fx("stats_b.npz"), "--json");
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.trimEnd().split("\n");
    expect(lines.length).toBe(1);
    const j = JSON.parse(lines[0]);
    expect(Math.abs(j.fid - reference.fid64["feats_a:feats_b"].scipy) / j.fid).toBeLessThan(1e-6);
  });

  it("computes FID of sample batches through the extractor; a PNG folder of the same images gives 0", () => {
    const arr = readNpz(fx("samples_28.npz")).get("arr_0")!;
    const dir = join(tmp, "png");
    mkdirSync(dir);
    for (let i = 0; i < 24; i++) {
      const data = (arr.data as Uint8Array).slice(i * 784, (i + 1) * 784);
      writeFileSync(join(dir, `${String(i).padStart(3, "0")}.png`), encode({ width: 28, height: 28, data, channels: 1, depth: 8 }));
    }
    const r = bench("fid", dir, fx("samples_28.npz"), ...EX, "--json", "--batch-size", "7");
    expect(r.code, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(Math.abs(j.fid)).toBeLessThan(1e-6);
    expect(j.samples).toEqual([24, 24]);
    expect(r.stderr).toMatch(/features .*png: 24 images/);
  });

  it("float32 samples in [0, 1] are used unquantised: x/255 as float gives the uint8 result", () => {
    const arr = readNpz(fx("samples_28.npz")).get("arr_0")!;
    const p = join(tmp, "unit.npz");
    writeNpz(p, { arr_0: { dtype: "float32", shape: arr.shape, data: Float32Array.from(arr.data as Uint8Array, (v) => v / 255) } });
    const r = bench("fid", p, fx("samples_28.npz"), ...EX, "--json", "--quiet");
    expect(r.code, r.stderr).toBe(0);
    expect(Math.abs(JSON.parse(r.stdout).fid)).toBeLessThan(1e-6);
  });

  it("stats writes a pytorch-fid file that fid accepts", () => {
    const out = join(tmp, "s.npz");
    const r = bench("stats", fx("samples_28.npz"), "-o", out, ...EX, "--json");
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ output: out, samples: 24, dims: 32 });
    const s = readStatistics(out);
    expect(s.mu.length).toBe(32);
    const f = bench("fid", out, fx("samples_28.npz"), ...EX, "--json", "--quiet");
    expect(f.code, f.stderr).toBe(0);
    expect(Math.abs(JSON.parse(f.stdout).fid)).toBeLessThan(1e-9);
    expect(f.stderr).toBe("");
  });
});

describe("adagen-bench kid / is / pr", () => {
  it("kid, is and pr print JSON", () => {
    const k = bench("kid", fx("samples_28.npz"), fx("samples_28_b.npz"), ...EX, "--subsets", "4", "--json", "--quiet");
    expect(k.code, k.stderr).toBe(0);
    expect(JSON.parse(k.stdout)).toMatchObject({ subsets: 4, subsetSize: 24 });
    const i = bench("is", fx("samples_28.npz"), ...EX, "--json", "--quiet");
    expect(i.code, i.stderr).toBe(0);
    expect(JSON.parse(i.stdout).isMean).toBeGreaterThanOrEqual(1);
    const p = bench("pr", fx("samples_28.npz"), fx("samples_28_b.npz"), ...EX, "--json", "--quiet");
    expect(p.code, p.stderr).toBe(0);
    expect(JSON.parse(p.stdout)).toMatchObject({ k: 3 });
  });
});

describe("adagen-bench bad input: one line, exit 2, no output file", () => {
  it("missing file", () => expectInputError(bench("fid", fx("stats_a.npz"), join(tmp, "none.npz")), /none\.npz: no such file/));

  it("truncated npz", () => {
    const p = join(tmp, "trunc.npz");
    const b = readFileSync(fx("stats_b.npz"));
    writeFileSync(p, b.subarray(0, b.length - 4000));
    expectInputError(bench("fid", fx("stats_a.npz"), p), /trunc\.npz: .*(truncated|not a zip)/);
  });

  it("corrupt deflated sample batch (CRC checked while streaming)", () => {
    const p = join(tmp, "flip.npz");
    const b = Buffer.from(readFileSync(fx("samples_28_b.npz")));
    b[3000] ^= 0xff;
    writeFileSync(p, b);
    expectInputError(bench("fid", p, fx("samples_28.npz"), ...EX, "--quiet"), /flip\.npz: array 'arr_0' is truncated or corrupt|flip\.npz: corrupt/);
  });

  it("not an npz at all", () => {
    const p = join(tmp, "text.npz");
    writeFileSync(p, "this is a text file, not a zip archive");
    expectInputError(bench("fid", fx("stats_a.npz"), p), /text\.npz: not a zip archive/);
  });

  it("npz without statistics or samples", () => {
    expectInputError(bench("fid", fx("stats_a.npz"), fx("stats_64d_mu_only.npz")), /mu_only\.npz: neither a statistics file/);
  });

  it("wrong sigma shape", () => {
    const p = join(tmp, "badshape.npz");
    writeNpz(p, { mu: { dtype: "float64", shape: [4], data: new Float64Array(4) }, sigma: { dtype: "float64", shape: [2, 8], data: new Float64Array(16) } });
    expectInputError(bench("fid", p, p), /badshape\.npz: 'sigma' has shape \(2, 8\), expected \(4, 4\)/);
  });

  it("wrong dtype of samples, float samples outside [0, 1]", () => {
    const p = join(tmp, "int16.npz");
    writeNpz(p, { arr_0: { dtype: "int16", shape: [2, 28, 28, 1], data: new Int16Array(2 * 784) } });
    expectInputError(bench("fid", p, fx("samples_28.npz"), ...EX), /int16\.npz: array 'arr_0' has dtype int16, expected uint8 images/);
    expectInputError(bench("fid", fx("samples_28_float.npz"), fx("samples_28.npz"), ...EX), /samples_28_float\.npz: float images must lie in \[0, 1\]; sample 0 has value \d+/);
  });

  it("non-finite statistics", () => {
    const p = join(tmp, "nan.npz");
    const mu = new Float64Array(64);
    mu[3] = Number.NaN;
    const s = readNpz(fx("stats_a.npz"));
    writeNpz(p, { mu: { dtype: "float64", shape: [64], data: mu }, sigma: s.get("sigma")! });
    expectInputError(bench("fid", fx("stats_a.npz"), p), /mu\[3\] is NaN/);
  });

  it("mismatched dimensions", () => {
    const out = join(tmp, "s32.npz");
    expect(bench("stats", fx("samples_28.npz"), "-o", out, ...EX, "--quiet").code).toBe(0);
    expectInputError(bench("fid", fx("stats_a.npz"), out), /feature dimensions differ: .* has 64, .* has 32/);
  });

  it("images of the wrong size or channels for the extractor", () => {
    expectInputError(bench("fid", fx("samples_28_rgb.npz"), fx("samples_28.npz"), ...EX), /samples_28_rgb\.npz: images are RGB, the extractor .* expects 1 channel/);
    const dir = join(tmp, "png32");
    mkdirSync(dir);
    for (let i = 0; i < 3; i++) writeFileSync(join(dir, `${i}.png`), encode({ width: 32, height: 32, data: new Uint8Array(1024), channels: 1, depth: 8 }));
    expectInputError(bench("fid", dir, fx("samples_28.npz"), ...EX), /png32: images are 32x32, the extractor .* expects 28x28/);
  });

  it("fewer than 2 samples; no output file written", () => {
    const dir = join(tmp, "one");
    mkdirSync(dir);
    writeFileSync(join(dir, "a.png"), encode({ width: 28, height: 28, data: new Uint8Array(784), channels: 1, depth: 8 }));
    const out = join(tmp, "never.npz");
    expectInputError(bench("stats", dir, "-o", out, ...EX, "--quiet"), /one: need at least 2 samples/);
    expect(existsSync(out)).toBe(false);
    expect(readdirSync(tmp).filter((n) => n.endsWith(".tmp"))).toEqual([]);
  });

  it("samples without --extractor go through the zoo's fmnist-features (128-d)", () => {
    const r = bench("fid", fx("samples_28.npz"), fx("samples_28_b.npz"), "--json", "--quiet");
    expect(r.code, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.dims).toBe(128);
    expect(j.fid).toBeGreaterThan(0);
    expectInputError(bench("fid", join(tmp, "png32"), fx("samples_28.npz")), /png32: images are 32x32, the extractor .*fmnist-features\.onnx expects 28x28/);
  });

  it("statistics for kid, unknown options", () => {
    expectInputError(bench("kid", fx("stats_a.npz"), fx("stats_b.npz")), /stats_a\.npz: kid needs samples/);
    expectInputError(bench("fid", fx("stats_a.npz"), fx("stats_b.npz"), "--bogus"), /unknown option --bogus/);
    expectInputError(bench("fid", fx("stats_a.npz"), fx("stats_b.npz"), "--splits", "3"), /--splits does not apply to fid/);
  });
});

describe("adagen-bench with a user-supplied RGB extractor: --features-output, --logits-output", () => {
  it("FID of the rgb-diffusion reals against their own statistics is ~0, against the latent-flow reals clearly not", () => {
    const self = bench("fid", byo("rgb-diffusion.reals.npz"), byo("rgb-diffusion.stats.npz"), ...BYO_EX, "--features-output", "embedding", "--json", "--quiet");
    expect(self.code, self.stderr).toBe(0);
    const s = JSON.parse(self.stdout);
    expect(s).toMatchObject({ dims: 64, samples: [600, null] });
    expect(Math.abs(s.fid)).toBeLessThan(1e-6);
    const other = bench("fid", byo("latent-flow.reals.npz"), byo("rgb-diffusion.stats.npz"), ...BYO_EX, "--features-output", "embedding", "--json", "--quiet");
    expect(other.code, other.stderr).toBe(0);
    const o = JSON.parse(other.stdout);
    expect(o).toMatchObject({ dims: 64, samples: [1000, null] });
    expect(o.fid).toBeGreaterThan(20); // 57.2 when written
    // The committed statistics of both sets give the same distance without touching the images.
    const stats = bench("fid", byo("latent-flow.stats.npz"), byo("rgb-diffusion.stats.npz"), "--json");
    expect(Math.abs(JSON.parse(stats.stdout).fid - o.fid) / o.fid).toBeLessThan(1e-6);
  });

  it("--features-output overrides the contract's featuresOutput; --logits-output gives is its logits", () => {
    const out = join(tmp, "pooled.npz");
    const r = bench("stats", byo("latent-flow.reals.npz"), "-o", out, ...BYO_EX, "--features-output", "pooled", "--json", "--quiet");
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ output: out, samples: 1000, dims: 128 });
    const i = bench("is", byo("latent-flow.reals.npz"), ...BYO_EX, "--logits-output", "embedding", "--splits", "2", "--json", "--quiet");
    expect(i.code, i.stderr).toBe(0);
    expect(JSON.parse(i.stdout)).toMatchObject({ splits: 2, samples: [1000] });
  });

  it("an output the extractor does not have is refused with one line naming it and the model's outputs", () => {
    const out = join(tmp, "wrong-output.npz");
    expectInputError(
      bench("stats", byo("rgb-diffusion.reals.npz"), "-o", out, ...BYO_EX, "--features-output", "features"),
      /rgb-extractor\.onnx: model has no output "features" \(outputs: embedding, pooled\)$/,
    );
    expect(existsSync(out)).toBe(false);
    expectInputError(bench("is", byo("rgb-diffusion.reals.npz"), ...BYO_EX, "--logits-output", "logits", "--quiet"), /model has no output "logits" \(outputs: embedding, pooled\)/);
    expectInputError(bench("is", byo("rgb-diffusion.reals.npz"), ...BYO_EX, "--quiet"), /names no "logitsOutput" \(pass --logits-output NAME\)/);
    expectInputError(bench("fid", byo("rgb-diffusion.reals.npz"), byo("rgb-diffusion.stats.npz"), "--features-output"), /--features-output needs an output name/);
  });
});

describe("adagen-bench --help", () => {
  for (const cmd of ["fid", "kid", "is", "pr", "stats"]) {
    it(`${cmd} --help`, () => {
      const r = bench(cmd, "--help");
      expect(r.code).toBe(0);
      expect(r.stdout).toContain(`adagen-bench ${cmd}`);
      expect(r.stdout).toContain("--extractor");
      expect(r.stdout).toContain("--features-output NAME");
      expect(r.stdout).toContain("--logits-output NAME");
    });
  }
  it("top-level --help lists every command", () => {
    const r = bench("--help");
    for (const cmd of ["fid", "kid", "is", "pr", "stats"]) expect(r.stdout).toContain(`adagen-bench ${cmd}`);
  });
});

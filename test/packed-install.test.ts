/**
 * The published packages as a user installs them: tooling/check/packed-install.sh packs @adagen/diffusion,
 * @adagen/flow, @adagen/maskgit, @adagen/var, @adagen/zoo, adagen-bench and the workspace packages they depend on, installs the tarballs offline (pnpm's store, a lockfile pinned to the tarballs and the workspace's versions) into
 * projects under os.tmpdir(), and runs the README examples there: @adagen/diffusion's Gaussian-mixture example,
 * @adagen/flow's sit-tiny example (the zoo installed from its tarball), the root README's sampling lines and a
 * bring-your-own model card, @adagen/maskgit's maskgit-tiny and @adagen/var's var-tiny examples, CJS require() and ESM import of each package, and `adagen-bench fid` from
 * node_modules/.bin. Runs the built dist/ folders: CI builds (`pnpm -r build`) before `pnpm test`.
 */
import { spawnSync } from "node:child_process";
import { tmpdir } from "node:os";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";

const ROOT = fileURLToPath(new URL("../", import.meta.url));

describe("packed tarballs installed outside the workspace", () => {
  let out = "";
  let seconds = 0;
  beforeAll(() => {
    const start = performance.now();
    const run = spawnSync("bash", ["tooling/check/packed-install.sh"], {
      cwd: ROOT,
      encoding: "utf8",
      env: { ...process.env, TMPDIR: tmpdir() },
      timeout: 170_000,
    });
    seconds = (performance.now() - start) / 1000;
    out = run.stdout;
    // Not built (no dist/): the script names the package and says to run `pnpm -r build`; that is the failure.
    const notBuilt = /^packed-install: .* run pnpm -r build first$/m.exec(run.stderr);
    if (notBuilt) throw new Error(notBuilt[0]);
    if (run.status !== 0) throw new Error(`packed-install.sh exited ${run.status ?? run.signal}:\n${run.stdout}\n${run.stderr}`);
  }, 180_000);

  /** The lines of one project's section (from its "installed" line to the next project's). */
  const section = (project: string) => {
    const lines = out.split("\n");
    const from = lines.findIndex((l) => l.startsWith(`installed packed-${project}:`));
    expect(from, out).toBeGreaterThanOrEqual(0);
    const to = lines.findIndex((l, i) => i > from && l.startsWith("installed packed-"));
    return lines.slice(from, to < 0 ? undefined : to).join("\n");
  };
  const installed = (text: string) => {
    const m = /^installed packed-\S+: (\d+) MB, (\d+) packages, \d+ ms \(pnpm install --frozen-lockfile --offline: \d+ from the store, \d+ tarballs unpacked\)$/m.exec(text);
    expect(m, text).not.toBeNull();
    return { mb: Number(m?.[1]), packages: Number(m?.[2]) };
  };
  const fromTarballs = (text: string) => /@adagen from tarballs: (.*)/.exec(text)?.[1].split(", ").map((s) => s.replace(/@\d.*$/, "")) ?? [];
  const entries = (text: string, name: string) => {
    const m = new RegExp(`^  ${name}: CJS require \\(\\./dist/index\\.cjs\\) (\\d+) exports, ESM import (\\d+) exports$`, "m").exec(text);
    expect(m, text).not.toBeNull();
    expect(Number(m![1])).toBeGreaterThan(0);
    expect(Number(m![1])).toBe(Number(m![2]));
  };

  it("packs, installs and runs everything", () => {
    expect(out).toMatch(/^packed: .*adagen-zoo-0\.1\.0\.tgz/m);
    expect(out).toMatch(/^packed-install: ok/m);
    // The wall time is printed, not asserted: it measures the machine's load as much as the packages.
    console.log(`packed-install.sh: ${seconds.toFixed(0)} s`);
  });

  it("@adagen/diffusion alone: the Gaussian-mixture example, ESM and CJS", () => {
    const text = section("diffusion");
    expect(fromTarballs(text).sort()).toEqual(["@adagen/core", "@adagen/diffusion", "@adagen/metrics"]);
    expect(installed(text).packages).toBeGreaterThan(3);
    // No optional peer installed: neither onnxruntime-node nor a tfjs backend is needed to load and run it.
    expect(text).toMatch(/onnxruntime-node install script: none \(not installed\)/);
    const sw2 = Number(/^  SW2 (\S+)$/m.exec(text)?.[1]);
    expect(sw2).toBeGreaterThan(0);
    expect(sw2).toBeLessThan(1);
    expect(text).toMatch(/^  samples \[2000,16\] finite true$/m);
    for (const name of ["@adagen/diffusion", "@adagen/core", "@adagen/metrics"]) entries(text, name);
  });

  it("@adagen/maskgit alone: the maskgit-tiny example", () => {
    const text = section("maskgit");
    expect(fromTarballs(text).sort()).toEqual(["@adagen/core", "@adagen/maskgit", "@adagen/metrics", "@adagen/zoo"]);
    expect(text).not.toMatch(/@adagen\/(diffusion|flow)/);
    // packages/maskgit/README.md prints the heuristic's mask ratios; the appended line the shapes of images and samples.
    expect(text).toMatch(/^  0\.981 0\.924 0\.832 0\.707 0\.556 0\.383 0\.195 0\.000$/m);
    expect(text).toMatch(/^  maskgit images \[3,28,28,1\] bytes 2352 samples \[3,28,28,1\]$/m);
    for (const name of ["@adagen/maskgit", "@adagen/core", "@adagen/zoo"]) entries(text, name);
  });

  it("@adagen/var alone: the var-tiny example", () => {
    const text = section("var");
    expect(fromTarballs(text).sort()).toEqual(["@adagen/core", "@adagen/metrics", "@adagen/var", "@adagen/zoo"]);
    expect(text).not.toMatch(/@adagen\/(diffusion|flow|maskgit)/);
    // packages/var/README.md prints the executed top-k counts; the appended line the shapes of images and samples.
    expect(text).toMatch(/^  112 112 112 112 112 112$/m);
    expect(text).toMatch(/^  var images \[3,28,28,1\] bytes 2352 samples \[3,28,28,1\]$/m);
    for (const name of ["@adagen/var", "@adagen/core", "@adagen/zoo"]) entries(text, name);
  });

  it("@adagen/flow alone: the sit-tiny example, the root README's sampler, a model card of one's own", () => {
    const text = section("flow");
    expect(fromTarballs(text).sort()).toEqual(["@adagen/core", "@adagen/flow", "@adagen/metrics", "@adagen/zoo"]);
    expect(installed(text).packages).toBeGreaterThan(4);
    expect(text).not.toMatch(/@adagen\/diffusion/);
    expect(text).toMatch(/onnxruntime-node install script: not run/);
    // packages/flow/README.md prints the baseline's shape, the heuristic's times and the rollout's samples' shape.
    expect(text).toMatch(/^  \[ 20, 1, 28, 28 \]\n  0\.010 0\.132 0\.255 0\.377 0\.500 0\.623 0\.745 0\.868 0\.990\n  \[ 20, 28, 28, 1 \]$/m);
    expect(text).toMatch(/^  root README: \[3,28,28,1\] labels 0,5,9 bytes 2352$/m);
    expect(text).toMatch(/^  byo card: \[4,32,32,3\] labels \d,\d,\d,\d bytes 12288$/m);
    for (const name of ["@adagen/flow", "@adagen/core", "@adagen/zoo"]) entries(text, name);
  });

  it("adagen-bench alone: fid with an ONNX extractor from node_modules/.bin", () => {
    const text = section("bench");
    expect(fromTarballs(text).sort()).toEqual(["@adagen/metrics", "@adagen/zoo", "adagen-bench"]);
    expect(installed(text).packages).toBeGreaterThan(3);
    expect(text).toMatch(/onnxruntime-node install script: not run/);
    const json = text.split("\n").find((l) => l.startsWith("  {"));
    expect(json, text).toBeDefined();
    const result = JSON.parse(json!);
    // The statistics file holds the same images' features: FID zero up to rounding.
    expect(Math.abs(result.fid)).toBeLessThan(1e-6);
    expect(result.dims).toBe(64);
    expect(result.samples[0]).toBe(600);
  });
});

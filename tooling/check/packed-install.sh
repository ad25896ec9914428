#!/usr/bin/env bash
# The packages as a user gets them: packs the packages the projects below install and the workspace packages they
# depend on (`pnpm pack`, as `pnpm publish` would: workspace: ranges replaced, "files" applied), installs the tarballs
# into empty projects outside the workspace and runs the README examples there, each project with only what its
# example needs:
#   diffusion  @adagen/diffusion, @adagen/core (the example imports it) and @tensorflow/tfjs-core, no optional peer:
#              packages/diffusion/README.md's first example (the Gaussian-mixture testbed) verbatim, and each
#              @adagen package's CJS build (require) and ESM build (import);
#   flow       @adagen/flow, @adagen/core, @adagen/zoo, tfjs-core, tfjs-backend-wasm and onnxruntime-node:
#              packages/flow/README.md's first example (the zoo's sit-tiny) verbatim, the sampling lines of the root
#              README's "Use it from your project", a model card of one's own (test/fixtures/byo/latent-flow.card.json,
#              2 steps, 4 images), require and import of each package;
#   maskgit    @adagen/maskgit, @adagen/core, @adagen/zoo, tfjs-core, tfjs-backend-wasm and onnxruntime-node:
#              packages/maskgit/README.md's first example (the zoo's maskgit-tiny) verbatim, require and import of each;
#   var        the same for @adagen/var and the zoo's var-tiny;
#   bench      adagen-bench alone: `adagen-bench fid` from node_modules/.bin with the ONNX extractor of
#              test/fixtures/byo, rgb-diffusion.reals.npz against rgb-diffusion.stats.npz.
#   pnpm -r build && bash tooling/check/packed-install.sh
# Nothing is downloaded: each project gets a pnpm-lock.yaml written here (the @adagen packages pinned to their
# tarballs, every other package at the version and integrity of the workspace's pnpm-lock.yaml) and is installed
# with `pnpm install --frozen-lockfile --offline` from the store `pnpm install` filled (`pnpm store path` in the
# repository): no resolution, so no registry metadata is needed. Dependency scripts are not run (--ignore-scripts:
# onnxruntime-node's would download CUDA parts; its CPU binary is in its tarball). Needs built dist/ folders (it does
# not build). Prints, per project, what it installed (MB, package count, where each @adagen package came from) and
# each example's output. Exits non-zero when anything fails. Env: KEEP=1 keeps the temporary folder (under $TMPDIR
# or /tmp).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
start=$(date +%s%N)
elapsed() { echo "$(( ($(date +%s%N) - start) / 1000000 )) ms"; }

# The packages the projects below install, with every workspace package they depend on: their built entry points
# (main, module, bin) must exist.
closure=$(node -e '
  const fs = require("fs"), path = require("path");
  const dirs = ["packages", "apps"].flatMap((d) => fs.readdirSync(d).map((x) => path.join(d, x)))
    .filter((d) => fs.existsSync(path.join(d, "package.json")));
  const ws = new Map(dirs.map((d) => [JSON.parse(fs.readFileSync(path.join(d, "package.json"), "utf8")).name, d]));
  const seen = new Set(), todo = process.argv.slice(1);
  while (todo.length) {
    const name = todo.pop();
    if (seen.has(name)) continue;
    seen.add(name);
    const dir = ws.get(name), pkg = JSON.parse(fs.readFileSync(path.join(dir, "package.json"), "utf8"));
    if (pkg.private) throw new Error(`${name} is private: not published`);
    for (const deps of [pkg.dependencies, pkg.peerDependencies]) for (const dep of Object.keys(deps ?? {})) if (ws.has(dep)) todo.push(dep);
    const missing = [pkg.main, pkg.module, ...Object.values(pkg.bin ?? {})].filter((e) => e && !fs.existsSync(path.join(dir, e)));
    console.log(`${name}\t${dir}\t${missing.length ? missing.join(",") : "-"}`);
  }
' @adagen/diffusion @adagen/flow @adagen/maskgit @adagen/var @adagen/zoo adagen-bench)
declare -A dirOf
while IFS=$'\t' read -r name dir missing; do
  [ -n "$name" ] || continue
  if [ "$missing" != - ]; then
    echo "packed-install: $dir has no $missing: run pnpm -r build first" >&2
    exit 1
  fi
  dirOf[$name]=$dir
done <<<"$closure"
# The examples run as a user's program: no --conditions=adagen-source or loaders from the caller.
unset NODE_OPTIONS

store=$(pnpm store path)
[ -d "$store" ] || { echo "packed-install: pnpm's store $store does not exist: run pnpm install first" >&2; exit 1; }
packageManager=$(node -p 'require("./package.json").packageManager')
work=$(realpath "$(mktemp -d "${TMPDIR:-/tmp}/adagen-packed.XXXXXX")")
# pnpm 10 registers every project it installs in <store>/projects (a symlink); drop ours with the projects.
cleanup() {
  local link
  for link in "$store"/projects/*; do
    [ -L "$link" ] && [[ "$(readlink -m "$link")" == "$work"/* ]] && rm -f "$link"
  done
  rm -rf "$work"
}
[ "${KEEP:-}" = 1 ] || trap cleanup EXIT
echo "packed-install: in $work, store $store"

mkdir "$work/tarballs"
for name in "${!dirOf[@]}"; do
  file=$(cd "${dirOf[$name]}" && pnpm pack --pack-destination "$work/tarballs" 2>/dev/null | grep -E '\.tgz$' | tail -n 1)
  [ -f "$work/tarballs/$(basename "$file")" ] || { echo "packed-install: pnpm pack ${dirOf[$name]} wrote no tarball" >&2; exit 1; }
done
echo "packed: $(cd "$work/tarballs" && for f in *.tgz; do printf '%s (%s) ' "$f" "$(du -h "$f" | cut -f1)"; done)($(elapsed))"

# install PROJECT DEP...: DEP is a workspace package name (its tarball) or name@version (registry package, resolved
# as in the workspace's lockfile). Writes package.json, pnpm-workspace.yaml (the project is its own workspace root,
# so pnpm never looks further up) and pnpm-lock.yaml, installs offline, checks where the packages came from.
install() {
  local project=$work/$1
  shift
  mkdir "$project"
  node --input-type=module - "$root" "$project" "$work/tarballs" "$packageManager" "$@" <<'JS'
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";

const [root, project, tarballDir, packageManager, ...wanted] = process.argv.slice(2);
const q = JSON.stringify; // a YAML scalar: JSON strings are YAML
const fail = (message) => { console.error(`packed-install: ${message}`); process.exit(1); };

// The workspace lockfile (v9), parsed only as far as needed: importers' resolved versions, and the text of every
// packages/snapshots entry (copied verbatim) with its snapshot's dependencies.
const lockText = readFileSync(join(root, "pnpm-lock.yaml"), "utf8");
if (!/^lockfileVersion: '9\.0'$/m.test(lockText)) fail("pnpm-lock.yaml is not lockfile v9");
const unquote = (s) => s.trim().replace(/^'(.*)'$/, "$1").replace(/^"(.*)"$/, "$1");
const importers = new Map(); // importer -> name -> version (with peer suffix)
const blocks = { packages: new Map(), snapshots: new Map() };
const snapshotDeps = new Map(); // snapshot key -> Map(name -> version)
{
  let section, key, importer, depName, depField;
  for (const line of lockText.split("\n")) {
    const top = /^(\w+):/.exec(line);
    if (top) { section = top[1]; key = undefined; continue; }
    if (section === "importers") {
      let m;
      if ((m = /^  (\S.*):$/.exec(line))) { importer = unquote(m[1]); importers.set(importer, new Map()); }
      else if ((m = /^      (\S.*):$/.exec(line))) depName = unquote(m[1]);
      else if ((m = /^        version: (.+)$/.exec(line))) importers.get(importer).set(depName, unquote(m[1]));
    } else if (section === "packages" || section === "snapshots") {
      let m;
      if ((m = /^  (\S.*?):( \{\})?$/.exec(line))) {
        key = unquote(m[1]);
        depField = undefined;
        blocks[section].set(key, [line]);
        if (section === "snapshots") snapshotDeps.set(key, new Map());
      } else if (key !== undefined && line.startsWith("    ")) {
        blocks[section].get(key).push(line);
        if (section === "snapshots") {
          if ((m = /^    (\w+):$/.exec(line))) depField = m[1];
          else if ((m = /^      (\S.*?): (.+)$/.exec(line)) && /^(dependencies|optionalDependencies)$/.test(depField))
            snapshotDeps.get(key).set(unquote(m[1]), unquote(m[2]));
        }
      }
    }
  }
}
const base = (version) => version.replace(/\(.*$/, ""); // 4.22.0(@tensorflow/tfjs-core@4.22.0) -> 4.22.0
// A registry package as the workspace resolved it: the importer of `dir` first, then any importer.
function lockedVersion(name, dir, version) {
  const candidates = [...(dir ? [importers.get(dir)] : []), ...importers.values()];
  for (const deps of candidates) {
    const v = deps?.get(name);
    if (v && !v.startsWith("link:") && (!version || base(v) === version)) return v;
  }
  fail(`${name}${version ? `@${version}` : ""} is not in the workspace's pnpm-lock.yaml, so it is not in the store`);
}

// The tarballs: name -> { file, manifest, integrity, dir }.
const tarballs = new Map();
for (const file of readdirSync(tarballDir).filter((f) => f.endsWith(".tgz"))) {
  const path = join(tarballDir, file);
  const manifest = JSON.parse(execFileSync("tar", ["-xOzf", path, "package/package.json"], { encoding: "utf8" }));
  const integrity = `sha512-${createHash("sha512").update(readFileSync(path)).digest("base64")}`;
  const workspaceDir = [...importers.keys()].find((d) => {
    try { return JSON.parse(readFileSync(join(root, d, "package.json"), "utf8")).name === manifest.name; } catch { return false; }
  });
  tarballs.set(manifest.name, { spec: `file:${relative(project, path)}`, manifest, integrity, dir: workspaceDir });
}

// The project's direct dependencies.
const direct = new Map(); // name -> { specifier, version }
for (const arg of wanted) {
  const m = /^(@?[^@]+)(?:@(.+))?$/.exec(arg);
  const t = tarballs.get(m[1]);
  if (t) direct.set(m[1], { specifier: t.spec, version: t.spec });
  else if (m[2]) direct.set(m[1], { specifier: m[2], version: lockedVersion(m[1], undefined, m[2]) });
  else fail(`${arg}: neither a packed workspace package nor name@version`);
}

// Every package a version: the tarballs reached from the direct dependencies, their registry dependencies as the
// workspace locked them, peers from whatever the project holds (pnpm resolves a peer from the dependent's parents).
const tarballSnapshots = new Map(); // name -> Map(dep -> version)
const registry = new Set(); // snapshot keys of registry packages
const provided = new Map([...direct].map(([n, d]) => [n, d.version]));
const todo = [...direct.keys()].filter((n) => tarballs.has(n));
while (todo.length) {
  const name = todo.pop();
  if (tarballSnapshots.has(name)) continue;
  const { manifest, dir } = tarballs.get(name);
  const deps = new Map();
  for (const [dep, range] of Object.entries({ ...manifest.dependencies, ...manifest.optionalDependencies })) {
    if (tarballs.has(dep)) { deps.set(dep, tarballs.get(dep).spec); todo.push(dep); }
    else if (/^workspace:/.test(range)) fail(`${name} still depends on ${dep}@${range} after pnpm pack`);
    else deps.set(dep, lockedVersion(dep, dir));
    if (!provided.has(dep)) provided.set(dep, deps.get(dep));
  }
  tarballSnapshots.set(name, deps);
}
for (const [name, deps] of tarballSnapshots) {
  const { manifest } = tarballs.get(name);
  for (const peer of Object.keys(manifest.peerDependencies ?? {})) {
    if (provided.has(peer)) deps.set(peer, provided.get(peer));
    else if (!manifest.peerDependenciesMeta?.[peer]?.optional) fail(`${name} needs the peer ${peer}, which the project does not install`);
  }
  for (const [dep, version] of deps) if (!tarballs.has(dep)) registry.add(`${dep}@${version}`);
}
for (const [name, d] of direct) if (!tarballs.has(name)) registry.add(`${name}@${d.version}`);
const stack = [...registry];
while (stack.length) {
  const key = stack.pop();
  if (!snapshotDeps.has(key)) fail(`${key} has no snapshot in the workspace's pnpm-lock.yaml`);
  for (const [dep, version] of snapshotDeps.get(key)) {
    const k = `${dep}@${version}`;
    if (!registry.has(k)) { registry.add(k); stack.push(k); }
  }
}

const lines = ["lockfileVersion: '9.0'", "", "settings:", "  autoInstallPeers: true", "  excludeLinksFromLockfile: false", "",
  "importers:", "", "  .:", "    dependencies:"];
for (const [name, d] of [...direct].sort()) lines.push(`      ${q(name)}:`, `        specifier: ${q(d.specifier)}`, `        version: ${q(d.version)}`);
lines.push("", "packages:", "");
for (const [name, t] of [...tarballs].filter(([n]) => tarballSnapshots.has(n)).sort()) {
  lines.push(`  ${q(`${name}@${t.spec}`)}:`, `    resolution: {integrity: ${t.integrity}, tarball: ${q(t.spec)}}`, `    version: ${t.manifest.version}`);
  if (t.manifest.engines) lines.push(`    engines: ${q(t.manifest.engines)}`);
  if (t.manifest.bin) lines.push("    hasBin: true");
  lines.push("");
}
const packageKeys = new Set([...registry].map((k) => k.replace(/\(.*$/, "")));
for (const key of [...packageKeys].sort()) {
  if (!blocks.packages.has(key)) fail(`${key} has no packages entry in the workspace's pnpm-lock.yaml`);
  lines.push(...blocks.packages.get(key), "");
}
lines.push("snapshots:", "");
for (const [name, deps] of [...tarballSnapshots].sort()) {
  lines.push(`  ${q(`${name}@${tarballs.get(name).spec}`)}:`, "    dependencies:");
  for (const [dep, version] of [...deps].sort()) lines.push(`      ${q(dep)}: ${q(version)}`);
  lines.push("");
}
for (const key of [...registry].sort()) lines.push(...blocks.snapshots.get(key), "");
writeFileSync(join(project, "pnpm-lock.yaml"), lines.join("\n"));

const dependencies = Object.fromEntries([...direct].map(([n, d]) => [n, d.specifier]));
writeFileSync(join(project, "package.json"), `${JSON.stringify({ name: `packed-${project.split("/").pop()}`, private: true, type: "module", packageManager, dependencies }, null, 2)}\n`);
writeFileSync(join(project, "pnpm-workspace.yaml"), "# Its own workspace root: pnpm looks no further up.\npackages: []\n");
JS
  local t0
  t0=$(date +%s%N)
  (cd "$project" && pnpm install --frozen-lockfile --offline --ignore-scripts --store-dir "$store" --reporter=ndjson >"$project/install.log" 2>&1) \
    || { node -e 'for (const l of require("fs").readFileSync(process.argv[1], "utf8").split("\n")) {
           try { const e = JSON.parse(l); if (e.level === "error" || e.err) console.error(e.err?.message ?? e.message ?? l); } catch { if (l) console.error(l); } }' \
           "$project/install.log" >&2
         echo "packed-install: pnpm install failed in $project (KEEP=1 keeps its install.log)" >&2; exit 1; }
  local ms=$(( ($(date +%s%N) - t0) / 1000000 ))
  (cd "$project" && node --input-type=module - "$ms" "$root" <<'JS'
import { readdirSync, readFileSync } from "node:fs";
import { execFileSync } from "node:child_process";
import { join } from "node:path";
const [ms, root] = process.argv.slice(2);
const name = JSON.parse(readFileSync("package.json", "utf8")).name;
const fail = (message) => { console.error(`packed-install: ${name}: ${message}`); process.exit(1); };
// One folder per installed package (and peer set) in node_modules/.pnpm.
const folders = readdirSync("node_modules/.pnpm").filter((f) => f !== "node_modules" && f !== "lock.yaml");
const mb = Number(execFileSync("du", ["-sm", "node_modules"], { encoding: "utf8" }).split("\t")[0]);
// Every @adagen package from a tarball, with the contents of the current build.
const adagen = folders.filter((f) => f.startsWith("@adagen+") || f.startsWith("adagen-"));
for (const f of adagen) if (!f.includes("@file+")) fail(`${f} did not come from a packed tarball`);
const from = [];
for (const f of adagen) {
  const pkgDir = join("node_modules/.pnpm", f, "node_modules", f.replace(/@file\+.*$/, "").replace("+", "/"));
  const manifest = JSON.parse(readFileSync(join(pkgDir, "package.json"), "utf8"));
  const srcDir = [...readdirSync(join(root, "packages")).map((d) => `packages/${d}`), ...readdirSync(join(root, "apps")).map((d) => `apps/${d}`)]
    .find((d) => { try { return JSON.parse(readFileSync(join(root, d, "package.json"), "utf8")).name === manifest.name; } catch { return false; } });
  const entry = manifest.bin ? Object.values(manifest.bin)[0] : "./dist/index.js";
  if (!readFileSync(join(pkgDir, entry)).equals(readFileSync(join(root, srcDir, entry))))
    fail(`${manifest.name}: the installed ${entry} differs from ${srcDir}/${entry}`);
  from.push(`${manifest.name}@${manifest.version} <- ${f.replace(/^.*@file\+/, "").replace(/\+/g, "/")}`);
}
const log = readFileSync("install.log", "utf8");
// Every package pnpm did not find in the store (its "fetched" progress events) must be one of the tarballs:
// --offline forbids the registry, and this says so from pnpm's own log.
const events = log.split("\n").filter((l) => l.startsWith("{")).map((l) => JSON.parse(l));
const fetched = events.filter((e) => e.name === "pnpm:progress" && e.status === "fetched").map((e) => e.packageId);
const notTarballs = fetched.filter((id) => !id.startsWith("file:"));
if (notTarballs.length) fail(`pnpm fetched ${notTarballs.join(", ")} from outside the store`);
const inStore = events.filter((e) => e.name === "pnpm:progress" && e.status === "found_in_store").length;
// onnxruntime-node's postinstall not run: pnpm lists it under pendingBuilds (JSON or YAML list) in .modules.yaml.
const modules = readFileSync("node_modules/.modules.yaml", "utf8");
const ort = folders.find((f) => f.startsWith("onnxruntime-node@"));
const pending = ort !== undefined && new RegExp(`pendingBuilds[^\\]]*${ort.replace(/[.]/g, "\\.")}`).test(modules);
if (ort && !pending) fail(`${ort}'s install script is not recorded as pending (not run) in node_modules/.modules.yaml`);
const scripts = ort ? "not run (pendingBuilds in node_modules/.modules.yaml)" : "none (not installed)";
const directDeps = Object.keys(JSON.parse(readFileSync("package.json", "utf8")).dependencies);
console.log(`installed ${name}: ${mb} MB, ${folders.length} packages, ${ms} ms (pnpm install --frozen-lockfile --offline: ${inStore} from the store, ${fetched.length} tarballs unpacked)`);
console.log(`  direct: ${directDeps.join(" ")}`);
console.log(`  @adagen from tarballs: ${from.sort().join(", ")}`);
console.log(`  onnxruntime-node install script: ${scripts}`);
JS
  ) || exit 1
}

# run PROJECT FILE: runs an example and prints its output, indented.
run() {
  local project=$work/$1 file=$2
  echo "--- $1: $file"
  local t0
  t0=$(date +%s%N)
  if ! (cd "$project" && node "$file" 2>"$project/$file.err") | sed 's/^/  /'; then
    sed 's/^/  ! /' "$project/$file.err" >&2
    echo "packed-install: $1/$file failed" >&2
    exit 1
  fi
  echo "  ($(( ($(date +%s%N) - t0) / 1000000 )) ms)"
}

# The first ```ts block of a README after the line matching a pattern (default: the first block).
readme_block() {
  awk -v pat="${2:-}" 'BEGIN { armed = (pat == "") }
    !armed && $0 ~ pat { armed = 1 }
    armed && /^```ts/ { inside = 1; next }
    inside && /^```/ { exit }
    inside { print }' "$1"
}

# A CJS require() of each package's "main" (the CJS build) and its ESM import, as a user's code does. NAME is a direct
# dependency; PARENT>NAME is a dependency of PARENT, resolved from there (pnpm gives the project only its own).
both_entries() {
  local file=$1
  shift
  {
    echo 'import { createRequire } from "node:module";'
    echo 'import { dirname, join } from "node:path";'
    echo 'import { pathToFileURL } from "node:url";'
    echo 'const project = createRequire(import.meta.url);'
    echo '// A dependency of a dependency: its "exports" import target, as Node resolves it from its dependent.'
    echo 'const esmEntry = (require, name) => {'
    echo '  const manifest = require.resolve(`${name}/package.json`);'
    echo '  return pathToFileURL(join(dirname(manifest), require(manifest).exports["."].import.default)).href;'
    echo '};'
    for arg in "$@"; do
      local parent=${arg%%>*} name=${arg#*>}
      if [ "$parent" = "$arg" ]; then
        echo "{ const require = project, esm = await import(\"$name\");"
      else
        echo "{ const require = createRequire(project.resolve(\"$parent\")), esm = await import(esmEntry(require, \"$name\"));"
      fi
      echo "  const cjs = require(\"$name\"), main = require(\"$name/package.json\").main;"
      echo "  console.log(\"$name: CJS require (\" + main + \") \" + Object.keys(cjs).length + \" exports, ESM import \" + Object.keys(esm).length + \" exports\"); }"
    done
  } >"$file"
}

# --- @adagen/diffusion
install diffusion @adagen/diffusion @adagen/core @tensorflow/tfjs-core@4.22.0
{
  readme_block packages/diffusion/README.md
  echo 'console.log("samples", JSON.stringify(samples.shape), "finite", samples.data.every(Number.isFinite));'
} >"$work/diffusion/readme.mjs"
both_entries "$work/diffusion/entries.mjs" @adagen/diffusion @adagen/core "@adagen/core>@adagen/metrics"
run diffusion readme.mjs
run diffusion entries.mjs

# --- @adagen/flow
install flow @adagen/flow @adagen/core @adagen/zoo @tensorflow/tfjs-core@4.22.0 @tensorflow/tfjs-backend-wasm@4.22.0 onnxruntime-node@1.30.0
readme_block packages/flow/README.md >"$work/flow/readme.mjs"
# The root README's example, its sampling lines (the training run is test/readme-example.test.ts's business).
readme_block README.md '^## Use it from your project' | sed -n '1,/sampler.dispose/p' >"$work/flow/root-readme.mjs"
echo 'console.log("root README:", JSON.stringify(shape), "labels", Array.from(labels).join(","), "bytes", images.length);' >>"$work/flow/root-readme.mjs"
cat >"$work/flow/byo-card.mjs" <<JS
// A bring-your-own model card by absolute path (latent flow + ONNX decoder to RGB), no zoo involved.
import { createSampler } from "@adagen/flow";
const sampler = await createSampler({ model: "$root/test/fixtures/byo/latent-flow.card.json", steps: 2 });
const { images, labels, shape } = await sampler.sample({ n: 4, seed: 0 });
await sampler.dispose();
console.log("byo card:", JSON.stringify(shape), "labels", Array.from(labels).join(","), "bytes", images.length);
JS
both_entries "$work/flow/entries.mjs" @adagen/flow @adagen/core @adagen/zoo
run flow readme.mjs
run flow root-readme.mjs
run flow byo-card.mjs
run flow entries.mjs

# --- @adagen/maskgit
install maskgit @adagen/maskgit @adagen/core @adagen/zoo @tensorflow/tfjs-core@4.22.0 @tensorflow/tfjs-backend-wasm@4.22.0 onnxruntime-node@1.30.0
{
  readme_block packages/maskgit/README.md
  echo 'console.log("maskgit images", JSON.stringify(shape), "bytes", images.length, "samples", JSON.stringify(samples.shape));'
} >"$work/maskgit/readme.mjs"
both_entries "$work/maskgit/entries.mjs" @adagen/maskgit @adagen/core @adagen/zoo
run maskgit readme.mjs
run maskgit entries.mjs

# --- @adagen/var
install var @adagen/var @adagen/core @adagen/zoo @tensorflow/tfjs-core@4.22.0 @tensorflow/tfjs-backend-wasm@4.22.0 onnxruntime-node@1.30.0
{
  readme_block packages/var/README.md
  echo 'console.log("var images", JSON.stringify(shape), "bytes", images.length, "samples", JSON.stringify(samples.shape));'
} >"$work/var/readme.mjs"
both_entries "$work/var/entries.mjs" @adagen/var @adagen/core @adagen/zoo
run var readme.mjs
run var entries.mjs

# --- adagen-bench
install bench adagen-bench
byo=$root/test/fixtures/byo
echo "--- bench: adagen-bench fid rgb-diffusion.reals.npz rgb-diffusion.stats.npz --extractor rgb-extractor.onnx --features-output embedding --json"
if ! (cd "$work/bench" && node_modules/.bin/adagen-bench fid "$byo/rgb-diffusion.reals.npz" "$byo/rgb-diffusion.stats.npz" \
  --extractor "$byo/rgb-extractor.onnx" --features-output embedding --json --quiet) | sed 's/^/  /'; then
  echo "packed-install: adagen-bench fid failed" >&2
  exit 1
fi

echo "packed-install: ok ($(elapsed))"

#!/usr/bin/env bash
# What a user gets on disk from `npm install <package>`: packs the named workspace packages and every workspace
# package they depend on (dependencies, peerDependencies), installs the tarballs into an empty project outside the
# workspace with npm (scripts skipped: onnxruntime-node's would download CUDA parts), prints the size of
# node_modules and the number of installed packages.
#   pnpm -r build && bash tooling/check/install-footprint.sh @adagen/diffusion
#   bash tooling/check/install-footprint.sh @adagen/core @adagen/metrics
#   bash tooling/check/install-footprint.sh @adagen/diffusion @tensorflow/tfjs-backend-wasm@4.22.0 onnxruntime-node@1.30.0
# Arguments that name no workspace package are installed from the registry as given (e.g. optional peers).
# Needs built dist/ folders (it does not build). Env: TARBALLS (default /tmp/tarballs), KEEP=1 keeps the project.
# npm installs non-optional peerDependencies itself (npm >= 7), so they are counted; optional ones are not.
set -euo pipefail
[ $# -ge 1 ] || { echo "usage: $0 <workspace package name>..." >&2; exit 2; }
root=$(cd "$(dirname "$0")/../.." && pwd)
tarballs=${TARBALLS:-/tmp/tarballs}
mkdir -p "$tarballs"
project=$(mktemp -d /tmp/adagen-footprint.XXXXXX)
[ "${KEEP:-}" = 1 ] || trap 'rm -rf "$project"' EXIT

# name<TAB>dir of every workspace package, then the closure of the requested names over workspace dependencies.
closure=$(cd "$root" && node -e '
  const fs = require("fs"), path = require("path");
  const dirs = ["packages", "apps"].flatMap((d) => fs.readdirSync(d).map((x) => path.join(d, x)))
    .filter((d) => fs.existsSync(path.join(d, "package.json")));
  const ws = new Map(dirs.map((d) => [JSON.parse(fs.readFileSync(path.join(d, "package.json"), "utf8")).name, d]));
  const seen = new Set(), todo = process.argv.slice(1).filter((a) => ws.has(a));
  while (todo.length) {
    const name = todo.pop();
    if (seen.has(name)) continue;
    seen.add(name);
    const pkg = JSON.parse(fs.readFileSync(path.join(ws.get(name), "package.json"), "utf8"));
    for (const deps of [pkg.dependencies, pkg.peerDependencies])
      for (const dep of Object.keys(deps ?? {})) if (ws.has(dep)) todo.push(dep);
  }
  for (const name of seen) console.log(`${name}\t${ws.get(name)}`);
' "$@")

declare -A tgz
while IFS=$'\t' read -r name dir; do
  [ -n "$name" ] || continue
  [ -d "$root/$dir/dist" ] || { echo "$dir has no dist/: run pnpm -r build first" >&2; exit 1; }
  file=$(cd "$root/$dir" && pnpm pack --pack-destination "$tarballs" 2>/dev/null | grep -E '\.tgz$' | tail -n 1)
  tgz[$name]=$(cd "$tarballs" && realpath "$(basename "$file")")
  echo "packed $name -> ${tgz[$name]}"
done <<<"$closure"

# The requested packages as dependencies; every workspace package (also when reached through another one) is
# pinned to its tarball by an override, so nothing named @adagen/* is looked up in the registry.
specs=()
for arg in "$@"; do
  if [ -n "${tgz[$arg]:-}" ]; then specs+=("$arg=file:${tgz[$arg]}")
  elif [[ "$arg" =~ ^(@?[^@]+)@(.+)$ ]]; then specs+=("${BASH_REMATCH[1]}=${BASH_REMATCH[2]}")  # name@range
  else specs+=("$arg=latest"); fi
done
overrides=()
for name in "${!tgz[@]}"; do overrides+=("$name=file:${tgz[$name]}"); done
cd "$project"
node -e '
  const parse = (s) => Object.fromEntries(s.split("\n").filter(Boolean).map((l) => {
    const i = l.indexOf("=", 1);
    return [l.slice(0, i), l.slice(i + 1)];
  }));
  const pkg = { name: "footprint", private: true, dependencies: parse(process.argv[1]), overrides: parse(process.argv[2]) };
  require("fs").writeFileSync("package.json", JSON.stringify(pkg, null, 2) + "\n");
' "$(printf '%s\n' "${specs[@]}")" "$(printf '%s\n' "${overrides[@]}")"
echo "installing into $project: $*"
npm install --ignore-scripts --no-audit --no-fund --loglevel=error >/dev/null

mb=$(du -sm node_modules | cut -f1)
human=$(du -sh node_modules | cut -f1)
# every installed package folder: the same number as `npm ls --all --parseable | tail -n +2 | wc -l`
count=$(node -e 'const l = require("./package-lock.json"); console.log(Object.keys(l.packages).filter((k) => k.startsWith("node_modules/")).length)')
largest=$(shopt -s nullglob; du -sm node_modules/[!@]* node_modules/@*/* | sort -rn | head -n 5 | awk '{printf "%s %sMB, ", $2, $1}')
echo "footprint of $*: ${mb} MB (du -sh: ${human}), ${count} packages"
echo "largest: ${largest%, }"

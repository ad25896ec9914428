#!/usr/bin/env bash
# `pnpm check:packages`: packs every publishable workspace package (packages/* and apps/* not marked "private")
# the way `pnpm publish` does (workspace: ranges replaced, publishConfig applied) and checks the tarball:
#   publint                   package.json fields, exports and files against what the tarball holds (--strict:
#                             warnings fail too);
#   @arethetypeswrong/cli     the types every resolution finds, profile strict: we ship ESM and CJS (tsup), so
#                             node16 import, node16 require, bundlers and the legacy node10 resolution (main +
#                             types: the CJS build and its .d.cts) must all work; skipped for a package with no
#                             entry point (a CLI);
#   lazy onnxruntime          importing the built ESM and CJS entry does not load onnxruntime-node.
# Needs built dist/ folders: run `pnpm -r build` first. Exits 1 when any check fails.
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
out=$(mktemp -d /tmp/adagen-check-packages.XXXXXX)
trap 'rm -rf "$out"' EXIT
failed=0
summary=()

for dir in packages/* apps/*; do
  [ -f "$dir/package.json" ] || continue
  read -r name private entry <<<"$(node -e '
    const p = require(process.argv[1]);
    console.log(p.name, p.private === true, p.exports?.["."] !== undefined || p.main !== undefined);
  ' "$root/$dir/package.json")"
  if [ "$private" = true ]; then
    summary+=("$name: private, not published")
    continue
  fi
  echo "=== $name ($dir)"
  if [ ! -d "$dir/dist" ]; then
    echo "$dir has no dist/: run pnpm -r build first" >&2
    exit 1
  fi
  tgz=$(cd "$dir" && pnpm pack --pack-destination "$out" 2>/dev/null | grep -E '\.tgz$' | tail -n 1)
  tgz="$out/$(basename "$tgz")"

  echo "--- publint"
  if pnpm exec publint run "$tgz" --strict; then publint=ok; else publint=FAILED; failed=1; fi

  if [ "$entry" = true ]; then
    echo "--- attw --profile strict"
    if pnpm exec attw "$tgz" --profile strict --format table-flipped --no-emoji --no-color; then attw=ok; else attw=FAILED; failed=1; fi

    echo "--- lazy onnxruntime (dist/index.js, dist/index.cjs)"
    if (cd "$dir" && node --input-type=module -e '
      import { createRequire } from "node:module";
      import { resolve } from "node:path";
      const require = createRequire(resolve("package.json"));
      const ort = () => Object.keys(require.cache).filter((k) => /[\\/]onnxruntime-(node|common)[\\/]/.test(k)).length +
        process.report.getReport().sharedObjects.filter((s) => /onnxruntime/i.test(s)).length;
      const esm = Object.keys(await import(resolve("dist/index.js"))).length;
      const cjs = Object.keys(require(resolve("dist/index.cjs"))).length;
      console.log(`${esm} ESM and ${cjs} CJS exports, onnxruntime modules or libraries loaded: ${ort()}`);
      process.exit(esm > 0 && cjs > 0 && ort() === 0 ? 0 : 1);
    ' 2>&1 | grep -v -e '^=*$' -e 'Hi, looks like' -e 'tfjs-node'); then lazy=ok; else lazy=FAILED; failed=1; fi
  else
    attw="skipped (no entry point: bin only)"
    lazy="skipped"
  fi
  summary+=("$name: publint $publint, attw $attw, lazy onnxruntime $lazy")
done

echo "=== summary"
printf '%s\n' "${summary[@]}"
exit "$failed"

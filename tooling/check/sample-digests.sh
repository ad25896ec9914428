#!/usr/bin/env bash
# Prints one sha256 per (model, steps, sampler) for `adagen sample` with every shipped policy, the searched best
# schedule and the heuristic schedule: run it before and after a refactor that must not change samples, then diff.
#   bash tooling/check/sample-digests.sh > before.txt   (…change…)   bash tooling/check/sample-digests.sh | diff before.txt -
# N (default 200) samples, seed SEED (default 3).
set -euo pipefail
cd "$(dirname "$0")/../.."
N=${N:-200}
SEED=${SEED:-3}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
for model in dit-tiny sit-tiny; do
  for steps in 4 8 16; do
    for sampler in "--policy default" "--schedule best" "--schedule uniform"; do
      f="$out/s.npz"
      pnpm -s adagen sample --model "$model" --steps "$steps" $sampler --n "$N" --seed "$SEED" --out "$f" --quiet >/dev/null
      echo "$model $steps ${sampler// /=} $(sha256sum "$f" | cut -c1-16)"
    done
  done
done

#!/bin/sh
# Trains the shipped AdaGen policies and copies each into packages/zoo/policies/M-T.adagen.
#   sh tooling/zoo/train-policies.sh [M:T[:ITERATIONS] ...]
# Default: dit-tiny at 4 steps (400 iterations) and 8 steps (100), sit-tiny at 4 steps (100);
# packages/zoo/policies/README.md. The other 8- and 16-step files come from an earlier version of this list
# (sit-tiny:8:15 dit-tiny:16:10 sit-tiny:16:10), run before samplers landed on the data end. Each run is
# `pnpm -s adagen train` with the CLI's default recipe; the selected iteration and its validation FID are in the
# policy file's metadata and the run's metrics.jsonl (the README's table is written from those).
set -eu
for spec in ${*:-dit-tiny:4:400 dit-tiny:8:100 sit-tiny:4:100}; do
  model=${spec%%:*}
  rest=${spec#*:}
  steps=${rest%%:*}
  iterations=${rest#*:}
  [ "$iterations" = "$rest" ] && iterations=25
  dir=runs/shipped/$model-$steps
  if [ -f "$dir/checkpoint.adagen" ]; then resume=--resume; else resume=; fi
  echo "== $model $steps steps, $iterations iterations → $dir"
  pnpm -s adagen train --model "$model" --steps "$steps" --iterations "$iterations" --out "$dir" $resume
  mkdir -p packages/zoo/policies
  cp "$dir/policy.adagen" "packages/zoo/policies/$model-$steps.adagen"
done

#!/bin/sh
# Trains the shipped AdaGen policies and copies each into packages/zoo/policies/M-T.adagen.
#   sh tooling/zoo/train-policies.sh dit-tiny:4 sit-tiny:4 ...      (default: all six)
# Each run is `pnpm -s adagen train` with the CLI's default recipe; the command, iterations and the selected
# iteration go to packages/zoo/policies/README.md by hand from the run's metrics (see that file).
set -eu
ITERATIONS=${ITERATIONS:-40}
for spec in ${*:-dit-tiny:4 dit-tiny:8 dit-tiny:16 sit-tiny:4 sit-tiny:8 sit-tiny:16}; do
  model=${spec%%:*}
  steps=${spec##*:}
  dir=runs/shipped/$model-$steps
  if [ -f "$dir/checkpoint.adagen" ]; then resume=--resume; else resume=; fi
  pnpm -s adagen train --model "$model" --steps "$steps" --iterations "$ITERATIONS" --out "$dir" $resume
  mkdir -p packages/zoo/policies
  cp "$dir/policy.adagen" "packages/zoo/policies/$model-$steps.adagen"
done

#!/bin/sh
# Trains the shipped AdaGen policies and copies each into packages/zoo/policies/M-T.adagen.
#   sh tooling/zoo/train-policies.sh [M:T[:ITERATIONS] ...]
# Default: dit-tiny at 4 steps (400 iterations), 8 steps (40) and 16 steps (5), sit-tiny at 4, 8 and 16 steps (5
# each), maskgit-tiny at 4, 8 and 16 steps (5 each), var-tiny at its 6 scales (100); packages/zoo/policies/README.md.
# dit-tiny's 4- and 8-step policies are each one run of the influence reward in the fidelity classifier's features
# (--reward influence), the 4-step from the best constant-guidance baseline, the 8-step (since stop 43) from the
# searched best with its time points refined; var-tiny's is one run of it in the classifier's
# class scores (#logits), class-conditional, from the searched best (a guidance-multiplier ramp since stop 31). Each
# of the three files carries the discriminator of a one-iteration adversarial run from the same start (the influence
# reward trains none; best-of-N needs one). dit-tiny 16 and sit-tiny 4, 8 and 16 keep iteration 0
# (their searched best, a guidance ramp since stop 29; the short runs are there to write that policy file), and so
# do maskgit-tiny's 4, 8 and 16 (their searched best, a guidance ramp since stop 30, mask ratios refined since stops 44
# and 47). Each run is
# `pnpm -s adagen train` with the CLI's default recipe; the selected iteration and its validation FID are in the
# policy file's metadata and the run's metrics.jsonl (the README's table is written from those).
# Since stop 41 dit-tiny's 4-step file is not this script's dit-tiny:4 run: it is bench:class-choice-policy's fit
# followed by PPO (adagen train --warm-start), commands in packages/zoo/policies/README.md ("Stop 41").
set -eu
for spec in ${*:-dit-tiny:4:400 dit-tiny:8:40 dit-tiny:16:5 sit-tiny:4:5 sit-tiny:8:5 sit-tiny:16:5 maskgit-tiny:4:5 maskgit-tiny:8:5 maskgit-tiny:16:5 var-tiny:6:100}; do
  model=${spec%%:*}
  rest=${spec#*:}
  steps=${rest%%:*}
  iterations=${rest#*:}
  [ "$iterations" = "$rest" ] && iterations=25
  dir=runs/shipped/$model-$steps
  # dit-tiny's 4-step policy started from its best constant-guidance baseline (it predates the searched guidance
  # ramps of ../baselines.json), hence --init best-constant; the others start from the searched best, ramp included.
  # A resumed run keeps its own reward and start (run.json).
  case "$model-$steps" in
    dit-tiny-4 | dit-tiny-8)
      reward="--reward influence --reward-backbone packages/zoo/models/fmnist-fidelity.onnx --influence-unconditional"
      # Since stop 43 the 8-step run starts from its refined searched best, which the stop-27 policy no longer beat.
      if [ "$steps" = 4 ]; then init="--init best-constant"; else init="--init best"; fi
      ;;
    var-tiny-6)
      reward="--reward influence --reward-backbone packages/zoo/models/fmnist-fidelity.onnx#logits"
      init="--init best"
      ;;
    *) reward= init="--init best" ;;
  esac
  start=$init
  if [ -f "$dir/checkpoint.adagen" ]; then resume=--resume; reward=; init=; else resume=; fi
  echo "== $model $steps steps, $iterations iterations → $dir"
  # shellcheck disable=SC2086
  pnpm -s adagen train --model "$model" --steps "$steps" --iterations "$iterations" --out "$dir" $reward $init $resume
  policy=$dir/policy.adagen
  case "$model-$steps" in
    dit-tiny-4 | dit-tiny-8 | var-tiny-6)
      scorer=runs/shipped/$model-$steps-scorer
      # shellcheck disable=SC2086
      [ -f "$scorer/policy.adagen" ] || pnpm -s adagen train --model "$model" --steps "$steps" --iterations 1 --eval-every 0 $start --out "$scorer"
      node --conditions=adagen-source --import tsx tooling/zoo/attach-scorers.ts "$policy" --discriminator-of "$scorer/policy.adagen"
      ;;
  esac
  mkdir -p packages/zoo/policies
  cp "$policy" "packages/zoo/policies/$model-$steps.adagen"
done

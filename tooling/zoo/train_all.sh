#!/usr/bin/env bash
# Trains the five zoo models at once on one GPU (each process under its own wall-time budget), then evaluates
# and exports them. Outputs go to $ZOO_OUT/<model>/ (default tooling/zoo/out). Used for the shipped models:
#   ZOO_OUT=/tmp/zoo PY=python3 bash tooling/zoo/train_all.sh      (NVIDIA H100, PyTorch 2.11)
# The per-model commands recorded in packages/zoo/manifest.json replace the time budgets by the step counts
# that were reached.
set -u
cd "$(dirname "$0")"
export PYTHONUNBUFFERED=1
export ZOO_OUT=${ZOO_OUT:-$PWD/out}
PY=${PY:-/usr/bin/python3}
LIMIT=${LIMIT:-560}
mkdir -p "$ZOO_OUT"
run() { local name=$1; shift; timeout "$LIMIT" "$PY" "$@" > "$ZOO_OUT/$name.log" 2>&1; echo "$name exit $?"; }
run fmnist-features fmnist_features.py --epochs 30 &
run dit-tiny dit_tiny.py --seconds 300 &
run sit-tiny sit_tiny.py --seconds 300 &
run maskgit-tiny maskgit_tiny.py --vq-seconds 140 --seconds 170 &
run var-tiny var_tiny.py --vq-seconds 140 --seconds 170 &
wait

#!/usr/bin/env bash
# The MAML paper's sine benchmark: maml, fomaml, reptile and the pretrained baseline x 3 seeds,
# one job after another (each on one core, niced), then the tables and figures in docs/figures/.
#   scripts/maml_benchmark.sh              # the paper's 70,000 iterations per run
#   ITERS=5000 scripts/maml_benchmark.sh   # shorter runs, in their own folder
# Finished runs are skipped and killed ones resume, so the script can simply be started again.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-.venv/bin/python}
ITERS=${ITERS:-70000}
OUT=outputs/paper/maml_benchmark_${ITERS}
declare -A PRESET=(
  [maml]="experiment=maml_benchmark"
  [fomaml]="experiment=maml_benchmark algo=fomaml"
  [reptile]="experiment=maml_benchmark_reptile"
  [pretrain]="experiment=maml_benchmark_pretrain"
)
for seed in 0 1 2; do
  for algo in maml fomaml reptile pretrain; do
    # shellcheck disable=SC2086  # the preset is several overrides
    nice "$PY" -m experiments.train ${PRESET[$algo]} seed="$seed" meta_iters="$ITERS" \
      hydra.run.dir="$OUT/$algo/seed$seed"
  done
done
"$PY" -m analysis.paper benchmark "$OUT" --out docs/figures

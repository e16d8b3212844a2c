#!/usr/bin/env bash
# Tuning the MAML sine benchmark's knobs on validation tasks (600 tasks of eval.seed's own
# validation stream, never among the test tasks; docs/paper.md, "Tuning"):
#   Reptile's outer step eps    sweep=tune_benchmark_reptile: 0.1, 0.3, 1.0 x 3 seeds, trained
#   the baseline's fine-tuning  the benchmark's finished pretrained runs evaluated again at
#   step size                   0.005, 0.01, 0.02, 0.04 (the step size changes the evaluation
#                               only; sweep=tune_benchmark_pretrain trains them instead)
# then TUNE_reptile.md, .csv and TUNE_pretrain.md, .csv in FIGURES: each setting's validation
# and test MSE across seeds, the lowest validation mean in bold.
#   scripts/tune_maml_benchmark.sh               # after scripts/maml_benchmark.sh
# Environment: BENCH (the benchmark's sweep folder), OUT (this script's folder), FIGURES, ITERS
# (Reptile's outer steps, the benchmark's 70,000 by default), SEEDS (comma list), LAUNCHER,
# OVERRIDES (more Hydra overrides for the Reptile jobs), PYTHON.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-.venv/bin/python}
ITERS=${ITERS:-70000}
BENCH=${BENCH:-outputs/paper/maml_benchmark_70000}
OUT=${OUT:-outputs/paper/tune_maml_benchmark_${ITERS}}
FIGURES=${FIGURES:-docs/figures}
# shellcheck disable=SC2086  # OVERRIDES holds several overrides
nice "$PY" -m experiments.train -m sweep=tune_benchmark_reptile meta_iters="$ITERS" \
  ${SEEDS:+seed="$SEEDS"} hydra/launcher="${LAUNCHER:-population}" ${OVERRIDES:-} \
  hydra.sweep.dir="$OUT/reptile"
for lr in 0.005 0.01 0.02 0.04; do
  "$PY" -m experiments.reevaluate "$BENCH/pretrain" --out "$OUT/pretrain/lr$lr" eval.lr="$lr" \
    eval.validation_tasks=600
done
"$PY" -m analysis.paper tuning "$OUT/reptile" --out "$FIGURES" --name tune_reptile
"$PY" -m analysis.paper tuning "$OUT/pretrain" --out "$FIGURES" --name tune_pretrain

#!/usr/bin/env bash
# The MAML paper's sine benchmark: maml, fomaml, reptile and the pretrained baseline x 10 seeds,
# each method's seeds one batched population (hydra/launcher=population, every core), then the
# tables (beside the MAML paper's 5-shot table) and figures.
#   scripts/maml_benchmark.sh                    # the paper's 70,000 iterations per run
#   ITERS=5000 scripts/maml_benchmark.sh         # shorter runs, in their own folder
#   OVERRIDES="model.init=uniform" OUT=outputs/paper/maml_benchmark_uniform \
#     FIGURES=outputs/paper/maml_benchmark_uniform/report scripts/maml_benchmark.sh
# Finished runs are skipped and killed ones resume, so the script can simply be started again.
# scripts/maml_benchmark_causes.sh then trains the variants that explain the differences.
# Environment: OUT (the sweep folder), FIGURES (where tables and figures go), SEEDS (comma list),
# LAUNCHER (hydra/launcher: population, or population_slurm on a cluster), OVERRIDES (more Hydra
# overrides for every job), PYTHON.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-.venv/bin/python}
ITERS=${ITERS:-70000}
SEEDS=${SEEDS:-0,1,2,3,4,5,6,7,8,9}
OUT=${OUT:-outputs/paper/maml_benchmark_${ITERS}}
FIGURES=${FIGURES:-docs/figures}
# shellcheck disable=SC2086  # OVERRIDES holds several overrides
nice "$PY" -m experiments.train -m \
  experiment=maml_benchmark,maml_benchmark_fomaml,maml_benchmark_reptile,maml_benchmark_pretrain \
  seed="$SEEDS" meta_iters="$ITERS" hydra/launcher="${LAUNCHER:-population}" ${OVERRIDES:-} \
  hydra.sweep.dir="$OUT" 'hydra.sweep.subdir=${algo.name}/seed${seed}'
"$PY" -m analysis.paper benchmark "$OUT" --out "$FIGURES"

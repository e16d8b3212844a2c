#!/usr/bin/env bash
# The MAML paper's sine benchmark: maml, fomaml, reptile and the pretrained baseline x 3 seeds as
# one Hydra sweep (joblib: every core, one job per core), then the tables and figures.
#   scripts/maml_benchmark.sh                    # the paper's 70,000 iterations per run
#   ITERS=5000 scripts/maml_benchmark.sh         # shorter runs, in their own folder
#   OVERRIDES="model.init=uniform" OUT=outputs/paper/maml_benchmark_uniform \
#     FIGURES=outputs/paper/maml_benchmark_uniform/report scripts/maml_benchmark.sh
# Finished runs are skipped and killed ones resume, so the script can simply be started again.
# Environment: OUT (the sweep folder), FIGURES (where tables and figures go), OVERRIDES (more
# Hydra overrides for every job; hydra/launcher=slurm runs the twelve jobs on a cluster), PYTHON.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-.venv/bin/python}
ITERS=${ITERS:-70000}
OUT=${OUT:-outputs/paper/maml_benchmark_${ITERS}}
FIGURES=${FIGURES:-docs/figures}
# shellcheck disable=SC2086  # OVERRIDES holds several overrides
nice "$PY" -m experiments.train -m \
  experiment=maml_benchmark,maml_benchmark_fomaml,maml_benchmark_reptile,maml_benchmark_pretrain \
  seed=0,1,2 meta_iters="$ITERS" ${OVERRIDES:-} \
  hydra.sweep.dir="$OUT" 'hydra.sweep.subdir=${algo.name}/seed${seed}'
"$PY" -m analysis.paper benchmark "$OUT" --out "$FIGURES"

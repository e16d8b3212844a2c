#!/usr/bin/env bash
# The Reptile paper's Figure 1 and its quantitative companion: Reptile, MAML, first-order MAML and
# joint training meta-trained on the Reptile protocol (serial, 30,000 steps, tanh 1-64-64-1; MAML
# and first-order MAML with a query held apart from the support) x 10 seeds, as batched
# populations on every core; evaluated on 1,000 held-out tasks with 10 support points drawn
# uniformly on [-5, 5]. Then draws figure1.png (fits after 0, 8, 16, 24, 32 steps on several
# held-out tasks: random initialisation, joint training, MAML, first-order MAML, Reptile),
# figure1_mse.png (held-out MSE against k with intervals over seeds and tasks) and the tables
# figure1.md / .csv, figure1_per_seed.md / .csv into docs/figures/.
#   scripts/figure1.sh                  # the paper's 30,000 iterations, seeds 0-9
#   ITERS=10000 scripts/figure1.sh      # shorter runs, in their own folder
# Environment: OUT (the sweep folder), FIGURES (where figures and tables go), SEEDS (comma list),
# LAUNCHER (hydra/launcher: population, or population_slurm on a cluster), OVERRIDES (more Hydra
# overrides for every run), TASKS (the held-out tasks drawn, default 0,1,2), PYTHON.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-.venv/bin/python}
ITERS=${ITERS:-30000}
SEEDS=${SEEDS:-0,1,2,3,4,5,6,7,8,9}
OUT=${OUT:-outputs/paper/figure1_${ITERS}}
FIGURES=${FIGURES:-docs/figures}
# shellcheck disable=SC2086  # OVERRIDES holds several overrides
nice "$PY" -m experiments.train -m \
  experiment=figure1_reptile,figure1_maml,figure1_fomaml,figure1_pretrain \
  seed="$SEEDS" meta_iters="$ITERS" hydra/launcher="${LAUNCHER:-population}" ${OVERRIDES:-} \
  hydra.sweep.dir="$OUT" 'hydra.sweep.subdir=${algo.name}/seed${seed}'
"$PY" -m analysis.paper figure1 "$OUT" --tasks "${TASKS:-0,1,2}" --out "$FIGURES"

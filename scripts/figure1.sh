#!/usr/bin/env bash
# The Reptile paper's Figure 1: MAML and Reptile meta-trained on the Reptile protocol (serial,
# 30,000 steps, tanh 1-64-64-1) as one Hydra sweep (both at once, one core each), then one
# held-out task with 10 points, predictions after 0 and 32 steps; before meta-training, after
# MAML, after Reptile. Draws figure1.png and .pdf into docs/figures/.
#   scripts/figure1.sh                # the paper's 30,000 iterations
#   ITERS=10000 scripts/figure1.sh    # shorter runs, in their own folder
# Environment: OUT (the sweep folder), FIGURES (where the figure goes), OVERRIDES (more Hydra
# overrides for both runs), TASK (the held-out task drawn, default 0), PYTHON.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-.venv/bin/python}
ITERS=${ITERS:-30000}
OUT=${OUT:-outputs/paper/figure1_${ITERS}}
FIGURES=${FIGURES:-docs/figures}
# shellcheck disable=SC2086  # OVERRIDES holds several overrides
nice "$PY" -m experiments.train -m experiment=figure1_maml,reptile_paper meta_iters="$ITERS" \
  ${OVERRIDES:-} hydra.sweep.dir="$OUT" 'hydra.sweep.subdir=${algo.name}'
"$PY" -m analysis.paper figure1 "$OUT/maml" "$OUT/reptile" --task "${TASK:-0}" --out "$FIGURES"

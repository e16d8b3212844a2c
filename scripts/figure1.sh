#!/usr/bin/env bash
# The Reptile paper's Figure 1: MAML and Reptile meta-trained on the Reptile protocol (serial,
# 30,000 steps, tanh 1-64-64-1), then one held-out task with 10 points, predictions after 0 and
# 32 steps; before meta-training, after MAML, after Reptile. Draws docs/figures/figure1.png.
#   scripts/figure1.sh                # the paper's 30,000 iterations
#   ITERS=10000 scripts/figure1.sh    # shorter runs, in their own folder
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-.venv/bin/python}
ITERS=${ITERS:-30000}
OUT=outputs/paper/figure1_${ITERS}
nice "$PY" -m experiments.train experiment=figure1_maml meta_iters="$ITERS" \
  hydra.run.dir="$OUT/maml"
nice "$PY" -m experiments.train experiment=reptile_paper meta_iters="$ITERS" \
  hydra.run.dir="$OUT/reptile"
"$PY" -m analysis.paper figure1 "$OUT/maml" "$OUT/reptile" --task "${TASK:-0}" --out docs/figures

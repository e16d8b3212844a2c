#!/usr/bin/env bash
# The seed post's figure: its setting (relu 1-64-64-1, meta-batch 3, 30,000 steps) with the fit
# of one held-out task after 8 steps saved every 3,000 iterations (snapshots.csv), drawn as a
# panel grid in docs/figures/seed_post.png and .pdf.
#   scripts/seed_post_figure.sh
# Environment: OUT (the run folder), FIGURES (where the figure goes), OVERRIDES (more Hydra
# overrides), PYTHON.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-.venv/bin/python}
OUT=${OUT:-outputs/paper/seed_post}
FIGURES=${FIGURES:-docs/figures}
# shellcheck disable=SC2086  # OVERRIDES holds several overrides
nice "$PY" -m experiments.train experiment=seed_post_figure ${OVERRIDES:-} hydra.run.dir="$OUT"
"$PY" -m analysis.paper seed_post "$OUT" --out "$FIGURES"

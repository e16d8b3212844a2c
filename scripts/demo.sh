#!/usr/bin/env bash
# The README's main job: the quick inner-steps sweep (k in 1..32, 3 seeds) on every local core,
# then its report (sensitivity tables, figures, report.md). Prints where report.md is.
#   scripts/demo.sh                  # quick sweep
#   SWEEP=inner_steps scripts/demo.sh  # the full-size sweep (5 seeds, longer runs)
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-.venv/bin/python}
SWEEP=${SWEEP:-inner_steps_quick}
DIR=multirun/$(date +%Y-%m-%d_%H-%M-%S)_demo_${SWEEP}_$$
"$PY" -m experiments.train -m sweep="$SWEEP" hydra.sweep.dir="$DIR"
"$PY" -m analysis "$DIR" --out "$DIR/report"
echo "report: $DIR/report/report.md"

#!/usr/bin/env bash
# The README's main job: the full inner-steps sweep (k in 1..32, 5 seeds, 30 jobs of 3,000 outer
# steps, 1,000 held-out tasks) trained as batched populations on every local core, then its report
# (sensitivity tables, figures, report.md). Prints where report.md is.
#   scripts/demo.sh                             # the full inner_steps sweep
#   SWEEP=inner_steps_quick scripts/demo.sh     # a smaller one (3 seeds, 500 outer steps)
#   LAUNCHER=joblib scripts/demo.sh             # a process a job instead of populations
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-.venv/bin/python}
SWEEP=${SWEEP:-inner_steps}
LAUNCHER=${LAUNCHER:-population}
DIR=multirun/$(date +%Y-%m-%d_%H-%M-%S)_demo_${SWEEP}_$$
"$PY" -m experiments.train -m sweep="$SWEEP" hydra/launcher="$LAUNCHER" hydra.sweep.dir="$DIR"
"$PY" -m analysis "$DIR" --out "$DIR/report"
echo "report: $DIR/report/report.md"

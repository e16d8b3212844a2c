#!/usr/bin/env bash
# The Reptile paper's section 6.2 on sines (docs/paper.md): which combinations of the inner
# steps' gradients meta-learn. Trains sweep=inner_gradients (sum g_1+...+g_i = Reptile truncated
# after i steps, and g_i alone = first-order MAML with a shared tail, for i = 1..8; 10 seeds,
# 140 jobs) as batched populations on every core, then draws held-out MSE after k against i, a
# line per combination (inner_gradients.png, .pdf and the plotted numbers .csv, from each job's
# mean over its held-out tasks; inner_gradients_median.* from its median) and writes the
# sweep's report (tables at every k, training-length tables) into OUT/report.
#   scripts/inner_gradients.sh                              # the full preset
#   SWEEP=inner_gradients_quick scripts/inner_gradients.sh  # 3 seeds, 500 outer steps
# Environment: SWEEP, OUT (the sweep folder), FIGURES (where the figure goes: docs/figures for
# the full preset, OUT/figures otherwise), OVERRIDES (more Hydra overrides), LAUNCHER
# (population; population_slurm for a cluster), K (the figure's k, default the largest), PYTHON.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-.venv/bin/python}
SWEEP=${SWEEP:-inner_gradients}
OUT=${OUT:-outputs/paper/$SWEEP}
if [ "$SWEEP" = inner_gradients ]; then FIGURES=${FIGURES:-docs/figures}; fi
FIGURES=${FIGURES:-$OUT/figures}
# shellcheck disable=SC2086  # OVERRIDES holds several overrides
nice "$PY" -m experiments.train -m sweep="$SWEEP" hydra/launcher="${LAUNCHER:-population}" \
  ${OVERRIDES:-} hydra.sweep.dir="$OUT"
for statistic in mean median; do  # the median is robust to tasks whose adaptation blows up
  "$PY" -m analysis.paper methods "$OUT" --statistic "$statistic" --interval bootstrap ${K:+--k "$K"} \
    --name "inner_gradients$([ "$statistic" = mean ] || echo "_$statistic")" --out "$FIGURES"
done
"$PY" -m analysis "$OUT" --out "$OUT/report" >/dev/null
echo "report: $OUT/report/report.md"

#!/usr/bin/env bash
# The Reptile paper's section 6.3 on sines (docs/paper.md): Reptile against first-order MAML
# whose last minibatch is the next one of the inner loop's cycle (shared tail) or held apart
# (separate tail), as the inner minibatches k, the inner batch m and the outer step eps change
# (the paper's Figure 4a, b, c). Trains the three sweeps sweep=overlap_inner_steps,
# overlap_inner_batch, overlap_meta_step (10 seeds; 240, 200 and 160 jobs) as batched
# populations on every core into OUT/inner_steps, OUT/inner_batch, OUT/meta_step, then draws
# held-out MSE after k against each knob, a line per method, a panel per sweep
# (minibatch_overlap.png, .pdf, .csv; minibatch_overlap_median.* from each job's median over its
# held-out tasks) and writes each sweep's report into its folder's report/.
#   scripts/minibatch_overlap.sh               # the full presets
#   SIZE=_quick scripts/minibatch_overlap.sh   # their quick twins: 3 seeds, 500 outer steps
# Environment: SIZE, OUT (the folder of the three sweeps), FIGURES (docs/figures for the full
# presets, OUT/figures otherwise), OVERRIDES (more Hydra overrides for every sweep), LAUNCHER
# (population; population_slurm for a cluster), K (the figure's k, default the largest), PYTHON.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-.venv/bin/python}
SIZE=${SIZE:-}
OUT=${OUT:-outputs/paper/minibatch_overlap$SIZE}
if [ -z "$SIZE" ]; then FIGURES=${FIGURES:-docs/figures}; fi
FIGURES=${FIGURES:-$OUT/figures}
KNOBS=(inner_steps inner_batch meta_step)
for knob in "${KNOBS[@]}"; do
  # shellcheck disable=SC2086  # OVERRIDES holds several overrides
  nice "$PY" -m experiments.train -m sweep="overlap_$knob$SIZE" \
    hydra/launcher="${LAUNCHER:-population}" ${OVERRIDES:-} hydra.sweep.dir="$OUT/$knob"
done
for statistic in mean median; do  # the median is robust to tasks whose adaptation blows up
  "$PY" -m analysis.paper methods "${KNOBS[@]/#/$OUT/}" --statistic "$statistic" --interval bootstrap \
    ${K:+--k "$K"} --out "$FIGURES" \
    --name "minibatch_overlap$([ "$statistic" = mean ] || echo "_$statistic")"
done
for knob in "${KNOBS[@]}"; do
  "$PY" -m analysis "$OUT/$knob" --out "$OUT/$knob/report" >/dev/null
  echo "report: $OUT/$knob/report/report.md"
done

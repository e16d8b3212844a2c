"""Sensitivity at several training lengths, read from the learning curves (curve.csv).

A ranking at one training length can mislead: a large meta step may win a short run and lose a
long one. For each swept knob: a table (rows its values, columns budgets) and a figure (MSE
against the knob, a line per budget) of the held-out MSE after the curve's largest k, at the
logged iteration nearest each fraction of the job's meta_iters (the later one on a tie), mean
and 95% interval across seeds (analysis.intervals; curve.csv holds one number per job and
iteration, so the bootstrap resamples seeds only). Finished jobs only.

A run read at 10% of its iterations is not a run trained with a 10% budget: the meta step
anneals linearly over all of meta_iters, so at 10% it is still near its starting value.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.intervals import across_seeds
from analysis.load import Runs
from analysis.tables import Table, factors_of, job_counts, mark_best, slug, statistic_column

DEFAULT_BUDGETS = (0.1, 0.3, 1.0)


def at_budgets(curves: pd.DataFrame, meta_iters: pd.Series, budgets) -> pd.DataFrame:
    """One row per (finished job, budget): the curve's row at the logged iteration nearest
    budget x meta_iters of that job (`meta_iters`: by job), with `budget` and `target` added."""
    rows = []
    done = curves[curves["status"] == "done"]
    for job, curve in done.groupby("job", sort=False):
        logged = curve["iteration"].to_numpy(float)
        for budget in budgets:
            target = budget * float(meta_iters[job])
            # nearest; on a tie the later iteration (more training, never iteration 0 by a tie)
            at = np.lexsort((-logged, np.abs(logged - target)))[0]
            rows.append(curve.iloc[at].to_dict() | {"budget": budget, "target": target})
    columns = [*curves.columns, "budget", "target"]
    return pd.DataFrame(rows, columns=columns)


def _header(budget: float, iterations: pd.Series) -> str:
    low, high = int(iterations.min()), int(iterations.max())
    where = f"iteration {low:,}" if low == high else f"iterations {low:,}–{high:,}"
    return f"{100 * budget:g}% ({where})"


def budget_tables(runs: Runs, curves: pd.DataFrame, budgets=DEFAULT_BUDGETS,
                  statistic: str = "mean", interval: str = "t") -> list[Table]:
    """One table per varying knob: its values x budgets; [] without finished curves or knobs.
    The data also holds first_ and last_iteration (the logged iterations read, over the seeds)
    and `rank` (1 = lowest mean within its block of context and budget)."""
    budgets = sorted(set(budgets))
    meta_iters = runs.jobs.set_index("job")["meta_iters"]
    points = at_budgets(curves, meta_iters, budgets)
    if not runs.hyperparameters or not len(points):
        return []
    keys = factors_of(runs)
    stats = across_seeds(points, [*keys, "budget"], statistic_column(statistic), interval)
    headers = {budget: _header(budget, iterations)
               for budget, iterations in points.groupby("budget")["iteration"]}
    grid = job_counts(runs, keys).merge(pd.DataFrame({"budget": list(budgets)}), how="cross")
    used = points.groupby([*keys, "budget"], dropna=False)["iteration"].agg(
        first_iteration="min", last_iteration="max").reset_index()
    cells = grid.merge(stats, on=[*keys, "budget"], how="left").merge(
        used, on=[*keys, "budget"], how="left")
    cells["n"] = cells["n"].fillna(0).astype(int)
    for name in ("first_iteration", "last_iteration"):
        cells[name] = cells[name].round().astype("Int64")
    tables = []
    for key in keys:
        context = [other for other in keys if other != key]
        data = mark_best(cells.sort_values([*context, key, "budget"]), context, "budget")
        data["rank"] = data.groupby([*context, "budget"], dropna=False)["mean"].rank(
            method="min").astype("Int64")
        tables.append(Table(f"budget_{slug(key)}", [key], context, data, statistic, interval,
                            column="budget", headers=headers))
    return tables


def budget_caption(table: Table, k: object, protocol: str, interval_text: str) -> str:
    context = ", ".join(table.context)
    best = "Bold: lowest in its column" + (f" within each block of equal {context}"
                                           if context else "")
    return (f"Held-out MSE after k={k} adaptation steps on the learning curve's held-out "
            f"tasks, read at several training lengths: the logged iteration nearest each "
            f"fraction of meta_iters (named in the column). Each job contributes the "
            f"{table.statistic} over those tasks; each cell is the mean over seeds and "
            f"{interval_text}. {best}. Finished jobs only. The meta step anneals linearly over "
            "the whole run, so a run read at 10% is not a run trained with a 10% budget: its "
            f"meta step is still near its starting value. Protocol: {protocol}.")

"""Sensitivity tables: held-out MSE after k steps per setting, mean and 95% interval over seeds
(the t-interval, or the two-level bootstrap over seeds and held-out tasks: analysis.intervals).

One table per hyperparameter (the other varying keys, if any, become leading context columns, so
nothing is silently averaged over), and one per pair of hyperparameters that forms a full
two-factor grid. Only finished (`done`) jobs give numbers; diverged and running jobs are counted
so that a table can say "diverged" instead of dropping a setting.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from itertools import combinations

import pandas as pd

from analysis.intervals import across_seeds, check
from analysis.load import Runs
from analysis.tasks import bootstrap_cells

DEFAULT_KS = (0, 1, 2, 4, 8, 16, 32)
STATISTICS = {"mean": "mse_mean", "median": "mse_median"}
ALL = "setting"  # the one pseudo-factor when no hyperparameter varies


@dataclass
class Table:
    name: str  # file stem
    factors: list[str]  # one factor (rows; `column` as columns) or two (rows x columns, per k)
    context: list[str]  # other varying keys, held fixed within a block of rows
    data: pd.DataFrame  # long: context, factors, column, mean, sd, n, halfwidth, lo, hi, best,
    #                     counts of done, diverged and running jobs
    statistic: str  # "mean" or "median" over held-out tasks
    interval: str = "t"  # analysis.intervals.INTERVALS
    column: str = "k"  # what the columns of a one-factor table are
    headers: dict | None = None  # column value -> header text (default "k=VALUE")


def factors_of(runs: Runs) -> list[str]:
    return runs.hyperparameters or [ALL]


def with_factors(frame: pd.DataFrame, runs: Runs) -> pd.DataFrame:
    """`frame` with the pseudo-factor column added when nothing varies."""
    return frame if runs.hyperparameters else frame.assign(**{ALL: "all jobs"})


def statistic_column(statistic: str) -> str:
    if statistic not in STATISTICS:
        raise ValueError(f"statistic must be one of {', '.join(STATISTICS)}, not {statistic!r}")
    return STATISTICS[statistic]


def present_ks(runs: Runs, ks) -> list[int]:
    """The requested k that at least one finished job evaluated."""
    done = runs.frame.loc[runs.frame["status"] == "done", "k"].dropna()
    return [k for k in ks if k in set(done.astype(int))]


def job_counts(runs: Runs, keys: list[str]) -> pd.DataFrame:
    """Per setting: how many included jobs are done, diverged and running."""
    jobs = with_factors(runs.jobs[runs.jobs["included"]], runs)
    counts = jobs.groupby(keys, dropna=False)["status"].value_counts().unstack(fill_value=0)
    counts = counts.reindex(columns=["done", "diverged", "running"], fill_value=0)
    return counts.add_prefix("n_").reset_index()


def cell_statistics(runs: Runs, ks, statistic: str, interval: str = "t") -> pd.DataFrame:
    """Every setting x k: the across-seed summary of the per-job statistic, plus job counts.

    interval "t": across the seeds' per-job values; "bootstrap": lo and hi from the two-level
    bootstrap over seeds and held-out tasks (halfwidth NaN, n_tasks and shared_tasks added)."""
    keys = factors_of(runs)
    frame = with_factors(runs.frame, runs)
    done = frame[(frame["status"] == "done") & frame["k"].isin(list(ks))]
    stats = across_seeds(done, [*keys, "k"], statistic_column(statistic), "t")
    stats["k"] = stats["k"].astype(int)
    if check(interval) == "bootstrap":
        jobs = with_factors(runs.jobs, runs)
        jobs = jobs[jobs["included"] & (jobs["status"] == "done")]
        boot = bootstrap_cells(jobs, keys, list(ks), statistic)
        stats = stats.drop(columns=["lo", "hi"]).merge(boot, on=[*keys, "k"], how="left")
        stats["halfwidth"] = float("nan")
    grid = job_counts(runs, keys).merge(pd.DataFrame({"k": list(ks)}), how="cross")
    cells = grid.merge(stats, on=[*keys, "k"], how="left")
    cells["n"] = cells["n"].fillna(0).astype(int)
    return cells


def mark_best(cells: pd.DataFrame, context: list[str], column: str = "k") -> pd.DataFrame:
    """best = lowest mean within each (context, column) block; nothing to mark in a block of
    one."""
    blocks = cells.groupby([*context, column], dropna=False)["mean"]
    lowest, rivals = blocks.transform("min"), blocks.transform("count")
    return cells.assign(best=cells["mean"].eq(lowest) & cells["mean"].notna() & (rivals > 1))


def grid_pairs(runs: Runs) -> list[tuple[str, str]]:
    """Pairs of hyperparameters whose settings form a full grid within every context block."""
    settings = runs.jobs.loc[runs.jobs["included"], runs.hyperparameters].drop_duplicates()
    pairs = []
    for a, b in combinations(runs.hyperparameters, 2):
        context = [key for key in runs.hyperparameters if key not in (a, b)]
        blocks = settings.groupby(context, dropna=False) if context else [((), settings)]
        if all(block[a].nunique(dropna=False) >= 2 and block[b].nunique(dropna=False) >= 2 and
               len(block[[a, b]].drop_duplicates())
               == block[a].nunique(dropna=False) * block[b].nunique(dropna=False)
               for _, block in blocks):
            pairs.append((a, b))
    return pairs


def slug(*keys: str) -> str:
    """A file-name stem for config keys: model.width -> model-width. Only letters, digits, - and
    _ survive: a key read from a run directory never names a path outside the report."""
    return "_".join(re.sub(r"[^A-Za-z0-9_-]", "-", key.replace(".", "-")) for key in keys)


def evaluated_ks(runs: Runs) -> list[int]:
    """Every k some finished job evaluated."""
    return present_ks(runs, sorted(set(runs.frame["k"].dropna().astype(int))))


def sensitivity_tables(runs: Runs, ks=DEFAULT_KS, statistic: str = "mean",
                       interval: str = "t", cells: pd.DataFrame | None = None) -> list[Table]:
    """One table per hyperparameter and one per two-factor grid; [] if nothing was evaluated.
    `cells`: cell_statistics of these runs at (at least) these ks, when already computed."""
    ks = present_ks(runs, ks)
    if not ks:
        return []
    if cells is None:
        cells = cell_statistics(runs, ks, statistic, interval)
    cells = cells[cells["k"].isin(ks)]
    keys = factors_of(runs)
    tables = []
    for key in keys:
        context = [other for other in keys if other != key]
        data = mark_best(cells.sort_values([*context, key, "k"]), context)
        tables.append(Table(f"mse_by_{slug(key)}", [key], context, data, statistic, interval))
    for a, b in grid_pairs(runs):
        context = [other for other in keys if other not in (a, b)]
        data = mark_best(cells.sort_values([*context, "k", a, b]), context)
        tables.append(Table(f"mse_grid_{slug(a, b)}", [a, b], context, data, statistic,
                            interval))
    return tables

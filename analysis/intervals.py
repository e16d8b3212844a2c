"""Which 95% interval a table or figure shows: the one list of choices, and what captions say.

    t          mean ± t_{0.975, n-1} sd / sqrt(n) across the seeds' values (analysis.stats): the
               spread between seeds only, and wide with few seeds (t = 4.3 at three)
    bootstrap  the percentile interval of a two-level bootstrap over seeds and held-out tasks
               (analysis.bootstrap), where per-task MSEs exist (eval_tasks.csv); over the seeds
               alone where a job has one number (its learning curve)

`across_seeds` summarises one number per job (the per-job statistic, or a learning-curve point)
with either interval; `analysis.tasks` gives the two-level bootstrap of evaluation cells.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from analysis.stats import summarize

INTERVALS = ("t", "bootstrap")


def check(interval: str) -> str:
    if interval not in INTERVALS:
        raise ValueError(f"interval must be one of {', '.join(INTERVALS)}, not {interval!r}")
    return interval


def across_seeds(frame: pd.DataFrame, by: list[str], value: str, interval: str) -> pd.DataFrame:
    """Per group of `by`: mean, sd, n (seeds), halfwidth, lo, hi of `value` across its rows.

    With the bootstrap the interval is asymmetric: lo and hi come from resampling the seeds,
    halfwidth is NaN. A non-finite value leaves the mean infinite and the interval NaN."""
    stats = summarize(frame, by, value)
    if check(interval) == "bootstrap":
        from analysis.bootstrap import two_level  # scipy only when asked for

        groups = [np.asarray(values, float)
                  for _, values in frame.groupby(by, dropna=False, sort=True)[value]]
        lo, hi = np.full(len(groups), math.nan), np.full(len(groups), math.nan)
        for n in {len(values) for values in groups}:
            # groups with as many seeds go through one call, as the columns of one matrix
            same = [i for i, values in enumerate(groups) if len(values) == n]
            lo[same], hi[same] = two_level(np.stack([groups[i] for i in same], 1)[:, None, :])
        stats["lo"], stats["hi"], stats["halfwidth"] = lo, hi, math.nan
    return stats


def describe(interval: str, tasks: object = None) -> str:
    """The caption's words for the interval: "the 95% t-interval across seeds" or the
    bootstrap's, over `tasks` held-out tasks per seed (None: one number per job)."""
    if check(interval) == "t":
        return "the 95% t-interval across seeds (– : a single seed)"
    if tasks is None:
        return ("the 95% percentile-bootstrap interval across seeds (seeds resampled; – : a "
                "single seed)")
    return (f"the 95% percentile interval of a two-level bootstrap over the seeds and the "
            f"{tasks} held-out tasks (seeds resampled, then tasks; – : a single seed)")

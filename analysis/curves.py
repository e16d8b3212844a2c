"""Learning curves (curve.csv) of the included jobs, read only when a figure needs them."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

import rundir
from analysis.errors import warn_file
from analysis.load import Runs

CURVE_REQUIRED = ("iteration", "k", "mse_mean", "mse_median")


def read_curves(runs: Runs) -> pd.DataFrame:
    """One row per (job, logged iteration) at the largest k each curve logs.

    Columns: job, the hyperparameters, seed, status, iteration, k, mse_mean, mse_median. A missing
    or damaged curve.csv leaves its job out of the learning curves, with a warning.
    """
    frames = []
    jobs = runs.jobs[runs.jobs["included"]]
    for job, run_dir in zip(jobs["job"], jobs["run_dir"], strict=True):
        try:
            curve = pd.DataFrame(rundir.read_columns(Path(run_dir) / rundir.CURVE,
                                                     CURVE_REQUIRED))
        except rundir.ContractError as err:
            warn_file(err.path, err.reason)
            continue
        if len(curve):
            frames.append(curve.loc[curve["k"] == curve["k"].max(), list(CURVE_REQUIRED)]
                          .assign(job=job))
    keep = ["job", *runs.hyperparameters, "seed", "status"]
    if not frames:
        return pd.DataFrame(columns=[*keep, *CURVE_REQUIRED])
    return pd.concat(frames, ignore_index=True).merge(jobs[keep], on="job")

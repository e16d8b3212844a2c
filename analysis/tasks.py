"""Per-task MSEs of the finished jobs (eval_tasks.csv), and the two-level bootstrap interval of
every setting x k from them (analysis.bootstrap).

The seeds of a setting were evaluated on the same held-out tasks when their eval_tasks.csv agree
on every task's amplitude and phase (eval.seed is shared by a sweep's jobs); the bootstrap then
redraws the tasks once for all seeds. Seeds with different tasks get their own task draws.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

import rundir
from analysis.errors import warn_file


def read_task_mse(run_dir: str | Path, shots: int | None = None,
                  init: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """(MSE [tasks, k = 0..K], task identity [tasks, (task, amplitude, phase)]) of one job's
    eval_tasks.csv (or eval_tasks_K{shots}.csv, or eval_init_tasks.csv with init); ContractError
    naming the file if unusable."""
    name = rundir.EVAL_INIT_TASKS if init else rundir.eval_tasks_file(shots)
    path = Path(run_dir) / name
    columns = rundir.read_columns(path, (*rundir.TASK_COLUMNS, rundir.task_mse_column(0)))
    steps = 0
    while rundir.task_mse_column(steps + 1) in columns:
        steps += 1
    mse = np.column_stack([columns[rundir.task_mse_column(k)] for k in range(steps + 1)])
    return mse, np.column_stack([columns[name] for name in rundir.TASK_COLUMNS])


def stack_seeds(run_dirs, shots: int | None = None) -> tuple[np.ndarray, bool] | None:
    """(MSE [seeds, tasks, k], whether every seed saw the same tasks) of one setting's jobs, or
    None when no job's file is usable or their shapes disagree (with a warning)."""
    mse, ids = [], []
    for run_dir in run_dirs:
        try:
            values, tasks = read_task_mse(run_dir, shots)
        except rundir.ContractError as err:
            warn_file(err.path, f"{err.reason}; left out of the bootstrap interval")
            continue
        mse.append(values)
        ids.append(tasks)
    if not mse:
        return None
    if len({m.shape for m in mse}) > 1:
        shapes = ", ".join(sorted({f"{m.shape[0]} tasks x {m.shape[1]} k" for m in mse}))
        warn_file(Path(run_dirs[0]).parent, f"jobs of one setting disagree ({shapes}); no "
                  "bootstrap interval for it")
        return None
    return np.stack(mse), all(np.array_equal(ids[0], other) for other in ids[1:])


def bootstrap_cells(jobs: pd.DataFrame, keys: list[str], ks, statistic: str) -> pd.DataFrame:
    """One row per setting (the `keys`) x k: lo and hi of the two-level bootstrap of the mean
    over seeds of each job's `statistic` (mean or median) over its held-out tasks, n_tasks, and
    whether the seeds shared their tasks. `jobs`: the finished jobs, one row each, with the
    `keys`, seed and run_dir. Settings without usable per-task files get NaN."""
    from analysis.bootstrap import two_level  # scipy only when asked for

    rows = []
    for setting, group in jobs.groupby(keys, dropna=False, sort=True):
        setting = setting if isinstance(setting, tuple) else (setting,)
        stacked = stack_seeds(list(group.sort_values("seed")["run_dir"]))
        lo = hi = np.full(len(ks), np.nan)
        tasks, shared = 0, None
        if stacked is not None:
            values, shared = stacked
            tasks = values.shape[1]
            present = [i for i, k in enumerate(ks) if k < values.shape[2]]
            lo, hi = lo.copy(), hi.copy()
            lo[present], hi[present] = two_level(values[:, :, [ks[i] for i in present]],
                                                 statistic, shared)
        for i, k in enumerate(ks):
            rows.append({**dict(zip(keys, setting, strict=True)), "k": k, "lo": lo[i],
                         "hi": hi[i], "n_tasks": tasks, "shared_tasks": shared})
    return pd.DataFrame(rows, columns=[*keys, "k", "lo", "hi", "n_tasks", "shared_tasks"])

"""The MAML paper's sine benchmark from run directories: held-out MSE after 1, 5 and 10 steps
for each method (rows) and step count (columns), one table per K, and the test-time learning
curves. Reads run.json (status, algo, seed), .hydra/config.yaml (K of eval.csv) and the per-task
files eval_tasks.csv / eval_tasks_K{K}.csv of every finished run.

Interval: each task's MSE is averaged over the seeds (the same 600 held-out tasks in every
run), then mean and 95% interval over the tasks, 1.96 * std / sqrt(n), the MAML paper's.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd

import rundir
from analysis.discover import find_run_dirs
from analysis.errors import AnalysisError, warn_file
from analysis.fmt import plus_minus

METHODS = {"maml": "MAML", "fomaml": "first-order MAML", "reptile": "Reptile",
           "pretrain": "pretrained on all tasks"}
STEPS = (1, 5, 10)
Z95 = 1.96


def _task_files(run_dir: Path) -> dict[int, Path]:
    """K -> per-task evaluation file of one run: eval.shots, then each of eval.extra_shots."""
    e = rundir.read_config(run_dir)["eval"]
    files = {int(e["shots"]): run_dir / rundir.eval_tasks_file()}
    for shots in e.get("extra_shots") or []:
        files[int(shots)] = run_dir / rundir.eval_tasks_file(shots)
    return files


def per_task(paths: Iterable[str | os.PathLike]) -> pd.DataFrame:
    """Long table: algo, seed, K, task, k, mse; one row per (finished run, K, task, k).
    Unfinished or unreadable runs are left out with a warning."""
    frames = []
    for run_dir in find_run_dirs(paths):
        try:
            info = rundir.read_run_json(run_dir, missing_ok=False)
            if info["status"] != "done":
                warn_file(run_dir / rundir.RUN_JSON, f"status {info['status']}, left out")
                continue
            for shots, path in _task_files(run_dir).items():
                wide = pd.DataFrame(rundir.read_columns(path, ["task"]))
                long = wide.melt(id_vars=["task"], value_vars=[c for c in wide if
                                                               c.startswith("mse_k")],
                                 var_name="k", value_name="mse")
                long["k"] = long["k"].str.removeprefix("mse_k").astype(int)
                long["task"] = long["task"].astype(int)
                frames.append(long.assign(algo=info["algo"], seed=info["seed"], K=shots))
        except rundir.ContractError as err:
            warn_file(err.path, f"{err.reason}, run left out")
        except (KeyError, TypeError, ValueError) as err:
            warn_file(run_dir, f"unreadable ({err}), left out")
    if not frames:
        raise AnalysisError("no finished benchmark runs found")
    return pd.concat(frames, ignore_index=True)


def summary(tasks: pd.DataFrame) -> pd.DataFrame:
    """algo, K, k, mse_mean, ci95, mse_median, mse_q25, mse_q75, n_diverged, n_tasks, n_seeds:
    seeds averaged per task, then over tasks.

    A task whose adaptation diverged in any seed (a non-finite MSE, written as nan or inf) stays
    non-finite in its average: skipping it would hide the divergence, so the mean says inf and
    n_diverged counts such tasks; the median over tasks is the robust statistic beside it."""
    tasks = tasks.assign(mse=tasks["mse"].fillna(np.inf))
    per = tasks.groupby(["algo", "K", "k", "task"])["mse"].agg(["mean", "count"]).reset_index()
    per["diverged"] = ~np.isfinite(per["mean"])
    out = per.groupby(["algo", "K", "k"]).agg(
        mse_mean=("mean", "mean"), std=("mean", "std"), mse_median=("mean", "median"),
        mse_q25=("mean", lambda v: v.quantile(0.25)), mse_q75=("mean", lambda v: v.quantile(0.75)),
        n_diverged=("diverged", "sum"), n_tasks=("mean", "size"), n_seeds=("count", "min"))
    out["ci95"] = Z95 * out.pop("std") / np.sqrt(out["n_tasks"])
    return out.reset_index()


def ordered_algos(values) -> list[str]:
    return [a for a in METHODS if a in set(values)] + sorted(set(values) - set(METHODS))


def markdown_table(stats: pd.DataFrame, shots: int, statistic: str = "mean") -> str:
    """The paper's layout for one K: a row per method, a column per step count. statistic:
    "mean" (± the 95% interval over tasks, the paper's) or "median" (over tasks)."""
    rows = stats[stats["K"] == shots]
    steps = [k for k in STEPS if k in set(rows["k"])]
    lines = ["| method | " + " | ".join(f"{k} step{'s' * (k > 1)}" for k in steps) + " |",
             "| --- |" + " ---: |" * len(steps)]
    for algo in ordered_algos(rows["algo"]):
        cells = []
        for k in steps:
            r = rows[(rows["algo"] == algo) & (rows["k"] == k)].iloc[0]
            cell = (plus_minus(r["mse_mean"], r["ci95"]) if statistic == "mean"
                    else f"{r['mse_median']:.3g}")
            if r["n_diverged"]:
                cell += f" ({int(r['n_diverged'])} diverged)"
            cells.append(cell)
        lines.append(f"| {METHODS.get(algo, algo)} | " + " | ".join(cells) + " |")
    tasks, seeds = rows["n_tasks"].min(), rows["n_seeds"].min()
    what = ("mean ± 95% interval over" if statistic == "mean" else "median over")
    note = (f"K = {shots}: held-out MSE ({what} {tasks} tasks, each averaged over {seeds} "
            f"seed{'s' if seeds > 1 else ''}) after k SGD steps; (n diverged): tasks whose "
            "adaptation diverged (non-finite MSE) in some seed.")
    return note + "\n\n" + "\n".join(lines) + "\n"

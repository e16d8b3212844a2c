"""The MAML paper's sine benchmark from run directories: held-out MSE after 1, 5 and 10 steps
for each method (rows) and step count (columns), one table per K, the same per seed, and the
test-time learning curves. Reads run.json (status, algo, seed), .hydra/config.yaml (K of
eval.csv) and the per-task files eval_tasks.csv / eval_tasks_K{K}.csv of every finished run.

Point estimate: the mean over the tasks of each task's MSE averaged over the seeds (the same 600
held-out tasks in every run). Interval (analysis.intervals): "bootstrap", the default, resamples
the seeds and the held-out tasks (two levels, analysis.bootstrap), so it carries both the spread
between training seeds and the sampling of the tasks; "t", the t-interval across the seeds'
means. (The MAML paper's 1.96 * std / sqrt(n) over the seed-averaged tasks leaves the seeds'
spread out.)
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
from analysis.fmt import interval_text
from analysis.intervals import across_seeds, check
from analysis.tasks import read_task_mse

INIT = "init"  # the pseudo-method of the initial weights' evaluation (eval_init_tasks.csv)

METHODS = {"maml": "MAML", "fomaml": "first-order MAML", "reptile": "Reptile",
           "pretrain": "pretrained on all tasks", INIT: "random initialisation"}
STEPS = (1, 5, 10)


def _task_files(run_dir: Path) -> list[tuple[int, int | None]]:
    """(K, the `shots` argument of read_task_mse) per per-task file of one run: eval.shots
    (eval_tasks.csv), then each of eval.extra_shots (eval_tasks_K{K}.csv)."""
    e = rundir.read_config(run_dir)["eval"]
    return [(int(e["shots"]), None)] + [(int(k), int(k)) for k in e.get("extra_shots") or []]


def _long(mse: np.ndarray, ids: np.ndarray, **columns) -> pd.DataFrame:
    """One row per (task, k) of a per-task MSE matrix [tasks, k], with `columns` on every row."""
    tasks, steps = mse.shape
    frame = pd.DataFrame({name: np.repeat(ids[:, i], steps)
                          for i, name in enumerate(rundir.TASK_COLUMNS)})
    return frame.assign(task=frame["task"].astype(int), k=np.tile(np.arange(steps), tasks),
                        mse=mse.ravel(), **columns)


def per_task(paths: Iterable[str | os.PathLike], init: bool = False) -> pd.DataFrame:
    """Long table: algo, seed, K, task, amplitude, phase, k, mse; one row per (finished run, K,
    task, k). Unfinished or unreadable runs are left out with a warning. With `init`, the
    initial weights' evaluation (eval_init_tasks.csv, K = eval.shots) joins as the method INIT,
    once per seed: read from the first run of each seed, since the runs of one seed start from
    the same weights when they share the network (as the paper presets do)."""
    frames, init_seeds = [], set()
    for run_dir in find_run_dirs(paths):
        try:
            info = rundir.read_run_json(run_dir, missing_ok=False)
            if info["status"] != "done":
                warn_file(run_dir / rundir.RUN_JSON, f"status {info['status']}, left out")
                continue
            for shots, extra in _task_files(run_dir):
                frames.append(_long(*read_task_mse(run_dir, extra), algo=info["algo"],
                                    seed=info["seed"], K=shots))
            if init and info["seed"] not in init_seeds:
                frames.append(_long(*read_task_mse(run_dir, init=True), algo=INIT,
                                    seed=info["seed"], K=_task_files(run_dir)[0][0]))
                init_seeds.add(info["seed"])
        except rundir.ContractError as err:
            warn_file(err.path, f"{err.reason}, run left out")
        except (KeyError, TypeError, ValueError) as err:
            warn_file(run_dir, f"unreadable ({err}), left out")
    if not frames:
        raise AnalysisError("no finished benchmark runs found")
    return pd.concat(frames, ignore_index=True)


def _bootstrap(tasks: pd.DataFrame) -> pd.DataFrame:
    """lo, hi per (algo, K, k): two-level bootstrap of the mean over seeds and tasks."""
    from analysis.bootstrap import two_level  # scipy only when asked for

    rows = []
    for (algo, shots), group in tasks.groupby(["algo", "K"], sort=True):
        cube = group.pivot_table(index=["seed", "task"], columns="k", values="mse",
                                 aggfunc="first", dropna=False)
        seeds = cube.index.get_level_values("seed").unique()
        if cube.groupby(level="seed").size().nunique() != 1:
            raise AnalysisError(f"the {algo} runs with K = {shots} were evaluated on different "
                                "numbers of held-out tasks")
        values = cube.to_numpy(float).reshape(len(seeds), -1, cube.shape[1])
        shared = True
        if {"amplitude", "phase"} <= set(group):
            ids = group.drop_duplicates(["seed", "task"]).sort_values(["seed", "task"])
            ids = ids[["amplitude", "phase"]].to_numpy(float).reshape(len(seeds), -1, 2)
            shared = all(np.array_equal(ids[0], other) for other in ids[1:])
        lo, hi = two_level(values, "mean", shared)
        rows += [{"algo": algo, "K": shots, "k": k, "lo": a, "hi": b}
                 for k, a, b in zip(cube.columns, lo, hi, strict=True)]
    return pd.DataFrame(rows)


def per_seed(tasks: pd.DataFrame) -> pd.DataFrame:
    """algo, K, k, seed, mse_mean, mse_median (over the seed's tasks), n_diverged, n_tasks."""
    tasks = tasks.assign(mse=tasks["mse"].fillna(np.inf))
    out = tasks.groupby(["algo", "K", "k", "seed"])["mse"].agg(
        mse_mean="mean", mse_median="median", n_diverged=lambda v: (~np.isfinite(v)).sum(),
        n_tasks="size")
    return out.reset_index()


def summary(tasks: pd.DataFrame, interval: str = "bootstrap") -> pd.DataFrame:
    """algo, K, k, mse_mean, lo, hi, interval, mse_median, mse_q25, mse_q75, n_diverged, n_tasks,
    n_seeds: seeds averaged per task, then over tasks; lo and hi the chosen 95% interval.

    A task whose adaptation diverged in any seed (a non-finite MSE, written as nan or inf) stays
    non-finite in its average: skipping it would hide the divergence, so the mean says inf (and
    has no interval) and n_diverged counts such tasks; the median over tasks is the robust
    statistic beside it."""
    tasks = tasks.assign(mse=tasks["mse"].fillna(np.inf))
    per = tasks.groupby(["algo", "K", "k", "task"])["mse"].agg(["mean", "count"]).reset_index()
    per["diverged"] = ~np.isfinite(per["mean"])
    out = per.groupby(["algo", "K", "k"]).agg(
        mse_mean=("mean", "mean"), mse_median=("mean", "median"),
        mse_q25=("mean", lambda v: v.quantile(0.25)), mse_q75=("mean", lambda v: v.quantile(0.75)),
        n_diverged=("diverged", "sum"), n_tasks=("mean", "size"), n_seeds=("count", "min"))
    out = out.reset_index()
    if check(interval) == "t":
        seeds = per_seed(tasks)
        bounds = across_seeds(seeds, ["algo", "K", "k"], "mse_mean", "t")[
            ["algo", "K", "k", "lo", "hi"]]
    else:
        bounds = _bootstrap(tasks)
    out = out.merge(bounds, on=["algo", "K", "k"], how="left").assign(interval=interval)
    finite = np.isfinite(out["mse_mean"])
    out.loc[~finite, ["lo", "hi"]] = np.nan
    columns = ["algo", "K", "k", "mse_mean", "lo", "hi", "interval", "mse_median", "mse_q25",
               "mse_q75", "n_diverged", "n_tasks", "n_seeds"]
    return out[columns]


def ordered_algos(values, order=None) -> list[str]:
    """The methods among `values` in `order` (default METHODS'), any others after them."""
    order = list(order or METHODS)
    return [a for a in order if a in set(values)] + sorted(set(values) - set(order))


def _steps(rows: pd.DataFrame, steps=STEPS) -> list[int]:
    return [k for k in steps if k in set(rows["k"])]


def _header(steps: list[int], first: str = "method") -> list[str]:
    return [f"| {first} | " + " | ".join(f"{k} step{'s' * (k != 1)}" for k in steps) + " |",
            "| --- |" + " ---: |" * len(steps)]


def _diverged(cell: str, n: object) -> str:
    return cell + (f" ({int(n)} diverged)" if n else "")


def cell(r: pd.Series) -> str:
    """A mean with its 95% interval, as the row's interval scheme writes it."""
    return interval_text(r["interval"], r["mse_mean"], r["lo"], r["hi"])


def markdown_table(stats: pd.DataFrame, shots: int, statistic: str = "mean", steps=STEPS,
                   names: dict | None = None, order=None) -> str:
    """The paper's layout for one K: a row per method (in `order`, default METHODS'), a column
    per step count (`steps`, those evaluated). statistic: "mean" (with its 95% interval) or
    "median" (over tasks). `names`: the methods' names where they differ from METHODS'."""
    names = {**METHODS, **(names or {})}
    rows = stats[stats["K"] == shots]
    steps = _steps(rows, steps)
    interval = rows["interval"].iloc[0]
    lines = _header(steps)
    for algo in ordered_algos(rows["algo"], order):
        cells = []
        for k in steps:
            r = rows[(rows["algo"] == algo) & (rows["k"] == k)].iloc[0]
            text = f"{r['mse_median']:.3g}" if statistic == "median" else cell(r)
            cells.append(_diverged(text, r["n_diverged"]))
        lines.append(f"| {names.get(algo, algo)} | " + " | ".join(cells) + " |")
    tasks, seeds = rows["n_tasks"].min(), rows["n_seeds"].min()
    what = {"t": "mean ± 95% t-interval across the seeds' means",
            "bootstrap": "mean [95% interval of a two-level bootstrap over seeds and tasks]"}
    what = what[interval] if statistic == "mean" else "median"
    note = (f"K = {shots}: held-out MSE ({what}; {tasks} tasks, each averaged over {seeds} "
            f"seed{'s' if seeds > 1 else ''}) after k SGD steps; (n diverged): tasks whose "
            "adaptation diverged (non-finite MSE) in some seed.")
    return note + "\n\n" + "\n".join(lines) + "\n"


def per_seed_table(seeds: pd.DataFrame, shots: int, steps=STEPS,
                   names: dict | None = None, order=None) -> str:
    """One K: a row per method and step count, a column per seed: the seed's mean over tasks
    and, in brackets, its median."""
    names = {**METHODS, **(names or {})}
    rows = seeds[seeds["K"] == shots]
    steps = _steps(rows, steps)
    numbers = sorted(rows["seed"].unique())
    lines = ["| method | steps | " + " | ".join(f"seed {s}" for s in numbers) + " |",
             "| --- | ---: |" + " ---: |" * len(numbers)]
    for algo in ordered_algos(rows["algo"], order):
        for k in steps:
            at = rows[(rows["algo"] == algo) & (rows["k"] == k)].set_index("seed")
            cells = [_diverged(f"{at.loc[s, 'mse_mean']:.3g} ({at.loc[s, 'mse_median']:.2g})",
                               at.loc[s, "n_diverged"]) if s in at.index else "–"
                     for s in numbers]
            lines.append(f"| {names.get(algo, algo)} | {k} | " + " | ".join(cells) + " |")
    note = (f"K = {shots}: held-out MSE of each seed's run after k SGD steps, mean over its "
            f"{int(rows['n_tasks'].min())} tasks (median in brackets); (n diverged): tasks "
            "whose adaptation diverged (non-finite MSE).")
    return note + "\n\n" + "\n".join(lines) + "\n"

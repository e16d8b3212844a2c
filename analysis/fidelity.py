"""Our MAML benchmark beside the MAML paper's 5-shot table (analysis.published), and the
candidate causes of every difference: each cause a folder of runs trained with one override.

    paper_table    per method and step count: the paper's number; our mean over seeds and
                   tasks, its 95% interval, the median over tasks; the range of the seeds' own
                   means; whether the paper's number lies inside our interval
    causes_table   one row per candidate cause and method: what the cause changes (the config
                   keys whose values differ from the benchmark's runs), and its cells beside the
                   paper's; "single seeds" reads the benchmark's per-seed means

Reads run directories only (through analysis.maml_benchmark).
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

import pandas as pd

import rundir
from analysis.discover import find_run_dirs
from analysis.fmt import number
from analysis.intervals import describe
from analysis.maml_benchmark import METHODS, cell, per_seed, per_task, summary
from analysis.published import MAML_TABLE, MAML_TABLE_SHOTS, MAML_TABLE_SOURCE

INSIDE = "✓"  # the paper's number lies inside our interval (or range)
IGNORED = ("seed",)  # keys that differ between the runs of one setting


def _steps(method: str) -> list[int]:
    return sorted(MAML_TABLE[method])


def _cells(stats: pd.DataFrame, method: str) -> dict[int, pd.Series]:
    rows = stats[(stats["algo"] == method) & (stats["K"] == MAML_TABLE_SHOTS)]
    return {int(r["k"]): r for _, r in rows.iterrows() if int(r["k"]) in MAML_TABLE[method]}


def _inside(value: float, lo: float, hi: float) -> bool:
    return bool(lo <= value <= hi)


def paper_rows(stats: pd.DataFrame, seeds: pd.DataFrame) -> pd.DataFrame:
    """method, k, paper, mse_mean, lo, hi, mse_median, seed_min, seed_max, inside: one row per
    cell of the paper's table that the runs evaluated (their K and step count)."""
    rows = []
    for method in MAML_TABLE:
        per = seeds[(seeds["algo"] == method) & (seeds["K"] == MAML_TABLE_SHOTS)]
        for k, r in _cells(stats, method).items():
            means = per[per["k"] == k]["mse_mean"]
            paper = MAML_TABLE[method][k]
            rows.append({"method": method, "k": k, "paper": paper, "mse_mean": r["mse_mean"],
                         "lo": r["lo"], "hi": r["hi"], "interval": r["interval"],
                         "mse_median": r["mse_median"], "seed_min": means.min(),
                         "seed_max": means.max(), "n_seeds": r["n_seeds"],
                         "n_tasks": r["n_tasks"], "inside": _inside(paper, r["lo"], r["hi"])})
    return pd.DataFrame(rows)


def paper_table(rows: pd.DataFrame) -> str:
    """Markdown of paper_rows: the paper's number beside ours, cell by cell."""
    if rows.empty:
        return f"No run was evaluated at K = {MAML_TABLE_SHOTS} on the paper's step counts.\n"
    seeds, tasks = int(rows["n_seeds"].min()), int(rows["n_tasks"].min())
    lines = [f"K = {MAML_TABLE_SHOTS}: held-out MSE after k SGD steps, {MAML_TABLE_SOURCE} "
             f"beside ours: the mean over {seeds} seeds and {tasks} tasks with "
             f"{describe(rows['interval'].iloc[0], tasks)}, the median over tasks (of the "
             "seed-averaged task MSEs), and the lowest and highest of the seeds' own means. "
             f"{INSIDE}: the paper's number lies inside our interval.", "",
             "| method | steps | paper | ours: mean [95% interval] | median | seeds' means "
             "| inside |", "| --- | ---: | ---: | ---: | ---: | ---: | :---: |"]
    for _, r in rows.iterrows():
        lines.append(f"| {METHODS.get(r['method'], r['method'])} | {r['k']} | {r['paper']:g} "
                     f"| {cell(r)} | {number(r['mse_median'])} | {number(r['seed_min'])} – "
                     f"{number(r['seed_max'])} | {INSIDE if r['inside'] else ''} |")
    return "\n".join(lines) + "\n"


def _config(run_dir: Path) -> dict:
    return rundir.flatten(rundir.read_config(run_dir))


def _configs(path: str | os.PathLike) -> dict[str, dict]:
    """The flattened config of the first run of each algorithm under `path`."""
    found = {}
    for run_dir in find_run_dirs([path]):
        config = _config(run_dir)
        found.setdefault(config["algo.name"], config)
    return found


def changes(base: dict, other: dict) -> str:
    """`key=value` for every key whose value differs between two flattened configs. A key only
    one of them holds is a knob added between the two runs (the other ran as its default), so
    it is no change."""
    keys = sorted(k for k in base.keys() & other.keys()
                  if k not in IGNORED and base[k] != other[k])
    return " ".join(f"{k}={rundir.as_text(other.get(k))}" for k in keys) or "–"


def causes_rows(bench: str | os.PathLike, causes: Iterable[str | os.PathLike],
                interval: str = "bootstrap") -> pd.DataFrame:
    """cause, changes, method, k, paper, mse_mean, lo, hi, interval, mse_median, inside: the
    benchmark ("ours"), its single seeds, then each cause folder (named by its folder)."""
    tasks = per_task([bench])
    stats = summary(tasks, interval)
    base = _configs(bench)
    rows = [{"cause": "ours", "changes": "–", **r} for r in paper_rows(stats, per_seed(tasks))
            .to_dict("records")]
    rows += [{**r, "cause": "single seeds", "lo": r["seed_min"], "hi": r["seed_max"],
              "inside": _inside(r["paper"], r["seed_min"], r["seed_max"]), "interval": "seeds"}
             for r in rows if r["cause"] == "ours"]
    for folder in causes:
        tasks = per_task([folder])
        configs = _configs(folder)
        for r in paper_rows(summary(tasks, interval), per_seed(tasks)).to_dict("records"):
            rows.append({"cause": Path(folder).name, **r,
                         "changes": changes(base.get(r["method"], {}),
                                            configs.get(r["method"], {}))})
    return pd.DataFrame(rows)


def causes_table(rows: pd.DataFrame) -> str:
    """Markdown of causes_rows: per method, the paper's row, then one row per cause."""
    lines = [f"K = {MAML_TABLE_SHOTS}: held-out MSE after 1, 5 and 10 SGD steps, the paper "
             f"({MAML_TABLE_SOURCE}) beside our benchmark and each candidate cause: mean "
             "[95% interval of a two-level bootstrap over seeds and tasks] (median over tasks); "
             "single seeds: the lowest and highest of the seeds' own means. "
             f"{INSIDE}: the paper's number lies inside the interval (range).", "",
             "| candidate cause | what it changes | method | 1 step | 5 steps | 10 steps |",
             "| --- | --- | --- | ---: | ---: | ---: |"]
    for method in MAML_TABLE:
        name = METHODS.get(method, method)
        paper = " | ".join(f"{MAML_TABLE[method][k]:g}" for k in _steps(method))
        lines.append(f"| the paper | – | {name} | {paper} |")
        at = rows[rows["method"] == method]
        for cause, group in at.groupby("cause", sort=False):
            by_k = {int(r["k"]): r for _, r in group.iterrows()}
            cells = []
            for k in _steps(method):
                if k not in by_k:
                    cells.append("–")
                    continue
                r = by_k[k]
                text = (f"{number(r['lo'])} – {number(r['hi'])}" if r["interval"] == "seeds"
                        else f"{cell(r)} ({number(r['mse_median'])})")
                cells.append(text + (f" {INSIDE}" if r["inside"] else ""))
            changed = group["changes"].iloc[0]
            changed = changed if changed == "–" else f"`{changed}`"
            lines.append(f"| {cause} | {changed} | {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"

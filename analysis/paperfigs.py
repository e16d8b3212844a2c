"""The paper figures, drawn from run directories only (predictions.csv, support.csv,
snapshots.csv, and the per-task evaluations): the Reptile paper's Figure 1, the seed post's panel
grid, and the held-out MSE against test-time steps per method (the MAML benchmark's curves and
Figure 1's companion)."""

from __future__ import annotations

import os
from pathlib import Path

import matplotlib
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

import rundir
from analysis.discover import find_run_dirs
from analysis.errors import AnalysisError
from analysis.maml_benchmark import INIT, METHODS, ordered_algos
from analysis.plotting import line, log_mse_axis, mse_range
from analysis.style import (
    OKABE_ITO,
    RC,
    SUPPORT_COLOUR,
    TRUTH_COLOUR,
    figure_legend,
    prediction_colours,
)
from rundir.quicklook import Fit, draw_fit_panel, legend_handles, read_fits

PREDICTION = "#D62728"  # the seed post's red


def _at_ks(fit: Fit, ks: list[int]) -> Fit:
    return Fit(fit.x, fit.y_true, {k: fit.predictions[k] for k in ks if k in fit.predictions},
               fit.support_x, fit.support_y)


FIGURE1_METHODS = (INIT, "pretrain", "maml", "fomaml", "reptile")  # the figure's columns
FIGURE1_NAMES = {"pretrain": "joint training"}  # the Reptile paper's word for the baseline


def figure1_runs(paths) -> dict[str, Path]:
    """The run of each method at the lowest seed that every method finished: {algo: run dir}."""
    runs: dict[str, dict[int, Path]] = {}
    for run_dir in find_run_dirs(paths):
        info = rundir.read_run_json(run_dir)
        if info and info["status"] == "done":
            runs.setdefault(info["algo"], {}).setdefault(info["seed"], run_dir)
    if not runs:
        raise AnalysisError("no finished runs found for figure1")
    common = set.intersection(*(set(seeds) for seeds in runs.values()))
    if not common:
        raise AnalysisError("figure1: no seed was finished by every method")
    seed = min(common)
    return {algo: seeds[seed] for algo, seeds in runs.items()}


def figure1(paths, tasks=(0, 1, 2), ks=(0, 8, 16, 24, 32)) -> Figure:
    """The Reptile paper's Figure 1 as the public demo draws its fits: one row per held-out task,
    one column per method (random initialisation, then each method's meta-weights), the true
    curve, the support points and the prediction after each k in `ks`; from the runs of one
    seed (figure1_runs)."""
    runs = figure1_runs(paths)
    fits = {algo: read_fits(run) for algo, run in runs.items()}
    columns = [(INIT, fits[next(iter(fits))])] + [
        (algo, fits[algo]) for algo in FIGURE1_METHODS[1:] if algo in fits]
    missing = [t for t in tasks if ("meta", t) not in fits[columns[-1][0]]]
    if missing:
        raise AnalysisError(f"figure1: held-out task {missing[0]} has no saved fit (the runs "
                            "saved eval.predict_tasks tasks)")
    names = {**METHODS, **FIGURE1_NAMES}
    colours = prediction_colours(ks)
    with matplotlib.rc_context(RC):
        fig = Figure(figsize=(1.45 * len(columns) + 0.5, 1.35 * len(tasks) + 0.75),
                     layout="constrained")
        axes = fig.subplots(len(tasks), len(columns), sharex=True, sharey="row", squeeze=False)
        for row, task in enumerate(tasks):
            for col, (algo, runs_fits) in enumerate(columns):
                ax = axes[row, col]
                weights = "init" if algo == INIT else "meta"
                draw_fit_panel(ax, _at_ks(runs_fits[(weights, task)], list(ks)), colours)
                if row == 0:
                    ax.set_title(names[algo])
                if row == len(tasks) - 1:
                    ax.set_xlabel("x")
            axes[row, 0].set_ylabel(f"task {task}\ny")
        handles, labels = legend_handles(axes[0, 0])
        labels = [lab.replace("after k = ", "after ") + (" steps" if "after" in lab else "")
                  for lab in labels]
        figure_legend(fig, handles, labels)
    return fig


def seed_post_grid(run_dir: str | os.PathLike, columns: int = 4) -> Figure:
    """The held-out task's fit after the largest snapshot k, one panel per snapshot iteration:
    green truth, red prediction, black x the support points."""
    run_dir = Path(run_dir)
    snap = pd.DataFrame(rundir.read_columns(run_dir / rundir.SNAPSHOTS,
                                            rundir.SNAPSHOT_COLUMNS))
    support = pd.DataFrame(rundir.read_columns(run_dir / rundir.SUPPORT,
                                               rundir.SUPPORT_COLUMNS))
    support = support[support["task"] == snap["task"].iloc[0]]
    k = int(snap["k"].max())
    snap = snap[snap["k"] == k]
    iterations = sorted(snap["iteration"].unique())
    rows = -(-len(iterations) // columns)
    with matplotlib.rc_context(RC):
        fig = Figure(figsize=(1.75 * columns, 1.45 * rows + 0.5), layout="constrained")
        axes = fig.subplots(rows, columns, sharex=True, sharey=True, squeeze=False).ravel()
        for ax, it in zip(axes, iterations):
            at = snap[snap["iteration"] == it].sort_values("x")
            ax.plot(at["x"], at["y_true"], color=TRUTH_COLOUR, linewidth=1.8)
            ax.plot(at["x"], at["y_pred"], color=PREDICTION, linewidth=1.2)
            ax.scatter(support["x"], support["y"], marker="x", color=SUPPORT_COLOUR, s=14,
                       linewidths=1.0, zorder=3)
            ax.set_title(f"iteration {int(it):,}")
        for ax in axes[len(iterations):]:
            ax.set_visible(False)
        for ax in axes[::columns]:
            ax.set_ylabel("y")
        # the lowest visible panel of each column carries the x axis
        for ax in axes[len(iterations) - columns:len(iterations)]:
            ax.xaxis.set_tick_params(labelbottom=True)
            ax.set_xlabel("x")
        handles = [Line2D([], [], color=TRUTH_COLOUR, linewidth=1.8),
                   Line2D([], [], color=PREDICTION, linewidth=1.2),
                   Line2D([], [], color=SUPPORT_COLOUR, marker="x", linestyle="none")]
        figure_legend(fig, handles, ["true curve", f"prediction after {k} steps",
                                     f"{len(support)} support points"])
    return fig


CURVE_STATISTICS = {  # statistic -> line, band low, band high, y label
    "mean": ("mse_mean", "lo", "hi", "held-out MSE\n(mean, 95% interval)"),
    "median": ("mse_median", "mse_q25", "mse_q75", "held-out MSE\n(median, 25-75% of tasks)"),
}
# one colour per method in every paper figure
METHOD_COLOURS = {"maml": OKABE_ITO[0], "fomaml": OKABE_ITO[1], "reptile": OKABE_ITO[2],
                  "pretrain": OKABE_ITO[3], INIT: OKABE_ITO[7]}


def _k_ticks(last: int) -> list[int]:
    """The paper's step counts (1, 5, 10) on short curves, multiples of 8 (the demo's fits) on
    long ones."""
    if last <= 10:
        return [0, *[k for k in (1, 5, 10) if k <= last]]
    return list(range(0, last + 1, 8 if last <= 40 else max(8, last // 4)))


def method_curves(stats: pd.DataFrame, statistic: str = "mean", order=None,
                  names: dict | None = None) -> Figure:
    """Held-out MSE against test-time SGD steps, one panel per K, one line per method: the mean
    over seeds and tasks with its 95% interval (the tables' statistic and interval), or the
    median with the band from the 25th to the 75th percentile of tasks. A method with a task
    whose adaptation diverged has an infinite mean from that step on: its mean line stops there
    and its legend entry says how many tasks diverged. The y axis is shared and logarithmic, so
    the panels compare directly; band ends beyond it are drawn at its edge (analysis.plotting).
    `order`: the methods in legend order (default METHODS'); `names` overrides their names."""
    column, low, high, ylabel = CURVE_STATISTICS[statistic]
    stats = stats.assign(mean=stats[column], lo=stats[low], hi=stats[high])
    shots = sorted(stats["K"].unique())
    present = set(stats["algo"])
    algos = ordered_algos(present, order)
    names = {**METHODS, **(names or {})}
    diverged = stats.groupby("algo")["n_diverged"].max()
    span = mse_range(stats)
    with matplotlib.rc_context(RC):
        # one panel: still wide enough for the legend to sit in rows of several entries
        fig = Figure(figsize=(max(2.4 * len(shots) + 0.9, 5.0), 2.6), layout="constrained")
        axes = np.atleast_1d(fig.subplots(1, len(shots), sharex=True, sharey=True))
        for ax, K in zip(axes, shots, strict=True):
            for i, algo in enumerate(algos):
                rows = stats[(stats["K"] == K) & (stats["algo"] == algo)].sort_values("k")
                name = names.get(algo, algo)
                if statistic == "mean" and diverged[algo]:
                    n = int(diverged[algo])
                    name += f" ({n} task{'s' if n > 1 else ''} diverged)"
                colour = METHOD_COLOURS.get(algo, OKABE_ITO[(4 + i) % len(OKABE_ITO)])
                line(ax, rows["k"], rows, colour, name, span,
                     marker="o" if rows["k"].max() <= 10 else None)
            ax.set_title(f"K = {K} support points")
            ax.set_xticks(_k_ticks(int(stats["k"].max())))
            ax.set_xlabel("SGD steps at test time")
        log_mse_axis(axes[0], span)
        axes[0].set_ylabel(ylabel)
        figure_legend(fig, *axes[0].get_legend_handles_labels())
    return fig

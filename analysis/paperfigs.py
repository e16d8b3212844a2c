"""The paper figures, drawn from run directories only (predictions.csv, support.csv,
snapshots.csv, and the benchmark's per-task evaluations): the Reptile paper's Figure 1, the
seed post's panel grid, and the MAML benchmark's test-time learning curves."""

from __future__ import annotations

import os
from pathlib import Path

import matplotlib
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

import rundir
from analysis.maml_benchmark import METHODS, ordered_algos
from analysis.plotting import line, log_mse_axis, mse_range
from analysis.style import (
    OKABE_ITO,
    RC,
    SUPPORT_COLOUR,
    TRUTH_COLOUR,
    figure_legend,
    prediction_colours,
)
from rundir.quicklook import Fit, draw_fit_panel, read_fits

PREDICTION = "#D62728"  # the seed post's red


def _at_ks(fit: Fit, ks: list[int]) -> Fit:
    return Fit(fit.x, fit.y_true, {k: fit.predictions[k] for k in ks}, fit.support_x,
               fit.support_y)


def figure1(maml_run: str | os.PathLike, reptile_run: str | os.PathLike, task: int = 0,
            ks: tuple[int, int] = (0, 32)) -> Figure:
    """Three panels on one held-out task: before meta-training, after MAML, after Reptile; the
    true curve, the support points, and the prediction after ks[0] and ks[1] steps."""
    maml, reptile = read_fits(maml_run), read_fits(reptile_run)
    panels = [("Before meta-training", reptile[("init", task)]),
              ("After MAML", maml[("meta", task)]), ("After Reptile", reptile[("meta", task)])]
    colours = prediction_colours(ks)
    with matplotlib.rc_context(RC):
        fig = Figure(figsize=(7.0, 2.5), layout="constrained")
        axes = fig.subplots(1, 3, sharex=True, sharey=True)
        for ax, (title, fit) in zip(axes, panels, strict=True):
            draw_fit_panel(ax, _at_ks(fit, list(ks)), colours)
            ax.set_title(title)
            ax.set_xlabel("x")
        axes[0].set_ylabel("y")
        handles, labels = axes[0].get_legend_handles_labels()
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


def benchmark_curves(stats: pd.DataFrame, statistic: str = "mean") -> Figure:
    """Held-out MSE against test-time SGD steps, one panel per K, one line per method: the mean
    over tasks with its 95% interval (the tables' statistic and interval), or the median with
    the band from the 25th to the 75th percentile. A method with a task whose adaptation
    diverged has an infinite mean from that step on: its mean line stops there and its legend
    entry says how many tasks diverged. The y axis is shared and logarithmic, so the panels
    compare directly; band ends beyond it are drawn at its edge (analysis.plotting)."""
    column, low, high, ylabel = CURVE_STATISTICS[statistic]
    stats = stats.assign(mean=stats[column], lo=stats[low], hi=stats[high])
    shots = sorted(stats["K"].unique())
    algos = ordered_algos(stats["algo"])
    colour = {a: OKABE_ITO[i] for i, a in enumerate(algos)}
    diverged = stats.groupby("algo")["n_diverged"].max()
    span = mse_range(stats)
    with matplotlib.rc_context(RC):
        fig = Figure(figsize=(2.4 * len(shots) + 0.4, 2.6), layout="constrained")
        axes = np.atleast_1d(fig.subplots(1, len(shots), sharex=True, sharey=True))
        for ax, K in zip(axes, shots, strict=True):
            for algo in algos:
                rows = stats[(stats["K"] == K) & (stats["algo"] == algo)].sort_values("k")
                name = METHODS.get(algo, algo)
                if statistic == "mean" and diverged[algo]:
                    name += f" ({int(diverged[algo])} task{'s' * (diverged[algo] > 1)} diverged)"
                line(ax, rows["k"], rows, colour[algo], name, span, marker="o")
            ax.set_title(f"K = {K} support points")
            if rows["k"].max() <= 10:  # the paper's step counts; longer curves: matplotlib's
                ax.set_xticks([0, *[k for k in (1, 5, 10) if k <= rows["k"].max()]])
            ax.set_xlabel("SGD steps at test time")
        log_mse_axis(axes[0], span)
        axes[0].set_ylabel(ylabel)
        figure_legend(fig, *axes[0].get_legend_handles_labels())
    return fig

"""Figures of a set of runs along k and along training: one hyperparameter ("knob") as the
colour, the other varying keys as separate panels (never averaged over), the across-seed mean
with its 95% interval as a band, one legend below the axes; and the two-factor heatmap.

Each takes its numbers precomputed: `cells` from tables.cell_statistics (setting x k: mean, lo,
hi, n), `curve_stats` from intervals.across_seeds over read_curves. Figures that show MSE
against a knob's value are in analysis.knobfigs; the drawing helpers in analysis.plotting.
Each draws into a new Figure, or into the caller's axes (`ax=`, one per panel); analysis.plots
computes their numbers from loaded runs as the report does.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.colors import LogNorm
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from analysis.fmt import number, ordered, value_text
from analysis.load import Runs
from analysis.plotting import finish, grid_figure, line, log_mse_axis, panel_spans, panels
from analysis.style import (
    ITERATION_LABEL,
    K_LABEL,
    OKABE_ITO,
    SEQUENTIAL,
    label,
    palette,
    plain_log_ticks,
)
from analysis.tables import ALL, factors_of


def mse_label(runs: Runs, statistic: str, k: int | None = None) -> str:
    n = runs.constants.get("eval.n_tasks")
    after = f" after k={k}" if k is not None else ""
    return f"held-out MSE{after}\n({statistic} over {n or 'the'} held-out tasks)"


def context(runs: Runs, *knobs: str) -> list[str]:
    return [key for key in factors_of(runs) if key not in knobs]


def evaluated(cells: pd.DataFrame) -> pd.DataFrame:
    """The cells some finished job contributed to."""
    return cells[cells["n"] > 0]


def _knob_lines(runs: Runs, stats: pd.DataFrame, knob: str, x: str, ax) -> tuple[Figure, list]:
    """One line per knob value with its interval band along `x`, one panel per context."""
    colours = palette(ordered(stats[knob]))
    groups = panels(stats, context(runs, knob))
    spans = panel_spans(stats, groups)
    fig, axes = grid_figure(len(groups), sharey=len(set(spans)) == 1, ax=ax,
                            titles=[title for title, _ in groups])
    for ax, (title, sub), span in zip(axes, groups, spans, strict=True):
        for value in ordered(sub[knob]):
            rows = sub[sub[knob] == value].sort_values(x)
            line(ax, rows[x], rows, colours[value], None if knob == ALL else value_text(value),
                 span)
        log_mse_axis(ax, span)
        ax.set_title(title)
    return fig, axes


def mse_vs_k(runs: Runs, cells: pd.DataFrame, knob: str, statistic: str = "mean",
             ax=None) -> Figure:
    """Held-out MSE against the adaptation step k, one line per value of `knob`."""
    fig, axes = _knob_lines(runs, evaluated(cells), knob, "k", ax)
    return finish(fig, axes, K_LABEL, mse_label(runs, statistic), _legend(knob), ax is not None)


def learning_curves(runs: Runs, curve_stats: pd.DataFrame, knob: str, k: int,
                    statistic: str = "mean", ax=None) -> Figure:
    """Outer iteration against held-out MSE after k steps (the curve's largest), one line per
    value of `knob`; `curve_stats`: across_seeds of read_curves by [*factors, "iteration"]."""
    fig, axes = _knob_lines(runs, curve_stats, knob, "iteration", ax)
    ylabel = f"held-out MSE after k={k}\n({statistic} over the curve's held-out tasks)"
    return finish(fig, axes, ITERATION_LABEL, ylabel, _legend(knob), ax is not None)


def _legend(knob: str) -> str | None:
    return None if knob == ALL else label(knob)


def heatmap(runs: Runs, cells: pd.DataFrame, a: str, b: str, k: int,
            statistic: str = "mean", ax=None) -> Figure:
    """Two-factor grid: mean held-out MSE after k steps per cell, annotated, best cell boxed."""
    data = evaluated(cells)
    data = data[data["k"] == k]
    groups = panels(data, context(runs, a, b))
    means = [sub.groupby([a, b])["mean"].mean().unstack(b) for _, sub in groups]
    finite = np.concatenate([m.to_numpy(float).ravel() for m in means])
    finite = finite[np.isfinite(finite)]
    norm = None  # colours on a log scale when the cells span more than a factor of ten
    if len(finite) and finite.min() > 0 and finite.max() > 10 * finite.min():
        norm = LogNorm(finite.min(), finite.max())
    limits = {} if norm or not len(finite) else {"vmin": finite.min(), "vmax": finite.max()}
    given = ax is not None
    fig, axes = grid_figure(len(groups), 3.8, 3.0, share=False, ax=ax,
                            titles=[title for title, _ in groups])
    for ax, (title, _), table in zip(axes, groups, means, strict=True):
        sns.heatmap(table, ax=ax, annot=table.map(number), fmt="", cmap=SEQUENTIAL, norm=norm,
                    linewidths=0.5, linecolor="white", **limits,
                    cbar_kws={"label": mse_label(runs, statistic, k)})
        if np.isfinite(table.to_numpy(float)).any():
            row, col = np.unravel_index(np.nanargmin(table.to_numpy(float)), table.shape)
            ax.add_patch(Rectangle((col, row), 1, 1, fill=False, edgecolor=OKABE_ITO[5],
                                   linewidth=2.5))
        ax.grid(False)
        colorbar = ax.collections[0].colorbar
        if norm is not None:
            plain_log_ticks(colorbar.ax.yaxis)
        ax.set_xticklabels([value_text(v) for v in table.columns])
        ax.set_yticklabels([value_text(v) for v in table.index], rotation=0)
        ax.set_title(title)
    return finish(fig, axes, label(b), label(a), given=given)

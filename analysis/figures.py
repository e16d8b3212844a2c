"""Paper-style figures of a set of runs (seaborn on matplotlib's object API, no pyplot state).

Every figure: one hyperparameter ("knob") as the colour or the x axis, the other varying keys as
separate panels (never averaged over), the across-seed mean with its 95% t interval, one legend
outside the axes, the protocol in the title. `save(draw, stem, ...)` draws in the project style
and writes STEM.png (300 dpi) and STEM.pdf.
"""

from __future__ import annotations

import math
import warnings
from pathlib import Path

import matplotlib
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.colors import LogNorm
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle
from matplotlib.ticker import FixedLocator, FuncFormatter, NullLocator

from analysis.curves import read_curves
from analysis.fmt import number, ordered, setting_text, value_text
from analysis.load import Runs
from analysis.stats import interval
from analysis.style import (
    ITERATION_LABEL,
    K_LABEL,
    OKABE_ITO,
    RC,
    SEQUENTIAL,
    figure_legend,
    is_geometric,
    is_numeric,
    label,
    palette,
    plain_log_ticks,
    save_figure,
    wrap,
)
from analysis.tables import ALL, factors_of, statistic_column, with_factors

MAX_PANELS = 12
_BAND = {"alpha": 0.2, "linewidth": 0}


def save(draw, stem: str | Path, *args, **kwargs) -> list[Path]:
    """Call `draw(*args, **kwargs) -> Figure` in the project style and save it as PNG and PDF."""
    with matplotlib.rc_context(RC):
        return save_figure(draw(*args, **kwargs), stem)


def mse_label(runs: Runs, statistic: str, k: int | None = None) -> str:
    n = runs.constants.get("eval.n_tasks")
    after = f" after k={k}" if k is not None else ""
    return f"held-out MSE{after}\n({statistic} over {n or 'the'} held-out tasks)"


def _done(runs: Runs, statistic: str) -> pd.DataFrame:
    """Finished jobs, one row per (job, k), the chosen statistic as `value`."""
    frame = with_factors(runs.frame, runs)
    frame = frame[(frame["status"] == "done") & frame["k"].notna()]
    return frame.assign(value=frame[statistic_column(statistic)], k=frame["k"].astype(int))


def _context(runs: Runs, *knobs: str) -> list[str]:
    return [key for key in factors_of(runs) if key not in knobs]


def _hue(frame: pd.DataFrame, knob: str) -> tuple[pd.DataFrame, list[str], dict]:
    """A text hue column in the knob's natural order, and a colour for each level."""
    values = ordered(frame[knob])
    colours = {value_text(v): c for v, c in palette(values).items()}
    return frame.assign(_hue=frame[knob].map(value_text)), [value_text(v) for v in values], colours


def _panels(frame: pd.DataFrame, context: list[str]) -> list[tuple[str, pd.DataFrame]]:
    """(title, rows) per combination of the context keys, at most MAX_PANELS of them."""
    if not context:
        return [("", frame)]
    groups = frame.groupby(context, dropna=False, sort=True)
    panels = [(setting_text(context, key if isinstance(key, tuple) else (key,)), sub)
              for key, sub in groups]
    if len(panels) > MAX_PANELS:
        warnings.warn(f"{len(panels)} settings of {', '.join(context)}: drawing the first "
                      f"{MAX_PANELS} panels only", stacklevel=3)
    return panels[:MAX_PANELS]


def _figure(n: int, width: float = 3.4, height: float = 2.6, share: bool = True):
    if n == 1:  # a lone panel gets the room a long protocol title needs
        width, height = max(width, 4.6), max(height, 3.0)
    cols = min(n, 3)
    rows = math.ceil(n / cols)
    fig = Figure(figsize=(width * cols + 1.8, height * rows + 1.0), layout="constrained")
    axes = fig.subplots(rows, cols, squeeze=False, sharex=share, sharey=share).ravel()
    for ax in axes[n:]:
        ax.set_visible(False)
    return fig, list(axes[:n])


def _finish(fig: Figure, axes: list, title: str, caption: str, xlabel: str, ylabel: str,
            legend_title: str | None = None) -> Figure:
    """Axis labels (once for a grid of panels), one legend outside the axes, title + protocol."""
    handles, labels = axes[0].get_legend_handles_labels()
    cols = axes[0].get_subplotspec().get_gridspec().ncols
    for i, ax in enumerate(axes):
        if ax.get_legend():
            ax.get_legend().remove()
        # Shared axes: label the outer panels only (a panel with no panel below keeps its ticks).
        bottom = i + cols >= len(axes) or len(ax.get_shared_x_axes().get_siblings(ax)) == 1
        ax.xaxis.set_tick_params(labelbottom=bottom)
        ax.set_xlabel(xlabel if bottom else "")
        ax.set_ylabel(ylabel if i % cols == 0 else "")
    if legend_title is not None:
        figure_legend(fig, handles, labels, legend_title)
    width = int(fig.get_figwidth() * 12)  # characters per line at the title's 9 pt
    fig.suptitle(f"{title}\n{wrap(caption, width)}" if caption else title)
    return fig


def _lines(runs: Runs, data: pd.DataFrame, knob: str, x: str) -> tuple[Figure, list]:
    """One line per knob value with its interval band, one panel per context."""
    data, order, colours = _hue(data, knob)
    panels = _panels(data, _context(runs, knob))
    fig, axes = _figure(len(panels))
    for ax, (title, sub) in zip(axes, panels, strict=True):
        sns.lineplot(data=sub, x=x, y="value", hue="_hue", hue_order=order, palette=colours,
                     errorbar=interval, err_kws=_BAND, ax=ax)
        ax.set_title(title)
    _log_y(axes[0], data.groupby([*_context(runs, knob), "_hue", x], dropna=False)["value"].mean())
    return fig, axes


def _log_y(ax, means: pd.Series) -> None:
    """Log y axis scaled to the mean lines: an interval reaching down to zero (a blow-up among
    the seeds) runs off the bottom instead of squashing every line into the top of the panel.
    With shared y axes, call it once with the means of every panel."""
    ax.set_yscale("log")
    plain_log_ticks(ax.yaxis)
    means = means[np.isfinite(means) & (means > 0)]
    if len(means):
        bottom, top = ax.get_ylim()
        ax.set_ylim(max(bottom, means.min() / 3), min(top, means.max() * 3))


def mse_vs_k(runs: Runs, knob: str, statistic: str = "mean", caption: str = "") -> Figure:
    """Held-out MSE against the adaptation step k, one line per value of `knob`."""
    fig, axes = _lines(runs, _done(runs, statistic), knob, "k")
    return _finish(fig, axes, f"Held-out MSE during adaptation, {_by(knob)}", caption,
                   K_LABEL, mse_label(runs, statistic), legend_title=_legend(knob))


def learning_curves(runs: Runs, knob: str, statistic: str = "mean",
                    curves: pd.DataFrame | None = None, caption: str = "") -> Figure:
    """Outer iteration against held-out MSE, one line per value of `knob`.

    `curves` is read_curves(runs), read here when not given.
    """
    curves = with_factors(read_curves(runs) if curves is None else curves, runs)
    curves = curves.assign(value=curves[statistic_column(statistic)])
    k = int(curves["k"].max()) if len(curves) else None
    fig, axes = _lines(runs, curves, knob, "iteration")
    ylabel = f"held-out MSE after k={k}\n({statistic} over the curve's held-out tasks)"
    return _finish(fig, axes, f"Learning curves, {_by(knob)}", caption, ITERATION_LABEL,
                   ylabel, legend_title=_legend(knob))


def _legend(knob: str) -> str | None:
    return None if knob == ALL else label(knob)


def _by(knob: str) -> str:
    return "all jobs" if knob == ALL else f"by {label(knob)}"


def sensitivity(runs: Runs, knob: str, k: int, statistic: str = "mean",
                caption: str = "") -> Figure:
    """Held-out MSE after k steps against the knob's value (log axis for geometric values)."""
    data = _done(runs, statistic)
    data = data[data["k"] == k]
    context = _context(runs, knob)
    hue = None
    if context:
        hue = "_context"
        # With one context key the legend title names it and the entries are its values.
        data = data.assign(_context=[setting_text(context, row) if len(context) > 1
                                     else value_text(row[0])
                                     for row in data[context].itertuples(index=False)])
    colours = {c: OKABE_ITO[i % 8] for i, c in enumerate(ordered(data[hue]))} if hue else None
    legend = label(context[0]) if len(context) == 1 else "setting"
    values = ordered(data[knob])
    fig, (ax,) = _figure(1, 4.4, 3.0)
    if is_numeric(values):
        sns.lineplot(data=data, x=knob, y="value", hue=hue, palette=colours, marker="o",
                     errorbar=interval, err_style="bars", err_kws={"capsize": 3}, ax=ax,
                     color=OKABE_ITO[0])
        if is_geometric(values):
            ax.set_xscale("log")
        ax.xaxis.set_major_locator(FixedLocator(values))
        ax.xaxis.set_minor_locator(NullLocator())
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: value_text(float(v))
                                                   if v % 1 else str(int(v))))
    else:
        # No lines between categories: their order carries no meaning.
        sns.pointplot(data=data, x=knob, y="value", hue=hue, palette=colours, order=values,
                      errorbar=interval, capsize=0.1, dodge=0.3 if hue else False, ax=ax,
                      color=OKABE_ITO[0], linestyle="none", markersize=6,
                      err_kws={"linewidth": 1.5})
    if len(values) > 6:
        ax.tick_params(axis="x", labelrotation=45)
    _log_y(ax, data.groupby([knob, *context], dropna=False)["value"].mean())
    return _finish(fig, [ax], f"Sensitivity to {label(knob)}: held-out MSE after k={k}", caption,
                   label(knob), mse_label(runs, statistic, k),
                   legend_title=legend if context else None)


def heatmap(runs: Runs, a: str, b: str, k: int, statistic: str = "mean",
            caption: str = "") -> Figure:
    """Two-factor grid: mean held-out MSE after k steps per cell, annotated, best cell boxed."""
    data = _done(runs, statistic)
    data = data[data["k"] == k]
    panels = _panels(data, _context(runs, a, b))
    means = [sub.groupby([a, b])["value"].mean().unstack(b) for _, sub in panels]
    finite = np.concatenate([m.to_numpy(float).ravel() for m in means])
    finite = finite[np.isfinite(finite)]
    norm = None  # colours on a log scale when the cells span more than a factor of ten
    if len(finite) and finite.min() > 0 and finite.max() > 10 * finite.min():
        norm = LogNorm(finite.min(), finite.max())
    limits = {} if norm or not len(finite) else {"vmin": finite.min(), "vmax": finite.max()}
    fig, axes = _figure(len(panels), 3.8, 3.0, share=False)
    for ax, (title, _), table in zip(axes, panels, means, strict=True):
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
    return _finish(fig, axes, f"Held-out MSE after k={k} ({statistic} over tasks, mean over "
                   "seeds; best cell boxed)", caption, label(b), label(a))

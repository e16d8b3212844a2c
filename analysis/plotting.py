"""The drawing helpers every analysis figure shares: panels, lines with interval bands, error
bars, a log MSE axis that holds its bands, knob axes, and one legend below the axes.

Every figure draws into a Figure of its own, or into the axes its caller passes (`ax=`: one
Axes per panel, e.g. a notebook's plt.subplots); then each axes is labelled and carries the
legend itself, and the caller's figure, its layout and its style are left as they are.

Figures carry no title: what they show and under which protocol is the caption's job (report.md).
Panels are titled with the setting they hold. Interval ends arrive precomputed (mean, lo, hi per
point: analysis.intervals), so every figure shows the interval its caption names.
"""

from __future__ import annotations

import math
import warnings
from pathlib import Path

import matplotlib
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import FixedLocator, FuncFormatter, MaxNLocator, NullLocator

from analysis.fmt import setting_text, value_text
from analysis.style import RC, figure_legend, is_geometric, plain_log_ticks, save_figure

MAX_PANELS = 12
BAND_ALPHA = 0.2
# The MSE axis spans at most this factor beyond the lines: an interval reaching further (a t
# interval through zero, a blow-up among the seeds) is drawn to the axis' edge.
REACH = 10.0
BAND_NOTE = ("Band or bar ends beyond the axis (an interval reaching zero or a blow-up) are "
             "drawn at its edge.")


def save(draw, stem: str | Path, *args, **kwargs) -> list[Path]:
    """Call `draw(*args, **kwargs) -> Figure` in the project style and save it as PNG and PDF."""
    with matplotlib.rc_context(RC):
        return save_figure(draw(*args, **kwargs), stem)


def panels(frame: pd.DataFrame, keys: list[str]) -> list[tuple[str, pd.DataFrame]]:
    """(title, rows) per combination of `keys`, at most MAX_PANELS of them."""
    if not keys:
        return [("", frame)]
    groups = [(setting_text(keys, key if isinstance(key, tuple) else (key,)), sub)
              for key, sub in frame.groupby(keys, dropna=False, sort=True)]
    if len(groups) > MAX_PANELS:
        warnings.warn(f"{len(groups)} settings of {', '.join(keys)}: drawing the first "
                      f"{MAX_PANELS} panels only", stacklevel=3)
    return groups[:MAX_PANELS]


def given_axes(ax, titles: list[str]) -> tuple[Figure, list]:
    """The caller's axes (one Axes, or any array of them) for panels named `titles`; (their
    figure, the axes). A ValueError names the panels when the count differs."""
    axes = list(np.asarray(ax, dtype=object).ravel())
    if len(axes) != len(titles):
        named = f": {'; '.join(titles)}" if any(titles) else ""
        raise ValueError(f"this figure has {len(titles)} panel(s){named}; ax= holds "
                         f"{len(axes)} axes (pass one per panel, or load the runs of one panel)")
    return axes[0].figure, axes


def grid_figure(n: int, width: float = 3.4, height: float = 2.6, share: bool = True,
                sharey: bool | None = None, ax=None, titles: list[str] | None = None):
    """A figure of n panels, at most three a row; (figure, the n axes). `share`: common axes;
    `sharey` overrides it for the y axis. With `ax`, the caller's axes instead (given_axes;
    `titles` name the panels in its error)."""
    if ax is not None:
        return given_axes(ax, titles or [""] * n)
    cols = min(n, 3)
    rows = math.ceil(n / cols)
    fig = Figure(figsize=(width * cols + 0.8, height * rows + 0.9), layout="constrained")
    axes = fig.subplots(rows, cols, squeeze=False, sharex=share,
                        sharey=share if sharey is None else sharey).ravel()
    for ax in axes[n:]:
        ax.set_visible(False)
    return fig, list(axes[:n])


def finish(fig: Figure, axes: list, xlabel: str, ylabel: str,
           legend_title: str | None = None, given: bool = False) -> Figure:
    """Axis labels (the outer panels of a grid), one legend below the axes, no title. `given`:
    the caller's axes (every one labelled, the legend in the last)."""
    entries = {}  # every panel's lines, each label once, in the order first drawn
    for ax in axes:
        for handle, text in zip(*ax.get_legend_handles_labels(), strict=True):
            entries.setdefault(text, handle)
    labels, handles = list(entries), list(entries.values())
    legend = bool(labels) and (legend_title is not None or len(labels) > 1)
    if given:
        for ax in axes:
            ax.set_xlabel(xlabel)
            ax.set_ylabel(ylabel)
        if legend:
            axes[-1].legend(handles, labels, title=legend_title)
        return fig
    cols = axes[0].get_subplotspec().get_gridspec().ncols
    for i, ax in enumerate(axes):
        # Shared axes: label the outer panels only (a panel with no panel below keeps its ticks).
        bottom = i + cols >= len(axes) or len(ax.get_shared_x_axes().get_siblings(ax)) == 1
        ax.xaxis.set_tick_params(labelbottom=bottom)
        ax.set_xlabel(xlabel if bottom else "")
        ax.set_ylabel(ylabel if i % cols == 0 else "")
    if legend:
        figure_legend(fig, handles, labels, legend_title)
    return fig


def mse_range(stats: pd.DataFrame) -> tuple[float, float] | None:
    """(bottom, top) of a log MSE axis for points with `mean`, `lo`, `hi`: the interval ends,
    but at most REACH times beyond the positive finite means; None without such a mean."""
    means = stats["mean"].to_numpy(float)
    means = means[np.isfinite(means) & (means > 0)]
    if not len(means):
        return None
    ends = stats[["lo", "hi"]].to_numpy(float).ravel()
    ends = ends[np.isfinite(ends) & (ends > 0)]
    low, high = np.min([*means, *ends]), np.max([*means, *ends])
    bottom = max(low, means.min() / REACH) / 1.15
    top = min(high, means.max() * REACH) * 1.15
    return bottom, top


def panel_spans(stats: pd.DataFrame, groups: list[tuple[str, pd.DataFrame]]) -> list:
    """The MSE span of each panel: one common span (a shared axis) unless some panel's lines
    lie more than a factor of REACH^2 above another's, which would flatten that one's lines;
    then each panel its own span."""
    common = mse_range(stats)
    own = [mse_range(sub) for _, sub in groups]
    tops = [span[1] for span in own if span is not None]
    if len(tops) > 1 and max(tops) / min(tops) > REACH**2:
        return own
    return [common] * len(groups)


def log_mse_axis(ax, span: tuple[float, float] | None) -> None:
    """A log y axis over `span` (mse_range), plain numbers on its ticks; a span narrower than a
    factor of 3 may hold no power of ten nor 2 or 5 times one, so it gets evenly spaced ticks."""
    ax.set_yscale("log")
    plain_log_ticks(ax.yaxis)
    if span is not None:
        ax.set_ylim(*span)
        if span[1] / span[0] < 3:
            ax.yaxis.set_major_locator(MaxNLocator(4))
            ax.yaxis.set_minor_locator(NullLocator())


def clip(values, span: tuple[float, float] | None) -> np.ndarray:
    """Interval ends inside the axis: non-positive and too low ones at its bottom, infinite and
    too high ones at its top (NaN, no interval, stays NaN)."""
    values = np.asarray(values, dtype=float)
    if span is None:
        return values
    return np.where(np.isnan(values), np.nan, np.clip(values, *span))


def line(ax, x, rows: pd.DataFrame, colour, label: str | None, span, marker: str | None = None):
    """The mean as a line, its interval as a band clipped to the axis (NaN ends: no band)."""
    ax.plot(x, rows["mean"], color=colour, label=label, marker=marker, markersize=3.5)
    lo, hi = clip(rows["lo"], span), clip(rows["hi"], span)
    ax.fill_between(x, lo, hi, where=np.isfinite(lo) & np.isfinite(hi), color=colour,
                    alpha=BAND_ALPHA, linewidth=0)


def points(ax, x, rows: pd.DataFrame, colour, label: str | None, span, joined: bool = False):
    """The mean as points with error bars clipped to the axis, joined by a line or not."""
    mean = rows["mean"].to_numpy(float)
    lo, hi = clip(rows["lo"], span), clip(rows["hi"], span)
    below, above = np.nan_to_num(mean - lo), np.nan_to_num(hi - mean)
    ax.errorbar(x, mean, yerr=[np.maximum(below, 0), np.maximum(above, 0)], color=colour,
                label=label, marker="o", markersize=4, linestyle="-" if joined else "none",
                capsize=3, linewidth=1.3, elinewidth=1.0)


def dodge(x, values: list, shift: float) -> np.ndarray:
    """x moved sideways by `shift` of the knob axis' width (a factor on a log axis), so that
    several lines' error bars at one setting stand apart."""
    x = np.asarray(x, dtype=float)
    low, high = min(values), max(values)
    if high == low:
        return x
    return x * (high / low) ** shift if is_geometric(values) else x + shift * (high - low)


def knob_axis(ax, values: list) -> None:
    """A numeric knob's axis: log for geometric values; a labelled tick at every value swept."""
    if is_geometric(values):
        ax.set_xscale("log")
    ax.xaxis.set_major_locator(FixedLocator(values))
    ax.xaxis.set_minor_locator(NullLocator())
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: value_text(float(v)) if v % 1
                                               else str(int(v))))
    if len(values) > 6:
        ax.tick_params(axis="x", labelrotation=45)

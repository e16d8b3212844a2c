"""The quick-look figure of one run (fit.png) and the sine-fit panel it is made of.

Drawn at the end of every training run, and shared with analysis' fit gallery and paper figures
so that every fit reads alike: the true curve in green, the support points as black x, the
prediction after each k from light to dark red. matplotlib's object API only (no pyplot state, no
backend chosen); numpy only for the data.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import matplotlib
import numpy as np
from matplotlib import colormaps
from matplotlib.figure import Figure

from .contract import FIT, PREDICTION_COLUMNS, PREDICTIONS, SUPPORT, SUPPORT_COLUMNS
from .io import atomic_path, read_columns

TRUTH_COLOUR = "#009E73"
SUPPORT_COLOUR = "black"
PREDICTION_CMAP = "Reds"
DPI = 300
RC = {
    "font.size": 9, "axes.titlesize": 9, "axes.labelsize": 9, "xtick.labelsize": 8,
    "ytick.labelsize": 8, "legend.fontsize": 8, "legend.title_fontsize": 8,
    "figure.titlesize": 9, "axes.spines.top": False, "axes.spines.right": False,
    "axes.grid": True, "grid.alpha": 0.3, "grid.linewidth": 0.5, "lines.linewidth": 1.5,
    "legend.frameon": False, "savefig.dpi": DPI, "pdf.fonttype": 42, "ps.fonttype": 42,
    "figure.constrained_layout.use": True,
    # texts from run directories (keys, values, captions) are drawn as written: a $ in a value
    # never starts mathtext (no figure here typesets any; every log axis has plain tick labels)
    "text.parse_math": False,
}
ROWS = {"init": "before meta-training", "meta": "after meta-training"}
# The quick look is drawn at the end of every run (a population draws one per member), so it is
# a screen image: one PNG at 150 dpi, no PDF (the report's fit gallery is the print figure).
QUICK_DPI = 150


def prediction_colours(ks) -> dict:
    """Red scale over the k drawn: light for k = 0, dark for the largest k."""
    ks = sorted(set(ks))
    cmap = colormaps[PREDICTION_CMAP]
    top = max(len(ks) - 1, 1)
    return {k: cmap(0.3 + 0.7 * i / top) for i, k in enumerate(ks)}


def legend_columns(fig, labels: list[str]) -> int:
    """Entries per legend row so that the widest fits the figure's width: marker and gaps
    ~0.45 in, ~0.065 in a character."""
    entry = 0.45 + 0.065 * max(len(text) for text in labels)
    return max(1, min(len(labels), int(0.95 * fig.get_figwidth() / entry)))


def figure_legend(fig, handles: list, labels: list[str], title: str | None = None) -> None:
    """One legend for the whole figure, below the axes: never over data, never over the title.
    On a figure with constrained layout (the layout makes room for it)."""
    if not handles:
        return
    fig.legend(handles, labels, title=title, loc="outside lower center",
               ncols=legend_columns(fig, labels))


def save_figure(fig, stem: str | os.PathLike, png_compression: int = 6,
                formats: tuple[str, ...] = ("png", "pdf"), dpi: int = DPI) -> list[Path]:
    """Writes STEM.png and STEM.pdf (or `formats`) atomically; returns the paths.

    `png_compression` is zlib's level (0-9): 1 encodes a large PNG several times faster.
    """
    stem = Path(stem)
    paths = []
    for suffix in formats:
        path = stem.with_name(f"{stem.name}.{suffix}")
        options = {"pil_kwargs": {"compress_level": png_compression}} if suffix == "png" else {}
        with atomic_path(path) as tmp:
            fig.savefig(tmp, format=suffix, dpi=dpi, **options)
        # The layout is the same for both files: solve it once (it is half the drawing time).
        fig.set_layout_engine("none")
        paths.append(path)
    return paths


@dataclass
class Fit:
    """One held-out task under one set of weights (init or meta)."""

    x: np.ndarray
    y_true: np.ndarray
    predictions: dict[int, np.ndarray] = field(default_factory=dict)  # k -> y_pred on x
    support_x: np.ndarray = field(default_factory=lambda: np.empty(0))
    support_y: np.ndarray = field(default_factory=lambda: np.empty(0))


def read_fits(run_dir: str | os.PathLike) -> dict[tuple[str, int], Fit]:
    """{(weights, task): Fit} from predictions.csv and support.csv. ContractError for a bad
    file."""
    run_dir = Path(run_dir)
    pred = read_columns(run_dir / PREDICTIONS, PREDICTION_COLUMNS, text=("weights",))
    support = read_columns(run_dir / SUPPORT, SUPPORT_COLUMNS)
    fits: dict[tuple[str, int], Fit] = {}
    pairs = zip(pred["weights"].tolist(), pred["task"].tolist(), strict=True)
    for weights, task in sorted(set(pairs)):
        rows = (pred["weights"] == weights) & (pred["task"] == task)
        first_k = pred["k"][rows].min()
        base = rows & (pred["k"] == first_k)
        order = np.argsort(pred["x"][base])
        fit = Fit(pred["x"][base][order], pred["y_true"][base][order])
        for k in np.unique(pred["k"][rows]):
            at_k = rows & (pred["k"] == k)
            fit.predictions[int(k)] = pred["y_pred"][at_k][np.argsort(pred["x"][at_k])]
        on_task = support["task"] == task
        fit.support_x, fit.support_y = support["x"][on_task], support["y"][on_task]
        fits[(str(weights), int(task))] = fit
    return fits


def draw_fit_panel(ax, fit: Fit, colours: dict | None = None) -> None:
    """Truth (green), predictions after each k (red scale), support points (black x).

    `colours` maps k to a colour; pass one mapping to every panel of a figure so that the same
    k has the same shade everywhere, and one legend serves them all.
    """
    colours = colours or prediction_colours(fit.predictions)
    ax.plot(fit.x, fit.y_true, color=TRUTH_COLOUR, linewidth=2.2, label="true curve", zorder=2)
    for k, y_pred in sorted(fit.predictions.items()):
        ax.plot(fit.x, y_pred, color=colours[k], linewidth=1.1, label=f"after k = {k}", zorder=3)
    ax.scatter(fit.support_x, fit.support_y, marker="x", color=SUPPORT_COLOUR, s=22,
               linewidths=1.2, label="support points", zorder=4)


def legend_handles(ax) -> tuple[list, list[str]]:
    """Handles in reading order: truth, support, then predictions by k."""
    handles, labels = ax.get_legend_handles_labels()
    order = sorted(range(len(labels)), key=lambda i: (labels[i] != "true curve",
                                                      labels[i] != "support points", i))
    return [handles[i] for i in order], [labels[i] for i in order]


# fit.png's margins in inches, laid out by hand: constrained layout would solve them anew for
# every run and cost as much as the drawing (the labels are the same in every run)
FIT_MARGINS = {"left": 0.75, "right": 0.1, "top": 0.55, "axis": 0.45, "legend_row": 0.24}


def draw_fit_figure(run_dir: str | os.PathLike, max_tasks: int = 5) -> Path:
    """RUN_DIR/fit.png from predictions.csv and support.csv: a few held-out tasks as columns,
    the weights before (init) and after (meta) meta-training as rows. Returns its path;
    ContractError when either file is missing or not whole."""
    run_dir = Path(run_dir)
    fits = read_fits(run_dir)
    order = list(ROWS)
    weights = sorted({w for w, _ in fits}, key=lambda w: (order.index(w) if w in ROWS else 9, w))
    tasks = sorted({t for _, t in fits})[:max_tasks]
    colours = prediction_colours({k for fit in fits.values() for k in fit.predictions})
    shots = len(next(iter(fits.values())).support_x) if fits else 0
    title = f"Sine fits on held-out tasks after k SGD steps from {shots} support points"
    with matplotlib.rc_context({**RC, "figure.constrained_layout.use": False}):
        # at least as wide as the title (~0.07 in a character at 9 pt), for a single task
        fig = Figure(figsize=(max(1.2 + 2.3 * len(tasks), 0.3 + 0.07 * len(title)),
                              0.7 + 2.0 * len(weights)))
        axes = fig.subplots(len(weights), len(tasks), sharex=True, sharey=True, squeeze=False)
        for row, weight in enumerate(weights):
            for col, task in enumerate(tasks):
                ax = axes[row, col]
                if (weight, task) in fits:
                    draw_fit_panel(ax, fits[(weight, task)], colours)
                if row == 0:
                    ax.set_title(f"held-out task {task}")
                if col == 0:
                    ax.set_ylabel(f"{ROWS.get(weight, weight)}\ny")
                if row == len(weights) - 1:
                    ax.set_xlabel("x")
        handles, labels = legend_handles(axes[0, 0])
        columns = legend_columns(fig, labels) if labels else 1
        rows = -(-len(labels) // columns)
        width, height = fig.get_size_inches()
        m = FIT_MARGINS
        bottom = m["axis"] + rows * m["legend_row"] + 0.05
        fig.subplots_adjust(left=m["left"] / width, right=1 - m["right"] / width,
                            top=1 - m["top"] / height, bottom=bottom / height,
                            wspace=0.08, hspace=0.2)
        if labels:
            fig.legend(handles, labels, loc="lower center", ncols=columns,
                       bbox_to_anchor=(0.5, 0.02 / height))
        fig.suptitle(title, y=1 - 0.08 / height, va="top")
        # fast PNG compression: the figure is redrawn for every run
        (path,) = save_figure(fig, run_dir / FIT, png_compression=1, formats=("png",),
                              dpi=QUICK_DPI)
        return path

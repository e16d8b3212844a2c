"""One look for every figure: colour-blind-safe colours, readable sizes, 300-dpi PNG plus PDF.

Kept free of pandas and seaborn so that the quick-look figure, drawn at the end of every training
run, stays cheap to import. Categorical colours are Okabe & Ito's palette; ordered numeric values
get an evenly sampled viridis; fits keep the classic green truth / black support / red
predictions, with lightness (not hue alone) telling the k apart.
"""

from __future__ import annotations

import itertools
import math
import numbers
import os
import textwrap
from pathlib import Path

import matplotlib
import numpy as np

matplotlib.use("Agg")  # files only; never open a window (also safe in worker processes)

from matplotlib import colormaps  # noqa: E402
from matplotlib.ticker import FuncFormatter  # noqa: E402

from analysis.atomic import atomic_path  # noqa: E402

OKABE_ITO = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442",
             "#000000"]
TRUTH = "#009E73"
SUPPORT = "black"
PREDICTIONS = "Reds"
SEQUENTIAL = "viridis"
DPI = 300
RC = {
    "font.size": 9, "axes.titlesize": 9, "axes.labelsize": 9, "xtick.labelsize": 8,
    "ytick.labelsize": 8, "legend.fontsize": 8, "legend.title_fontsize": 8,
    "figure.titlesize": 9, "axes.spines.top": False, "axes.spines.right": False,
    "axes.grid": True, "grid.alpha": 0.3, "grid.linewidth": 0.5, "lines.linewidth": 1.5,
    "legend.frameon": False, "savefig.dpi": DPI, "pdf.fonttype": 42, "ps.fonttype": 42,
    "figure.constrained_layout.use": True,
}
# Axis and legend wording for the knobs users sweep; other keys are shown as they are.
LABELS = {
    "inner_steps": "inner steps per task (training)",
    "inner_lr": "inner learning rate α",
    "inner_batch": "inner batch m (points)",
    "inner_optimizer": "inner optimiser",
    "meta_step": "meta step ε",
    "meta_step_final": "final meta step ε",
    "meta_batch": "meta-batch n (tasks per outer step)",
    "meta_iters": "outer iterations",
    "algo": "algorithm",
    "algo.name": "algorithm",
    "model.width": "hidden width (units)",
    "model.depth": "hidden layers",
    "model.activation": "activation",
    "eval.shots": "support points K",
}
K_LABEL = "adaptation steps k at evaluation (SGD steps)"
ITERATION_LABEL = "outer iteration (meta-updates)"


def label(key: str) -> str:
    return LABELS.get(key, key)


def is_numeric(values) -> bool:
    return all(isinstance(v, numbers.Real) and not isinstance(v, (bool, np.bool_))
               for v in values)


def is_geometric(values) -> bool:
    """True when positive values are spread more evenly on a log axis than on a linear one."""
    values = sorted(set(values))
    if len(values) < 2 or not is_numeric(values) or values[0] <= 0:
        return False
    if len(values) == 2:
        return values[1] / values[0] >= 4

    def spread(points: list[float]) -> float:
        gaps = [b - a for a, b in itertools.pairwise(points)]
        return max(gaps) / min(gaps)

    return spread([math.log(v) for v in values]) < spread(values)


def palette(values) -> dict:
    """Colour per value: sequential for ordered numbers, Okabe-Ito for categories."""
    values = sorted(set(values)) if is_numeric(values) else list(dict.fromkeys(values))
    if is_numeric(values) and len(values) > 1:
        cmap = colormaps[SEQUENTIAL]
        # Stop short of viridis' pale yellow end, which vanishes on white.
        return {v: cmap(0.85 * i / (len(values) - 1)) for i, v in enumerate(values)}
    return {v: OKABE_ITO[i % len(OKABE_ITO)] for i, v in enumerate(values)}


def prediction_colours(ks) -> dict:
    """Red scale over the k drawn: light for k = 0, dark for the largest k."""
    ks = sorted(set(ks))
    cmap = colormaps[PREDICTIONS]
    top = max(len(ks) - 1, 1)
    return {k: cmap(0.3 + 0.7 * i / top) for i, k in enumerate(ks)}


def figure_legend(fig, handles: list, labels: list[str], title: str | None = None) -> None:
    """One legend for the whole figure, below the axes: never over data, never over the title."""
    if not handles:
        return
    # Entries per row so that the widest fits: marker and gaps ~0.45 in, ~0.065 in a character.
    entry = 0.45 + 0.065 * max(len(text) for text in labels)
    per_row = max(1, min(len(labels), int(0.95 * fig.get_figwidth() / entry)))
    fig.legend(handles, labels, title=title, loc="outside lower center", ncols=per_row)


def wrap(text: str, width: int = 110) -> str:
    return "\n".join(textwrap.wrap(text, width))


def save_figure(fig, stem: str | os.PathLike, png_compression: int = 6) -> list[Path]:
    """Write STEM.png (300 dpi) and STEM.pdf atomically; return both paths.

    `png_compression` is zlib's level (0-9): 1 encodes a large PNG several times faster.
    """
    stem = Path(stem)
    paths = []
    for suffix in ("png", "pdf"):
        path = stem.with_name(f"{stem.name}.{suffix}")
        options = {"pil_kwargs": {"compress_level": png_compression}} if suffix == "png" else {}
        with atomic_path(path) as tmp:
            fig.savefig(tmp, format=suffix, dpi=DPI, **options)
        # The layout is the same for both files: solve it once (it is half the drawing time).
        fig.set_layout_engine("none")
        paths.append(path)
    return paths


def plain_log_ticks(axis) -> None:
    """Plain numbers (0.05, 0.1, 0.2) on a log axis instead of 5x10^-2; minor ticks get labels
    (at 2, 3 and 5 times a power of ten) only when the axis spans too small a factor (top /
    bottom, read when drawn) to show several majors, so that the top of a panel reaching ~4 is
    labelled too."""
    axis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))

    def minor(value: float, _) -> str:
        low, high = sorted(axis.get_view_interval())
        mantissa = round(value / 10 ** math.floor(math.log10(value)))
        return f"{value:g}" if high / low < 30 and mantissa in (2, 3, 5) else ""

    axis.set_minor_formatter(FuncFormatter(minor))

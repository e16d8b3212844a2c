"""One look for every figure: colour-blind-safe colours, readable sizes, 300-dpi PNG plus PDF.

Categorical colours are Okabe & Ito's palette; ordered numeric values get an evenly sampled
viridis. The fits' colours (green truth, black support, red predictions with lightness telling
the k apart), the rc settings and the file writer are the quick-look figure's (rundir.quicklook),
so that a run's own figure and the report's read alike.
"""

from __future__ import annotations

import itertools
import math
import numbers
import textwrap

import numpy as np
from matplotlib import colormaps
from matplotlib.ticker import FuncFormatter

from rundir.quicklook import (  # noqa: F401 (re-exported: one style for every figure)
    DPI,
    RC,
    SUPPORT_COLOUR,
    TRUTH_COLOUR,
    figure_legend,
    prediction_colours,
    save_figure,
)

OKABE_ITO = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442",
             "#000000"]
SEQUENTIAL = "viridis"
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
    "algo.terms": "gradients combined i (inner minibatches)",
    "algo.combine": "meta-gradient",
    "algo.tail": "last minibatch (tail)",
    "method": "method",
    "model.width": "hidden width (units)",
    "model.depth": "hidden layers",
    "model.activation": "activation",
    "eval.shots": "support points K",
}
# Legend wording for values that say little alone: algo=combo's combinations as the Reptile
# paper names them (reptile/combo.py; "Reptile" with SGD inner steps, tests/test_combo.py).
VALUE_NAMES = {
    # Unicode, not mathtext: figures draw text as written (text.parse_math is off)
    "algo.combine": {"sum": "sum g₁ + … + gᵢ (Reptile)",
                     "last": "last gᵢ alone (first-order MAML)"},
    "method": {"combine=sum, tail=shared": "sum, shared tail (Reptile)",
               "combine=last, tail=shared": "last, shared tail (first-order MAML)",
               "combine=last, tail=separate": "last, separate tail (first-order MAML)",
               "combine=sum, tail=separate": "sum, separate tail"},
}
K_LABEL = "adaptation steps k at evaluation (SGD steps)"
ITERATION_LABEL = "outer iteration (meta-updates)"


def label(key: str) -> str:
    return LABELS.get(key, key)


def value_names(key: str, values) -> dict:
    """Legend text for each of a key's values that VALUE_NAMES words; the rest print as they
    are."""
    words = VALUE_NAMES.get(key, {})
    return {value: words[value] for value in set(values) if value in words}


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


def wrap(text: str, width: int = 110) -> str:
    return "\n".join(textwrap.wrap(text, width))


def plain_log_ticks(axis) -> None:
    """Plain numbers (0.05, 0.1, 0.2) on a log axis instead of 5x10^-2. Minor ticks get labels
    too when the axis (top / bottom, read when drawn) spans too small a factor to show several
    majors: at 2, 3, 4, 5, 6 and 8 times a power of ten below a factor of 10, at 2, 3 and 5
    below 30, at 2 and 5 below 1000, so that every line's level can be read off a labelled tick
    nearby."""
    axis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))

    def minor(value: float, _) -> str:
        low, high = sorted(axis.get_view_interval())
        mantissa = round(value / 10 ** math.floor(math.log10(value)))
        span = high / low
        shown = ((2, 3, 4, 5, 6, 8) if span < 10 else (2, 3, 5) if span < 30 else (2, 5)
                 if span < 1000 else ())
        return f"{value:g}" if mantissa in shown else ""

    axis.set_minor_formatter(FuncFormatter(minor))

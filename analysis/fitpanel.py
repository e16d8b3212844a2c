"""The sine-fit panel, shared by the quick-look figure of one run and the fit gallery.

Reads `predictions.csv` and `support.csv` (numpy only, no pandas) and draws one held-out task:
the true curve, the support points and the prediction after each k, light to dark red.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from analysis.csvfile import read_columns
from analysis.style import SUPPORT, TRUTH, prediction_colours

PREDICTION_COLUMNS = ("weights", "task", "k", "x", "y_true", "y_pred")


@dataclass
class Fit:
    """One held-out task under one set of weights (init or meta)."""

    x: np.ndarray
    y_true: np.ndarray
    predictions: dict[int, np.ndarray] = field(default_factory=dict)  # k -> y_pred on x
    support_x: np.ndarray = field(default_factory=lambda: np.empty(0))
    support_y: np.ndarray = field(default_factory=lambda: np.empty(0))


def read_fits(run_dir: str | os.PathLike) -> dict[tuple[str, int], Fit]:
    """{(weights, task): Fit} from one run directory. Raises CsvError for a bad file."""
    run_dir = Path(run_dir)
    pred = read_columns(run_dir / "predictions.csv", PREDICTION_COLUMNS, text=("weights",))
    support = read_columns(run_dir / "support.csv", ("task", "x", "y"))
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
    ax.plot(fit.x, fit.y_true, color=TRUTH, linewidth=2.2, label="true curve", zorder=2)
    for k, y_pred in sorted(fit.predictions.items()):
        ax.plot(fit.x, y_pred, color=colours[k], linewidth=1.1, label=f"after k = {k}", zorder=3)
    ax.scatter(fit.support_x, fit.support_y, marker="x", color=SUPPORT, s=22, linewidths=1.2,
               label="support points", zorder=4)


def legend_handles(ax) -> tuple[list, list[str]]:
    """Handles in reading order: truth, support, then predictions by k."""
    handles, labels = ax.get_legend_handles_labels()
    order = sorted(range(len(labels)), key=lambda i: (labels[i] != "true curve",
                                                      labels[i] != "support points", i))
    return [handles[i] for i in order], [labels[i] for i in order]

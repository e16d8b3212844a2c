"""The quick-look figure of one run: `fit.png` and `fit.pdf` in the run directory.

The classic sine-fit plot: a few held-out tasks as columns, the weights before meta-training
(`init`) and after (`meta`) as rows, each panel with the true curve, the support points and the
prediction after each k in predictions.csv. Called by the training app at the end of every run,
so it uses matplotlib's object API (no pyplot state, no seaborn, no pandas) and stays well
under two seconds.
"""

from __future__ import annotations

import os
from pathlib import Path

import matplotlib
from matplotlib.figure import Figure

from analysis.fitpanel import draw_fit_panel, legend_handles, read_fits
from analysis.style import RC, figure_legend, prediction_colours, save_figure

ROWS = {"init": "before meta-training", "meta": "after meta-training"}
# Type 3 fonts skip the font subsetting that Type 42 needs (~0.4 s, a quarter of the budget); the
# quick look is not a paper figure. matplotlib's Type 3 writer cannot encode the Unicode minus.
QUICK_RC = {**RC, "pdf.fonttype": 3, "axes.unicode_minus": False}


def draw_fit_figure(run_dir: str | os.PathLike, max_tasks: int = 5) -> list[Path]:
    """Draw RUN_DIR/fit.png and RUN_DIR/fit.pdf from predictions.csv and support.csv.

    Returns the two paths. Raises CsvError when either file is missing or not whole.
    """
    run_dir = Path(run_dir)
    fits = read_fits(run_dir)
    order = list(ROWS)
    weights = sorted({w for w, _ in fits}, key=lambda w: (order.index(w) if w in ROWS else 9, w))
    tasks = sorted({t for _, t in fits})[:max_tasks]
    colours = prediction_colours({k for fit in fits.values() for k in fit.predictions})
    with matplotlib.rc_context(QUICK_RC):
        fig = Figure(figsize=(1.2 + 2.3 * len(tasks), 0.7 + 2.0 * len(weights)),
                     layout="constrained")
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
        figure_legend(fig, *legend_handles(axes[0, 0]))
        shots = len(next(iter(fits.values())).support_x) if fits else 0
        fig.suptitle(f"Sine fits on held-out tasks after k SGD steps from {shots} support points")
        # Fast PNG compression: the figure is redrawn for every run; the files stay ~1 MB.
        return save_figure(fig, run_dir / "fit", png_compression=1)

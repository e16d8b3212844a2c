"""The fit gallery: one row of panels per setting, a few held-out tasks as columns, the y axis
set by the true curves (a prediction far off them leaves the panel).

Each row shows the meta-trained weights of the setting's first finished seed, drawn with the same
panel as the quick-look figure (rundir.quicklook), so the two figures read alike.
"""

from __future__ import annotations

import warnings

import numpy as np
from matplotlib.figure import Figure

import rundir
from analysis.errors import warn_file
from analysis.fmt import setting_text
from analysis.load import Runs
from analysis.plotting import given_axes
from rundir.quicklook import (
    draw_fit_panel,
    figure_legend,
    legend_handles,
    prediction_colours,
    read_fits,
)

MAX_SETTINGS = 12


def _first_seeds(runs: Runs) -> list[tuple[str, str]]:
    """(setting text, run dir) of the lowest-seed finished job of each setting."""
    jobs = runs.jobs[runs.jobs["included"] & (runs.jobs["status"] == "done")]
    keys = runs.hyperparameters
    jobs = jobs.sort_values([*keys, "seed"]).drop_duplicates(keys or ["status"])
    if len(jobs) > MAX_SETTINGS:
        warnings.warn(f"{len(jobs)} settings: the fit gallery shows the first {MAX_SETTINGS}",
                      stacklevel=3)
    return [(setting_text(keys, tuple(row[keys])) if keys else "all jobs", row["run_dir"])
            for _, row in jobs.head(MAX_SETTINGS).iterrows()]


def read_gallery(runs: Runs) -> list[tuple[str, dict]]:
    """(setting text, fits) of each setting's first seed; a job whose fit files are damaged is
    left out with a warning."""
    rows = []
    for setting, run_dir in _first_seeds(runs):
        try:
            rows.append((setting, read_fits(run_dir)))
        except rundir.ContractError as err:
            warn_file(err.path, err.reason)
    return rows


def fit_gallery(runs: Runs, tasks: int = 3, weights: str = "meta", ax=None) -> Figure:
    """Rows: settings (first seed each); columns: the first `tasks` held-out tasks. `ax`: the
    caller's axes instead of a new figure, one per panel (settings x tasks, row by row)."""
    rows = read_gallery(runs)
    shown = sorted({t for _, fits in rows for w, t in fits if w == weights})[:tasks]
    ks = {k for _, fits in rows for fit in fits.values() for k in fit.predictions}
    colours = prediction_colours(ks)
    n_rows, n_cols = max(len(rows), 1), max(len(shown), 1)
    given = ax is not None
    if not given:
        fig = Figure(figsize=(1.8 + 2.4 * n_cols, 1.0 + 1.9 * n_rows), layout="constrained")
        axes = fig.subplots(n_rows, n_cols, sharex=True, sharey=True, squeeze=False)
    else:
        titles = [f"{setting}, task {task}" for setting, _ in rows for task in shown]
        fig, flat = given_axes(ax, titles or [""] * (n_rows * n_cols))
        axes = np.array(flat, dtype=object).reshape(n_rows, n_cols)
    for r, (setting, fits) in enumerate(rows):
        for c, task in enumerate(shown):
            panel = axes[r, c]
            if (weights, task) in fits:
                draw_fit_panel(panel, fits[(weights, task)], colours)
            title = f"held-out task {task}"
            panel.set_title(f"{setting}\n{title}" if c == 0 else title,
                            loc="left" if c == 0 else "center")
    # the truth sets the scale: a wild prediction (a blown-up k = 0) leaves the panel instead
    # of flattening every true curve
    drawn = [fits[(weights, t)] for _, fits in rows for t in shown if (weights, t) in fits]
    reach = max((abs(v).max() for fit in drawn for v in (fit.y_true, fit.support_y) if len(v)),
                default=0)
    if reach > 0:  # a new figure's axes are shared: setting one sets all
        for panel in axes.ravel() if given else [axes[0, 0]]:
            panel.set_ylim(-1.25 * reach, 1.25 * reach)
    if not given:
        figure_legend(fig, *legend_handles(axes[0, 0]))
    else:
        axes[0, -1].legend(*legend_handles(axes[0, 0]))
    for panel in axes.ravel() if given else axes[-1]:
        panel.set_xlabel("x")  # on the axes: a figure-level label would collide with the legend
    for panel in axes.ravel() if given else axes[:, 0]:
        panel.set_ylabel("y")
    return fig

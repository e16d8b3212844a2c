"""analysis.plots: every report figure drawn into the caller's axes, by the report's own code."""

from __future__ import annotations

import numpy as np
import pytest
from matplotlib.figure import Figure

from analysis import AnalysisError, load_runs
from analysis.plots import Plots
from tests.helpers.synthetic import make_sweep

GRID = {"inner_steps": [1, 4], "inner_lr": [0.01, 0.02]}


@pytest.fixture(scope="module")
def plots(tmp_path_factory) -> Plots:
    root = tmp_path_factory.mktemp("sweep")
    make_sweep(root, GRID, (0, 1, 2))
    return Plots(load_runs([root]))


def drawn(ax) -> tuple:
    """What a panel shows: its title, lines, error bars and bands, texts, scales and limits."""
    lines = [np.round(np.asarray(line.get_xydata(), float), 12).tolist() for line in ax.lines]
    return (ax.get_title(), ax.get_title("left"), lines, len(ax.collections),
            [text.get_text() for text in ax.texts], ax.get_xscale(), ax.get_yscale(),
            np.round(ax.get_ylim(), 12).tolist())


def panels(fig: Figure) -> list:
    return [ax for ax in fig.axes if ax.get_visible() and not hasattr(ax, "_colorbar")]


FIGURES = [  # (method, arguments, panels)
    ("mse_vs_k", ("inner_steps",), 2),
    ("sensitivity", ("inner_lr", 8), 1),
    ("learning_curves", ("inner_lr",), 2),
    ("budget", ("inner_steps",), 2),
    ("heatmap", ("inner_steps", "inner_lr", 4), 1),
    ("fit_gallery", (2,), 8),  # 4 settings x 2 tasks
]


@pytest.mark.parametrize(("method", "args", "n"), FIGURES, ids=[f[0] for f in FIGURES])
def test_each_report_figure_draws_into_given_axes_as_in_its_own_figure(plots, method, args, n):
    own = getattr(plots, method)(*args)
    mine = Figure()
    axes = mine.subplots(1, n, squeeze=False)[0]
    assert getattr(plots, method)(*args, ax=axes) is mine
    assert len(panels(own)) == n
    for ours, theirs in zip(axes, panels(own), strict=True):
        assert ours.lines or ours.collections  # something was drawn
        assert drawn(ours) == drawn(theirs)
    assert len(mine.legends) == 0  # the legend goes into the axes, the caller's layout stays
    assert any(ax.get_legend() for ax in axes) or method in ("heatmap",)


def test_one_axes_for_a_figure_of_several_panels_is_refused_naming_them(plots):
    with pytest.raises(ValueError, match=r"2 panel\(s\): inner_lr=0.01; inner_lr=0.02; ax= "
                                         r"holds 1 axes"):
        plots.mse_vs_k("inner_steps", ax=Figure().subplots())


def test_keys_and_k_that_the_runs_lack_are_refused_in_one_line(plots):
    with pytest.raises(AnalysisError, match=r"^model.width does not vary in these runs "
                                            r"\(varying: inner_steps, inner_lr\)$"):
        plots.sensitivity("model.width")
    with pytest.raises(AnalysisError, match=r"^k=99: no finished job evaluated it"):
        plots.heatmap("inner_steps", "inner_lr", k=99)

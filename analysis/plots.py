"""Every figure of the report from loaded runs, into a new Figure or into your own axes.

    runs = load_runs(["multirun/2026-11-27_12-00-00_inner_steps_ab12", "outputs/runs/X"])
    plots = Plots(runs)                       # --statistic mean, --interval t: the defaults
    fig, ax = plt.subplots()
    plots.mse_vs_k("inner_steps", ax=ax)      # the report's figure, drawn into ax

The numbers are computed as the report computes them (the report draws through this class),
once per Plots and only when a figure needs them; the drawing is analysis.figures',
analysis.knobfigs' and analysis.gallery's. Each method returns the Figure drawn on: a new one
in the report's style, or the one holding `ax`. A figure with several panels (one per setting
of the keys that vary besides those drawn) takes one Axes per panel.
"""

from __future__ import annotations

from functools import cached_property

import pandas as pd
from matplotlib.figure import Figure

from analysis import figures, knobfigs
from analysis.budget import DEFAULT_BUDGETS, budget_tables
from analysis.curves import read_curves
from analysis.errors import AnalysisError
from analysis.gallery import fit_gallery
from analysis.intervals import across_seeds, check
from analysis.load import Runs
from analysis.tables import (
    Table,
    cell_statistics,
    evaluated_ks,
    factors_of,
    statistic_column,
    with_factors,
)


class Plots:
    """The report's figures of `runs` (analysis.load_runs), with the report's options:
    `statistic` mean or median over each job's held-out tasks, `interval` t or bootstrap;
    `ks`: the k at which to summarise (default every k a finished job evaluated)."""

    def __init__(self, runs: Runs, statistic: str = "mean", interval: str = "t", ks=None):
        statistic_column(statistic)  # ValueError naming the allowed ones
        self.runs, self.statistic, self.interval = runs, statistic, check(interval)
        self.ks = list(evaluated_ks(runs) if ks is None else ks)
        self._budgets: dict[tuple, list[Table]] = {}

    @cached_property
    def cells(self) -> pd.DataFrame | None:
        """tables.cell_statistics at self.ks; None when no finished job evaluated one."""
        if not self.ks:
            return None
        return cell_statistics(self.runs, self.ks, self.statistic, self.interval)

    @cached_property
    def curves(self) -> pd.DataFrame:
        """curves.read_curves: every included job's learning curve at its largest k."""
        return read_curves(self.runs)

    @cached_property
    def curve_stats(self) -> pd.DataFrame | None:
        """The learning curves across seeds per setting and iteration; None without curves."""
        if not len(self.curves):
            return None
        return across_seeds(with_factors(self.curves, self.runs),
                            [*factors_of(self.runs), "iteration"],
                            statistic_column(self.statistic), self.interval)

    @property
    def curve_k(self) -> int | None:
        """The k the learning curves are read at (the largest a curve logs)."""
        return int(self.curves["k"].max()) if len(self.curves) else None

    def budget_tables(self, budgets=DEFAULT_BUDGETS) -> list[Table]:
        """budget.budget_tables: each knob at fractions `budgets` of meta_iters."""
        key = tuple(sorted(set(budgets)))
        if key not in self._budgets:
            self._budgets[key] = budget_tables(self.runs, self.curves, key, self.statistic,
                                               self.interval)
        return self._budgets[key]

    # -- the figures --------------------------------------------------------------------------
    def mse_vs_k(self, knob: str | None = None, ax=None) -> Figure:
        """Held-out MSE against adaptation steps k, a line per value of `knob` (default: the
        first that varies)."""
        return figures.mse_vs_k(self.runs, self._cells(), self._knob(knob), self.statistic,
                                ax=ax)

    def sensitivity(self, knob: str | None = None, k: int | None = None, ax=None) -> Figure:
        """Held-out MSE after k steps (default the largest evaluated) against `knob`."""
        return knobfigs.sensitivity(self.runs, self._cells(), self._knob(knob, real=True),
                                    self._k(k), self.statistic, ax=ax)

    def learning_curves(self, knob: str | None = None, ax=None) -> Figure:
        """Held-out MSE on the curve's tasks along meta-training, a line per value of `knob`."""
        if self.curve_stats is None:
            raise AnalysisError("no learning curve (curve.csv) to draw")
        return figures.learning_curves(self.runs, self.curve_stats, self._knob(knob),
                                       self.curve_k, self.statistic, ax=ax)

    def by_method(self, method: str, knob: str, k: int | None = None, ax=None) -> Figure:
        """Held-out MSE after k against the numeric `knob`, a line per value of `method`."""
        return knobfigs.by_method(self.runs, self._cells(), self._knob(method, real=True),
                                  self._knob(knob, real=True), self._k(k), self.statistic,
                                  ax=ax)

    def budget(self, knob: str | None = None, budgets=DEFAULT_BUDGETS, ax=None) -> Figure:
        """Held-out MSE against `knob` at several training lengths, a line per length."""
        knob = self._knob(knob, real=True)
        tables = [t for t in self.budget_tables(budgets) if t.factors == [knob]]
        if not tables:
            raise AnalysisError("no learning curve of a finished job to read the budgets from")
        return knobfigs.budget(self.runs, tables[0], self.curve_k, self.statistic, ax=ax)

    def heatmap(self, a: str, b: str, k: int | None = None, ax=None) -> Figure:
        """Mean held-out MSE after k steps on the grid of `a` x `b`, best cell boxed."""
        return figures.heatmap(self.runs, self._cells(), self._knob(a, real=True),
                               self._knob(b, real=True), self._k(k), self.statistic, ax=ax)

    def fit_gallery(self, tasks: int = 3, weights: str = "meta", ax=None) -> Figure:
        """Fits of the first `tasks` held-out tasks, a row per setting (its first seed)."""
        return fit_gallery(self.runs, tasks, weights, ax=ax)

    # -- arguments ----------------------------------------------------------------------------
    def _cells(self) -> pd.DataFrame:
        if self.cells is None:
            raise AnalysisError("no finished job evaluated any k: nothing to draw")
        return self.cells

    def _knob(self, knob: str | None, real: bool = False) -> str:
        """A varying key (default the first); `real`: not the stand-in of runs where nothing
        varies."""
        keys = self.runs.hyperparameters if real else factors_of(self.runs)
        if knob is None and keys:
            return keys[0]
        if knob not in keys:
            raise AnalysisError(f"{knob} does not vary in these runs (varying: "
                                f"{', '.join(self.runs.hyperparameters) or 'none'})")
        return knob

    def _k(self, k: int | None) -> int:
        """k (default the largest) among self.ks that a finished job evaluated."""
        allowed = [step for step in self.ks if step in set(evaluated_ks(self.runs))]
        if k is None and allowed:
            return max(allowed)
        if k not in allowed:
            raise AnalysisError(f"k={k}: no finished job evaluated it (allowed: "
                                + (", ".join(map(str, allowed)) or "none") + ")")
        return k

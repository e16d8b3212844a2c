"""Training-length tables (analysis/budget.py) and the figure kinds of analysis/knobfigs.py, on
synthetic sweeps; expected values computed here from curve.csv and eval.csv with the csv
module."""

from __future__ import annotations

import csv
import json
import math
import statistics
import warnings

import pytest

from analysis.budget import budget_tables
from analysis.curves import read_curves
from analysis.errors import RunDirWarning
from analysis.knobfigs import by_method, method_pairs
from analysis.load import load_runs
from analysis.report import build_report
from analysis.stats import t_quantile
from analysis.tables import cell_statistics
from tests.helpers.synthetic import make_sweep

STEPS = [1, 4, 16]
SEEDS = (0, 1, 2)


@pytest.fixture(scope="module")
def sweep(tmp_path_factory):
    root = tmp_path_factory.mktemp("budget")
    # meta_iters 200, a curve point every 50 iterations (tests/helpers/synthetic.py's SMALL)
    return root, make_sweep(root, {"inner_steps": STEPS}, SEEDS)


def curve_at(run, fraction: float) -> tuple[int, float]:
    """(iteration, mse_mean at the curve's largest k) at the logged iteration nearest
    fraction x meta_iters, the later one on a tie: read with the csv module."""
    meta_iters = json.loads((run / "run.json").read_text())["meta_iters"]
    with open(run / "curve.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    top = max(int(row["k"]) for row in rows)
    rows = [row for row in rows if int(row["k"]) == top]
    target = fraction * meta_iters
    best = min(rows, key=lambda row: (abs(int(row["iteration"]) - target),
                                      -int(row["iteration"])))
    return int(best["iteration"]), float(best["mse_mean"])


def test_budget_table_cells_are_the_curve_values_at_the_nearest_logged_iteration(sweep):
    root, runs = sweep
    runs_ = load_runs([root])
    # 0.125 x 200 = 25 lies halfway between the logged 0 and 50: the later one counts
    budgets = (0.125, 0.3, 1.0)
    (table,) = budget_tables(runs_, read_curves(runs_), budgets)
    assert table.name == "budget_inner_steps" and table.column == "budget"
    assert table.headers == {0.125: "12.5% (iteration 50)", 0.3: "30% (iteration 50)",
                             1.0: "100% (iteration 200)"}
    for i, steps in enumerate(STEPS):
        jobs = runs[3 * i:3 * i + 3]
        for budget in budgets:
            points = [curve_at(run, budget) for run in jobs]
            values = [value for _, value in points]
            cell = table.data[(table.data["inner_steps"] == steps)
                              & (table.data["budget"] == budget)].iloc[0]
            assert cell["mean"] == pytest.approx(statistics.mean(values), rel=1e-12)
            half = t_quantile(2) * statistics.stdev(values) / math.sqrt(3)
            assert cell["halfwidth"] == pytest.approx(half, rel=1e-9)
            assert cell["first_iteration"] == cell["last_iteration"] == points[0][0]
            assert cell["n"] == 3
    # rank 1 is the lowest mean of its budget, and the bold cell
    for _, block in table.data.groupby("budget"):
        lowest = block["mean"].idxmin()
        assert block.loc[lowest, "rank"] == 1 and block.loc[lowest, "best"]
        assert sorted(block["rank"]) == [1, 2, 3]


def test_budget_tables_leave_unfinished_jobs_out(tmp_path):
    make_sweep(tmp_path, {"inner_steps": [1, 4]}, seeds=(0, 1), statuses={1: "running"})
    runs = load_runs([tmp_path])
    (table,) = budget_tables(runs, read_curves(runs), (1.0,))
    one = table.data[table.data["inner_steps"] == 1].iloc[0]
    assert one["n"] == 1 and one["n_running"] == 1


def test_budget_with_the_bootstrap_resamples_seeds(sweep):
    root, runs = sweep
    runs_ = load_runs([root])
    (table,) = budget_tables(runs_, read_curves(runs_), (1.0,), interval="bootstrap")
    assert table.interval == "bootstrap"
    cell = table.data[table.data["inner_steps"] == 4].iloc[0]
    values = [curve_at(run, 1.0)[1] for run in runs[3:6]]
    assert min(values) <= cell["lo"] < cell["mean"] < cell["hi"] <= max(values)


# --- MSE against a knob, a line per method -----------------------------------------------------

@pytest.fixture(scope="module")
def methods(tmp_path_factory):
    root = tmp_path_factory.mktemp("methods")
    make_sweep(root, {"algo.name": ["reptile", "fomaml"], "inner_steps": [1, 4, 16]}, SEEDS)
    return root


def test_a_categorical_and_a_numeric_key_make_a_method_figure(methods):
    runs = load_runs([methods])
    assert method_pairs(runs) == [("algo.name", "inner_steps")]
    cells = cell_statistics(runs, [0, 8], "mean")
    fig = by_method(runs, cells, "algo.name", "inner_steps", 8)
    (ax,) = fig.axes
    handles, labels = ax.get_legend_handles_labels()
    assert labels == ["fomaml", "reptile"]
    for handle, method in zip(handles, labels, strict=True):
        expected = cells[(cells["algo.name"] == method) & (cells["k"] == 8)].sort_values(
            "inner_steps")["mean"]
        line = handle.lines[0]  # an errorbar's data line: the means, one per inner_steps
        assert list(line.get_ydata()) == pytest.approx(list(expected), rel=1e-12)
    assert ax.get_yscale() == "log"
    assert [t.get_text() for t in ax.get_xticklabels()] == ["1", "4", "16"]


def test_only_numeric_keys_make_no_method_figure(sweep, tmp_path):
    assert method_pairs(load_runs([sweep[0]])) == []
    make_sweep(tmp_path, {"algo.name": ["reptile", "fomaml"]}, seeds=(0, 1))
    assert method_pairs(load_runs([tmp_path])) == []  # a method, but no numeric knob


def test_report_draws_the_method_figure_instead_of_the_same_sensitivity_figure(methods,
                                                                              tmp_path):
    with warnings.catch_warnings():
        warnings.simplefilter("error", RunDirWarning)
        report = build_report([methods], tmp_path / "out", gallery_tasks=1)
    figures = {p.stem for p in (tmp_path / "out" / "figures").glob("*.png")}
    assert "method_algo-name_vs_inner_steps" in figures
    assert "sensitivity_inner_steps" not in figures  # the same lines: drawn once
    assert {"sensitivity_algo-name", "budget_inner_steps", "budget_algo-name"} <= figures
    text = report.read_text()
    assert "](figures/method_algo-name_vs_inner_steps.png)" in text
    assert "one line per algo.name" in text
    assert "Protocol:" in text.split("method_algo-name_vs_inner_steps.png)")[1].split("###")[0]

"""The two-level bootstrap (analysis/bootstrap.py) against a plain numpy resampling loop, its
coverage on data with a known mean, and the bootstrap cells of the tables and the report, checked
against eval_tasks.csv read with the csv module."""

from __future__ import annotations

import csv
import re
import warnings

import numpy as np
import pytest

from analysis.bootstrap import two_level
from analysis.errors import RunDirWarning
from analysis.intervals import INTERVALS, across_seeds
from analysis.load import load_runs
from analysis.report import build_report
from analysis.tables import sensitivity_tables
from tests.helpers.resampling import two_level_draws
from tests.helpers.synthetic import make_sweep


def within_monte_carlo_error(got, out, q: float, mass: float = 0.6) -> bool:
    """`got` lies where the brute-force draws `out` put their q-th percentile, give or take
    `mass` percent of them (the quantile's standard error at 20,000 draws is ~0.1%)."""
    expected = np.percentile(out, q, axis=0)
    tolerance = np.percentile(out, q + mass, axis=0) - np.percentile(out, q - mass, axis=0)
    return bool(np.all(np.abs(got - expected) <= tolerance))


@pytest.mark.parametrize("statistic", ["mean", "median"])
@pytest.mark.parametrize("shared", [True, False])
def test_bootstrap_agrees_with_a_brute_force_two_level_resampling(statistic, shared):
    rng = np.random.default_rng(3)
    # seeds x tasks x k: a strong task effect common to the seeds, as held-out tasks have
    values = np.exp(rng.normal(0, 1, (1, 8, 2)) + rng.normal(0, 0.3, (4, 8, 2)))
    resamples = 20_000
    lo, hi = two_level(values, statistic, shared, n_resamples=resamples, seed=1)
    out = two_level_draws(values, statistic, shared, resamples, seed=2)
    assert within_monte_carlo_error(lo, out, 2.5) and within_monte_carlo_error(hi, out, 97.5)
    # and the scheme matters: drawing the tasks the other way gives another interval
    other = two_level_draws(values, statistic, not shared, resamples, seed=2)
    assert not (within_monte_carlo_error(lo, other, 2.5)
                and within_monte_carlo_error(hi, other, 97.5))


def test_the_median_of_a_resample_is_numpys_median_of_its_tasks():
    """One seed drawn thrice and every task once: the interval collapses onto the statistic."""
    values = np.random.default_rng(0).lognormal(0, 1, (1, 6, 3))  # an even number of tasks
    stacked = np.repeat(values, 2, axis=0)  # two identical seeds: any resample is the same data
    lo, hi = two_level(stacked, "median", True, n_resamples=50)
    assert np.all(lo <= np.median(values[0], axis=0)) and np.all(hi >= np.median(values[0], 0))
    identical = np.repeat(np.random.default_rng(1).lognormal(0, 1, (1, 1, 2)), 3, axis=0)
    lo, hi = two_level(identical, "median", True, n_resamples=50)  # one task, equal seeds
    np.testing.assert_allclose(lo, identical[0, 0])
    np.testing.assert_allclose(hi, identical[0, 0])


def test_coverage_on_crossed_seeds_and_tasks_with_a_known_mean():
    """400 data sets (the k axis) with a seed effect, a task effect shared by the seeds, and
    noise; lognormal, so the true mean is exp(total variance / 2). Nominal 95%: the crossed
    scheme (tasks drawn once for all seeds) covers 0.85-0.99 of them; drawing tasks afresh per
    seed ignores that the seeds share the tasks and covers clearly less."""
    rng = np.random.default_rng(0)
    seeds, tasks, sets = 10, 100, 400
    values = np.exp(rng.normal(0, 0.2, (seeds, 1, sets)) + rng.normal(0, 0.5, (1, tasks, sets))
                    + rng.normal(0, 0.3, (seeds, tasks, sets)))
    truth = np.exp((0.2**2 + 0.5**2 + 0.3**2) / 2)
    covered = {}
    for shared in (True, False):
        lo, hi = two_level(values, "mean", shared, n_resamples=1000)
        covered[shared] = np.mean((lo <= truth) & (truth <= hi))
    assert 0.85 <= covered[True] <= 0.99
    assert covered[False] < covered[True] - 0.04


def test_bootstrap_is_deterministic_and_refuses_what_it_cannot_interval():
    values = np.random.default_rng(5).lognormal(0, 1, (3, 10, 4))
    first, second = two_level(values), two_level(values)
    np.testing.assert_array_equal(first, second)
    assert np.all(first[0] < values.mean(axis=(0, 1))) and np.all(values.mean((0, 1)) < first[1])
    assert np.all(np.isnan(two_level(values[:1])))  # one seed: no spread between seeds
    blown = values.copy()
    blown[1, 2, 3] = np.nan  # a task whose adaptation diverged at the last k
    lo, hi = two_level(blown, "mean")
    assert np.isnan(lo[3]) and np.isnan(hi[3]) and np.all(np.isfinite(lo[:3]))
    lo, hi = two_level(blown, "median")  # the median takes it in its stride
    assert np.all(np.isfinite(lo)) and np.all(np.isfinite(hi))
    with pytest.raises(ValueError, match="seeds x tasks x k"):
        two_level(values[0])


def test_across_seeds_bootstraps_one_number_per_job():
    import pandas as pd

    frame = pd.DataFrame({"setting": ["a"] * 3 + ["b"] * 3, "value": [1.0, 2, 3, 10, 11, 30]})
    t = across_seeds(frame, ["setting"], "value", "t")
    boot = across_seeds(frame, ["setting"], "value", "bootstrap")
    assert INTERVALS == ("t", "bootstrap")
    np.testing.assert_allclose(boot["mean"], t["mean"])
    assert boot["halfwidth"].isna().all()
    for (_, row), values in zip(boot.iterrows(), ([1, 2, 3], [10, 11, 30]), strict=True):
        # three seeds resampled: the resampled means lie within [min, max], and the interval
        # is narrower than the t-interval's (t = 4.3 at two degrees of freedom)
        assert min(values) <= row["lo"] < row["mean"] < row["hi"] <= max(values)
    assert (boot["hi"] - boot["lo"] < t["hi"] - t["lo"]).all()
    with pytest.raises(ValueError, match="interval must be one of t, bootstrap"):
        across_seeds(frame, ["setting"], "value", "normal")


# --- the tables and the report ------------------------------------------------------------------

GRID = {"inner_steps": [1, 4]}


@pytest.fixture(scope="module")
def sweep(tmp_path_factory):
    root = tmp_path_factory.mktemp("boot")
    return root, make_sweep(root, GRID, seeds=(0, 1, 2))


def task_matrix(runs, k: int) -> tuple[np.ndarray, bool]:
    """[seeds, tasks, 1] MSE after k from eval_tasks.csv (csv module), and whether every seed
    lists the same tasks (amplitude and phase)."""
    values, ids = [], []
    for run in runs:
        with open(run / "eval_tasks.csv", newline="") as handle:
            rows = list(csv.DictReader(handle))
        values.append([[float(row[f"mse_k{k}"])] for row in rows])
        ids.append([(row["amplitude"], row["phase"]) for row in rows])
    return np.array(values), all(other == ids[0] for other in ids)


def test_bootstrap_table_cell_is_the_two_level_interval_of_the_jobs_task_files(sweep):
    root, runs = sweep
    table = next(t for t in sensitivity_tables(load_runs([root]), ks=(0, 8),
                                               interval="bootstrap")
                 if t.name == "mse_by_inner_steps")
    assert table.interval == "bootstrap"
    values, shared = task_matrix(runs[3:6], k=8)  # inner_steps = 4: jobs 3, 4, 5
    assert shared  # the synthetic runs share eval.seed, as a sweep's jobs do
    lo, hi = two_level(values, "mean", True)
    cell = table.data[(table.data["inner_steps"] == 4) & (table.data["k"] == 8)].iloc[0]
    assert cell["mean"] == pytest.approx(values.mean(), rel=1e-9)  # eval.csv's, per seed
    assert (cell["lo"], cell["hi"]) == pytest.approx((lo[0], hi[0]), rel=1e-12)
    assert cell["n_tasks"] == values.shape[1] and cell["shared_tasks"]


def test_bootstrap_report_says_which_interval_and_is_the_same_twice(sweep, tmp_path):
    root, _ = sweep
    outputs = []
    for name in ("a", "b"):
        with warnings.catch_warnings():
            warnings.simplefilter("error", RunDirWarning)
            report = build_report([root], tmp_path / name, interval="bootstrap", figures=False)
        text = re.sub(r"Written \S+\.", "", report.read_text())
        tables = {p.name: p.read_bytes() for p in sorted((tmp_path / name / "tables").iterdir())}
        outputs.append((text, tables))
    assert outputs[0] == outputs[1]
    text, tables = outputs[0]
    assert "two-level bootstrap over the seeds and the 20 held-out tasks" in text
    assert "--interval bootstrap" in text
    row = next(line for line in tables["mse_by_inner_steps.md"].decode().splitlines()
               if line.startswith("| 4 |"))
    # mean [lo, hi], its brackets escaped for Markdown (analysis/escape.py)
    assert re.search(r"\| (\*\*)?[\d.]+ \\?\[[\d.]+, [\d.]+\\?\](\*\*)? \|", row)
    assert b",bootstrap\n" in tables["mse_by_inner_steps.csv"]

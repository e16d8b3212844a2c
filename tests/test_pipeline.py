"""The whole user story on a real tiny sweep: the runner's multirun, then `python -m analysis`:
every table and figure is in the report, a table cell equals a hand computation from the jobs'
eval.csv files, and a diverging setting is shown as diverged while the other jobs complete."""

from __future__ import annotations

import csv
import json
import statistics
import subprocess
import sys

import pytest

from tests.helpers.app import ROOT, TINY, env, run_app


@pytest.fixture(scope="module")
def sweep(tmp_path_factory):
    folder = tmp_path_factory.mktemp("pipeline") / "sweep"
    proc = run_app("-m", *TINY, "hydra/launcher=basic", "inner_steps=1,2", "inner_lr=0.02,50",
                   "seed=0,1", f"hydra.sweep.dir={folder}")
    assert proc.returncode == 0, proc.stderr  # diverged jobs are results, not failures
    report = folder / "report"
    analysis = subprocess.run([sys.executable, "-m", "analysis", str(folder), "--out", str(report)],
                              cwd=ROOT, env=env(), capture_output=True, text=True, timeout=300)
    assert analysis.returncode == 0, analysis.stderr
    return folder, report


def _runs(folder):
    for job in sorted(p for p in folder.iterdir() if p.name.isdigit()):
        overrides = (job / ".hydra" / "overrides.yaml").read_text()
        yield job, json.loads((job / "run.json").read_text()), overrides


def test_sweep_jobs_complete_and_diverging_ones_are_recorded(sweep):
    folder, _ = sweep
    statuses = {}
    for job, info, overrides in _runs(folder):
        statuses.setdefault("inner_lr=50" in overrides, set()).add(info["status"])
        if info["status"] == "done":
            assert (job / "eval.csv").exists() and (job / "fit.png").exists()
    assert statuses == {False: {"done"}, True: {"diverged"}}


def test_report_embeds_every_table_and_figure_and_lists_the_diverged_jobs(sweep):
    _, report = sweep
    text = (report / "report.md").read_text()
    made = sorted(p for p in report.rglob("*") if p.suffix in (".md", ".png", ".csv", ".tex")
                  and p.parent.name in ("tables", "figures"))
    assert any(p.suffix == ".png" for p in made) and any(p.suffix == ".tex" for p in made)
    for path in made:
        if path.suffix in (".png", ".md"):
            assert path.name in text, f"{path.name} is not in report.md"
    assert "diverged" in text


def test_table_cell_equals_hand_computation_from_eval_csv(sweep):
    folder, report = sweep
    mse = []  # k = 2 for inner_steps = 2, inner_lr = 0.02: one value per seed
    for job, _, overrides in _runs(folder):
        if "inner_steps=2" in overrides and "inner_lr=0.02" in overrides:
            rows = list(csv.DictReader((job / "eval.csv").open()))
            mse.append(float(rows[2]["mse_mean"]))
    assert len(mse) == 2
    table = next(p for p in (report / "tables").glob("*inner_steps*.csv"))
    rows = [r for r in csv.DictReader(table.open())
            if r["inner_steps"] == "2" and r.get("inner_lr", "0.02") == "0.02" and r["k"] == "2"]
    assert len(rows) == 1
    assert float(rows[0]["mean"]) == pytest.approx(statistics.mean(mse), rel=1e-12)
    assert int(rows[0]["n"]) == 2


@pytest.mark.slow
def test_bootstrap_report_of_a_real_sweep_over_methods(tmp_path):
    """A real tiny sweep of two methods x two inner_steps x two seeds, analysed by the command
    with --interval bootstrap: the report shows the training-length tables and the method
    figure, and a bootstrap cell is the two-level interval of the jobs' own eval_tasks.csv."""
    import numpy as np
    import pandas as pd

    from analysis.bootstrap import two_level

    folder = tmp_path / "sweep"
    proc = run_app("-m", *TINY, "hydra/launcher=basic", "algo=reptile,fomaml", "inner_steps=1,2",
                   "seed=0,1", f"hydra.sweep.dir={folder}")
    assert proc.returncode == 0, proc.stderr
    analysis = subprocess.run([sys.executable, "-m", "analysis", str(folder), "--interval",
                               "bootstrap"], cwd=ROOT, env=env(), capture_output=True, text=True,
                              timeout=300)
    assert analysis.returncode == 0, analysis.stderr
    report = folder / "report"
    text = (report / "report.md").read_text()
    assert "two-level bootstrap over the seeds and the 20 held-out tasks" in text
    for name in ("tables/budget_inner_steps.md", "tables/budget_algo-name.md",
                 "figures/method_algo-name_vs_inner_steps.png", "figures/budget_inner_steps.png"):
        assert (report / name).is_file() and f"]({name})" in text, name
    assert "not a run trained with a 10% budget" in text
    # the cell of reptile, inner_steps = 2, k = 8 from the two seeds' per-task files
    jobs = [job for job, info, overrides in _runs(folder)
            if info["algo"] == "reptile" and "inner_steps=2" in overrides]
    assert len(jobs) == 2
    values = np.stack([pd.read_csv(job / "eval_tasks.csv")[["mse_k8"]].to_numpy()
                       for job in jobs])
    lo, hi = two_level(values, "mean", shared_tasks=True)
    table = pd.read_csv(report / "tables" / "mse_by_inner_steps.csv")
    cell = table[(table["algo.name"] == "reptile") & (table["inner_steps"] == 2)
                 & (table["k"] == 8)].iloc[0]
    assert (cell["lo"], cell["hi"]) == pytest.approx((lo[0], hi[0]), rel=1e-9)
    assert cell["interval"] == "bootstrap"

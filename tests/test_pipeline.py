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

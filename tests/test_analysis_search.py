"""analysis on a search folder: its study read from the folder's SQLite file, the trials table
(objective and test MSE side by side), Optuna's figures in report.md, and the trials a killed
search never started."""

from __future__ import annotations

import json

import optuna
import pandas as pd
import pytest
import yaml
from optuna.distributions import FloatDistribution

import rundir
from analysis.load import load_runs
from analysis.report import build_report
from analysis.search import search_sections
from rundir.sweep import SEARCH_SWEEPER, planned_count
from tests.helpers.synthetic import make_sweep

LRS = [0.01, 0.02, 0.05, 0.03]


def make_search(folder, n_trials: int = 6):
    """A search folder as hydra/sweeper=optuna leaves it: multirun.yaml, jobs 0/.. and the
    study, trial N = job N with its told value (a made-up validation MSE)."""
    runs = make_sweep(folder, {"inner_lr": LRS}, seeds=(0,))
    multirun = yaml.safe_load((folder / rundir.MULTIRUN).read_text())
    multirun["hydra"]["overrides"]["task"] = ["search=reptile_quick"]
    multirun["hydra"]["sweeper"] = {
        "_target_": SEARCH_SWEEPER, "n_trials": n_trials, "replicate_key": "seed",
        "params": {"seed": 0, "inner_lr": "tag(log, interval(0.001, 0.1))"}}
    (folder / rundir.MULTIRUN).write_text(yaml.safe_dump(multirun))
    study = optuna.create_study(study_name="search", direction="minimize",
                                storage=f"sqlite:///{folder / rundir.STUDY}")
    study.set_user_attr("replicates", [])
    space = {"inner_lr": FloatDistribution(0.001, 0.1, log=True)}
    for run, lr in zip(runs, LRS):
        trial = study.ask(space)
        assert trial.number == int(run.name)  # trial N is job N
        if lr == 0.03:
            trial.set_user_attr("error", "job 3 returned None")
            study.tell(trial, state=optuna.trial.TrialState.FAIL)
        else:
            study.tell(trial, 1.0 + lr)
    return study


@pytest.mark.filterwarnings("ignore::UserWarning")
def test_report_of_a_search_folder(tmp_path):
    folder = tmp_path / "search"
    study = make_search(folder)
    assert planned_count(folder) == 6
    report = build_report([folder], tmp_path / "report", figures=False).read_text()
    assert "## Search `search`" in report and "2 of 6 jobs never started" in report
    table = pd.read_csv(tmp_path / "report" / "tables" / "search_search.csv")
    assert table["trial"].tolist()[:3] == [0, 1, 2] and table["state"].iloc[-1] == "fail"
    assert table["val_mse"].tolist()[:3] == [t.value for t in study.trials[:3]]
    for _, row in table.iterrows():
        info = json.loads((folder / str(row["trial"]) / rundir.RUN_JSON).read_text())
        assert row["test_mse"] == pytest.approx(info["metrics"]["mse_mean"])
        assert str(row["jobs"]) == str(row["trial"])
    assert f"**Best trial {study.best_trial.number}:** validation MSE" in report


@pytest.mark.filterwarnings("ignore::UserWarning")
def test_the_search_figures_are_optunas_drawn_without_scikit_learn(tmp_path, monkeypatch):
    folder = tmp_path / "search"
    make_search(folder)
    monkeypatch.setitem(__import__("sys").modules, "sklearn", None)  # as if not installed
    lines, files = search_sections(load_runs([folder]), tmp_path / "out")
    for stem in ("history", "importances", "slices"):
        png = tmp_path / "out" / "figures" / f"search_search_{stem}.png"
        assert png in files and png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert f"(figures/search_search_{stem}.png)" in "\n".join(lines)

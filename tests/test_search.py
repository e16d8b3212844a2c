"""Searches as users launch them (hydra/sweeper=optuna, search=NAME): presets whose every bound
validates, a search space outside the allowed ranges refused in one line, and real tiny searches
read back from their study: values told, failures recorded, a relaunch that continues, a killed
search that resumes its trials from their checkpoints."""

from __future__ import annotations

import subprocess
from pathlib import Path

import optuna
import pandas as pd
import pytest
import yaml
from optuna.trial import TrialState

import rundir
from experiments.config import compose_config, conf_tree
from experiments.preflight import Composer, search_jobs
from experiments.validate import validate
from tests.helpers.app import ROOT, app_command, env
from tests.helpers.config import group_options
from tests.helpers.sweeps import K, job_dirs, kill_when, launch, run_json

SEARCHED = {"meta_step", "inner_lr", "inner_steps", "inner_batch", "model.width"}
# a tiny search: TINY's jobs (width fixed at 16 by TINY), 10 validation tasks, 2 trials at once
SEARCH = ["search=reptile_quick", "eval.validation_tasks=10", "hydra.sweeper.n_jobs=2"]


def load(sweep_dir: Path) -> optuna.Study:
    return optuna.load_study(study_name="search",
                             storage=f"sqlite:///{sweep_dir / rundir.STUDY}")


def job_overrides(job: Path) -> list[str]:
    return yaml.safe_load((job / rundir.OVERRIDES).read_text())


# -- presets and preflight --------------------------------------------------------------------
@pytest.mark.parametrize("name", group_options("search"))
def test_search_preset_searches_the_five_knobs_and_every_bound_validates(name):
    cfg = compose_config(f"search={name}", hydra=True)
    sweeper = cfg.hydra.sweeper
    assert sweeper._target_ == rundir.sweep.SEARCH_SWEEPER and cfg.eval.validation_tasks > 0
    params = {k: str(v) for k, v in sweeper.params.items()}
    jobs = search_jobs(cfg, [], params)
    assert {where.split(" of ")[-1].split("=")[0] for _, where in jobs} == SEARCHED
    with conf_tree():
        compose = Composer()
        for job, _ in jobs:
            validate(compose([f"search={name}", *job]))


@pytest.mark.parametrize("override, message", [
    ("meta_step=tag(log, interval(0.01, 2.0))", "meta_step=2.0 is not allowed: must be a "
     "number in (0, 1] (the bound meta_step=2.0 of meta_step=tag(log, interval(0.01, 2.0)))"),
    ("inner_batch=choice(5, 60)", "inner_batch=60 is not allowed: must be an integer in "
     "[1, task.n_points] ([1, 50])"),
    ("eval.validation_tasks=0", "eval.validation_tasks=0 is not allowed in a search"),
    ("inner_lr=tag(foo, interval(0.01, 0.1))", "inner_lr=tag(foo, interval(0.01, 0.1)): "
     "unknown tag 'foo'"),
])
def test_a_search_space_outside_the_allowed_ranges_is_refused_in_one_line(tmp_path, override,
                                                                         message):
    proc = subprocess.run(app_command("-m", "search=reptile_quick", override), cwd=tmp_path,
                          env=env(), capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    assert proc.stderr.startswith(f"error: {message}") and proc.stderr.count("\n") == 1
    assert not (tmp_path / "multirun").exists()  # refused before any folder or worker


# -- real tiny searches ---------------------------------------------------------------------------
@pytest.mark.slow
def test_a_search_tells_each_trial_its_validation_mse_and_a_relaunch_continues(tmp_path):
    sweep = tmp_path / "search"
    args = [*SEARCH, "seed=0,1", "hydra.sweeper.n_trials=3", f"hydra.sweep.dir={sweep}"]
    proc = launch(tmp_path, *args)
    assert proc.returncode == 0, proc.stdout
    study = load(sweep)
    assert [t.state for t in study.trials] == [TrialState.COMPLETE] * 3
    assert [j.name for j in job_dirs(sweep)] == [str(n) for n in range(6)]  # 2 seeds a trial
    for t in study.trials:
        jobs = [sweep / str(2 * t.number + r) for r in range(2)]
        infos = [run_json(job) for job in jobs]
        assert [i["seed"] for i in infos] == [0, 1]
        for job in jobs:
            assert job_overrides(job)[:-1] == t.user_attrs["overrides"]
            assert set(SEARCHED - {"model.width"}) <= {o.split("=")[0] for o in
                                                       job_overrides(job)}
        # the told value is the mean of its jobs' validation MSE, which is eval_val.csv's
        assert t.value == pytest.approx(sum(i["metrics"]["val_mse_mean"] for i in infos) / 2)
        val, test = (pd.read_csv(jobs[0] / name) for name in (rundir.EVAL_VALIDATION,
                                                               rundir.eval_file()))
        assert list(val.columns) == list(rundir.EVAL_COLUMNS) and val["k"].tolist() == \
            list(range(K + 1)) and val["n_tasks"].iloc[0] == 10
        assert val["mse_mean"].iloc[-1] == infos[0]["metrics"]["val_mse_mean"]
        assert val["mse_mean"].iloc[-1] != test["mse_mean"].iloc[-1]  # other tasks
    summary = pd.read_csv(sweep / rundir.SWEEP_SUMMARY)
    assert summary["trial"].tolist() == [0, 0, 1, 1, 2, 2]
    results = yaml.safe_load((sweep / rundir.SEARCH_RESULTS).read_text())
    assert results["best_value"] == min(t.value for t in study.trials)
    assert "the best trials by val_mse" in proc.stdout

    again = launch(tmp_path, *args)  # a finished study: nothing to do
    assert again.returncode == 0, again.stdout
    assert len(load(sweep).trials) == 3 and len(job_dirs(sweep)) == 6
    more = launch(tmp_path, *args[:-2], "hydra.sweeper.n_trials=4", f"hydra.sweep.dir={sweep}")
    assert more.returncode == 0, more.stdout
    study = load(sweep)
    assert [t.state for t in study.trials] == [TrialState.COMPLETE] * 4
    assert [j.name for j in job_dirs(sweep)] == [str(n) for n in range(8)]  # numbers go on
    assert study.trials[3].params not in [t.params for t in study.trials[:3]]


@pytest.mark.slow
def test_a_diverging_trial_is_recorded_failed_and_the_search_goes_on(tmp_path):
    sweep = tmp_path / "search"
    proc = launch(tmp_path, *SEARCH, "inner_lr=choice(0.01, 1000.0)",
                  "hydra.sweeper.n_trials=4", f"hydra.sweep.dir={sweep}")
    assert proc.returncode == 0, proc.stdout  # divergence is a result, not a failed job
    study = load(sweep)
    assert len(study.trials) == 4
    states = {t.params["inner_lr"]: set() for t in study.trials}
    for t in study.trials:
        states[t.params["inner_lr"]].add(t.state)
        status = run_json(sweep / str(t.number))["status"]
        if t.state == TrialState.FAIL:
            assert status == "diverged" and "returned None" in t.user_attrs["error"]
        else:
            assert status == "done"
    assert states == {0.01: {TrialState.COMPLETE}, 1000.0: {TrialState.FAIL}}


@pytest.mark.slow
def test_a_killed_search_resumes_its_trials_from_their_checkpoints(tmp_path):
    sweep = tmp_path / "search"
    args = [*SEARCH, "hydra.sweeper.n_trials=3", "meta_iters=400", "checkpoint_every=20",
            "log_every=20", f"hydra.sweep.dir={sweep}"]
    kill_when(tmp_path, args, lambda: len(_midway(sweep)) == 2)  # both first trials midway
    cut = load(sweep).trials  # (the study object reads its storage at each access)
    assert [t.state for t in cut] == [TrialState.RUNNING] * 2
    started = {n: run_json(sweep / str(n))["started"] for n in (0, 1)}

    resumed = launch(tmp_path, *args)
    assert resumed.returncode == 0, resumed.stdout
    assert "cut short by an earlier launch" in resumed.stdout
    study = load(sweep)
    assert [t.state for t in study.trials] == [TrialState.COMPLETE] * 3  # no trial added
    assert [t.params for t in study.trials[:2]] == [t.params for t in cut]
    assert [j.name for j in job_dirs(sweep)] == ["0", "1", "2"]
    # the cut trials went on from their checkpoints (run.json keeps its first start) ...
    assert {n: run_json(sweep / str(n))["started"] for n in (0, 1)} == started
    # ... to the results of an uninterrupted run of the same job
    alone = tmp_path / "alone"
    single = subprocess.run(app_command(*job_overrides(sweep / "0"), f"hydra.run.dir={alone}"),
                            cwd=ROOT, env=env(), capture_output=True, text=True, timeout=300)
    assert single.returncode == 0, single.stderr
    for name in (rundir.eval_file(), rundir.EVAL_VALIDATION, rundir.CURVE):
        a, b = pd.read_csv(sweep / "0" / name), pd.read_csv(alone / name)
        pd.testing.assert_frame_equal(a.drop(columns="seconds", errors="ignore"),
                                      b.drop(columns="seconds", errors="ignore"))
    for t in study.trials:
        assert t.value == run_json(sweep / str(t.number))["metrics"]["val_mse_mean"]


def _midway(sweep_dir: Path) -> list[Path]:
    """Jobs training with a checkpoint to resume from."""
    jobs = job_dirs(sweep_dir) if sweep_dir.is_dir() else []
    return [job for job in jobs if (job / rundir.CHECKPOINT).exists()
            and (job / rundir.RUN_JSON).exists() and run_json(job)["status"] == "running"]

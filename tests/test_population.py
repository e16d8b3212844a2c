"""hydra/launcher=population: real tiny sweeps, against the joblib launcher's (a process a job)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

import rundir
from tests.helpers.app import TINY
from tests.helpers.sweeps import (
    check_done_job,
    check_summary,
    job_dirs,
    kill_midway,
    launch,
    run_json,
    snapshot,
)

POPULATION = "hydra/launcher=population"
# 2 seeds x 2 meta steps x 2 inner step sizes, for Reptile and first-order MAML: 16 jobs in 2
# populations (the algorithm changes the computation; the rest are member keys)
GRID = ["algo=reptile,fomaml", "seed=0,1", "meta_step=0.1,0.5", "inner_lr=0.01,0.03"]
RESULTS = [rundir.eval_file(), rundir.eval_tasks_file(), rundir.EVAL_INIT, rundir.PREDICTIONS]


def _assert_same_results(a, b, rtol=1e-5):
    """Every job's result tables and weights agree within rtol (wall times aside)."""
    for job_a, job_b in zip(job_dirs(a), job_dirs(b), strict=True):
        assert run_json(job_a)["status"] == run_json(job_b)["status"], job_a
        if run_json(job_a)["status"] != "done":
            continue
        for name in [*RESULTS, rundir.CURVE]:
            x, y = pd.read_csv(job_a / name), pd.read_csv(job_b / name)
            numeric = [c for c in x if pd.api.types.is_numeric_dtype(x[c]) and c != "seconds"]
            np.testing.assert_allclose(x[numeric], y[numeric], rtol=rtol, atol=1e-7,
                                       err_msg=f"{job_a / name}")
        wa = torch.load(job_a / rundir.WEIGHTS, weights_only=True)["phi"]
        wb = torch.load(job_b / rundir.WEIGHTS, weights_only=True)["phi"]
        torch.testing.assert_close(wa, wb, rtol=rtol, atol=1e-7)


@pytest.mark.slow
def test_population_sweep_writes_what_the_joblib_sweep_writes(tmp_path):
    together, apart = tmp_path / "population", tmp_path / "joblib"
    result = launch(tmp_path, POPULATION, *GRID, f"hydra.sweep.dir={together}")
    assert result.returncode == 0, result.stdout
    assert "16 jobs in 2 groups" in result.stdout
    result = launch(tmp_path, *GRID, f"hydra.sweep.dir={apart}")
    assert result.returncode == 0, result.stdout
    _assert_same_results(together, apart)
    for job in job_dirs(together):
        check_done_job(job)
    swept = ["meta_step", "inner_lr", "algo.name"]
    pd.testing.assert_frame_equal(check_summary(together, swept).drop(columns="wall_seconds"),
                                  check_summary(apart, swept).drop(columns="wall_seconds"))
    # launched again with another launcher: every job has ended, none runs again
    before = {job.name: snapshot(job) for job in job_dirs(together)}
    again = launch(tmp_path, "hydra/launcher=basic", *GRID, f"hydra.sweep.dir={together}")
    assert again.returncode == 0, again.stdout
    assert {job.name: snapshot(job) for job in job_dirs(together)} == before


@pytest.mark.slow
def test_a_diverging_member_stops_alone_and_a_failing_one_fails_alone(tmp_path):
    """inner_lr 100 diverges; job 1 (inner_lr 0.02, seed 1) cannot write its curve.csv (a
    folder is in the way). All six train as one population; the statuses are those of the
    launchers that run a process a job (tests/test_sweeps.py)."""
    from tests.test_sweeps import FAILING, STATUSES, obstruct

    sweep_dir = tmp_path / "sweep"
    obstruct(sweep_dir)
    result = launch(tmp_path, POPULATION, *FAILING, f"hydra.sweep.dir={sweep_dir}")
    assert result.returncode == 1, result.stdout
    assert "6 jobs in 1 groups" in result.stdout or "6 jobs in 2 groups" in result.stdout
    assert [run_json(j)["status"] for j in job_dirs(sweep_dir)] == STATUSES
    for n in (3, 4, 5):
        info = run_json(sweep_dir / str(n))
        assert info["error"].startswith("non-finite") and 0 < info["iteration"] < 40
        assert f"at iteration {info['iteration']}" in info["error"]
    assert run_json(sweep_dir / "1")["error"].startswith("IsADirectoryError")
    for n in (0, 2):
        check_done_job(sweep_dir / str(n))


@pytest.mark.slow
def test_killed_population_resumes_each_member_from_its_checkpoint(tmp_path):
    args = [POPULATION, "hydra.launcher.n_jobs=1", "inner_steps=1,8", "seed=0,1",
            "meta_step=0.1,0.3", "meta_iters=400", "checkpoint_every=50", "log_every=50"]
    killed, clean = tmp_path / "killed", tmp_path / "clean"
    done, midway = kill_midway(tmp_path, args, killed)
    kept = {n: snapshot(killed / n) for n in done}
    started = {n: run_json(killed / n)["started"] for n in midway}
    # (a checkpoint is written before run.json says so: read the iteration from the checkpoint)
    iterations = [torch.load(killed / n / rundir.CHECKPOINT, weights_only=True)["learner"]
                  ["iteration"] for n in midway]
    assert all(0 < it < 400 for it in iterations)

    resumed = launch(tmp_path, *args, f"hydra.sweep.dir={killed}")
    assert resumed.returncode == 0, resumed.stdout
    assert {n: snapshot(killed / n) for n in done} == kept  # finished members untouched
    assert {n: run_json(killed / n)["started"] for n in midway} == started  # resumed, not rerun
    uninterrupted = launch(tmp_path, *args, f"hydra.sweep.dir={clean}")
    assert uninterrupted.returncode == 0, uninterrupted.stdout
    _assert_same_results(killed, clean, rtol=0)


@pytest.mark.slow
def test_population_through_submitit_is_one_task_per_population(tmp_path):
    sweep_dir = tmp_path / "sweep"
    result = launch(tmp_path, "hydra/launcher=population_submitit_local", "inner_steps=2,4",
                    "seed=0,1", f"hydra.sweep.dir={sweep_dir}")
    assert result.returncode == 0, result.stdout
    assert "4 jobs in 2 groups (submitit local" in result.stdout
    assert len(list((sweep_dir / ".submitit").glob("*/*_result.pkl"))) == 2  # two tasks
    for job in job_dirs(sweep_dir):
        check_done_job(job)


def test_members_sharing_initial_weights_evaluate_them_once(tmp_path, monkeypatch):
    """meta_step changes training only: two members of seed 0 share their initial weights,
    whose final evaluation runs once for both; seed 1's runs for itself."""
    from experiments import trainer
    from experiments.config import compose_config

    members = [(0, 0.1), (0, 0.5), (1, 0.1)]
    cfgs = [compose_config(*TINY, f"seed={seed}", f"meta_step={eps}") for seed, eps in members]
    outs = [tmp_path / str(i) for i in range(len(members))]
    evaluated, real = [], trainer.adaptation_mse

    def counting(net, phi, heldout, steps, *args, ks=None, **kwargs):
        if ks is None and len(heldout) == cfgs[0].eval.n_tasks:  # a final evaluation
            evaluated.append(len(phi))
        return real(net, phi, heldout, steps, *args, ks=ks, **kwargs)

    monkeypatch.setattr(trainer, "adaptation_mse", counting)
    trainer.train(cfgs, outs)
    assert evaluated == [3 + 2]  # three meta-weights, two distinct initial weights
    init = [pd.read_csv(out / rundir.EVAL_INIT_TASKS) for out in outs]
    pd.testing.assert_frame_equal(init[0], init[1])
    assert not init[0].equals(init[2])
    meta = [pd.read_csv(out / rundir.eval_tasks_file()) for out in outs]
    assert not meta[0].equals(meta[1])  # trained apart

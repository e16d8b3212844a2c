"""Bad input gets one clear line and loses nothing; killed runs resume to the same bytes; the same
config gives the same bytes; a diverging job is recorded as diverged."""

from __future__ import annotations

import json
import os
import signal
import time

import pytest
import torch

from tests.helpers.app import TINY, run_app, snapshot, start_app

# (override, the start of the one-line error: the key, the value, then what is allowed)
BAD_OVERRIDES = [
    ("inner_batch=60", "inner_batch=60 is not allowed: must be"),  # more than a task's 50 points
    ("inner_batch=0", "inner_batch=0 is not allowed: must be"),
    ("eval.shots=51", "eval.shots=51 is not allowed: must be"),  # more shots than grid points
    ("eval.curve_ks=[0,40]", "eval.curve_ks=[0, 40] is not allowed: must be"),  # k > eval.steps
    ("eval.predict_ks=[64]", "eval.predict_ks=[64] is not allowed: must be"),
    ("eval.steps=0", "eval.steps=0 is not allowed: must be"),
    ("meta_step_final=0.5", "meta_step_final=0.5 is not allowed: must be"),  # above meta_step
    ("meta_step=0", "meta_step=0.0 is not allowed: must be"),
    ("meta_step=1.5", "meta_step=1.5 is not allowed: must be"),
    ("meta_batch=0", "meta_batch=0 is not allowed: must be"),
    ("meta_iters=-5", "meta_iters=-5 is not allowed: must be"),
    ("inner_steps=0", "inner_steps=0 is not allowed: must be"),
    ("inner_lr=-0.1", "inner_lr=-0.1 is not allowed: must be"),
    ("inner_optimizer=rmsprop", "inner_optimizer=rmsprop is not allowed: must be"),
    ("model.width=0", "model.width=0 is not allowed: must be"),
    ("model.depth=-1", "model.depth=-1 is not allowed: must be"),
    ("model.activation=swish", "model.activation=swish is not allowed: must be one of tanh"),
    ("model.init=xavier", "model.init=xavier is not allowed: must be one of uniform, normal"),
    ("model.init_std=0", "model.init_std=0.0 is not allowed: must be a number > 0"),
    ("device=tpu", "device=tpu is not allowed: must be one of auto, cpu, cuda"),
    ("task.x_range=[5,-5]", "task.x_range=[5.0, -5.0] is not allowed: must be"),
    ("task.amplitude=[-1,5]", "task.amplitude=[-1.0, 5.0] is not allowed: must be"),
    ("eval.curve_tasks=5000", "eval.curve_tasks=5000 is not allowed: must be"),  # > eval.n_tasks
    ("log_every=0", "log_every=0 is not allowed: must be"),
    ("algo=foo", "algo=foo is not allowed: must be one of combo, fomaml, maml, pretrain, reptile"),
    ("hydra/launcher=nope", "hydra/launcher=nope is not allowed: must be one of basic"),
    ("experiment=nope", "experiment=nope is not allowed: must be one of"),
    ("inner_steps=abc", "Error merging override inner_steps=abc: Value 'abc'"),
    ("inner_step=3", "Could not override 'inner_step'"),  # a typo in a key
    ("+foo=1", "foo is not a known key"),  # the schema alone lets + appends in
]


@pytest.mark.parametrize("override,message", BAD_OVERRIDES, ids=[b[0] for b in BAD_OVERRIDES])
def test_bad_override_is_refused_in_one_line_and_writes_nothing(tmp_path, override, message):
    out = tmp_path / "run"
    proc = run_app(override, f"hydra.run.dir={out}")
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: {message}"), proc.stderr
    assert not out.exists()


def test_a_sweep_with_one_impossible_job_is_refused_before_any_job_runs(tmp_path):
    sweep = tmp_path / "sweep"
    proc = run_app("-m", "inner_batch=10,60", "seed=0,1", f"hydra.sweep.dir={sweep}")
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "inner_batch=60 is not allowed" in lines[0]
    assert "(in the job " in lines[0]
    assert not sweep.exists()


def _truncate(path):
    path.write_bytes(path.read_bytes()[: len(path.read_bytes()) // 2])


def _set_running(run):
    info = json.loads((run / "run.json").read_text())
    (run / "run.json").write_text(json.dumps({**info, "status": "running"}))


def _damage_checkpoint(run):
    _set_running(run)
    _truncate(run / "checkpoint.pt")


def _garbage_checkpoint(run):
    _set_running(run)
    (run / "checkpoint.pt").write_bytes(os.urandom(2000))


def _future_checkpoint(run):
    _set_running(run)
    ckpt = torch.load(run / "checkpoint.pt", weights_only=True)
    torch.save({**ckpt, "format": 2}, run / "checkpoint.pt")


def _future_run_json(run):
    info = json.loads((run / "run.json").read_text())
    (run / "run.json").write_text(json.dumps({**info, "format": 99}))


# (what is done to a finished run directory, extra overrides, what the one error line says)
BAD_DIRECTORIES = [
    (_damage_checkpoint, [], "checkpoint.pt is unreadable"),
    (_garbage_checkpoint, [], "checkpoint.pt is unreadable"),
    (_future_checkpoint, [], "format 2 is not supported"),
    (lambda run: (run / "run.json").write_text("{not json"), [], "run.json: unreadable"),
    (_future_run_json, [], "format 99 is not supported"),
    (lambda run: (run / "checkpoint.pt").unlink(), [], "checkpoint.pt is missing"),
    (lambda run: None, ["inner_lr=0.03"], "holds a run of another config (differs in eval.lr, "
     "inner_lr)"),
]


@pytest.mark.parametrize("damage,extra,message", BAD_DIRECTORIES,
                         ids=["truncated-ckpt", "garbage-ckpt", "future-ckpt", "bad-json",
                              "future-run-json", "missing-ckpt", "other-config"])
def test_bad_run_directory_is_refused_and_left_as_it_was(copy_of_tiny_run, damage, extra,
                                                         message):
    run = copy_of_tiny_run
    damage(run)
    before = snapshot(run)
    proc = run_app(*TINY, *extra, f"hydra.run.dir={run}")
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], proc.stderr
    after = snapshot(run)
    after.pop(".hydra/config.yaml"), before.pop(".hydra/config.yaml")  # Hydra rewrites these
    after.pop(".hydra/overrides.yaml"), before.pop(".hydra/overrides.yaml")
    after.pop(".hydra/hydra.yaml"), before.pop(".hydra/hydra.yaml")
    assert after == before


def test_finished_run_launched_again_is_left_untouched(copy_of_tiny_run):
    run = copy_of_tiny_run
    results = {k: v for k, v in snapshot(run).items() if not k.startswith(".hydra")}
    proc = run_app(*TINY, f"hydra.run.dir={run}")
    assert proc.returncode == 0 and proc.stdout.startswith("done"), proc.stderr
    assert {k: v for k, v in snapshot(run).items() if not k.startswith(".hydra")} == results


RESULT_FILES = ["eval.csv", "eval_tasks.csv", "weights.pt", "predictions.csv", "support.csv"]


def test_same_config_twice_gives_identical_bytes(tiny_run, tmp_path):
    proc = run_app(*TINY, f"hydra.run.dir={tmp_path / 'again'}")
    assert proc.returncode == 0, proc.stderr
    for name in RESULT_FILES:
        assert (tmp_path / "again" / name).read_bytes() == (tiny_run / name).read_bytes(), name


@pytest.mark.slow
def test_killed_run_resumes_to_the_bytes_of_an_uninterrupted_run(tmp_path):
    job = [*TINY, "meta_iters=4000", "checkpoint_every=250", "log_every=250"]
    killed = tmp_path / "killed"
    proc = start_app(*job, f"hydra.run.dir={killed}")
    deadline = time.time() + 120
    while not (killed / "checkpoint.pt").exists() and time.time() < deadline:
        time.sleep(0.05)
    time.sleep(0.5)
    assert proc.poll() is None, "the run finished before it could be killed: make it longer"
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    info = json.loads((killed / "run.json").read_text())
    assert info["status"] == "running" and 0 < info["iteration"] < 4000
    resumed = run_app(*job, f"hydra.run.dir={killed}")
    assert resumed.returncode == 0, resumed.stderr
    whole = run_app(*job, f"hydra.run.dir={tmp_path / 'whole'}")
    assert whole.returncode == 0, whole.stderr
    for name in RESULT_FILES:
        assert (killed / name).read_bytes() == (tmp_path / "whole" / name).read_bytes(), name
    curve = [line.split(",") for line in (killed / "curve.csv").read_text().splitlines()]
    whole_curve = [line.split(",") for line in (tmp_path / "whole" / "curve.csv").read_text()
                   .splitlines()]
    seconds = curve[0].index("seconds")
    assert [r[:seconds] + r[seconds + 1:] for r in curve] == \
        [r[:seconds] + r[seconds + 1:] for r in whole_curve]


def test_diverging_run_is_recorded_as_diverged(tmp_path):
    out = tmp_path / "run"
    proc = run_app(*TINY, "inner_lr=50", f"hydra.run.dir={out}")
    assert proc.returncode == 0, proc.stderr
    info = json.loads((out / "run.json").read_text())
    assert info["status"] == "diverged" and "non-finite" in info["error"]
    assert 0 < info["iteration"] <= 40 and info["metrics"] is None
    assert not (out / "eval.csv").exists() and (out / "curve.csv").exists()

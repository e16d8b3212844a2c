"""A job told to stop (SIGTERM; SIGUSR2 from submitit) checkpoints at once and exits, and the
relaunched job ends with the bytes of an uninterrupted one (experiments/preempt.py)."""

from __future__ import annotations

import json
import os
import signal
import time
from pathlib import Path

import pytest
import torch

from experiments import preempt
from tests.helpers.app import TINY, run_app, start_app
from tests.helpers.sweeps import job_dirs

RESULTS = ["eval.csv", "eval_tasks.csv", "eval_init.csv", "weights.pt", "predictions.csv",
           "support.csv"]


def same_results(a: Path, b: Path) -> None:
    """The result files are byte-identical and curve.csv is, but for its wall-time column."""
    for name in RESULTS:
        assert (a / name).read_bytes() == (b / name).read_bytes(), name

    def rows(run: Path) -> list[list[str]]:
        lines = [line.split(",") for line in (run / "curve.csv").read_text().splitlines()]
        seconds = lines[0].index("seconds")
        return [r[:seconds] + r[seconds + 1:] for r in lines]
    assert rows(a) == rows(b)


def wait_for(path: Path, proc, timeout: float = 120) -> None:
    deadline = time.time() + timeout
    while not path.exists() and time.time() < deadline:
        assert proc.poll() is None, proc.communicate()
        time.sleep(0.05)


def checkpoint_iteration(run: Path) -> int:
    return torch.load(run / "checkpoint.pt", weights_only=True)["learner"]["iteration"]


# -- the signal plumbing, in this process ------------------------------------------------------
def test_a_signal_is_recorded_and_handed_to_the_handler_that_was_there_before():
    seen = []

    def submitit_like(signum, frame):  # submitit's USR2 handler requeues, then exits
        seen.append(signum)
        raise SystemExit(-1)

    old = signal.signal(signal.SIGUSR2, submitit_like)
    try:
        with pytest.raises(SystemExit) as stopped, preempt.watch(), preempt.deferred():
            os.kill(os.getpid(), signal.SIGUSR2)
            assert preempt.requested() and preempt.signal_name() == "SIGUSR2"
            assert not seen  # recorded only: the trainer acts between iterations
            preempt.stop("checkpoint written")
        assert seen == [signal.SIGUSR2] and stopped.value.code == -1
        assert signal.getsignal(signal.SIGUSR2) is submitit_like
    finally:
        signal.signal(signal.SIGUSR2, old)


def test_a_signal_in_the_final_evaluation_acts_at_once_and_elsewhere_stops_at_once():
    acted = []

    def checkpoint_and_stop():
        acted.append(preempt.signal_name())
        preempt.stop("checkpoint written")

    with pytest.raises(SystemExit) as stopped, preempt.watch(), \
            preempt.on_signal(checkpoint_and_stop):
        os.kill(os.getpid(), signal.SIGTERM)
        raise AssertionError("the signal did not stop the evaluation")
    assert acted == ["SIGTERM"] and stopped.value.code == 128 + signal.SIGTERM
    with pytest.raises(SystemExit) as stopped, preempt.watch():  # nothing to save: stop now
        os.kill(os.getpid(), signal.SIGTERM)
        raise AssertionError("the signal did not stop the process")
    assert stopped.value.code == 128 + signal.SIGTERM


def test_a_signal_as_the_last_job_ends_stops_a_plain_process_but_not_submitit():
    with pytest.raises(SystemExit) as stopped, preempt.watch():
        with preempt.deferred():
            os.kill(os.getpid(), signal.SIGTERM)
    assert stopped.value.code == 128 + signal.SIGTERM
    old = signal.signal(signal.SIGTERM, lambda *_: None)  # submitit only logs SIGTERM
    try:
        with preempt.watch(), preempt.deferred():
            os.kill(os.getpid(), signal.SIGTERM)
        assert not preempt.requested()
    finally:
        signal.signal(signal.SIGTERM, old)


# -- real jobs --------------------------------------------------------------------------------
JOB = [*TINY, "meta_iters=6000", "checkpoint_every=0", "log_every=500"]


@pytest.mark.slow
def test_sigterm_mid_run_checkpoints_at_once_and_the_relaunch_gives_the_same_bytes(tmp_path):
    stopped = tmp_path / "stopped"
    proc = start_app(*JOB, f"hydra.run.dir={stopped}")
    wait_for(stopped / "run.json", proc)  # training has begun
    time.sleep(0.5)
    os.kill(proc.pid, signal.SIGTERM)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 128 + signal.SIGTERM, err
    assert err.strip().splitlines()[-1].startswith("SIGTERM: stopped at iteration"), err
    info = json.loads((stopped / "run.json").read_text())
    assert info["status"] == "running" and 0 < info["iteration"] < 6000
    # checkpoint_every=0 writes no periodic checkpoint: this one was written on the signal
    assert checkpoint_iteration(stopped) == info["iteration"]
    resumed = run_app(*JOB, f"hydra.run.dir={stopped}")
    assert resumed.returncode == 0, resumed.stderr
    whole = run_app(*JOB, f"hydra.run.dir={tmp_path / 'whole'}")
    assert whole.returncode == 0, whole.stderr
    same_results(stopped, tmp_path / "whole")


@pytest.mark.slow
def test_sigterm_stops_a_population_with_every_member_checkpointed(tmp_path):
    """Two seeds trained as one population in the launching process (population launcher, one
    worker), stopped, relaunched into the same folder: the bytes of an uninterrupted sweep."""
    sweep = ["-m", *JOB, "seed=0,1", "hydra/launcher=population", "hydra.launcher.n_jobs=1"]
    stopped = tmp_path / "stopped"
    proc = start_app(*sweep, f"hydra.sweep.dir={stopped}")
    wait_for(stopped / "1" / "run.json", proc)
    time.sleep(0.5)
    os.kill(proc.pid, signal.SIGTERM)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 128 + signal.SIGTERM, err
    jobs = job_dirs(stopped)
    iterations = {checkpoint_iteration(job) for job in jobs}
    assert len(jobs) == 2 and len(iterations) == 1 and 0 < iterations.pop() < 6000
    resumed = run_app(*sweep, f"hydra.sweep.dir={stopped}")
    assert resumed.returncode == 0, resumed.stderr
    whole = run_app(*sweep, f"hydra.sweep.dir={tmp_path / 'whole'}")
    assert whole.returncode == 0, whole.stderr
    for job in jobs:
        same_results(job, tmp_path / "whole" / job.name)


@pytest.mark.slow
def test_sigterm_in_the_final_evaluation_checkpoints_the_last_iteration(tmp_path):
    """A long final evaluation (many held-out tasks) stopped midway: the checkpoint holds the
    last iteration, and the relaunch only evaluates, to the bytes of an uninterrupted run."""
    job = [*TINY, "meta_iters=20", "checkpoint_every=10", "log_every=10", "eval.n_tasks=20000"]
    stopped = tmp_path / "stopped"
    proc = start_app(*job, f"hydra.run.dir={stopped}")
    deadline = time.time() + 300
    while time.time() < deadline:  # the checkpoint at 20 is the last before the evaluation
        assert proc.poll() is None, proc.communicate()
        try:
            if json.loads((stopped / "run.json").read_text())["iteration"] == 20:
                break
        except (OSError, ValueError):
            pass
        time.sleep(0.05)
    time.sleep(1)
    os.kill(proc.pid, signal.SIGTERM)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 128 + signal.SIGTERM, err
    assert "SIGTERM: stopped at iteration 20, checkpoint written" in err
    assert json.loads((stopped / "run.json").read_text())["status"] == "running"
    resumed = run_app(*job, f"hydra.run.dir={stopped}")
    assert resumed.returncode == 0, resumed.stderr
    whole = run_app(*job, f"hydra.run.dir={tmp_path / 'whole'}")
    assert whole.returncode == 0, whole.stderr
    same_results(stopped, tmp_path / "whole")

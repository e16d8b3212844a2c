"""The SLURM launch path on a real SLURM (scripts/slurm-local.sh starts one on this machine; CI
does so before the tests): a sweep as a job array gives joblib's results, and a job interrupted
the way a cluster interrupts it (submitit's USR2 before the time limit, SIGTERM on preemption) is
requeued and ends with the files of an uninterrupted run.

Skipped, with the reason, where no SLURM answers; REQUIRE_SLURM=1 (set by .ci/run) makes that a
failure instead.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from pathlib import Path

import pandas as pd
import pytest

from tests.helpers.app import TINY, run_app
from tests.helpers.sweeps import check_done_job, job_dirs, launch, start
from tests.test_preemption import same_results


def _slurm_problem() -> str | None:
    if not shutil.which("sbatch"):
        return "sbatch not found: start a local SLURM with `scripts/slurm-local.sh start` (root)"
    proc = subprocess.run(["sinfo", "-h", "-o", "%T"], capture_output=True, text=True)
    if proc.returncode or not proc.stdout.strip():
        return f"no SLURM controller answers sinfo ({proc.stderr.strip() or 'no node'})"
    return None


PROBLEM = _slurm_problem()
if PROBLEM and os.environ.get("REQUIRE_SLURM") == "1":
    raise RuntimeError(f"REQUIRE_SLURM=1 but {PROBLEM}")
pytestmark = [pytest.mark.slow, pytest.mark.skipif(PROBLEM is not None, reason=PROBLEM or "")]

SWEEP = ["seed=0,1", "inner_steps=1,2"]
SLURM = ["hydra/launcher=slurm", "hydra.launcher.timeout_min=10"]


@pytest.fixture(scope="module")
def joblib_sweep(tmp_path_factory) -> Path:
    cwd = tmp_path_factory.mktemp("joblib")
    proc = launch(cwd, *SWEEP, f"hydra.sweep.dir={cwd / 'sweep'}")
    assert proc.returncode == 0, proc.stdout
    return cwd / "sweep"


def slurm_jobs(sweep: Path) -> list[str]:
    """The SLURM ids of the sweep's jobs, from submitit's folders: ARRAY_TASK for an array (one
    array), a plain id for a sweep of one job."""
    folders = [p.name for p in (sweep / ".submitit").iterdir() if p.is_dir()]
    tasks = sorted(name for name in folders if "_" in name) or folders
    assert len({task.split("_")[0] for task in tasks}) == 1, tasks
    return tasks


@pytest.fixture
def cancel_at_end():
    """Sweep folders whose SLURM jobs are cancelled when the test ends (a failed test leaves
    none running)."""
    sweeps: list[Path] = []
    yield sweeps
    for sweep in sweeps:
        if (sweep / ".submitit").is_dir():
            subprocess.run(["scancel", *slurm_jobs(sweep)], capture_output=True)


def _same_sweep(sweep: Path, reference: Path) -> None:
    jobs = job_dirs(sweep)
    assert [j.name for j in jobs] == [j.name for j in job_dirs(reference)]
    for job in jobs:
        check_done_job(job)
        same_results(job, reference / job.name)
    ours, theirs = (pd.read_csv(s / "summary.csv").drop(columns="wall_seconds")
                    for s in (sweep, reference))
    pd.testing.assert_frame_equal(ours, theirs)


def test_a_sweep_as_a_slurm_array_gives_the_results_of_joblib(tmp_path, joblib_sweep,
                                                              cancel_at_end):
    cancel_at_end.append(tmp_path / "sweep")
    proc = launch(tmp_path, *SWEEP, *SLURM, f"hydra.sweep.dir={tmp_path / 'sweep'}")
    assert proc.returncode == 0, proc.stdout
    assert len(slurm_jobs(tmp_path / "sweep")) == 4  # a task per job
    _same_sweep(tmp_path / "sweep", joblib_sweep)


def test_a_population_sweep_on_slurm_gives_the_results_of_joblib(tmp_path, joblib_sweep,
                                                                 cancel_at_end):
    """hydra/launcher=population_submitit_slurm: the seeds of each inner_steps train as one
    population, one array task per population."""
    cancel_at_end.append(tmp_path / "sweep")
    proc = launch(tmp_path, *SWEEP, "hydra/launcher=population_submitit_slurm",
                  "hydra.launcher.timeout_min=10", f"hydra.sweep.dir={tmp_path / 'sweep'}")
    assert proc.returncode == 0, proc.stdout
    assert len(slurm_jobs(tmp_path / "sweep")) == 2  # a task per population
    _same_sweep(tmp_path / "sweep", joblib_sweep)


# a job of ~10-30 s: long enough to be interrupted once it has started training
LONG = [*TINY, "meta_iters=6000", "checkpoint_every=0", "log_every=500"]
TRIGGERS = {
    # submitit's warning before the time limit, sent now (the repeatable form of a time limit)
    "usr2": lambda job: ["scancel", "--signal=USR2", job],
    # what a preempting or an administrator's requeue does: SIGTERM, then requeue
    "requeue": lambda job: ["scontrol", "requeue", job],
}


@pytest.mark.parametrize("trigger", sorted(TRIGGERS))
def test_an_interrupted_job_is_requeued_and_ends_with_the_files_of_an_uninterrupted_run(
        tmp_path, trigger, cancel_at_end):
    sweep = tmp_path / "sweep"
    cancel_at_end.append(sweep)
    proc = start(tmp_path, *LONG, *SLURM, f"hydra.sweep.dir={sweep}")
    job = sweep / "0"
    deadline = time.time() + 300
    while not (job / "run.json").exists():  # training has begun (pending in the queue before)
        assert time.time() < deadline and proc.poll() is None, proc.communicate()
        time.sleep(0.2)
    time.sleep(1)
    (job_id,) = slurm_jobs(sweep)
    subprocess.run(TRIGGERS[trigger](job_id), check=True)
    out, _ = proc.communicate(timeout=600)
    assert proc.returncode == 0, out
    info = check_done_job(job)
    err = (sweep / ".submitit" / job_id / f"{job_id}_0_log.err").read_text()
    assert "Requeued" in (sweep / ".submitit" / job_id / f"{job_id}_0_log.out").read_text() \
        or trigger == "requeue"  # SLURM itself requeues on scontrol requeue
    stopped = [line for line in err.splitlines() if ": stopped at iteration" in line]
    assert len(stopped) == 1 and 0 < int(stopped[0].split()[4].rstrip(",")) < 6000, err
    assert info["iteration"] == 6000
    whole = run_app(*LONG, f"hydra.run.dir={tmp_path / 'whole'}")
    assert whole.returncode == 0, whole.stderr
    same_results(job, tmp_path / "whole")
    assert json.loads((job / "run.json").read_text())["status"] == "done"

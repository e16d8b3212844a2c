"""Launching real sweeps as a user would, and checking what they leave behind.

Every sweep runs the app's own command, `python -m experiments.train -m ...`, in a subprocess
whose working directory is the test's folder, so `multirun/` lands there.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pandas as pd
import yaml

from tests.helpers.app import TINY, app_command, env

K = 8  # eval.steps of apprun.TINY: eval.csv must hold k = 0..K
assert f"eval.steps={K}" in TINY
# docs/run-directory.md: what every finished job holds
JOB_FILES = [
    ".hydra/config.yaml", ".hydra/overrides.yaml", ".hydra/hydra.yaml", "run.json", "curve.csv",
    "eval.csv", "eval_tasks.csv", "predictions.csv", "support.csv", "weights.pt",
    "checkpoint.pt", "fit.png",
]
METRICS = ["mse_k0_mean", "mse_mean", "mse_median", "mse_sem", "n_tasks", "n_blowup"]


def command(*overrides: str) -> list[str]:
    return app_command("-m", *TINY, *overrides)


def launch(cwd: Path, *overrides: str, path: Path | None = None,
           timeout: float = 300) -> subprocess.CompletedProcess:
    """Runs a sweep of tiny jobs to its end; stdout and stderr together in .stdout. `path`
    goes first on PATH (stand-ins for cluster commands)."""
    environ = env()
    if path is not None:
        environ["PATH"] = f"{path}{os.pathsep}{environ['PATH']}"
    return subprocess.run(command(*overrides), cwd=cwd, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True, timeout=timeout, env=environ)


def start(cwd: Path, *overrides: str) -> subprocess.Popen:
    """Starts a sweep of tiny jobs in its own process group, so that it can be killed whole."""
    return subprocess.Popen(command(*overrides), cwd=cwd, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, env=env(),
                            start_new_session=True)


def sweep_dirs(cwd: Path) -> list[Path]:
    return sorted((cwd / "multirun").iterdir())


def job_dirs(sweep_dir: Path) -> list[Path]:
    return sorted((p for p in sweep_dir.iterdir() if p.name.isdigit()), key=lambda p: int(p.name))


def run_json(job: Path) -> dict:
    return json.loads((job / "run.json").read_text())


def check_done_job(job: Path, k: int = K) -> dict:
    """Asserts the run-directory contract for a finished job; returns its run.json."""
    missing = [f for f in JOB_FILES if not (job / f).is_file()]
    assert not missing, f"{job} lacks {missing}"
    info = run_json(job)
    assert info["status"] == "done", (job, info["error"])
    assert info["iteration"] == info["meta_iters"]
    assert pd.read_csv(job / "eval.csv")["k"].tolist() == list(range(k + 1))
    assert set(METRICS) <= set(info["metrics"])
    return info


def check_summary(sweep_dir: Path, swept: list[str]) -> pd.DataFrame:
    """Asserts summary.csv has one row per job folder, the swept keys as columns, and each
    job's status and metrics exactly as its run.json says."""
    summary = pd.read_csv(sweep_dir / "summary.csv")
    jobs = job_dirs(sweep_dir)
    assert summary["job"].tolist() == [int(j.name) for j in jobs]
    assert list(summary.columns[1:1 + len(swept)]) == swept
    for job, (_, row) in zip(jobs, summary.iterrows(), strict=True):
        info = run_json(job)
        assert row["status"] == info["status"] and row["seed"] == info["seed"]
        config = yaml.safe_load((job / ".hydra/config.yaml").read_text())
        for key in swept:
            assert row[key] == select(config, key), (job, key)
        for name, value in (info["metrics"] or {}).items():
            assert row[name] == value, (job, name)
    return summary


def select(tree: dict, dotted: str):
    for part in dotted.split("."):
        tree = tree[part]
    return tree


def snapshot(job: Path) -> dict[str, tuple[int, bytes]]:
    """Modification time and bytes of every result file of a job (Hydra rewrites .hydra/ and
    appends to its log whenever it launches a job; those are not results)."""
    return {
        str(p.relative_to(job)): (p.stat().st_mtime_ns, p.read_bytes())
        for p in job.rglob("*")
        if p.is_file() and ".hydra" not in p.parts and p.suffix != ".log"
    }


# -- a sweep killed midway ------------------------------------------------------------------------
def kill_when(cwd: Path, args: list[str], ready) -> None:
    """Starts the sweep `args` in cwd and SIGKILLs its whole process group as soon as ready()
    is true; asserts it was killed and waits until none of its processes is left."""
    proc = start(cwd, *args)
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline and proc.poll() is None:
        if ready():
            os.killpg(proc.pid, signal.SIGKILL)
            break
        time.sleep(0.05)
    proc.communicate(timeout=60)
    assert proc.returncode == -signal.SIGKILL, "the sweep ended before it could be killed"
    _wait_group_gone(proc.pid)


def kill_midway(cwd: Path, args: list[str], sweep_dir: Path) -> tuple[list[str], list[str]]:
    """Kills the sweep once some jobs are done and others are training with a checkpoint to
    resume from; returns (done jobs, midway jobs)."""
    seen: dict[str, list[str]] = {}

    def ready() -> bool:
        seen["done"], seen["midway"] = _progress(sweep_dir)
        return bool(seen["done"] and seen["midway"])

    kill_when(cwd, [*args, f"hydra.sweep.dir={sweep_dir}"], ready)
    return seen["done"], seen["midway"]


def _progress(sweep_dir: Path) -> tuple[list[str], list[str]]:
    """Jobs done as far as summary.csv knows (on_job_end wrote it), and jobs that are training
    with a checkpoint to resume from."""
    summary = sweep_dir / "summary.csv"
    if not summary.exists():
        return [], []
    rows = pd.read_csv(summary)
    done = [str(j) for j in rows.loc[rows["status"] == "done", "job"]]
    midway = []
    for job in job_dirs(sweep_dir):
        info = run_json(job) if (job / "run.json").exists() else {}
        if info.get("status") == "running" and (job / "checkpoint.pt").exists():
            midway.append(job.name)
    return done, midway


def _wait_group_gone(pgid: int) -> None:
    """Every process of the killed sweep (the launcher's workers too) is gone: none can still
    write into the folder the relaunch works in. Zombies, dead but not yet reaped by init,
    count as gone."""
    for _ in range(100):
        if not _live_members(pgid):
            return
        time.sleep(0.05)
    raise AssertionError(f"processes {_live_members(pgid)} of group {pgid} outlived SIGKILL")


def _live_members(pgid: int) -> list[int]:
    live = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:  # the process ended while we looked
            continue
        if int(fields[2]) == pgid and fields[0] != "Z":
            live.append(int(stat.parent.name))
    return live

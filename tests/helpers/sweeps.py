"""Launching real sweeps as a user would, and checking what they leave behind.

Every sweep runs the app's own command, `python -m experiments.train -m ...`, in a subprocess
whose working directory is the test's folder, so `multirun/` lands there.
"""

from __future__ import annotations

import json
import os
import subprocess
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

"""Running the app as a user does, in a subprocess, for the end-to-end tests."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]  # the repository

# a job of ~2 s: enough to exercise every stage of the run directory
TINY = [
    "meta_iters=40", "log_every=20", "checkpoint_every=20", "model.width=16",
    "eval.n_tasks=20", "eval.curve_tasks=10", "eval.steps=8", "eval.curve_ks=[0,8]",
    "eval.predict_tasks=2", "eval.predict_ks=[0,8]", "eval.predict_points=20",
]


def app_command(*overrides: str, module: str = "experiments.train") -> list[str]:
    return [sys.executable, "-m", module, *overrides]


def env() -> dict:
    return {**os.environ, "HYDRA_FULL_ERROR": "0", "PYTHONUNBUFFERED": "1"}


def run_app(*overrides: str, timeout: float = 300,
            module: str = "experiments.train") -> subprocess.CompletedProcess:
    return subprocess.run(app_command(*overrides, module=module), cwd=ROOT, env=env(),
                          capture_output=True, text=True, timeout=timeout)


def start_app(*overrides: str) -> subprocess.Popen:
    return subprocess.Popen(app_command(*overrides), cwd=ROOT, env=env(), text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            start_new_session=True)


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file under folder (relative path -> bytes)."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file()}

"""Soak: a sweep of hundreds of short jobs, launched as a user launches it, watched from outside.

    .venv/bin/python -m benchmarks.soak                        # 200 jobs, joblib then basic
    .venv/bin/python -m benchmarks.soak --jobs 400 --launchers basic

Each sweep is `python -m experiments.train -m seed=range(0,N) ...` of tiny jobs (a few outer
iterations, a small evaluation, the quick-look figure) in a temporary folder. Twice a second the
launching process's resident memory (VmRSS) and open file descriptors are read from /proc, with
the number of jobs finished so far. Printed per launcher: every job done and summary.csv complete;
RSS and descriptors after the first tenth of the jobs (warm: torch, Hydra and the first job
loaded), when the last job finished, and their largest; the RSS slope over the jobs in between
(MiB per 100 jobs). The sweep counts as flat when RSS grows by less than FLAT_MIB over those
jobs and the descriptors by none (medians of the first and last tenth of the samples); exit
status 1 otherwise, or when a job did not finish. The end of the sweep (its table, built once)
is left out of the growth and shown in the largest RSS.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

FLAT_MIB = 25.0  # RSS growth over the warm part of the sweep that still counts as flat
TINY_JOB = ["meta_iters=5", "log_every=5", "checkpoint_every=0", "model.width=8",
            "eval.n_tasks=5", "eval.steps=2", "eval.grid_points=10", "eval.predict_points=10"]


def _sample(pid: int) -> tuple[float, int] | None:
    """(RSS in MiB, open descriptors) of a live process; None once it is gone."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
        fds = len(os.listdir(f"/proc/{pid}/fd"))
    except OSError:
        return None
    rss = [int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS")]
    return (rss[0] / 1024, fds) if rss else None  # none: a zombie, exiting


def soak(launcher: str, jobs: int, folder: Path) -> dict:
    sweep = folder / f"soak-{launcher}"
    cmd = [sys.executable, "-m", "experiments.train", "-m", f"seed=range(0,{jobs})", *TINY_JOB,
           f"hydra/launcher={launcher}", f"hydra.sweep.dir={sweep}"]
    start = time.perf_counter()
    with open(folder / f"{launcher}.log", "w") as log:
        proc = subprocess.Popen(cmd, cwd=folder, stdout=log, stderr=subprocess.STDOUT)
        samples = []  # (jobs finished, RSS MiB, descriptors)
        while proc.poll() is None:
            sample = _sample(proc.pid)
            if sample:
                finished = sum(1 for _ in sweep.glob("*/weights.pt")) if sweep.is_dir() else 0
                samples.append((finished, *sample))
            time.sleep(0.5)
    wall = time.perf_counter() - start
    summary = pd.read_csv(sweep / "summary.csv") if (sweep / "summary.csv").exists() else None
    frame = pd.DataFrame(samples, columns=["finished", "rss_mib", "fds"])
    warm = frame[frame["finished"] >= max(1, jobs // 10)]
    # while jobs run: after the last one the launching process builds the sweep's table once
    # (pandas and friends imported then), which is no growth per job
    running = warm[warm["finished"] < jobs]
    slope = (np.polyfit(running["finished"], running["rss_mib"], 1)[0] * 100
             if running["finished"].nunique() > 1 else float("nan"))
    # first against last tenth of the samples (medians): a file open at one sample is no leak
    n = max(1, len(running) // 10)
    growth = (running["rss_mib"].tail(n).median() - running["rss_mib"].head(n).median()
              if len(running) else float("nan"))
    fd_growth = (running["fds"].tail(n).median() - running["fds"].head(n).median()
                 if len(running) else float("nan"))
    done = int((summary["status"] == "done").sum()) if summary is not None else 0
    return {
        "launcher": launcher, "jobs": jobs, "exit": proc.returncode, "wall_s": round(wall, 1),
        "summary_rows": 0 if summary is None else len(summary), "done": done,
        "samples": len(frame), "rss_warm_mib": round(running["rss_mib"].iloc[0], 1),
        "rss_last_job_mib": round(running["rss_mib"].iloc[-1], 1),
        "rss_max_mib": round(frame["rss_mib"].max(), 1),
        "rss_slope_mib_per_100_jobs": round(slope, 2), "rss_growth_mib": round(growth, 1),
        "fds_warm": int(running["fds"].iloc[0]), "fds_last_job": int(running["fds"].iloc[-1]),
        "fds_max": int(frame["fds"].max()), "fd_growth": fd_growth,
        "flat": bool(growth < FLAT_MIB and fd_growth <= 0),
        "complete": proc.returncode == 0 and done == jobs and summary is not None
                    and len(summary) == jobs,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=200)
    parser.add_argument("--launchers", nargs="+", default=["joblib", "basic"])
    parser.add_argument("--keep", type=Path, help="keep the sweeps in this folder")
    args = parser.parse_args()
    print(f"{os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f}; python "
          f"{sys.version.split()[0]}", flush=True)
    ok = True
    with tempfile.TemporaryDirectory() as tmp:
        folder = (args.keep or Path(tmp)).resolve()
        folder.mkdir(parents=True, exist_ok=True)
        for launcher in args.launchers:
            row = soak(launcher, args.jobs, folder)
            print(json.dumps(row), flush=True)
            ok &= row["flat"] and row["complete"]
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

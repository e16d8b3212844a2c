"""Wall time of a whole sweep, launched as a user launches it, per launcher. Run by hand:

    .venv/bin/python -m benchmarks.sweeps                 # inner_steps_quick: basic, joblib
    .venv/bin/python -m benchmarks.sweeps --full          # and the full inner_steps sweep (joblib)
    .venv/bin/python -m benchmarks.sweeps --presets meta_step_quick --launchers joblib

Each sweep runs `python -m experiments.train -m sweep=PRESET hydra/launcher=LAUNCHER` in a
temporary folder. Per sweep it prints the wall time from launch to exit, the jobs done, the
jobs' own summed wall time (run.json wall_seconds: training and evaluation, without process
start-up) and the load average just before: other work on the machine slows every number, so
run it when `uptime` shows the machine quiet.
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

import pandas as pd


def time_sweep(preset: str, launcher: str, folder: Path) -> dict:
    sweep_dir = folder / f"{preset}-{launcher}"
    cmd = [sys.executable, "-m", "experiments.train", "-m", f"sweep={preset}",
           f"hydra/launcher={launcher}", f"hydra.sweep.dir={sweep_dir}"]
    load = os.getloadavg()[0]
    start = time.perf_counter()
    result = subprocess.run(cmd, cwd=folder, capture_output=True, text=True)
    wall = time.perf_counter() - start
    if result.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed ({result.returncode}):\n{result.stdout[-3000:]}"
                 f"{result.stderr[-3000:]}")
    summary = pd.read_csv(sweep_dir / "summary.csv")
    job_seconds = sum(json.loads((sweep_dir / str(j) / "run.json").read_text())["wall_seconds"]
                      for j in summary["job"])
    return {"preset": preset, "launcher": launcher, "jobs": len(summary),
            "done": int((summary["status"] == "done").sum()), "wall_s": round(wall, 1),
            "jobs_wall_s": round(job_seconds, 1), "load_before": load}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--presets", nargs="+", default=["inner_steps_quick"])
    parser.add_argument("--launchers", nargs="+", default=["basic", "joblib"])
    parser.add_argument("--full", action="store_true",
                        help="also the full inner_steps sweep with joblib (minutes)")
    parser.add_argument("--keep", type=Path, help="keep the sweeps in this folder")
    args = parser.parse_args()
    runs = [(p, launcher) for p in args.presets for launcher in args.launchers]
    if args.full:
        runs.append(("inner_steps", "joblib"))
    print(f"{os.cpu_count()} CPUs; python {sys.version.split()[0]}", flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.keep or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        rows = []
        for preset, launcher in runs:
            rows.append(time_sweep(preset, launcher, folder.resolve()))
            print(rows[-1], flush=True)
    print(pd.DataFrame(rows).to_string(index=False))


if __name__ == "__main__":
    main()

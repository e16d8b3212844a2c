"""Synthetic run directories, written exactly per docs/run-directory.md (format 1).

The numbers follow a toy model of meta-learning on sines, so that tables and figures look like
the real thing: held-out MSE starts at a^2/2 (the zero function) and decays with the adaptation
step k at a rate that grows with inner_lr and inner_steps; a few tasks can blow up. Used by
tests/test_analysis*.py and benchmarks/load.py; the real runner's output is tested elsewhere.
"""

from __future__ import annotations

import copy
import csv
import itertools
import json
import math
from functools import cache
from pathlib import Path

import numpy as np
import yaml
from omegaconf import OmegaConf

from rundir.derived import resolve_config
from tests.helpers.config import compose_config

# a small job's settings; every other key is conf/'s default, composed as the app composes it
SMALL = ("eval.n_tasks=20", "eval.curve_tasks=10", "eval.predict_tasks=3",
         "eval.predict_points=50", "meta_iters=200", "log_every=50", "checkpoint_every=100")


@cache
def base_config() -> dict:
    """The config a run saves in .hydra/config.yaml (interpolations kept, as Hydra saves it)."""
    return OmegaConf.to_container(compose_config(*SMALL), resolve=False)


def config_for(overrides: dict | None = None) -> dict:
    """base_config() with dotted-key overrides applied ({"model.width": 40})."""
    config = copy.deepcopy(base_config())
    for key, value in (overrides or {}).items():
        node, *path = key.split(".")[::-1]
        target = config
        for part in reversed(path):
            target = target[part]
        target[node] = value
    return config


def _write_csv(path: Path, header: list[str], columns: list) -> None:
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(zip(*(np.asarray(c).tolist() for c in columns), strict=True))


def _rate(config: dict, rng: np.random.Generator) -> float:
    """Adaptation speed of the toy model: more and bigger inner steps learn a better init."""
    quality = math.log1p(config["inner_steps"]) * min(config["inner_lr"] / 0.02, 3.0)
    return 0.05 + 0.08 * quality * rng.uniform(0.85, 1.15)


def _task_mse(config: dict, rate: float, ks: np.ndarray,
              blowups: int) -> tuple[np.ndarray, np.ndarray]:
    """MSE of each held-out task after each k, shape (n_tasks, len(ks)), and the tasks'
    amplitudes (drawn from eval.seed alone, as the real held-out set is: every seed of a sweep
    sees the same tasks)."""
    rng = np.random.default_rng(config["eval"]["seed"] + 1234)
    amp = rng.uniform(*config["task"]["amplitude"], config["eval"]["n_tasks"])
    start = amp[:, None] ** 2 / 2
    noise = np.random.default_rng(config["seed"] + 7).lognormal(0, 0.2, start.shape)
    mse = start * (0.02 + 0.98 * np.exp(-rate * ks[None, :])) * noise
    if blowups:
        mse[-blowups:] = start[-blowups:] * np.exp(0.08 * ks[None, :])  # x13 after 32 steps
    return mse, amp


def make_run(run_dir, overrides: dict | None = None, *, status: str = "done",
             job_num: int = 0, override_list: list[str] | None = None,
             fits: bool = True) -> Path:
    """Write one run directory; `status` is done, diverged, failed or running.

    `fits=False` skips predictions.csv and support.csv (the bulk of the bytes), for benchmarks
    of loading, which never reads them.
    """
    run_dir = Path(run_dir)
    (run_dir / ".hydra").mkdir(parents=True, exist_ok=True)
    config = config_for(overrides)
    if override_list is None:
        override_list = [f"{key}={value}" for key, value in (overrides or {}).items()]
    (run_dir / ".hydra" / "config.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
    (run_dir / ".hydra" / "overrides.yaml").write_text(yaml.safe_dump(override_list))
    hydra = {"hydra": {"mode": "MULTIRUN", "job": {"name": "train", "num": job_num},
                       "runtime": {"output_dir": str(run_dir.resolve())}}}
    (run_dir / ".hydra" / "hydra.yaml").write_text(yaml.safe_dump(hydra))

    config = resolve_config(config)  # saved as Hydra saves it; the numbers follow its values
    rng = np.random.default_rng(config["seed"])
    rate = _rate(config, rng)
    total, every, steps = config["meta_iters"], config["log_every"], config["eval"]["steps"]
    done_iters = total if status == "done" else total // 2
    ks = np.arange(steps + 1)
    mse, amplitude = _task_mse(config, rate, ks.astype(float),
                               blowups=1 if config["seed"] % 3 == 2 else 0)

    # curve.csv: held-out MSE at curve_ks on the first curve_tasks tasks, rising skill; the
    # row at iteration 0 has no train loss yet (an empty field, as pandas writes NaN).
    iters = np.arange(0, done_iters + 1, every)
    curve_k = np.array(config["eval"]["curve_ks"])
    sub = mse[: config["eval"]["curve_tasks"]][:, curve_k]
    progress = (1 - np.exp(-3 * iters / total))[:, None, None]  # 0 at iteration 0
    at_start = sub[:, :1]
    curve = at_start + (sub - at_start)[None] * progress  # (iters, tasks, k)
    if status == "diverged":
        curve[-1] = np.inf
    rows = np.repeat(iters, len(curve_k))
    train_loss = np.repeat(curve[:, :, -1].mean(1) * 0.8, len(curve_k)).astype(object)
    train_loss[rows == 0] = ""
    _write_csv(run_dir / "curve.csv",
               ["iteration", "meta_step", "train_loss", "seconds", "k", "mse_mean", "mse_median"],
               [rows, 0.1 * (1 - rows / total), train_loss, rows * 0.01,
                np.tile(curve_k, len(iters)), curve.mean(1).ravel(), np.median(curve, 1).ravel()])

    metrics = None
    if status == "done":
        blown = (~np.isfinite(mse)) | (mse > mse[:, :1])
        std = mse.std(0, ddof=1)
        _write_csv(run_dir / "eval.csv",
                   ["k", "mse_mean", "mse_median", "mse_std", "mse_sem", "mse_q25", "mse_q75",
                    "n_tasks", "n_blowup"],
                   [ks, mse.mean(0), np.median(mse, 0), std, std / math.sqrt(len(mse)),
                    np.quantile(mse, 0.25, 0), np.quantile(mse, 0.75, 0),
                    np.full(len(ks), len(mse)), blown.sum(0)])
        _write_csv(run_dir / "eval_tasks.csv",
                   ["task", "amplitude", "phase"] + [f"mse_k{k}" for k in ks],
                   [np.arange(len(mse)), amplitude, np.zeros(len(mse)), *mse.T])
        if fits:
            _write_predictions(run_dir, config, rate)
        metrics = {"eval_steps": steps, "mse_k0_mean": float(mse[:, 0].mean()),
                   "mse_mean": float(mse[:, -1].mean()), "mse_median": float(np.median(mse[:, -1])),
                   "mse_sem": float(std[-1] / math.sqrt(len(mse))), "n_tasks": len(mse),
                   "n_blowup": int(blown[:, -1].sum())}
    error = {"diverged": f"non-finite meta-weights at iteration {done_iters}",
             "failed": "RuntimeError: CUDA out of memory.\nTried to allocate 2 GiB"}.get(status)
    run = {"format": 1, "status": status, "seed": config["seed"], "algo": config["algo"]["name"],
           "iteration": done_iters, "meta_iters": total, "wall_seconds": done_iters * 0.01,
           "device": "cpu", "versions": {"python": "3.11.7", "torch": "2.13.0", "hydra": "1.3.8",
                                          "reptile_sine": "0.1.0"},
           "started": "2026-11-27T00:00:00+00:00",
           "finished": None if status == "running" else "2026-11-27T00:00:12+00:00",
           "error": error, "metrics": metrics}
    (run_dir / "run.json").write_text(json.dumps(run, indent=2))
    return run_dir


def _write_predictions(run_dir: Path, config: dict, rate: float) -> None:
    """predictions.csv and support.csv for the first predict_tasks held-out tasks."""
    rng = np.random.default_rng(config["eval"]["seed"] + 1)
    lo, hi = config["task"]["x_range"]
    x = np.linspace(lo, hi, config["eval"]["predict_points"])
    columns: list[list] = [[] for _ in range(6)]
    support: list[list] = [[], [], []]
    for task in range(config["eval"]["predict_tasks"]):
        amp = rng.uniform(*config["task"]["amplitude"])
        phase = rng.uniform(*config["task"]["phase"])
        xs = np.sort(rng.uniform(lo, hi, config["eval"]["shots"]))
        for column, values in zip(support, [np.full(len(xs), task), xs, amp * np.sin(xs + phase)],
                                  strict=True):
            column.extend(values)
        for weights, speed in (("init", 0.01), ("meta", rate)):
            for k in config["eval"]["predict_ks"]:
                fit = 1 - math.exp(-speed * k)
                pred = amp * fit * np.sin(x + phase) + 0.3 * (1 - fit) * np.cos(x)
                values = [[weights] * len(x), np.full(len(x), task), np.full(len(x), k), x,
                          amp * np.sin(x + phase), pred]
                for column, value in zip(columns, values, strict=True):
                    column.extend(value)
    _write_csv(run_dir / "predictions.csv", ["weights", "task", "k", "x", "y_true", "y_pred"],
               columns)
    _write_csv(run_dir / "support.csv", ["task", "x", "y"], support)


def make_sweep(sweep_dir, grid: dict[str, list], seeds=(0, 1, 2),
               statuses: dict[int, str] | None = None, fits: bool = True) -> list[Path]:
    """A Hydra-style multirun: multirun.yaml and jobs 0/, 1/, ... over grid x seeds.

    `statuses` maps a job number to a status other than done.
    """
    sweep_dir = Path(sweep_dir)
    sweep_dir.mkdir(parents=True, exist_ok=True)
    task_overrides = [f"{key}={','.join(map(str, values))}" for key, values in grid.items()]
    task_overrides.append(f"seed={','.join(map(str, seeds))}")
    multirun = {**base_config(),
                "hydra": {"mode": "MULTIRUN", "overrides": {"task": task_overrides},
                          "sweep": {"dir": str(sweep_dir), "subdir": "${hydra.job.num}"}}}
    (sweep_dir / "multirun.yaml").write_text(yaml.safe_dump(multirun, sort_keys=False))
    combos = [dict(zip(grid, values, strict=True)) for values in itertools.product(*grid.values())]
    runs = []
    for combo in combos:
        for seed in seeds:
            num = len(runs)
            overrides = combo | {"seed": seed}
            status = (statuses or {}).get(num, "done")
            runs.append(make_run(sweep_dir / str(num), overrides, status=status, job_num=num,
                                 fits=fits))
    return runs


def truncate(path, keep: float = 0.6) -> Path:
    """Cut a file mid-line, as a writer killed without an atomic rename would leave it."""
    path = Path(path)
    data = path.read_bytes()
    cut = int(len(data) * keep)
    if data[cut - 1: cut] == b"\n":
        cut -= 2
    path.write_bytes(data[:cut])
    return path

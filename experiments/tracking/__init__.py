"""Experiment tracking: every job of a run or a sweep logged to TensorBoard or MLflow as it trains.

    logger=none         nothing (the default): the run directory is the record
    logger=tensorboard  an event file in each run directory; a sweep folder also holds the
                        HParams experiment (`tensorboard --logdir SWEEP_DIR`)
    logger=mlflow       a SQLite store in the folder above the run directory (a sweep's folder,
                        or outputs/runs/ for single runs): one experiment per sweep, a run per job

The trainer gives each job a Tracker (Job.tracker): curve points as they are logged, then the
end (status, final metrics, the quick-look figure). A backend is imported only when chosen. A
tracker that fails warns once and goes quiet: tracking is a view, the run directory the record.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Protocol

from omegaconf import DictConfig, OmegaConf

import rundir

LOGGERS = ("none", "tensorboard", "mlflow")


class Tracker(Protocol):
    def curve(self, iteration: int, values: dict[str, float]) -> None:
        """One learning-curve point: {"curve/mse_k32": ..., "curve/train_loss": ...}."""

    def end(self, status: str, metrics: dict | None, figure: Path | None) -> None:
        """The job ended (done, diverged or failed) with run.json's metrics and fit.png."""


class NullTracker:
    def curve(self, iteration: int, values: dict[str, float]) -> None:
        pass

    def end(self, status: str, metrics: dict | None, figure: Path | None) -> None:
        pass


class _Guarded:
    """A tracker whose first error is one warning line; after it, the job trains untracked."""

    def __init__(self, tracker: Tracker, name: str):
        self.tracker, self.name = tracker, name

    def _call(self, method: str, *args) -> None:
        if self.tracker is None:
            return
        try:
            getattr(self.tracker, method)(*args)
        except Exception as exc:
            _warn(self.name, exc)
            self.tracker = None

    def curve(self, iteration: int, values: dict[str, float]) -> None:
        self._call("curve", iteration, values)

    def end(self, status: str, metrics: dict | None, figure: Path | None) -> None:
        self._call("end", status, metrics, figure)


def _warn(name: str, exc: Exception) -> None:
    message = f"{type(exc).__name__}: {exc}".splitlines()[0]
    print(f"warning: logger={name} stopped tracking this job ({message}); the run directory "
          "is complete", file=sys.stderr)


def location(out: Path) -> tuple[Path, str]:
    """(the folder that holds the trackers' store, the run's name in it): the sweep folder and
    the job's subfolder in a sweep, else the run directory's parent and its name."""
    from hydra.core.hydra_config import HydraConfig
    from hydra.types import RunMode

    out = Path(out).resolve()
    root = out.parent
    if HydraConfig.initialized() and HydraConfig.get().mode == RunMode.MULTIRUN:
        root = Path(str(HydraConfig.get().sweep.dir)).resolve()
    return root, out.relative_to(root).as_posix() if root in out.parents else out.name


def hyperparameters(cfg: DictConfig) -> dict[str, bool | int | float | str]:
    """The resolved config as flat scalars, the form both trackers store: lists as JSON."""
    flat = rundir.flatten(OmegaConf.to_container(cfg, resolve=True))
    return {key: value if isinstance(value, (bool, int, float, str))
            else json.dumps(list(value)) if isinstance(value, tuple) else "null"
            for key, value in flat.items()}


def final_metrics(metrics: dict | None) -> dict[str, float]:
    """run.json's metrics under the names the trackers log them: final/mse_mean, ..."""
    return {f"final/{key}": float(value) for key, value in (metrics or {}).items()
            if isinstance(value, (int, float)) and not isinstance(value, bool)}


def metric_names(cfg: DictConfig) -> list[str]:
    """The final metrics a sweep's jobs log, for TensorBoard's HParams table."""
    names = ["mse_mean", "mse_median", "mse_k0_mean"]
    if cfg.eval.validation_tasks:
        names = ["val_mse_mean", "val_mse_median", *names]
    return [f"final/{name}" for name in names]


def start(cfg: DictConfig, out: Path) -> Tracker:
    """The tracker of one job that is about to train into `out`."""
    name = cfg.logger.name
    if name == "none":
        return NullTracker()
    root, run = location(out)
    try:
        if name == "tensorboard":
            from .tensorboard_run import TensorBoardRun

            tracker = TensorBoardRun(Path(out), run, hyperparameters(cfg))
        else:
            from .mlflow_run import MlflowRun

            tracker = MlflowRun(root, root.name, run, Path(out), hyperparameters(cfg))
    except Exception as exc:
        _warn(name, exc)
        return NullTracker()
    return _Guarded(tracker, name)


def prepare_sweep(config: DictConfig) -> None:
    """Once per sweep, in the launching process, before any job: the MLflow store and the
    sweep's experiment (parallel jobs that create one store at the same moment break it), or
    TensorBoard's HParams experiment (which keys and metrics its table shows)."""
    name = config.logger.name
    sweep_dir = Path(str(config.hydra.sweep.dir)).resolve()
    if name == "mlflow":
        from .mlflow_run import experiment_id, store

        experiment_id(store(sweep_dir), sweep_dir.name, sweep_dir)
    elif name == "tensorboard":
        from rundir.sweep import swept

        from .tensorboard_run import write_experiment

        params = config.hydra.sweeper.get("params")
        keys = swept(list(config.hydra.overrides.task),
                     OmegaConf.to_container(params) if params else {})
        write_experiment(sweep_dir, keys, metric_names(config))

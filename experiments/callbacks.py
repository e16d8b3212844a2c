"""Hydra callbacks of a sweep, configured under hydra.callbacks in conf/config.yaml."""

from __future__ import annotations

import sys
import traceback
from pathlib import Path
from typing import Any

from hydra.experimental.callback import Callback
from hydra.types import RunMode
from omegaconf import DictConfig, OmegaConf

import rundir

from . import lock, sweep


class SweepSummary(Callback):
    """Keeps SWEEP_DIR/summary.csv current and ends every sweep with its table.

    on_job_end runs in whichever process ran the job (a joblib or submitit worker), once the
    job's run.json is final, so a sweep killed midway still has a summary of its finished
    jobs. on_multirun_end runs once, in the launching process, and exits non-zero when a job
    failed: jobs record their own failures (sweep.job_guard), so Hydra itself sees none.
    """

    def on_multirun_start(self, config: DictConfig, **kwargs: Any) -> None:
        sweep_dir = Path(config.hydra.sweep.dir)
        try:  # the launching process owns the sweep folder until the sweep ends
            self.lock = lock.acquire(sweep_dir)
        except (lock.FolderBusy, rundir.WriteError) as exc:
            print(f"error: {exc}", file=sys.stderr)
            sys.exit(2)  # SystemExit passes through Hydra's callback guard
        print(f"sweep {sweep_dir}; resume it with: {sweep.relaunch_command(sweep_dir)}",
              flush=True)

    def on_job_end(self, config: DictConfig, job_return: Any, **kwargs: Any) -> None:
        if config.hydra.mode == RunMode.MULTIRUN:
            sweep.write_summary(Path(config.hydra.sweep.dir))
            # Hydra's sweepers keep every job's JobReturn until the sweep ends; its two composed
            # configs (~130 KiB a job, benchmarks/soak.py) are already in the job's .hydra/, so
            # only what a sweeper reads stays: the job's number and folder
            hydra = job_return.hydra_cfg.hydra
            job_return.cfg = None
            job_return.hydra_cfg = OmegaConf.create({"hydra": {
                "job": {"num": hydra.job.num},
                "runtime": {"output_dir": hydra.runtime.output_dir}}})

    def on_multirun_end(self, config: DictConfig, **kwargs: Any) -> None:
        sweep_dir = Path(config.hydra.sweep.dir)
        try:
            text, ok = sweep.report(sweep_dir, sweep.write_summary(sweep_dir))
        except rundir.WriteError as exc:
            text, ok = f"sweep {sweep_dir}: could not write its summary: {exc}", False
        except Exception:  # Hydra would turn it into a warning and exit 0: success unproven
            traceback.print_exc()
            text, ok = f"sweep {sweep_dir}: could not write its summary", False
        finally:
            if getattr(self, "lock", None) is not None:
                lock.release(sweep_dir, self.lock)
                self.lock = None
        print(text, flush=True)
        if not ok:
            sys.exit(1)  # SystemExit passes through Hydra's callback guard, which eats Exceptions


class PrepareTracking(Callback):
    """logger=mlflow|tensorboard: the sweep's MLflow store and experiment, or its TensorBoard
    HParams experiment, made once in the launching process before any job starts
    (tracking.prepare_sweep). A failure is one warning: the jobs still train and write their
    run directories."""

    def on_multirun_start(self, config: DictConfig, **kwargs: Any) -> None:
        if config.logger.name == "none":
            return
        from . import tracking

        try:
            tracking.prepare_sweep(config)
        except Exception as exc:
            print(f"warning: logger={config.logger.name}: {type(exc).__name__}: {exc}"
                  .splitlines()[0], file=sys.stderr)

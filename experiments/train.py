"""python -m experiments.train [overrides] (or reptile-train): one meta-training job (add -m for
a sweep). From Python: experiments.api.train(overrides).

compose (conf/) -> validate -> meta-train with a progress bar -> evaluate -> run directory.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import hydra
from hydra.core.hydra_config import HydraConfig
from hydra.types import RunMode
from omegaconf import DictConfig

import rundir

from . import CONFIG_NAME, CONFIG_PATH, sweep
from .schema import register
from .validate import ConfigError, validate

# what a job that could not write a file leaves behind (rundir.WriteError)
KEPT = ("the previous checkpoint.pt and run.json are intact: launch the same command again to "
        "resume once the disk is fixed")

def train_job(cfg: DictConfig) -> float | None:
    """Hydra's task function: one job, its run directory at hydra.runtime.output_dir."""
    out = Path(HydraConfig.get().runtime.output_dir)
    if HydraConfig.get().mode == RunMode.RUN:
        try:
            prepare(cfg)
        except ConfigError as exc:
            _remove_if_fresh(out)
            print(f"error: {exc}", file=sys.stderr)
            sys.exit(2)
        from .trainer import train
        from .writer import RunDirError

        try:
            (info,) = train([cfg], [out])
        except RunDirError as exc:
            print(f"error: {exc}", file=sys.stderr)
            sys.exit(2)
        except rundir.WriteError as exc:
            print(f"error: {exc}; {KEPT}", file=sys.stderr)
            sys.exit(1)
        result = finish_line(info, out)
        if info["status"] == "failed":
            sys.exit(1)
        return result
    # in a sweep a failed job is recorded and the others go on; a folder holding another
    # config's run means the sweep itself is wrong and stops it
    from .trainer import train
    from .writer import RunDirError

    with sweep.job_guard(cfg, out, propagate=(RunDirError,)):
        prepare(cfg)
        (info,) = train([cfg], [out])
        return finish_line(info, out)


def prepare(cfg: DictConfig) -> None:
    """Validates the config (ConfigError) and sets torch's threads."""
    validate(cfg)
    import torch  # after validation: a refused config answers in a second

    if cfg.threads:
        torch.set_num_threads(cfg.threads)


def finish_line(info: dict, out: Path) -> float | None:
    """Prints the job's closing line; returns what a search minimises: the held-out MSE on the
    validation tasks when the job has them (eval.validation_tasks), else on the test tasks
    (None without either: a failed or diverged job, a failed trial)."""
    metrics = info.get("metrics") or {}
    validation = (f"; validation: {metrics['val_mse_mean']:.4f} mean"
                  if "val_mse_mean" in metrics else "")
    print(f"{info['status']}: {out}" + (
        f"  held-out MSE after {metrics['eval_steps']} steps: {metrics['mse_mean']:.4f} mean, "
        f"{metrics['mse_median']:.4f} median{validation}" if metrics else f"  ({info['error']})"
    ))
    # the mean, as every table reports: a task whose adaptation blows up makes it huge (TPE
    # only ranks it low) or infinite (the search records the trial failed): docs/sweeps.md
    return metrics.get("val_mse_mean", metrics.get("mse_mean"))


class _Population:
    """How hydra/launcher=population batches this app's jobs (experiments/population.py,
    imported when the launcher asks)."""

    @staticmethod
    def plan(job_overrides):
        from .population import plan

        return plan(job_overrides)

    @staticmethod
    def run(jobs):
        from .population import run

        return run(jobs)


train_job.population = _Population
main = hydra.main(version_base="1.3", config_path=CONFIG_PATH, config_name=CONFIG_NAME)(train_job)


def _remove_if_fresh(out: Path) -> None:
    """Removes the folder Hydra made for a job refused before it started: nothing but Hydra's
    own files in it (a folder with results is never touched)."""
    if out.is_dir() and {p.name for p in out.iterdir()} <= {".hydra", "train.log"}:
        shutil.rmtree(out)


def cli() -> None:
    """`reptile-train` and `python -m experiments.train`: every job of the launch checked before
    any folder or worker exists, then the Hydra app on sys.argv."""
    from .preflight import main_guard

    register()  # the schema, for Hydra's own answers (--cfg, --info) too
    main_guard()
    main()


if __name__ == "__main__":
    cli()

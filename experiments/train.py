"""python -m experiments.train [overrides]: one meta-training job (add -m for a sweep).

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

from . import sweep
from .schema import register
from .validate import ConfigError, validate

register()


@hydra.main(version_base="1.3", config_path="../conf", config_name="config")
def main(cfg: DictConfig) -> float | None:
    out = Path(HydraConfig.get().runtime.output_dir)
    single = HydraConfig.get().mode == RunMode.RUN
    if single:
        return train(cfg, out, single)
    # in a sweep a failed job is recorded and the others go on; a folder holding another
    # config's run means the sweep itself is wrong and stops it
    from .writer import RunDirError

    with sweep.job_guard(cfg, out, propagate=(RunDirError,)):
        return train(cfg, out, single)


def train(cfg: DictConfig, out: Path, single: bool) -> float | None:
    try:
        validate(cfg)
    except ConfigError as exc:
        if single:
            _remove_if_fresh(out)
            print(f"error: {exc}", file=sys.stderr)
            sys.exit(2)
        raise
    import torch  # after validation: a refused config answers in a second

    from .trainer import Trainer
    from .writer import RunDirError

    if cfg.threads:
        torch.set_num_threads(cfg.threads)
    try:
        info = Trainer(cfg, out).run()
    except RunDirError as exc:
        if single:
            print(f"error: {exc}", file=sys.stderr)
            sys.exit(2)
        raise
    metrics = info.get("metrics") or {}
    print(f"{info['status']}: {out}" + (
        f"  held-out MSE after {metrics['eval_steps']} steps: {metrics['mse_mean']:.4f} mean, "
        f"{metrics['mse_median']:.4f} median" if metrics else f"  ({info['error']})"
    ))
    return metrics.get("mse_mean")


def _remove_if_fresh(out: Path) -> None:
    """Removes the folder Hydra made for a job refused before it started: nothing but Hydra's
    own files in it (a folder with results is never touched)."""
    if out.is_dir() and {p.name for p in out.iterdir()} <= {".hydra", "train.log"}:
        shutil.rmtree(out)


if __name__ == "__main__":
    from .preflight import main_guard

    main_guard()  # every job of the launch checked before any folder or worker exists
    main()

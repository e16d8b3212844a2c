"""One job's run directory, from the writing side: its run.json record and its checkpoint.

A directory that already holds a checkpoint of the same config is resumed; one whose run.json
says done (or diverged: training is deterministic, a rerun would diverge again) has ended and is
left untouched; one holding another config's run, or a damaged run.json or checkpoint, is
refused with a RunDirError naming the file.
"""

from __future__ import annotations

import platform
from pathlib import Path

import hydra

import reptile
import rundir


class RunDirError(RuntimeError):
    """The output directory holds something this job must not overwrite."""


def versions() -> dict:
    import torch

    return {"python": platform.python_version(), "torch": torch.__version__,
            "hydra": hydra.__version__, "reptile_sine": reptile.__version__}


class RunWriter:
    """Writes RUN_DIR/run.json and RUN_DIR/checkpoint.pt for a job of `config` (the resolved
    config as plain dicts)."""

    def __init__(self, out: Path, config: dict, device: str):
        self.out, self.config, self.device = out, config, device
        self.started = rundir.now()

    def record(self, status: str, iteration: int, wall_seconds: float, error: str | None = None,
               metrics: dict | None = None) -> None:
        c = self.config
        rundir.write_json(self.out / rundir.RUN_JSON, rundir.run_record(
            status=status, seed=c["seed"], algo=c["algo"]["name"], iteration=iteration,
            meta_iters=c["meta_iters"], wall_seconds=round(wall_seconds, 3), device=self.device,
            versions=versions(), started=self.started,
            finished=None if status == "running" else rundir.now(), error=error,
            metrics=metrics))

    def save_checkpoint(self, state: dict) -> None:
        """checkpoint.pt: `state` (the trainer's: learner, curve, ...) with the config, so that
        a relaunch can tell whether the directory holds this job."""
        rundir.save_torch(self.out / rundir.CHECKPOINT, {
            "format": rundir.FORMAT, "config": self.config, "started": self.started, **state})

    def load_checkpoint(self) -> tuple[str, dict | None]:
        """("new", None): nothing to resume; ("ended", None): run.json is final;
        ("resume", state): the checkpoint's state to continue from."""
        try:
            info = rundir.read_run_json(self.out)
        except rundir.ContractError as exc:
            raise RunDirError(f"{exc}; move the directory aside or choose a new output "
                              "directory") from None
        final = info is not None and info["status"] in rundir.FINAL
        path = self.out / rundir.CHECKPOINT
        if not path.exists():
            if final:
                raise RunDirError(f"{self.out}: run.json says {info['status']} but "
                                  f"{rundir.CHECKPOINT} is missing")
            return "new", None
        try:
            state = rundir.load_torch(path)
        except Exception as exc:  # torch raises several kinds for a damaged zip or pickle
            first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise RunDirError(f"{path} is unreadable ({first}); delete it to restart this run "
                              "from the beginning") from None
        if state["config"] != self.config:
            old, new = rundir.flatten(state["config"]), rundir.flatten(self.config)
            changed = sorted(k for k in old.keys() | new.keys() if old.get(k) != new.get(k))
            raise RunDirError(f"{self.out} holds a run of another config (differs in "
                              f"{', '.join(changed)}); choose a new output directory")
        if final:
            return "ended", None
        self.started = state["started"]
        return "resume", state

"""One job of a population: its config, its run directory and what its checkpoint carries (the
learning curve so far, the window of training losses, the wall time of earlier attempts, its
snapshots). The population trainer (trainer.py) drives it; a single job is a population of one.
"""

from __future__ import annotations

from pathlib import Path

import torch
from omegaconf import DictConfig, OmegaConf

import rundir

from .outputs import Snapshots
from .tracking import NullTracker, Tracker
from .writer import RunWriter


class Job:
    def __init__(self, cfg: DictConfig, out: Path, device: str):
        self.cfg, self.out = cfg, Path(out)
        self.writer = RunWriter(self.out, OmegaConf.to_container(cfg, resolve=True), device)
        self.curve: list[dict] = []
        self.window = [0.0, 0]  # sum and count of training losses since the last curve point
        self.seconds = 0.0  # wall time of earlier attempts
        self.snapshots: Snapshots | None = None
        self.learner_state: dict | None = None  # where a resumed job continues from
        self.ended = False  # done or diverged in this attempt
        self.tracker: Tracker = NullTracker()  # logger=...: set by the trainer when it trains

    def resume(self) -> str:
        """Reads the checkpoint: "new", "resume" (learner_state set) or "ended"."""
        kind, state = self.writer.load_checkpoint()
        if kind == "resume":
            self.learner_state = state["learner"]
            self.curve, self.window, self.seconds = state["curve"], state["window"], \
                state["seconds"]
            if self.snapshots:
                self.snapshots.records = state["snapshots"]
        return kind

    @property
    def iteration(self) -> int:
        return self.learner_state["iteration"] if self.learner_state else 0

    def record(self, status: str, iteration: int, elapsed: float, error: str | None = None,
               metrics: dict | None = None) -> None:
        self.writer.record(status, iteration, self.seconds + elapsed, error, metrics)
        if status != "running":
            figure = self.out / f"{rundir.FIT}.png"
            self.tracker.end(status, metrics, figure if figure.is_file() else None)

    def add_loss(self, loss: float) -> None:
        self.window[0] += loss
        self.window[1] += 1

    def log_curve(self, iteration: int, meta_step: float, mse: torch.Tensor,
                  elapsed: float) -> None:
        """Curve points from the MSE [N, len(eval.curve_ks)] of the curve tasks after each k of
        eval.curve_ks."""
        loss = self.window[0] / self.window[1] if self.window[1] else float("nan")
        point = {"curve/train_loss": loss, "curve/meta_step": meta_step}
        for i, k in enumerate(self.cfg.eval.curve_ks):
            self.curve.append({
                "iteration": iteration, "meta_step": meta_step, "train_loss": loss,
                "seconds": round(self.seconds + elapsed, 3), "k": k,
                "mse_mean": mse[:, i].mean().item(), "mse_median": mse[:, i].median().item(),
            })
            point[f"curve/mse_k{k}"] = self.curve[-1]["mse_mean"]
        self.window = [0.0, 0]
        self.tracker.curve(iteration, {key: v for key, v in point.items() if v == v})

    def checkpoint(self, learner_state: dict, elapsed: float) -> None:
        """checkpoint.pt, curve.csv (and snapshots.csv), and run.json still running."""
        self.writer.save_checkpoint({
            "learner": learner_state, "curve": self.curve, "window": self.window,
            "seconds": self.seconds + elapsed,
            "snapshots": self.snapshots.records if self.snapshots else [],
        })
        rundir.write_csv(self.out / rundir.CURVE, self.curve)
        if self.snapshots:
            self.snapshots.write(self.out)
        self.record("running", learner_state["iteration"], elapsed)

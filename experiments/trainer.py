"""One job: a validated config in, a complete run directory out (docs/run-directory.md).

    resume or start -> meta-train (learning curve, checkpoints) -> evaluate -> final files

A non-finite loss or weight stops the job at once and records it as diverged; any other
exception is recorded as failed and re-raised.
"""

from __future__ import annotations

import math
import time
from pathlib import Path

import torch
from omegaconf import DictConfig, OmegaConf
from tqdm import tqdm

import rundir
from reptile.evaluate import adaptation_mse, per_k_stats, signal_power
from rundir.quicklook import draw_fit_figure

from . import build, outputs
from .writer import RunWriter


class Trainer:
    def __init__(self, cfg: DictConfig, out: Path):
        self.cfg, self.out = cfg, out
        self.device = build.device(cfg.device)
        self.net = build.network(cfg)
        self.phi0 = build.initial_weights(cfg, self.net)
        self.learner = build.learner(cfg, self.net, self.phi0, self.device)
        self.heldout = build.heldout(cfg, self.device)
        self.writer = RunWriter(out, OmegaConf.to_container(cfg, resolve=True), str(self.device))
        e = cfg.eval
        self.snapshots = outputs.Snapshots(
            self.net, self.heldout.subset(slice(0, 1)), cfg.task.x_range, e.predict_points,
            e.predict_ks, e.lr, e.optimizer,
        ) if e.snapshot_every else None
        # what a checkpoint carries besides the learner: the curve so far, the loss window
        self.curve: list[dict] = []
        self.window = [0.0, 0]  # sum and count of training losses since the last curve point
        self.seconds = 0.0  # wall time of earlier attempts

    def elapsed(self) -> float:
        return self.seconds + time.perf_counter() - self.t0

    def record(self, status: str, error: str | None = None, metrics: dict | None = None) -> None:
        self.writer.record(status, self.learner.iteration, self.elapsed(), error, metrics)

    # -- resuming ---------------------------------------------------------------------------
    def resume(self) -> bool:
        """Loads the checkpoint if there is one; True when the job has already ended."""
        kind, state = self.writer.load_checkpoint()
        if kind == "resume":
            self.learner.load_state_dict(state["learner"])
            self.curve, self.window, self.seconds = state["curve"], state["window"], \
                state["seconds"]
            if self.snapshots:
                self.snapshots.records = state["snapshots"]
        return kind == "ended"

    def checkpoint(self) -> None:
        self.writer.save_checkpoint({
            "learner": self.learner.state_dict(), "curve": self.curve, "window": self.window,
            "seconds": self.elapsed(),
            "snapshots": self.snapshots.records if self.snapshots else [],
        })
        rundir.write_csv(self.out / rundir.CURVE, self.curve)
        if self.snapshots:
            self.snapshots.write(self.out)
        self.record("running")

    # -- training ---------------------------------------------------------------------------
    def log_curve(self, meta_step: float) -> None:
        e = self.cfg.eval
        subset = self.heldout.subset(slice(0, e.curve_tasks))
        mse = adaptation_mse(self.net, self.learner.phi, subset, max(e.curve_ks), e.lr, e.optimizer)
        loss = self.window[0] / self.window[1] if self.window[1] else float("nan")
        for k in e.curve_ks:
            self.curve.append({
                "iteration": self.learner.iteration, "meta_step": meta_step, "train_loss": loss,
                "seconds": round(self.elapsed(), 3), "k": k,
                "mse_mean": mse[:, k].mean().item(), "mse_median": mse[:, k].median().item(),
            })
        self.window = [0.0, 0]

    def train(self) -> str | None:
        """Runs the remaining outer iterations; returns an error line if training diverged."""
        cfg, learner = self.cfg, self.learner
        if learner.iteration == 0:
            self.log_curve(learner.meta_step())
            if self.snapshots:
                self.snapshots.take(0, learner.phi)
        bar = tqdm(total=cfg.meta_iters, initial=learner.iteration, desc="meta-train",
                   unit="it", dynamic_ncols=True, disable=None)
        with bar:
            while learner.iteration < cfg.meta_iters:
                eps = learner.meta_step()
                loss = learner.step().item()
                if not math.isfinite(loss):
                    return f"non-finite training loss ({loss}) at iteration {learner.iteration}"
                self.window[0] += loss
                self.window[1] += 1
                it = learner.iteration
                if it % cfg.log_every == 0 or it == cfg.meta_iters:
                    self.log_curve(eps)
                    bar.set_postfix(loss=f"{self.curve[-1]['train_loss']:.4f}",
                                    mse=f"{self.curve[-1]['mse_mean']:.3f}")
                if self.snapshots and it % cfg.eval.snapshot_every == 0:
                    self.snapshots.take(it, learner.phi)
                if cfg.checkpoint_every and it % cfg.checkpoint_every == 0:
                    self.checkpoint()
                bar.update(1)
        if not bool(torch.isfinite(learner.phi).all()):
            return f"non-finite meta-weights at iteration {learner.iteration}"
        return None

    # -- evaluation and the final files -----------------------------------------------------
    def evaluate(self) -> dict:
        """The final evaluation's files; returns run.json's metrics."""
        cfg, e, phi = self.cfg, self.cfg.eval, self.learner.phi
        mse = adaptation_mse(self.net, phi, self.heldout, e.steps, e.lr, e.optimizer)
        rows = outputs.write_evaluation(self.out, self.heldout, mse)
        # the same adaptation from the untrained initial weights: what meta-training bought
        phi0 = self.phi0.to(self.device)
        init = per_k_stats(adaptation_mse(self.net, phi0, self.heldout, e.steps, e.lr,
                                          e.optimizer), signal_power(self.heldout))
        rundir.write_csv(self.out / rundir.EVAL_INIT, init)
        for shots in e.extra_shots:  # the same tasks with other numbers of support points
            heldout = build.heldout(cfg, self.device, shots)
            mse_k = adaptation_mse(self.net, phi, heldout, e.steps, e.lr, e.optimizer)
            outputs.write_evaluation(self.out, heldout, mse_k, shots)
        outputs.write_predictions(
            self.out, self.net, {"init": phi0, "meta": phi},
            self.heldout.subset(slice(0, e.predict_tasks)), cfg.task.x_range, e.predict_points,
            list(e.predict_ks), e.lr, e.optimizer)
        final = rows[-1]
        return {
            "eval_steps": e.steps, "mse_k0_mean": rows[0]["mse_mean"],
            "mse_mean": final["mse_mean"], "mse_median": final["mse_median"],
            "mse_sem": final["mse_sem"], "n_tasks": final["n_tasks"],
            "n_blowup": final["n_blowup"],
            "init_mse_mean": init[-1]["mse_mean"], "init_mse_sem": init[-1]["mse_sem"],
        }

    # -- the whole job ----------------------------------------------------------------------
    def run(self) -> dict:
        """Trains and evaluates (or resumes, or leaves an ended job alone); returns run.json."""
        self.t0 = time.perf_counter()
        if self.resume():
            return rundir.read_run_json(self.out)
        self.record("running")
        try:
            error = self.train()
            if error is not None:
                self.checkpoint()  # the state that diverged: a relaunch sees the job has ended
                self.record("diverged", error)
                return rundir.read_run_json(self.out)
            metrics = self.evaluate()
            m = self.cfg.model
            outputs.save_weights(self.out, self.learner.phi,
                                 {"width": m.width, "depth": m.depth, "activation": m.activation})
            rundir.write_csv(self.out / rundir.CURVE, self.curve)
            self.checkpoint()
            draw_fit_figure(self.out)
            self.record("done", metrics=metrics)
        except Exception as exc:
            self.record("failed", f"{type(exc).__name__}: {exc}".splitlines()[0])
            raise
        return rundir.read_run_json(self.out)

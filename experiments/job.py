"""One job: a validated config in, a complete run directory out (docs/run-directory.md).

Training resumes from checkpoint.pt when the directory already holds one for the same config; a
directory whose run.json says done (or diverged: training is deterministic) is left untouched.
A non-finite loss stops the job at once and records it as diverged; any other exception is
recorded as failed and re-raised.
"""

from __future__ import annotations

import math
import time
from pathlib import Path

import pandas as pd
import torch
from omegaconf import DictConfig, OmegaConf
from tqdm import tqdm

from analysis.quicklook import draw_fit_figure
from reptile.algorithms import make_learner
from reptile.evaluate import adaptation_mse, adapted_predictions, signal_power, summarize
from reptile.meta import MetaConfig
from reptile.mlp import MLP
from reptile.tasks import HeldOut, SineFamily, make_generator, make_heldout, sine

from . import rundir
from .extras import Snapshots, evaluate_extra_shots, write_evaluation


class RunDirError(RuntimeError):
    """The output directory holds something this job must not overwrite."""


def resolve_device(name: str) -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(name)


def family_of(cfg: DictConfig) -> SineFamily:
    t = cfg.task
    return SineFamily(tuple(t.amplitude), tuple(t.phase), tuple(t.x_range), t.n_points, t.grid)


def meta_config(cfg: DictConfig) -> MetaConfig:
    return MetaConfig(
        meta_step=cfg.meta_step, meta_step_final=cfg.meta_step_final, meta_batch=cfg.meta_batch,
        meta_iters=cfg.meta_iters, inner_steps=cfg.inner_steps, inner_batch=cfg.inner_batch,
        inner_lr=cfg.inner_lr, inner_optimizer=cfg.inner_optimizer,
        meta_optimizer=cfg.algo.meta_optimizer,
    )


class Job:
    def __init__(self, cfg: DictConfig, out: Path):
        self.cfg, self.out = cfg, out
        self.config = OmegaConf.to_container(cfg, resolve=True)
        self.device = resolve_device(cfg.device)
        self.family = family_of(cfg)
        m = cfg.model
        self.net = MLP(m.width, m.depth, m.activation)
        self.phi0 = self.net.init(make_generator(cfg.seed, "init"), m.init, m.init_std)
        self.learner = make_learner(
            cfg.algo.name, self.net, self.phi0.clone(), self.family, meta_config(cfg), cfg.seed,
            self.device, compile=cfg.compile,
        )
        e = cfg.eval
        self.heldout = make_heldout(self.family, e.n_tasks, e.shots, e.grid_points, e.seed)
        self.heldout = self.heldout.to(self.device)
        self.snapshots = Snapshots(
            self.net, self.heldout.subset(slice(0, 1)), cfg.task.x_range, e.predict_points,
            e.predict_ks, e.lr, e.optimizer,
        ) if e.snapshot_every else None
        # what a checkpoint carries besides the learner: the curve so far, the loss window
        self.curve: list[dict] = []
        self.window = [0.0, 0]  # sum and count of training losses since the last curve point
        self.seconds = 0.0  # wall time of earlier attempts
        self.started = rundir.now()

    # -- the run.json record ---------------------------------------------------------------
    def record(self, status: str, error: str | None = None, metrics: dict | None = None) -> None:
        rundir.write_json(self.out / "run.json", {
            "format": rundir.FORMAT,
            "status": status,
            "seed": self.cfg.seed,
            "algo": self.cfg.algo.name,
            "iteration": self.learner.iteration,
            "meta_iters": self.cfg.meta_iters,
            "wall_seconds": round(self.elapsed(), 3),
            "device": str(self.device),
            "versions": rundir.versions(),
            "started": self.started,
            "finished": None if status == "running" else rundir.now(),
            "error": error,
            "metrics": metrics,
        })

    def elapsed(self) -> float:
        return self.seconds + time.perf_counter() - self.t0

    # -- resuming ---------------------------------------------------------------------------
    def resume(self) -> bool:
        """Loads checkpoint.pt if there is one; True when the job has already ended (done, or
        diverged: training is deterministic, a rerun would diverge again)."""
        try:
            info = rundir.read_run_json(self.out)
        except ValueError as exc:  # includes json.JSONDecodeError
            raise RunDirError(f"{self.out / 'run.json'} is unreadable ({exc}); move the "
                              "directory aside or choose a new output directory") from None
        path = self.out / "checkpoint.pt"
        if not path.exists():
            if info is not None and info["status"] in rundir.FINAL:
                raise RunDirError(f"{self.out}: run.json says {info['status']} but checkpoint.pt "
                                  "is missing")
            return False
        try:
            ckpt = rundir.load_torch(path)
        except Exception as exc:  # torch raises several kinds for a damaged zip or pickle
            first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise RunDirError(f"{path} is unreadable ({first}); delete it to restart this run "
                              "from the beginning") from None
        if ckpt["config"] != self.config:
            old, new = rundir.flatten(ckpt["config"]), rundir.flatten(self.config)
            changed = sorted(k for k in old.keys() | new.keys() if old.get(k) != new.get(k))
            raise RunDirError(
                f"{self.out} holds a run of another config (differs in {', '.join(changed)}); "
                "choose a new output directory"
            )
        if info is not None and info["status"] in rundir.FINAL:
            return True
        self.learner.load_state_dict(ckpt["learner"])
        self.curve, self.window, self.seconds = ckpt["curve"], ckpt["window"], ckpt["seconds"]
        if self.snapshots:
            self.snapshots.records = ckpt["snapshots"]
        self.started = ckpt["started"]
        return False

    def checkpoint(self) -> None:
        rundir.save_torch(self.out / "checkpoint.pt", {
            "format": rundir.FORMAT,
            "config": self.config,
            "learner": self.learner.state_dict(),
            "curve": self.curve,
            "window": self.window,
            "seconds": self.elapsed(),
            "started": self.started,
            "snapshots": self.snapshots.records if self.snapshots else [],
        })
        rundir.write_csv(self.out / "curve.csv", self.curve)
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
        e = self.cfg.eval
        mse = adaptation_mse(self.net, self.learner.phi, self.heldout, e.steps, e.lr, e.optimizer)
        rows = write_evaluation(self.out, "", self.heldout, mse)
        # the same adaptation from the untrained initial weights: what meta-training bought
        init = summarize(adaptation_mse(self.net, self.phi0.to(self.device), self.heldout,
                                        e.steps, e.lr, e.optimizer), signal_power(self.heldout))
        rundir.write_csv(self.out / "eval_init.csv", init)
        evaluate_extra_shots(self.net, self.learner.phi, self.family, e, self.out, self.device)
        self.write_predictions(self.heldout.subset(slice(0, e.predict_tasks)))
        final = rows[-1]
        return {
            "eval_steps": e.steps, "mse_k0_mean": rows[0]["mse_mean"],
            "mse_mean": final["mse_mean"], "mse_median": final["mse_median"],
            "mse_sem": final["mse_sem"], "n_tasks": final["n_tasks"],
            "n_blowup": final["n_blowup"],
            "init_mse_mean": init[-1]["mse_mean"], "init_mse_sem": init[-1]["mse_sem"],
        }

    def write_predictions(self, tasks: HeldOut) -> None:
        e, t = self.cfg.eval, self.cfg.task
        x = torch.linspace(*t.x_range, e.predict_points).unsqueeze(-1)
        truth = sine(x.expand(len(tasks), -1, -1), tasks.amplitude.cpu(), tasks.phase.cpu())[..., 0]
        frames = []
        for name, phi in (("init", self.phi0.to(self.device)), ("meta", self.learner.phi)):
            pred = adapted_predictions(self.net, phi, tasks, list(e.predict_ks), x, e.lr,
                                       e.optimizer)  # [len(ks), N, G]
            for i, k in enumerate(e.predict_ks):
                for task in range(len(tasks)):
                    frames.append(pd.DataFrame({
                        "weights": name, "task": task, "k": k, "x": x[:, 0].numpy(),
                        "y_true": truth[task].numpy(), "y_pred": pred[i, task].numpy(),
                    }))
        rundir.write_csv(self.out / "predictions.csv", pd.concat(frames, ignore_index=True))
        support = [
            pd.DataFrame({"task": task, "x": tasks.support_x[task, :, 0].cpu().numpy(),
                          "y": tasks.support_y[task, :, 0].cpu().numpy()})
            for task in range(len(tasks))
        ]
        rundir.write_csv(self.out / "support.csv", pd.concat(support, ignore_index=True))

    def save_weights(self) -> None:
        m = self.cfg.model
        rundir.save_torch(self.out / "weights.pt", {
            "format": rundir.FORMAT, "phi": self.learner.phi.cpu(),
            "model": {"width": m.width, "depth": m.depth, "activation": m.activation},
        })

    # -- the whole job ----------------------------------------------------------------------
    def run(self) -> dict:
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
            self.save_weights()
            rundir.write_csv(self.out / "curve.csv", self.curve)
            self.checkpoint()
            draw_fit_figure(self.out)
            self.record("done", metrics=metrics)
        except Exception as exc:
            self.record("failed", f"{type(exc).__name__}: {exc}".splitlines()[0])
            raise
        return rundir.read_run_json(self.out)


"""Training a population: jobs that share every key but the member keys (schema.MEMBER_KEYS)
meta-train as one batched computation, and each writes exactly the run directory it would
write alone (docs/run-directory.md). A single job is a population of one.

    resume or start -> meta-train (learning curves, checkpoints) -> evaluate -> final files

A member whose loss or weights turn non-finite is recorded as diverged at that iteration and
leaves the population; the others go on. Members resumed at different iterations train as
separate populations, one after the other.
"""

from __future__ import annotations

import math
import time
import traceback
from contextlib import ExitStack, nullcontext
from itertools import groupby
from pathlib import Path

import torch
from omegaconf import DictConfig
from tqdm import tqdm

import rundir
from reptile.evaluate import adaptation_mse, per_k_stats, signal_power
from reptile.tasks import HeldOut
from rundir.quicklook import draw_fit_figure

from . import build, lock, outputs, preempt, progress, tracking
from .job import Job
from .schema import MEMBER_KEYS


def shape_key(cfg: DictConfig) -> tuple:
    """What members of one population must share: every key but the member keys."""
    from omegaconf import OmegaConf

    flat = rundir.flatten(OmegaConf.to_container(cfg, resolve=False))
    return tuple(sorted((k, v) for k, v in flat.items() if k not in MEMBER_KEYS))


class Population:
    """Trains jobs (cfg, run directory) that share shape_key; run() returns their run.json."""

    def __init__(self, cfgs: list[DictConfig], outs: list[Path]):
        if len({shape_key(c) for c in cfgs}) != 1:
            raise ValueError("a population's jobs must differ only in " + ", ".join(MEMBER_KEYS))
        cfg = self.cfg = cfgs[0]
        self.device = build.device(cfg.device)
        self.net = build.network(cfg)
        self.jobs = [Job(c, out, str(self.device)) for c, out in zip(cfgs, outs)]
        # the held-out sets: one per eval.seed (usually all members share one)
        self.heldout = {c.eval.seed: build.heldout(c, self.device) for c in cfgs}
        # and the validation sets a search selects on, when asked for (eval.validation_tasks)
        self.validation = {c.eval.seed: build.validation(c, self.device) for c in cfgs
                           if cfg.eval.validation_tasks}
        e = cfg.eval
        for job in self.jobs:
            if e.snapshot_every:
                task0 = self.heldout[job.cfg.eval.seed].subset(slice(0, 1))
                job.snapshots = outputs.Snapshots(self.net, task0, cfg.task.x_range,
                                                  e.predict_points, e.predict_ks,
                                                  job.cfg.eval.lr, e.optimizer)

    # -- the whole population -----------------------------------------------------------------
    def run(self) -> list[dict]:
        """Trains and evaluates every job that has not ended (resuming those with a
        checkpoint); returns each job's run.json, in order."""
        kinds = [job.resume() for job in self.jobs]
        pending = [job for job, kind in zip(self.jobs, kinds) if kind != "ended"]
        pending.sort(key=lambda job: job.iteration)
        for _, same in groupby(pending, key=lambda job: job.iteration):
            self._train(list(same))
        return [rundir.read_run_json(job.out) for job in self.jobs]

    def _phi0(self, jobs: list[Job]) -> torch.Tensor:
        return torch.stack([build.initial_weights(job.cfg, self.net) for job in jobs])

    def _eval_lr(self, jobs: list[Job]) -> torch.Tensor:
        return torch.tensor([job.cfg.eval.lr for job in jobs], device=self.device)

    def _train(self, jobs: list[Job]) -> None:
        """Trains jobs that start (or resume) at the same iteration as one population."""
        learner = build.learner([job.cfg for job in jobs], self.net, self._phi0(jobs),
                                self.device)
        if jobs[0].learner_state is not None:
            learner.load_member_states([job.learner_state for job in jobs])
        t0 = time.perf_counter()
        elapsed = lambda: time.perf_counter() - t0  # noqa: E731
        for job in jobs:
            job.tracker = tracking.start(job.cfg, job.out)
            job.record("running", learner.iteration, elapsed())
        try:
            with preempt.deferred():  # acted on between iterations
                alive = self._meta_train(learner, jobs, elapsed)
            if alive:
                with progress.stage(f"final evaluation on {self.cfg.eval.n_tasks} tasks"), \
                        preempt.on_signal(lambda: self._stop(learner, alive, elapsed)):
                    self._finish(learner, alive, elapsed)
        except rundir.WriteError:
            raise  # the disk fails: the last checkpoint and run.json stay as they are
        except Exception as exc:
            error = f"{type(exc).__name__}: {exc}".splitlines()[0]
            for job in jobs:
                if not job.ended:
                    job.record("failed", learner.iteration, elapsed(), error)
            raise

    def _meta_train(self, learner, jobs: list[Job], elapsed) -> list[Job]:
        """The remaining outer iterations; returns the jobs that did not diverge."""
        cfg = self.cfg
        # plain ints: a DictConfig lookup costs ~10 us, several times an outer step at meta-batch 1
        iters, log_every, checkpoint_every, snapshot_every = (
            int(cfg.meta_iters), int(cfg.log_every), int(cfg.checkpoint_every),
            int(cfg.eval.snapshot_every))
        if learner.iteration == 0:
            with progress.stage("evaluating the initial weights"):
                self._log_curve(learner, jobs, learner.meta_step(), elapsed)
            self._snapshot(learner, jobs)
        bar = tqdm(total=iters, initial=learner.iteration, unit="it",
                   desc="meta-train" + (f" x{len(jobs)}" if len(jobs) > 1 else ""),
                   dynamic_ncols=True, disable=None)
        first = learner.iteration
        with bar:
            while learner.iteration < iters and jobs:
                with progress.stage(self._first_step) if learner.iteration == first \
                        else nullcontext():
                    losses = learner.step().tolist()
                diverged = [p for p, loss in enumerate(losses) if not math.isfinite(loss)]
                for p, loss in enumerate(losses):
                    jobs[p].add_loss(loss)
                if diverged:
                    jobs = self._drop(learner, jobs, diverged, elapsed, [
                        f"non-finite training loss ({losses[p]}) at iteration "
                        f"{learner.iteration}" for p in diverged])
                it = learner.iteration
                if jobs and (it % log_every == 0 or it == iters):
                    # the curve point records the eps of the step just taken
                    self._log_curve(learner, jobs, learner.meta_step(it - 1), elapsed)
                    bar.set_postfix(loss=f"{jobs[0].curve[-1]['train_loss']:.4f}",
                                    mse=f"{jobs[0].curve[-1]['mse_mean']:.3f}")
                if snapshot_every and it % snapshot_every == 0:
                    self._snapshot(learner, jobs)
                if checkpoint_every and it % checkpoint_every == 0:
                    jobs = self._each(learner, jobs, elapsed, lambda p, job: job.checkpoint(
                        learner.member_state(p), elapsed()))
                bar.update(1)
                if preempt.requested():
                    self._stop(learner, jobs, elapsed)
        bad = [p for p in range(len(jobs)) if not bool(torch.isfinite(learner.phi[p]).all())]
        if bad:
            jobs = self._drop(learner, jobs, bad, elapsed, [
                f"non-finite meta-weights at iteration {learner.iteration}" for _ in bad])
        return jobs

    def _each(self, learner, jobs: list[Job], elapsed, work) -> list[Job]:
        """work(p, job) for every member; a member whose work fails (a folder in the way of its
        files) is recorded failed and leaves the population, the others go on. A disk that
        refuses writes (rundir.WriteError) stops them all: nothing more is written to it, and
        every member's last checkpoint and run.json stay intact for the relaunch."""
        failed, errors = [], []
        for p, job in enumerate(jobs):
            try:
                work(p, job)
            except rundir.WriteError:
                raise
            except Exception as exc:
                traceback.print_exc()
                failed.append(p)
                errors.append(f"{type(exc).__name__}: {exc}".splitlines()[0])
        return self._drop(learner, jobs, failed, elapsed, errors, "failed") if failed else jobs

    @property
    def _first_step(self) -> str:
        """What the first iteration does beyond any other (experiments/progress.py)."""
        if self.cfg.compile:
            return "first iteration: compiling the inner loop (a one-off, cached on disk)"
        return f"first iteration: drawing its tasks and training {self.cfg.meta_batch} of them"

    def _stop(self, learner, jobs: list[Job], elapsed) -> None:
        """A stop signal (experiments/preempt.py): the checkpoint of every job that has not
        ended, at this iteration, then exit (or submitit's requeue)."""
        for p, job in enumerate(jobs):
            if not job.ended:
                job.checkpoint(learner.member_state(p), elapsed())
        where = str(jobs[0].out) + (f" and {len(jobs) - 1} more" if len(jobs) > 1 else "")
        preempt.stop(f"{preempt.signal_name()}: stopped at iteration {learner.iteration}, "
                     f"checkpoint written ({where}); launch the same command again to resume")

    def _drop(self, learner, jobs: list[Job], members: list[int], elapsed,
              errors: list[str], status: str = "diverged") -> list[Job]:
        """Records members as diverged (their checkpoint holds the state that diverged, so a
        relaunch sees they have ended) or failed, and removes them from the population."""
        for p, error in zip(members, errors):
            if status == "diverged":
                jobs[p].checkpoint(learner.member_state(p), elapsed())
            jobs[p].record(status, learner.iteration, elapsed(), error)
            jobs[p].ended = True
        keep = [p for p in range(len(jobs)) if p not in members]
        if keep:
            learner.select(keep)
        return [jobs[p] for p in keep]

    # -- evaluation ---------------------------------------------------------------------------
    def _mse(self, phi: torch.Tensor, jobs: list[Job], lr: torch.Tensor, steps: int,
             tasks: slice | None = None, ks: list[int] | None = None,
             sets: dict[int, HeldOut] | None = None) -> torch.Tensor:
        """adaptation_mse of phi [P, D] (one row per job, or per job twice), each row on its
        job's held-out tasks (or those of `sets`, e.g. the validation tasks; `tasks` of them),
        after each k in ks (default 0..steps)."""
        seeds = [job.cfg.eval.seed for job in jobs] * (len(phi) // len(jobs))
        sets = self.heldout if sets is None else sets
        out = [None] * len(phi)
        for seed in dict.fromkeys(seeds):
            rows = [i for i, s in enumerate(seeds) if s == seed]
            heldout = sets[seed].subset(tasks) if tasks else sets[seed]
            mse = adaptation_mse(self.net, phi[rows], heldout, steps, lr[rows],
                                 self.cfg.eval.optimizer, ks=ks)
            for i, row in zip(rows, mse):
                out[i] = row
        return torch.stack(out)

    def _log_curve(self, learner, jobs: list[Job], eps: torch.Tensor, elapsed) -> None:
        e = self.cfg.eval
        # the grid MSE only at the logged k: the curve points cost a fraction of an evaluation
        mse = self._mse(learner.phi, jobs, self._eval_lr(jobs), max(e.curve_ks),
                        slice(0, e.curve_tasks), list(e.curve_ks))
        for job, m, meta_step in zip(jobs, mse, eps.tolist()):
            job.log_curve(learner.iteration, meta_step, m, elapsed())

    def _snapshot(self, learner, jobs: list[Job]) -> None:
        for p, job in enumerate(jobs):
            if job.snapshots:
                job.snapshots.take(learner.iteration, learner.phi[p : p + 1])

    def _finish(self, learner, jobs: list[Job], elapsed) -> None:
        """The final evaluation of every job's meta-weights and, in the same batched call,
        its initial weights (each distinct one once); then each job's final files."""
        e, P = self.cfg.eval, len(jobs)
        phi, phi0 = learner.phi, self._phi0(jobs).to(self.device)
        lr = self._eval_lr(jobs)
        # members that differ only in training knobs (meta_step, inner_lr) share their initial
        # weights: each distinct (weights, step size, held-out tasks) is evaluated once
        keys = [(phi0[p].cpu().numpy().tobytes(), lr[p].item(), job.cfg.eval.seed)
                for p, job in enumerate(jobs)]
        distinct = list(dict.fromkeys(keys))
        starts = [keys.index(key) for key in distinct]
        init_row = [P + distinct.index(key) for key in keys]
        both = self._mse(torch.cat([phi, phi0[starts]]), jobs + [jobs[p] for p in starts],
                         torch.cat([lr, lr[starts]]), e.steps)
        val = self._mse(phi, jobs, lr, e.steps, sets=self.validation) if self.validation \
            else None
        extra = {shots: adaptation_mse(self.net, phi, build.heldout(self.cfg, self.device,
                                                                    shots), e.steps, lr,
                                       e.optimizer)
                 for shots in e.extra_shots} if len({j.cfg.eval.seed for j in jobs}) == 1 \
            else None
        def finish(p: int, job: Job) -> None:
            metrics = self._write_evaluation(job, both[p], both[init_row[p]], phi[p : p + 1],
                                             phi0[p : p + 1], extra, p)
            if val is not None:
                metrics.update(self._write_validation(job, val[p]))
            outputs.save_weights(job.out, phi[p], {"width": self.cfg.model.width,
                                                   "depth": self.cfg.model.depth,
                                                   "activation": self.cfg.model.activation})
            rundir.write_csv(job.out / rundir.CURVE, job.curve)
            job.checkpoint(learner.member_state(p), elapsed())
            draw_fit_figure(job.out)
            job.record("done", learner.iteration, elapsed(), metrics=metrics)
            job.ended = True

        self._each(learner, jobs, elapsed, finish)

    def _write_evaluation(self, job: Job, mse: torch.Tensor, mse0: torch.Tensor,
                          phi: torch.Tensor, phi0: torch.Tensor, extra: dict | None,
                          p: int) -> dict:
        """eval*.csv, predictions.csv, support.csv of one job; returns run.json's metrics."""
        e = job.cfg.eval
        heldout: HeldOut = self.heldout[e.seed]
        rows = outputs.write_evaluation(job.out, heldout, mse)
        init = outputs.write_evaluation(job.out, heldout, mse0, init=True)
        lr = torch.tensor([e.lr], device=self.device)
        for shots in e.extra_shots:  # the same tasks with other numbers of support points
            tasks = build.heldout(job.cfg, self.device, shots)
            mse_k = extra[shots][p] if extra else adaptation_mse(
                self.net, phi, tasks, e.steps, lr, e.optimizer)[0]
            outputs.write_evaluation(job.out, tasks, mse_k, shots)
        outputs.write_predictions(
            job.out, self.net, {"init": phi0, "meta": phi}, heldout.subset(
                slice(0, e.predict_tasks)), job.cfg.task.x_range, e.predict_points,
            list(e.predict_ks), lr, e.optimizer)
        final = rows[-1]
        return {
            "eval_steps": e.steps, "mse_k0_mean": rows[0]["mse_mean"],
            "mse_mean": final["mse_mean"], "mse_median": final["mse_median"],
            "mse_sem": final["mse_sem"], "n_tasks": final["n_tasks"],
            "n_blowup": final["n_blowup"],
            "init_mse_mean": init[-1]["mse_mean"], "init_mse_sem": init[-1]["mse_sem"],
        }

    def _write_validation(self, job: Job, mse: torch.Tensor) -> dict:
        """eval_val.csv of one job; returns run.json's validation metrics."""
        tasks = self.validation[job.cfg.eval.seed]
        final = per_k_stats(mse, signal_power(tasks))
        rundir.write_csv(job.out / rundir.EVAL_VALIDATION, final)
        return {"val_mse_mean": final[-1]["mse_mean"], "val_mse_median": final[-1]["mse_median"]}


def train(cfgs: list[DictConfig], outs: list[Path]) -> list[dict]:
    """Trains jobs as populations: those sharing shape_key together; returns run.json each.
    Holds each run directory (lock.FolderBusy if another process does) and checkpoints and
    exits on a stop signal (preempt)."""
    order = sorted(range(len(cfgs)), key=lambda i: shape_key(cfgs[i]))
    infos: dict[int, dict] = {}
    with preempt.watch(), ExitStack() as held:
        for out in outs:
            held.enter_context(lock.own(out))
        for _, same in groupby(order, key=lambda i: shape_key(cfgs[i])):
            same = list(same)
            for i, info in zip(same, Population([cfgs[i] for i in same],
                                                [outs[i] for i in same]).run()):
                infos[i] = info
    return [infos[i] for i in range(len(cfgs))]

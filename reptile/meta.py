"""The outer loop: one meta-training iteration per call, with resumable state.

Every algorithm (reptile here, maml.py, pretrain.py) is a MetaLearner: it owns the meta-weights
phi, the counter-based training task streams and its meta-optimiser, and turns one iteration's
tasks into a new phi. The meta step (eps, or the meta-optimiser's learning rate) is annealed
linearly from meta_step to meta_step_final over meta_iters iterations, for every algorithm.

A learner trains a population: P members that share every shape (MetaConfig) but each have their
own seed, meta step, final meta step and inner step size (Member), as one batched computation,
phi [P, D]. Member p computes exactly what it would alone; a single job is a population of one.

Reptile (Nichol et al. 2018, Algorithm 2, batched version):
    sample n tasks; W_i = U_k(phi) on task i (k inner steps); phi <- phi + eps * (mean_i W_i - phi)
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

import torch

from .episodes import SupportQueryStream
from .inner import adapt
from .meta_optimizer import MetaOptimizer
from .mlp import MLP
from .params import copies, member_mean, per_row, reptile_update
from .tasks import PopulationStream, SineFamily, TaskStream


def meta_step_at(iteration: int, meta_iters: int, start, final):
    """Linear annealing: `start` at iteration 0, `final` at iteration meta_iters (numbers or
    per-member tensors)."""
    return start + (final - start) * iteration / meta_iters


@dataclass(frozen=True)
class MetaConfig:
    """The knobs of meta-training every member of a population shares (they fix the shapes of
    the computation), named as in conf/ (no defaults here: conf/ has them)."""

    meta_batch: int  # n tasks per outer step
    meta_iters: int
    inner_steps: int  # k
    inner_batch: int  # m points per inner minibatch
    inner_optimizer: str  # sgd | adam
    meta_optimizer: str  # sgd | adam
    tail: str  # the query (or combo's last) minibatch: separate | shared (episodes.py)
    terms: int  # combo: inner-step gradients combined, i (combo.py)
    combine: str  # combo: sum | last (combo.py)


@dataclass(frozen=True)
class Member:
    """The knobs a member sets for itself."""

    seed: int  # its training task stream (and, by the caller, its initial weights)
    meta_step: float  # eps (or the meta-optimiser's learning rate) at iteration 0
    meta_step_final: float  # ... at the last iteration
    inner_lr: float  # alpha


def task_stream(family: SineFamily, cfg: MetaConfig, seed: int, query: bool = False):
    """The training tasks of one member: k inner minibatches per task, plus a query minibatch if
    asked."""
    if query:
        return SupportQueryStream(family, seed, cfg.meta_batch, cfg.inner_steps, cfg.inner_batch,
                                  cfg.tail)
    return TaskStream(family, seed, cfg.meta_batch, cfg.inner_steps, cfg.inner_batch)


class MetaLearner:
    """Meta-trains phi [P, D]. The training tasks of iteration i are a pure function of (seed,
    i), so a member's whole state is (its phi row, the iteration, its meta-optimiser state):
    save it, load it, and training continues bit for bit. Subclasses say what one iteration
    does, in `update`."""

    query = False  # whether each task comes with a held-apart query minibatch

    def __init__(
        self, net: MLP, phi: torch.Tensor, family: SineFamily, cfg: MetaConfig,
        members: list[Member], device: torch.device | str = "cpu", compile: bool = False,
    ):
        if phi.shape[0] != len(members):
            raise ValueError(f"phi has {phi.shape[0]} rows for {len(members)} members")
        self.net, self.cfg, self.family = net, cfg, family
        self.device = torch.device(device)
        self.phi = phi.to(self.device)
        self.optimizer = MetaOptimizer(cfg.meta_optimizer)
        self.iteration = 0
        self._set_members(list(members))
        self.tasks = PopulationStream([self.stream(m.seed) for m in self.members])
        self.adapt = partial(adapt, net, optimizer=cfg.inner_optimizer, flat=compile)
        if compile:
            # The k inner steps as one fused graph: at small meta_batch the eager loop is bound
            # by the overhead of its tiny ops. Shapes are fixed and every per-member number is a
            # tensor input, so it compiles once (cached on disk).
            self.adapt = torch.compile(self.adapt, dynamic=False, options={"cpp_wrapper": True})

    def stream(self, seed: int) -> TaskStream:
        """A member's training tasks."""
        return task_stream(self.family, self.cfg, seed, self.query)

    def _set_members(self, members: list[Member]) -> None:
        self.members = members

        def column(name: str) -> torch.Tensor:
            return torch.tensor([getattr(m, name) for m in members], dtype=torch.float64,
                                device=self.device)

        self._meta_step, self._meta_step_final = column("meta_step"), column("meta_step_final")
        self.inner_lr = column("inner_lr").to(self.phi.dtype)  # [P]

    def meta_step(self, iteration: int | None = None) -> torch.Tensor:
        """Each member's eps (or meta learning rate) at `iteration` (default the current one):
        [P]."""
        at = self.iteration if iteration is None else iteration
        eps = meta_step_at(at, self.cfg.meta_iters, self._meta_step, self._meta_step_final)
        return eps.to(self.phi.dtype)

    def step(self) -> torch.Tensor:
        """One outer iteration; returns each member's mean training loss over its tasks, [P] (a
        tensor, so that a GPU run is not synchronised every step)."""
        xb, yb = (t.to(self.device) for t in self.tasks(self.iteration))
        loss, self.phi = self.update(xb, yb, self.meta_step())
        self.iteration += 1
        return member_mean(loss, len(self.members))

    def update(self, xb: torch.Tensor, yb: torch.Tensor, lr: torch.Tensor):
        """(loss per task [P * n], new phi [P, D]) from one iteration's tasks xb, yb
        [P * n, k(+1), m, 1] at each member's meta step lr [P]."""
        raise NotImplementedError

    def task_lr(self) -> torch.Tensor:
        """Each task row's inner step size: its member's, [P * n]."""
        return per_row(self.inner_lr, self.cfg.meta_batch)

    # -- state: each member's, exactly what it saves when it trains alone --------------------
    def member_state(self, p: int) -> dict:
        """Member p's state: its phi [D], the iteration, its meta-optimiser state (copies: a
        saved row of phi [P, D] would carry every member's storage)."""
        return {"phi": self.phi[p].cpu().clone(), "iteration": self.iteration,
                "meta_optimizer": self.optimizer.member_state(p)}

    def load_member_states(self, states: list[dict]) -> None:
        """Each member's saved state (all at the same iteration), in member order."""
        iterations = {s["iteration"] for s in states}
        if len(iterations) != 1:
            raise ValueError(f"members at different iterations {sorted(iterations)} cannot "
                             "train as one population")
        self.phi = torch.stack([s["phi"] for s in states]).to(self.device)
        self.iteration = iterations.pop()
        self.optimizer.load_member_states([s["meta_optimizer"] for s in states], self.device)

    def select(self, keep: list[int]) -> None:
        """Keeps only the members `keep` (in that order), e.g. when one has diverged."""
        self.phi = self.phi[keep]
        self.optimizer.select(keep)
        self._set_members([self.members[i] for i in keep])
        self.tasks = self.tasks.select(keep)


class Reptile(MetaLearner):
    """W_i = k inner steps from phi on task i; phi moves eps of the way to mean_i W_i. With a
    meta-optimiser other than SGD, (phi - mean_i W_i) is its gradient and eps its learning rate.
    The loss is that of each task's last inner minibatch, measured before its step."""

    def update(self, xb, yb, eps):
        W = copies(self.phi, self.cfg.meta_batch)
        loss = self.adapt(W, xb, yb, self.task_lr())
        if self.optimizer.kind == "sgd":
            return loss, reptile_update(self.phi, W, eps)
        return loss, self.optimizer.step(self.phi, self.phi - member_mean(W, len(self.phi)), eps)

"""The outer loop: one meta-training iteration per call, with resumable state.

Every algorithm (reptile here, maml.py, pretrain.py) is a MetaLearner: it owns the meta-weights
phi, the counter-based training task stream and its meta-optimiser, and turns one iteration's
tasks into a new phi. The meta step (eps, or the meta-optimiser's learning rate) is annealed
linearly from meta_step to meta_step_final over meta_iters iterations, for every algorithm.

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
from .params import copies, reptile_update
from .tasks import SineFamily, TaskStream


def meta_step_at(iteration: int, meta_iters: int, start: float, final: float) -> float:
    """Linear annealing: `start` at iteration 0, `final` at iteration meta_iters."""
    return start + (final - start) * iteration / meta_iters


@dataclass(frozen=True)
class MetaConfig:
    """The knobs of meta-training, named as in conf/ (no defaults here: conf/ has them)."""

    meta_step: float  # eps (or the meta-optimiser's learning rate) at iteration 0
    meta_step_final: float  # ... at the last iteration
    meta_batch: int  # n tasks per outer step
    meta_iters: int
    inner_steps: int  # k
    inner_batch: int  # m points per inner minibatch
    inner_lr: float  # alpha
    inner_optimizer: str  # sgd | adam
    meta_optimizer: str  # sgd | adam


def task_stream(family: SineFamily, cfg: MetaConfig, seed: int, query: bool = False):
    """The training tasks: k inner minibatches per task, plus a query minibatch if asked."""
    stream = SupportQueryStream if query else TaskStream
    return stream(family, seed, cfg.meta_batch, cfg.inner_steps, cfg.inner_batch)


class MetaLearner:
    """Meta-trains phi. The training tasks of iteration i are a pure function of (seed, i), so
    the whole state is (phi, iteration, meta-optimiser state): save it, load it, and training
    continues bit for bit. Subclasses say what one iteration does, in `update`."""

    query = False  # whether each task comes with a held-apart query minibatch

    def __init__(
        self, net: MLP, phi: torch.Tensor, family: SineFamily, cfg: MetaConfig, seed: int,
        device: torch.device | str = "cpu", compile: bool = False,
    ):
        self.net, self.cfg = net, cfg
        self.device = torch.device(device)
        self.phi = phi.to(self.device)
        self.tasks = task_stream(family, cfg, seed, self.query)
        self.optimizer = MetaOptimizer(cfg.meta_optimizer)
        self.iteration = 0
        self.adapt = partial(adapt, net, lr=cfg.inner_lr, optimizer=cfg.inner_optimizer,
                             flat=compile)
        if compile:
            # The k inner steps as one fused graph: at small meta_batch the eager loop is bound
            # by the overhead of its tiny ops. Shapes are fixed, so it compiles once (cached on
            # disk).
            # eps stays outside: as a Python float inside, every new value would recompile.
            self.adapt = torch.compile(self.adapt, dynamic=False, options={"cpp_wrapper": True})

    def meta_step(self) -> float:
        cfg = self.cfg
        return meta_step_at(self.iteration, cfg.meta_iters, cfg.meta_step, cfg.meta_step_final)

    def step(self) -> torch.Tensor:
        """One outer iteration; returns the mean training loss of its tasks (a tensor, so that
        a GPU run is not synchronised every step)."""
        xb, yb = (t.to(self.device) for t in self.tasks(self.iteration))
        loss, self.phi = self.update(xb, yb, self.meta_step())
        self.iteration += 1
        return loss.mean()

    def update(self, xb: torch.Tensor, yb: torch.Tensor, lr: float):
        """(loss per task [n], new phi) from one iteration's tasks xb, yb [n, k(+1), m, 1]."""
        raise NotImplementedError

    def state_dict(self) -> dict:
        return {"phi": self.phi.cpu(), "iteration": self.iteration,
                "meta_optimizer": self.optimizer.state_dict()}

    def load_state_dict(self, state: dict) -> None:
        self.phi = state["phi"].to(self.device)
        self.iteration = state["iteration"]
        self.optimizer.load_state_dict(state.get("meta_optimizer", {"t": 0}), self.device)


class Reptile(MetaLearner):
    """W_i = k inner steps from phi on task i; phi moves eps of the way to mean_i W_i. With a
    meta-optimiser other than SGD, (phi - mean_i W_i) is its gradient and eps its learning rate.
    The loss is that of each task's last inner minibatch, measured before its step."""

    def update(self, xb, yb, eps):
        W = copies(self.phi, xb.shape[0])
        loss = self.adapt(W, xb, yb)
        if self.optimizer.kind == "sgd":
            return loss, reptile_update(self.phi, W, eps)
        return loss, self.optimizer.step(self.phi, self.phi - W.mean(0), eps)

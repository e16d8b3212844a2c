"""The outer loop: one meta-training iteration per call, with resumable state.

Per iteration (Nichol et al. 2018, Algorithm 2, batched version):
    sample n tasks; W_i = U_k(phi) on task i (k inner steps); phi <- phi + eps * (mean_i W_i - phi)
with eps annealed linearly from meta_step to meta_step_final over meta_iters iterations.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

import torch

from .inner import adapt
from .mlp import MLP
from .params import copies, reptile_update
from .tasks import SineFamily, TaskStream


def meta_step_at(iteration: int, meta_iters: int, start: float, final: float) -> float:
    """Linear annealing: `start` at iteration 0, `final` at iteration meta_iters."""
    return start + (final - start) * iteration / meta_iters


@dataclass(frozen=True)
class MetaConfig:
    meta_step: float = 0.1  # eps at iteration 0
    meta_step_final: float = 0.0  # eps at the last iteration
    meta_batch: int = 1  # n tasks per outer step
    meta_iters: int = 30_000
    inner_steps: int = 5  # k
    inner_batch: int = 10  # m points per inner minibatch
    inner_lr: float = 0.02  # alpha
    inner_optimizer: str = "sgd"


def task_stream(family: SineFamily, cfg: MetaConfig, seed: int) -> TaskStream:
    return TaskStream(family, seed, cfg.meta_batch, cfg.inner_steps, cfg.inner_batch)


class Reptile:
    """Meta-trains phi. The training tasks of iteration i are a pure function of (seed, i), so
    the whole state is (phi, iteration): save it, load it, and training continues bit for bit."""

    def __init__(
        self, net: MLP, phi: torch.Tensor, family: SineFamily, cfg: MetaConfig, seed: int,
        device: torch.device | str = "cpu", compile: bool = False,
    ):
        self.net, self.phi, self.cfg = net, phi.to(device), cfg
        self.tasks = task_stream(family, cfg, seed)
        self.device = torch.device(device)
        self.iteration = 0
        self.adapt = partial(adapt, net, lr=cfg.inner_lr, optimizer=cfg.inner_optimizer)
        if compile:
            # The k inner steps as one fused graph: at meta_batch 1 the eager loop is bound by
            # ~25 tiny ops per step. Shapes are fixed, so it compiles once (cached on disk).
            # eps stays outside: as a Python float inside, every new value would recompile.
            self.adapt = torch.compile(self.adapt, dynamic=False, options={"cpp_wrapper": True})

    def meta_step(self) -> float:
        cfg = self.cfg
        return meta_step_at(self.iteration, cfg.meta_iters, cfg.meta_step, cfg.meta_step_final)

    def step(self) -> torch.Tensor:
        """One outer iteration; returns the mean last-minibatch loss of the inner loops (a
        tensor, so that a GPU run is not synchronised every step)."""
        xb, yb = (t.to(self.device) for t in self.tasks(self.iteration))
        eps = self.meta_step()
        W = copies(self.phi, self.cfg.meta_batch)
        loss = self.adapt(W, xb, yb)
        self.phi = reptile_update(self.phi, W, eps)
        self.iteration += 1
        return loss.mean()

    def state_dict(self) -> dict:
        return {"phi": self.phi.cpu(), "iteration": self.iteration}

    def load_state_dict(self, state: dict) -> None:
        self.phi = state["phi"].to(self.device)
        self.iteration = state["iteration"]

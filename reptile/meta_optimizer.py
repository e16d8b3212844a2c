"""The meta-optimiser: how a meta-gradient moves the meta-weights phi.

MAML, FOMAML and the pretrained baseline produce a gradient g per member and outer iteration;
Reptile can hand (phi - mean W) to the same optimiser as a gradient (the sign is phi - W: a step
along -(phi - W) moves phi towards W). The learning rate is passed per step and per member, so
the linearly annealed schedule (meta.meta_step_at) applies to every algorithm alike. The whole
state is a dict of tensors, saved in the checkpoint, so a resumed run continues bit for bit.
"""

from __future__ import annotations

import torch

from .names import OPTIMIZERS


class MetaOptimizer:
    """Plain SGD, or Adam with torch.optim.Adam's defaults (beta1 0.9, beta2 0.999, eps 1e-8),
    the MAML paper's meta-optimiser; on phi [P, D], one row per member."""

    def __init__(self, kind: str = "sgd", betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8):
        if kind not in OPTIMIZERS:
            raise ValueError(f"meta optimizer must be one of {OPTIMIZERS}, got {kind!r}")
        self.kind, self.betas, self.eps = kind, betas, eps
        self.t, self.m, self.v = 0, None, None

    def step(self, phi: torch.Tensor, grad: torch.Tensor, lr: torch.Tensor) -> torch.Tensor:
        """The new phi [P, D] after one step of size lr [P] along -grad [P, D] (phi itself is
        not modified)."""
        lr = lr[:, None]
        if self.kind == "sgd":
            return phi - lr * grad
        b1, b2 = self.betas
        if self.m is None:
            self.m, self.v = torch.zeros_like(phi), torch.zeros_like(phi)
        self.t += 1
        self.m = self.m.lerp(grad, 1 - b1)
        self.v = self.v * b2 + (1 - b2) * grad * grad
        m_hat = self.m / (1 - b1**self.t)
        v_hat = self.v / (1 - b2**self.t)
        return phi - lr * m_hat / (v_hat.sqrt() + self.eps)

    def member_state(self, p: int) -> dict:
        """Member p's state: the step count and its moments [D] (Adam, once it has stepped)."""
        if self.m is None:
            return {"t": self.t}
        return {"t": self.t, "m": self.m[p].cpu().clone(), "v": self.v[p].cpu().clone()}

    def load_member_states(self, states: list[dict], device: torch.device | str) -> None:
        """The members' states, in member order (all at the same step count)."""
        steps = {s["t"] for s in states}
        if len(steps) != 1:
            raise ValueError(f"meta-optimiser states at different steps {sorted(steps)}")
        self.t = steps.pop()
        moments = [s for s in states if "m" in s]
        if moments and len(moments) != len(states):
            raise ValueError("some members have a meta-optimiser state and some not")
        self.m = torch.stack([s["m"] for s in states]).to(device) if moments else None
        self.v = torch.stack([s["v"] for s in states]).to(device) if moments else None

    def select(self, keep: list[int]) -> None:
        if self.m is not None:
            self.m, self.v = self.m[keep], self.v[keep]

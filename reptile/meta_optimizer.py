"""The meta-optimiser: how a meta-gradient moves the meta-weights phi.

MAML, FOMAML and the pretrained baseline produce a gradient g [D] per outer iteration; Reptile can
hand (phi - mean W) to the same optimiser as a gradient (the sign is phi - W: a step along
-(phi - W) moves phi towards W). The
learning rate is passed per step, so the linearly annealed schedule (meta.meta_step_at) applies
to every algorithm alike. The whole state is a dict of tensors, saved in the checkpoint, so a
resumed run continues bit for bit.
"""

from __future__ import annotations

import torch

from .names import OPTIMIZERS


class MetaOptimizer:
    """Plain SGD, or Adam with torch.optim.Adam's defaults (beta1 0.9, beta2 0.999, eps 1e-8),
    the MAML paper's meta-optimiser."""

    def __init__(self, kind: str = "sgd", betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8):
        if kind not in OPTIMIZERS:
            raise ValueError(f"meta optimizer must be one of {OPTIMIZERS}, got {kind!r}")
        self.kind, self.betas, self.eps = kind, betas, eps
        self.t, self.m, self.v = 0, None, None

    def step(self, phi: torch.Tensor, grad: torch.Tensor, lr: float) -> torch.Tensor:
        """The new phi after one step of size lr along -grad (phi itself is not modified)."""
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

    def state_dict(self) -> dict:
        if self.m is None:
            return {"t": self.t}
        return {"t": self.t, "m": self.m.cpu(), "v": self.v.cpu()}

    def load_state_dict(self, state: dict, device: torch.device | str = "cpu") -> None:
        self.t = state["t"]
        self.m = state["m"].to(device) if "m" in state else None
        self.v = state["v"].to(device) if "v" in state else None

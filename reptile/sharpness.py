"""Sharpness: the largest eigenvalue of each task's loss Hessian, to explain diverging adaptation.

Gradient descent at step size lr on a quadratic grows every component along an eigenvector whose
eigenvalue exceeds 2 / lr by |1 - lr * lambda| per step. So where test-time SGD at lr blows up
on a task, the top eigenvalue of that task's support-loss Hessian, at the meta-weights or a few
steps into the adaptation, is expected above 2 / lr.

The n networks W [n, D] are independent, so the Hessian of the summed losses is block diagonal
and one batched power iteration finds every task's top eigenvalue at once. Hessian-vector
products are forward-over-reverse (torch.func.jvp of torch.func.grad), never the Hessian itself.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch.func import grad, jvp

from .mlp import MLP, mse


def _power(
    hvp: Callable[[torch.Tensor], torch.Tensor], v: torch.Tensor, iters: int
) -> torch.Tensor:
    """Rayleigh quotients [n] after `iters` power iterations from rows v [n, D]."""
    v = v / v.norm(dim=1, keepdim=True)
    for _ in range(iters):
        hv = hvp(v)
        lam = (hv * v).sum(1)
        v = hv / hv.norm(dim=1, keepdim=True).clamp_min(torch.finfo(v.dtype).tiny)
    return lam


def largest_eigenvalue(
    hvp: Callable[[torch.Tensor], torch.Tensor], v0: torch.Tensor, iters: int = 100
) -> torch.Tensor:
    """The largest (most positive) eigenvalue [n] of n symmetric operators, given their products
    hvp(V) [n, D] with the rows of V and a start V = v0 [n, D]."""
    lam = _power(hvp, v0, iters)
    # power iteration finds the eigenvalue largest in magnitude; where that one is negative,
    # the spectrum shifted by it (all >= 0) has the wanted eigenvalue on top
    shift = lam.clamp_max(0)[:, None]
    if not (shift < 0).any():
        return lam
    shifted = _power(lambda v: hvp(v) - shift * v, v0, iters) + shift[:, 0]
    return torch.where(shift[:, 0] < 0, shifted, lam)


def top_eigenvalue(
    net: MLP,
    W: torch.Tensor,
    x: torch.Tensor,
    y: torch.Tensor,
    iters: int = 100,
    gen: torch.Generator | None = None,
) -> torch.Tensor:
    """The largest eigenvalue [n] of the Hessian of each network's MSE on its own points:
    W [n, D], x, y [n, P, 1]."""

    def hvp(v: torch.Tensor) -> torch.Tensor:
        return jvp(grad(lambda w: mse(net.forward(w, x), y).sum()), (W,), (v,))[1]

    v0 = torch.randn(W.shape, generator=gen, dtype=W.dtype).to(W.device)
    return largest_eigenvalue(hvp, v0, iters)

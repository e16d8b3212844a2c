"""The inner loop: k optimiser steps from the current initialisation, batched over tasks.

Every row of W [N, D] is an independent network with its own step size lr [N] (a population's
members may differ in it): the step size is a tensor, so one compiled graph serves every value.
"""

from __future__ import annotations

from collections.abc import Iterator

import torch

from . import mlp
from .mlp import MLP
from .names import OPTIMIZERS


def _rows(lr: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
    """lr [N] shaped to broadcast over a parameter [N, ...]."""
    return lr.view(-1, *([1] * (like.dim() - 1)))


class InnerOptimizer:
    """Plain SGD, or Adam with beta1 = 0 (the Reptile paper's inner optimiser for few-shot
    classification): a per-weight step size from a running mean of squared gradients.

    Steps a list of parameter views in place (one foreach op for all layers). State is per task
    and starts fresh with every adaptation, so a task's result never depends on the tasks
    adapted before it.
    """

    def __init__(self, kind: str, lr: torch.Tensor, beta2: float = 0.999, eps: float = 1e-8):
        if kind not in OPTIMIZERS:
            raise ValueError(f"inner optimizer must be one of {OPTIMIZERS}, got {kind!r}")
        self.kind, self.lr, self.beta2, self.eps = kind, lr, beta2, eps
        self.t = 0
        self.v: list[torch.Tensor] | None = None

    def step(self, params: list[torch.Tensor], grads: list[torch.Tensor]) -> None:
        lrs = [_rows(self.lr, p) for p in params]
        if self.kind == "sgd":
            torch._foreach_addcmul_(params, grads, lrs, value=-1)
            return
        self.t += 1
        if self.v is None:
            self.v = [torch.zeros_like(g) for g in grads]
        torch._foreach_mul_(self.v, self.beta2)
        torch._foreach_addcmul_(self.v, grads, grads, value=1 - self.beta2)
        denom = torch._foreach_sqrt(torch._foreach_div(self.v, 1 - self.beta2**self.t))
        torch._foreach_add_(denom, self.eps)
        torch._foreach_addcdiv_(params, torch._foreach_mul(grads, lrs), denom, value=-1)


def adapt(
    net: MLP, W: torch.Tensor, xb: torch.Tensor, yb: torch.Tensor, lr: torch.Tensor,
    optimizer: str = "sgd", flat: bool = False, total: torch.Tensor | None = None,
) -> torch.Tensor | None:
    """Trains the N networks W [N, D] in place, each at its step size lr [N]: step s on
    minibatch xb[:, s], yb[:, s] ([N, k, m, 1]). Returns the loss [N] of the last minibatch,
    measured before its step. `total` [N, D], if given, gets the gradient of every step added
    (the raw gradients, whatever the optimiser makes of them: combo.py).

    flat=False updates each layer's view of W with its own gradient (one foreach op: fastest
    eagerly); flat=True concatenates the gradient and updates W as one tensor, the form
    torch.compile fuses best."""
    opt, layers = InnerOptimizer(optimizer, lr), net.layers(W)
    whole = flat or total is not None  # the gradient as one [N, D] tensor
    params = [W] if whole else [t for layer in layers for t in layer]
    steps, loss = xb.shape[1], None
    for s in range(steps):
        loss, grads = net.loss_and_grads(layers, xb[:, s], yb[:, s], s == steps - 1)
        if whole:
            grads = [mlp.flat(grads)]
        if total is not None:
            total.add_(grads[0])
        opt.step(params, grads)
    return loss


def trajectory(
    net: MLP, W: torch.Tensor, x: torch.Tensor, y: torch.Tensor, steps: int, lr: torch.Tensor,
    optimizer: str = "sgd",
) -> Iterator[tuple[int, torch.Tensor]]:
    """Full-batch adaptation of a copy of W [N, D] on (x, y) [N, K, 1] at step sizes lr [N]:
    yields (k, weights after k steps) for k = 0..steps. The caller's W is never modified."""
    W = W.clone()
    opt, layers = InnerOptimizer(optimizer, lr), net.layers(W)
    params = [t for layer in layers for t in layer]
    for k in range(steps + 1):
        yield k, W
        if k < steps:
            opt.step(params, net.loss_and_grads(layers, x, y, False)[1])

"""The inner loop: k optimiser steps from the current initialisation, batched over tasks."""

from __future__ import annotations

from collections.abc import Iterator

import torch

from .mlp import MLP


class InnerOptimizer:
    """Plain SGD, or Adam with beta1 = 0 (the Reptile paper's inner optimiser for few-shot
    classification): a per-weight step size from a running mean of squared gradients.

    State is per task (a tensor shaped like W) and starts fresh with every adaptation, so a
    task's result never depends on the tasks adapted before it. Updates W in place.
    """

    def __init__(self, kind: str, lr: float, beta2: float = 0.999, eps: float = 1e-8):
        if kind not in ("sgd", "adam"):
            raise ValueError(f"inner optimizer must be sgd or adam, got {kind!r}")
        self.kind, self.lr, self.beta2, self.eps = kind, lr, beta2, eps
        self.t = 0
        self.v: torch.Tensor | None = None

    def step(self, W: torch.Tensor, grad: torch.Tensor) -> None:
        if self.kind == "sgd":
            W.sub_(grad, alpha=self.lr)
            return
        self.t += 1
        if self.v is None:
            self.v = torch.zeros_like(grad)
        self.v.mul_(self.beta2).addcmul_(grad, grad, value=1 - self.beta2)
        v_hat = self.v / (1 - self.beta2**self.t)
        W.addcdiv_(grad, v_hat.sqrt_().add_(self.eps), value=-self.lr)


def adapt(
    net: MLP, W: torch.Tensor, xb: torch.Tensor, yb: torch.Tensor, lr: float,
    optimizer: str = "sgd",
) -> torch.Tensor | None:
    """Trains the n networks W [n, D] in place: step s on minibatch xb[:, s], yb[:, s]
    ([n, k, m, 1]). Returns the loss [n] of the last minibatch, measured before its step."""
    opt = InnerOptimizer(optimizer, lr)
    steps, layers = xb.shape[1], net.layers(W)
    loss = None
    for s in range(steps):
        loss, grad = net.loss_and_grad(W, xb[:, s], yb[:, s], s == steps - 1, layers)
        opt.step(W, grad)
    return loss


def trajectory(
    net: MLP, W: torch.Tensor, x: torch.Tensor, y: torch.Tensor, steps: int, lr: float,
    optimizer: str = "sgd",
) -> Iterator[tuple[int, torch.Tensor]]:
    """Full-batch adaptation of a copy of W on (x, y) [n, K, 1]: yields (k, weights after k
    steps) for k = 0..steps. The caller's W is never modified."""
    W = W.clone()
    opt, layers = InnerOptimizer(optimizer, lr), net.layers(W)
    for k in range(steps + 1):
        yield k, W
        if k < steps:
            opt.step(W, net.loss_and_grad(W, x, y, False, layers)[1])

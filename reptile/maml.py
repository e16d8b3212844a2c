"""MAML (Finn et al. 2017) and its first-order approximation FOMAML, batched over tasks.

For each task i, the inner loop adapts phi on the support minibatches, W_i = U_k(phi), and the
meta-loss is the task's loss L_i on its held-apart query minibatch (episodes.py) at W_i:
    MAML:   g = mean_i d L_i(U_k(phi)) / d phi   (differentiated through the k inner steps)
    FOMAML: g = mean_i L_i'(W_i)                 (the query gradient at W_i, the Jacobian of U_k
                                                  replaced by the identity)
and the meta-optimiser steps phi along -g. With no inner step (k = 0 or alpha = 0) the two are
the same gradient, that of the query loss at phi.
"""

from __future__ import annotations

from functools import partial

import torch

from .episodes import split
from .meta import MetaLearner
from .mlp import MLP, mse
from .params import copies, member_mean


def inner_loop(net: MLP, phi: torch.Tensor, xb: torch.Tensor, yb: torch.Tensor,
               lr: torch.Tensor, create_graph: bool) -> torch.Tensor:
    """W [P * n, D]: k SGD steps from each member's phi [P, D] on each of its n tasks'
    minibatches xb, yb [P * n, k, m, 1], at each task's step size lr [P * n], by autograd. With
    create_graph, W stays a differentiable function of phi (second order)."""
    W = copies(phi, xb.shape[0] // phi.shape[0])
    for s in range(xb.shape[1]):
        # the sum over tasks: task i's loss depends only on row i, so row i of the gradient is
        # task i's own gradient
        loss = mse(net.forward(W, xb[:, s]), yb[:, s]).sum()
        (grad,) = torch.autograd.grad(loss, W, create_graph=create_graph)
        W = W - lr[:, None] * grad
    return W


def maml_gradient(net: MLP, phi: torch.Tensor, support, query, lr: torch.Tensor):
    """(query loss per task [P * n], MAML meta-gradient [P, D]): second order, through the inner
    steps; each member's gradient is the mean over its n tasks. support = (x, y)
    [P * n, k, m, 1], query = (x, y) [P * n, m, 1], lr [P * n]."""
    with torch.enable_grad():
        phi = phi.detach().requires_grad_()
        W = inner_loop(net, phi, *support, lr, create_graph=True)
        loss = mse(net.forward(W, query[0]), query[1])
        n = len(loss) // len(phi)
        (grad,) = torch.autograd.grad(loss.sum() / n, phi)
    return loss.detach(), grad


def fomaml_gradient(net: MLP, phi: torch.Tensor, support, query, adapt,
                    with_steps: bool = False):
    """(query loss per task [P * n], FOMAML meta-gradient [P, D]): the gradient of the query
    minibatch at the adapted weights, averaged over each member's tasks. adapt(W, x, y, total)
    trains W in place: the hand-written first-order inner loop (inner.adapt with its step sizes
    and optimiser bound), no graph kept. with_steps: the inner steps' own gradients are added
    (g_1 + ... + g_i, combo.py)."""
    W = copies(phi, support[0].shape[0] // phi.shape[0])
    total = torch.zeros_like(W) if with_steps else None
    adapt(W, *support, total=total)
    loss, grad = net.loss_and_grad(W, *query)
    return loss, member_mean(grad if total is None else total.add_(grad), len(phi))


class MAML(MetaLearner):
    """Second-order MAML with any number of inner SGD steps."""

    query = True

    def update(self, xb, yb, lr):
        support, query = split(xb, yb)
        loss, grad = maml_gradient(self.net, self.phi, support, query, self.task_lr())
        return loss, self.optimizer.step(self.phi, grad, lr)


class FOMAML(MetaLearner):
    """First-order MAML; its inner loop may use SGD or Adam (inner_optimizer), as Reptile's."""

    query = True

    def update(self, xb, yb, lr):
        support, query = split(xb, yb)
        adapt = partial(self.adapt, lr=self.task_lr())
        loss, grad = fomaml_gradient(self.net, self.phi, support, query, adapt)
        return loss, self.optimizer.step(self.phi, grad, lr)

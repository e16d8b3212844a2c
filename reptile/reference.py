"""A plain reference implementation, the way the public demo writes it: one task at a time,
an nn.Module, loss.backward(), a manual SGD step, state-dict arithmetic for the meta update.

For tests (the engine must agree with it) and as the benchmark's baseline only: it is slow by
design, ~185 small ops per inner step on a 1-64-64-1 network.
"""

from __future__ import annotations

import copy

import torch
from torch import nn

from .mlp import MLP

MODULES = {"tanh": nn.Tanh, "relu": nn.ReLU, "sigmoid": nn.Sigmoid}


def build_module(net: MLP, phi: torch.Tensor) -> nn.Sequential:
    """An nn.Sequential holding the same weights as the flat vector phi."""
    p = net.views(phi)
    layers: list[nn.Module] = []
    for layer in range(net.n_layers):
        w = p[f"w{layer}"]
        lin = nn.Linear(*w.shape)
        with torch.no_grad():
            lin.weight.copy_(w.T)
            lin.bias.copy_(p[f"b{layer}"])
        layers += [lin] if layer == net.n_layers - 1 else [lin, MODULES[net.activation]()]
    return nn.Sequential(*layers)


def flat_params(model: nn.Sequential) -> torch.Tensor:
    """The flat vector of a module built by build_module (layout of MLP.views)."""
    parts = []
    for lin in (m for m in model if isinstance(m, nn.Linear)):
        parts += [lin.weight.detach().T.flatten(), lin.bias.detach()]
    return torch.cat(parts)


def train_on_batches(model: nn.Module, xb: torch.Tensor, yb: torch.Tensor, lr: float) -> None:
    """Inner loop on one task: one SGD step per minibatch xb[s], yb[s] ([S, M, 1])."""
    for x, y in zip(xb, yb):
        model.zero_grad()
        loss = (model(x) - y).pow(2).mean()
        loss.backward()
        for p in model.parameters():
            p.data -= lr * p.grad.data


def reptile_step(model: nn.Module, xb: torch.Tensor, yb: torch.Tensor, lr: float, eps: float):
    """One outer step over a meta-batch [n, k, m, 1], tasks one after another."""
    before = copy.deepcopy(model.state_dict())
    mean_after = {name: torch.zeros_like(v) for name, v in before.items()}
    for x, y in zip(xb, yb):
        model.load_state_dict(before)
        train_on_batches(model, x, y, lr)
        for name, v in model.state_dict().items():
            mean_after[name] += v / len(xb)
    model.load_state_dict(
        {name: before[name] + eps * (mean_after[name] - before[name]) for name in before}
    )


def combination_step(model: nn.Module, xb: torch.Tensor, yb: torch.Tensor, lr: float,
                     eps: float, combine: str, adam: bool = False) -> None:
    """One outer step of the gradient combination (combo.py) over a meta-batch, tasks one after
    another: on task t, a gradient on each of its minibatches xb[t, j], yb[t, j] ([n, i, m, 1]:
    the i minibatches the combination reads, the tail last), an optimiser step after each but
    the last (torch.optim.SGD, or torch.optim.Adam with beta1 = 0); C_t = the sum of those
    gradients (combine "sum") or the last one ("last"); then phi <- phi - eps * lr * mean_t C_t.
    """
    before = copy.deepcopy(model.state_dict())
    mean_c = {name: torch.zeros_like(v) for name, v in before.items()}
    for x, y in zip(xb, yb):
        model.load_state_dict(before)
        opt = (torch.optim.Adam(model.parameters(), lr, betas=(0.0, 0.999)) if adam
               else torch.optim.SGD(model.parameters(), lr))
        for j, (xj, yj) in enumerate(zip(x, y)):
            opt.zero_grad()
            (model(xj) - yj).pow(2).mean().backward()
            last = j == len(x) - 1
            if combine == "sum" or last:
                for name, p in model.named_parameters():
                    mean_c[name] += p.grad / len(xb)
            if not last:
                opt.step()
    model.load_state_dict({name: before[name] - eps * lr * mean_c[name] for name in before})


def adaptation_mse(
    model: nn.Module, support_x, support_y, grid_x, grid_y, steps: int, lr: float
) -> torch.Tensor:
    """MSE on the grid after k = 0..steps full-batch steps, one task at a time: [N, steps+1]."""
    rows = []
    for sx, sy, gx, gy in zip(support_x, support_y, grid_x, grid_y):
        task_model = copy.deepcopy(model)
        row = []
        for k in range(steps + 1):
            with torch.no_grad():
                row.append((task_model(gx) - gy).pow(2).mean().item())
            if k < steps:
                train_on_batches(task_model, sx[None], sy[None], lr)
        rows.append(row)
    return torch.tensor(rows, dtype=torch.float64)

"""Evaluation: adapt copies of the meta-weights to held-out tasks, MSE after k = 0..K steps.

A population's members (phi [P, D], each with its own step size lr [P]) are evaluated on the
same held-out tasks in one batched computation: rows are (member, task) pairs, member-major.
"""

from __future__ import annotations

import torch

from .inner import trajectory
from .mlp import MLP, mse
from .tasks import HeldOut


def _pairs(members: int, tasks: int, chunk: int):
    """(member index, task index) tensors of each chunk of the member-major (member, task) rows."""
    for start in range(0, members * tasks, chunk):
        rows = torch.arange(start, min(start + chunk, members * tasks))
        yield rows // tasks, rows % tasks


@torch.no_grad()
def adaptation_mse(
    net: MLP, phi: torch.Tensor, heldout: HeldOut, steps: int, lr: torch.Tensor,
    optimizer: str = "sgd", chunk: int = 100, ks: list[int] | None = None,
) -> torch.Tensor:
    """MSE on the measure points of every held-out task (its dense grid, or its query points)
    after k full-batch steps on its support points, for each member of phi [P, D] at its step
    size lr [P]: float64 [P, N, len(ks)] for the k in `ks` (default every k = 0..steps:
    [P, N, steps + 1]). Rows go in chunks: a thousand at once is slower, their activations fall
    out of cache."""
    ks = list(range(steps + 1)) if ks is None else list(ks)
    out = []
    for m, t in _pairs(len(phi), len(heldout), chunk):
        part = heldout.subset(t.to(heldout.support_x.device))
        m = m.to(phi.device)
        curve = [
            mse(net.forward(Wk, part.measure_x), part.measure_y)
            for k, Wk in trajectory(net, phi[m], part.support_x, part.support_y, max(ks),
                                    lr[m], optimizer)
            if k in ks
        ]
        out.append(torch.stack(curve, -1).double().cpu())
    return torch.cat(out).unflatten(0, (len(phi), len(heldout)))


@torch.no_grad()
def adapted_predictions(
    net: MLP, phi: torch.Tensor, heldout: HeldOut, ks: list[int], x: torch.Tensor,
    lr: torch.Tensor, optimizer: str = "sgd",
) -> torch.Tensor:
    """Predictions on x [G, 1] after each k in ks, for each member of phi [P, D] on each of the
    N given tasks: [P, len(ks), N, G]."""
    members, n = len(phi), len(heldout)
    m = torch.arange(members, device=phi.device).repeat_interleave(n)
    t = torch.arange(n, device=heldout.support_x.device).repeat(members)
    part = heldout.subset(t)
    xs = x.to(part.support_x.device).expand(len(part), -1, -1)
    preds = {
        k: net.forward(Wk, xs)[..., 0]
        for k, Wk in trajectory(net, phi[m], part.support_x, part.support_y, max(ks), lr[m],
                                optimizer)
        if k in ks
    }
    return torch.stack([preds[k] for k in ks]).unflatten(1, (members, n)).movedim(1, 0).cpu()


BLOWUP_FACTOR = 10.0


def signal_power(heldout: HeldOut) -> torch.Tensor:
    """Mean y^2 on each task's measure points [N]: the MSE of predicting zero there."""
    return heldout.measure_y.pow(2).mean((1, 2)).double().cpu()


def per_k_stats(mse: torch.Tensor, power: torch.Tensor) -> list[dict]:
    """One row per k of a [N, K + 1] MSE matrix: mean, median, spread, and blow-ups.

    A blow-up is a task whose MSE is non-finite or BLOWUP_FACTOR times worse than both
    predicting zero (power [N], from signal_power) and not adapting at all (k = 0): at inner step
    0.02 on 10 points a few percent of tasks diverge during adaptation, and their MSE dominates a
    mean.
    """
    n = mse.shape[0]
    baseline = torch.maximum(power, mse[:, 0].nan_to_num(0.0))
    blowup = ~torch.isfinite(mse) | (mse > BLOWUP_FACTOR * baseline[:, None])
    q = torch.quantile(mse, torch.tensor([0.25, 0.5, 0.75], dtype=mse.dtype), dim=0)
    std = mse.std(0) if n > 1 else torch.zeros(mse.shape[1], dtype=mse.dtype)
    return [
        {
            "k": k,
            "mse_mean": mse[:, k].mean().item(),
            "mse_median": q[1, k].item(),
            "mse_std": std[k].item(),
            "mse_sem": std[k].item() / n**0.5,
            "mse_q25": q[0, k].item(),
            "mse_q75": q[2, k].item(),
            "n_tasks": n,
            "n_blowup": int(blowup[:, k].sum()),
        }
        for k in range(mse.shape[1])
    ]

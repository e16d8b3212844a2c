"""Evaluation: adapt copies of the meta-weights to held-out tasks, MSE after k = 0..K steps."""

from __future__ import annotations

import torch

from .inner import trajectory
from .mlp import MLP, mse
from .params import copies
from .tasks import HeldOut


@torch.no_grad()
def adaptation_mse(
    net: MLP, phi: torch.Tensor, heldout: HeldOut, steps: int, lr: float,
    optimizer: str = "sgd", chunk: int = 100,
) -> torch.Tensor:
    """MSE on the dense grid of every held-out task after k = 0..steps full-batch steps on its
    support points: float64 [N, steps + 1]. Tasks go in chunks: a thousand at once is slower,
    their activations fall out of cache."""
    out = []
    for start in range(0, len(heldout), chunk):
        part = heldout.subset(slice(start, start + chunk))
        W = copies(phi, len(part))
        curve = [
            mse(net.forward(Wk, part.grid_x), part.grid_y)
            for _, Wk in trajectory(net, W, part.support_x, part.support_y, steps, lr, optimizer)
        ]
        out.append(torch.stack(curve, -1).double().cpu())
    return torch.cat(out)


@torch.no_grad()
def adapted_predictions(
    net: MLP, phi: torch.Tensor, heldout: HeldOut, ks: list[int], x: torch.Tensor, lr: float,
    optimizer: str = "sgd",
) -> torch.Tensor:
    """Predictions on x [G, 1] after each k in ks: [len(ks), N, G] for the N given tasks."""
    xs = x.to(heldout.support_x.device).expand(len(heldout), -1, -1)
    W = copies(phi, len(heldout))
    preds = {
        k: net.forward(Wk, xs)[..., 0]
        for k, Wk in trajectory(
            net, W, heldout.support_x, heldout.support_y, max(ks), lr, optimizer
        )
        if k in ks
    }
    return torch.stack([preds[k] for k in ks]).cpu()


BLOWUP_FACTOR = 10.0


def signal_power(heldout: HeldOut) -> torch.Tensor:
    """Mean y^2 on each task's grid [N]: the MSE of predicting zero everywhere."""
    return heldout.grid_y.pow(2).mean((1, 2)).double().cpu()


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

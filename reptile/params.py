"""Weight arithmetic: the meta-weights phi are a flat vector [D], the adapted weights of n tasks
a matrix W [n, D] (see mlp.py). With that, the algorithms read like the paper."""

from __future__ import annotations

import torch


def copies(phi: torch.Tensor, n: int) -> torch.Tensor:
    """n independent copies of phi, one row per task: the starting point of n inner loops."""
    return phi.expand(n, -1).clone()


def reptile_update(phi: torch.Tensor, W: torch.Tensor, eps: float) -> torch.Tensor:
    """Batched Reptile (paper eq. 5): phi <- phi + eps * (mean_i W_i - phi).

    The mean, not the sum: a sum would silently multiply eps by the meta-batch size. It is the
    convex combination (1 - eps) phi + eps mean(W).
    """
    return phi + eps * (W.mean(0) - phi)

"""Weight arithmetic. A population of P independent members (one per seed or setting of a sweep)
has meta-weights phi [P, D], one row per member; the adapted weights of its n tasks each are a
matrix W [P * n, D], member-major (rows p*n .. p*n + n - 1 are member p's tasks). A single job is
a population of one. With that, the algorithms read like the paper."""

from __future__ import annotations

import torch


def copies(phi: torch.Tensor, n: int) -> torch.Tensor:
    """n independent copies of each member's phi [P, D]: W [P * n, D], the starting point of
    n inner loops per member."""
    return phi.repeat_interleave(n, 0)


def member_mean(x: torch.Tensor, members: int) -> torch.Tensor:
    """The mean over each member's rows: [P * n, ...] -> [P, ...]."""
    return x.unflatten(0, (members, -1)).mean(1)


def per_row(value: torch.Tensor, n: int) -> torch.Tensor:
    """A per-member value [P] for each of its n task rows: [P * n]."""
    return value.repeat_interleave(n)


def reptile_update(phi: torch.Tensor, W: torch.Tensor, eps: torch.Tensor) -> torch.Tensor:
    """Batched Reptile (paper eq. 5), per member: phi <- phi + eps * (mean_i W_i - phi).

    The mean, not the sum: a sum would silently multiply eps by the meta-batch size. It is the
    convex combination (1 - eps) phi + eps mean(W). phi [P, D], W [P * n, D], eps [P].
    """
    return phi + eps[:, None] * (member_mean(W, len(phi)) - phi)

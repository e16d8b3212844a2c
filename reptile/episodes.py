"""Support and query data for the MAML family: the inner loop adapts on a task's support
minibatches, and the meta-loss is measured on a query minibatch held apart from them.

MAML's protocol (Finn et al. 2017) draws K support and K query points from the same sine: the
meta-gradient then rewards an initialisation that generalises after adaptation, not one that
memorises the points it adapted on. The query minibatch has inner_batch points, so it stacks
after the inner minibatches: xb, yb [n, k + 1, m, 1], the last slot being the query.
"""

from __future__ import annotations

import torch

from .tasks import TaskStream, sine


class SupportQueryStream(TaskStream):
    """As TaskStream (same counter-based chunks, so a resumed run needs no generator state),
    with a query minibatch after the k support minibatches of every task.

    Query points are fresh draws of the same task: x ~ U[x range] on a family with random x (the
    MAML protocol), m distinct points of the grid on a grid family (the Reptile protocol, whose
    whole task is its 50-point grid, so the query may share points with the support).
    """

    query = True

    def _sample_chunk(self, c: int) -> tuple[torch.Tensor, torch.Tensor]:
        xb, yb, tasks, gen = self._draw_chunk(c)
        query_x = self.family.sample_points(len(tasks.x), self.batch, gen)
        query_y = sine(query_x, tasks.amplitude, tasks.phase)
        return torch.cat([xb, query_x[:, None]], 1), torch.cat([yb, query_y[:, None]], 1)


def split(xb: torch.Tensor, yb: torch.Tensor):
    """(support x, support y) [n, k, m, 1] and (query x, query y) [n, m, 1]."""
    return (xb[:, :-1], yb[:, :-1]), (xb[:, -1], yb[:, -1])

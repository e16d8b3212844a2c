"""Support and query data for the MAML family: the inner loop adapts on a task's support
minibatches, and the meta-loss is measured on a query minibatch (its "tail").

MAML's protocol (Finn et al. 2017) draws K support and K query points from the same sine: the
meta-gradient then rewards an initialisation that generalises after adaptation, not one that
memorises the points it adapted on. The Reptile paper (section 6.3) compares two tails:

- separate: the query is held apart from the support. On a grid family (a task is its grid
  points) each task's points are shuffled, the last inner_batch of them are the query and the
  inner minibatches cycle through the others (docs/protocols.md, the rule for the 50-point
  grid); on a family with x drawn per task, the query is inner_batch fresh draws.
- shared: the query is the next minibatch of the inner loop's own cycle through the task's
  points, so it shares points with the support.

The query minibatch has inner_batch points and stacks after the inner minibatches:
xb, yb [n, k + 1, m, 1], the last slot being the query.
"""

from __future__ import annotations

import torch

from .names import TAILS
from .tasks import SineFamily, TaskStream, gather_points, minibatch_indices, sine


class SupportQueryStream(TaskStream):
    """As TaskStream (same counter-based chunks, so a resumed run needs no generator state),
    with a query minibatch after the k support minibatches of every task."""

    def __init__(self, family: SineFamily, seed: int, meta_batch: int, steps: int, batch: int,
                 tail: str = "separate"):
        if tail not in TAILS:
            raise ValueError(f"tail must be one of {', '.join(TAILS)}, not {tail!r}")
        super().__init__(family, seed, meta_batch, steps, batch)
        self.tail = tail

    query = True

    def _sample_chunk(self, c: int) -> tuple[torch.Tensor, torch.Tensor]:
        if self.tail == "shared":  # the inner loop's cycle, one minibatch further
            gen, tasks = self._chunk_tasks(c)
            idx = minibatch_indices(len(tasks.x), self.family.n_points, self.steps + 1,
                                    self.batch, gen)
            return gather_points(tasks.x, idx), gather_points(tasks.y, idx)
        if self.family.grid:
            gen, tasks = self._chunk_tasks(c)
            n, points = len(tasks.x), self.family.n_points
            order = torch.rand(n, points, generator=gen).argsort(-1)
            pool, query = order[:, : points - self.batch], order[:, points - self.batch :]
            cycle = minibatch_indices(n, points - self.batch, self.steps, self.batch, gen)
            support = pool.gather(1, cycle.flatten(1)).view_as(cycle)
            idx = torch.cat([support, query[:, None]], 1)
            return gather_points(tasks.x, idx), gather_points(tasks.y, idx)
        xb, yb, tasks, gen = self._draw_chunk(c)
        query_x = self.family.sample_x(len(tasks.x), self.batch, gen)
        query_y = sine(query_x, tasks.amplitude, tasks.phase)
        return torch.cat([xb, query_x[:, None]], 1), torch.cat([yb, query_y[:, None]], 1)


def split(xb: torch.Tensor, yb: torch.Tensor):
    """(support x, support y) [n, k, m, 1] and (query x, query y) [n, m, 1]."""
    return (xb[:, :-1], yb[:, :-1]), (xb[:, -1], yb[:, -1])

"""The sine task family y = a * sin(x + b) and its seeded samplers.

Both standard protocols are members of one family (docs/protocols.md):
- Reptile: x on a fixed 50-point grid over [-5, 5], phase b ~ U[0, 2 pi];
- MAML: x ~ U[-5, 5] drawn per task, phase b ~ U[0, pi].
Amplitude a ~ U[0.1, 5] in both. All randomness comes from an explicit torch.Generator, so a
stream of tasks is a pure function of its seed (and resumes exactly from a saved generator state).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch

from . import memory
from .names import MEASURES, SUPPORTS

# Named random streams: each gets its own generator so that, e.g., changing the number of
# held-out tasks never changes the training tasks. "validation" draws the tasks a search selects
# hyperparameters on: never the held-out (test) tasks of the same seed.
STREAMS = {"init": 0, "train": 1, "heldout": 2, "validation": 3}


def make_generator(seed: int, stream: str, *counter: int) -> torch.Generator:
    """An independent CPU generator for (seed, stream, *counter), via numpy's SeedSequence."""
    entropy = [seed, STREAMS[stream], *counter]
    state = np.random.SeedSequence(entropy).generate_state(1, np.uint64)[0]
    return torch.Generator().manual_seed(int(state) & ((1 << 63) - 1))


@dataclass(frozen=True)
class SineFamily:
    amplitude: tuple[float, float] = (0.1, 5.0)
    phase: tuple[float, float] = (0.0, 2 * math.pi)
    x_range: tuple[float, float] = (-5.0, 5.0)
    n_points: int = 50  # points per training task
    grid: bool = True  # True: x on a fixed linspace grid; False: x ~ U[x_range] per task

    def grid_x(self, n: int | None = None) -> torch.Tensor:
        return torch.linspace(*self.x_range, n or self.n_points).unsqueeze(-1)  # [n, 1]

    def sample_params(self, n: int, gen: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
        u = torch.rand(n, 2, generator=gen)
        amplitude = self.amplitude[0] + (self.amplitude[1] - self.amplitude[0]) * u[:, 0]
        phase = self.phase[0] + (self.phase[1] - self.phase[0]) * u[:, 1]
        return amplitude, phase

    def sample_x(self, n: int, points: int, gen: torch.Generator) -> torch.Tensor:
        lo, hi = self.x_range
        return lo + (hi - lo) * torch.rand(n, points, 1, generator=gen)

    def sample_points(self, n: int, points: int, gen: torch.Generator) -> torch.Tensor:
        """x [n, points, 1] of fresh points of n tasks: distinct points of the grid (without
        replacement) on a grid family, uniform draws over the x range otherwise."""
        if self.grid:
            pick = torch.rand(n, self.n_points, generator=gen).argsort(-1)[:, :points]
            return self.grid_x()[pick]
        return self.sample_x(n, points, gen)

    def sample(self, n: int, gen: torch.Generator) -> TaskBatch:
        """n training tasks, each with n_points (x, y) pairs."""
        amplitude, phase = self.sample_params(n, gen)
        if self.grid:
            x = self.grid_x().expand(n, -1, -1)
        else:
            x = self.sample_x(n, self.n_points, gen)
        return TaskBatch(amplitude, phase, x, sine(x, amplitude, phase))


def sine(x: torch.Tensor, amplitude: torch.Tensor, phase: torch.Tensor) -> torch.Tensor:
    """y = a sin(x + b) for x [T, P, 1] and per-task a, b [T]."""
    return amplitude[:, None, None] * torch.sin(x + phase[:, None, None])


@dataclass
class TaskBatch:
    amplitude: torch.Tensor  # [T]
    phase: torch.Tensor  # [T]
    x: torch.Tensor  # [T, P, 1]
    y: torch.Tensor  # [T, P, 1]


def minibatch_indices(
    n_tasks: int, n_points: int, steps: int, batch: int, gen: torch.Generator
) -> torch.Tensor:
    """Indices [T, steps, batch] of the points each inner step trains on.

    As the public demo does: shuffle a task's points, step through them in minibatches of
    `batch`, reshuffle when an epoch is used up (a short remainder is dropped, so every step sees
    exactly `batch` points). Each task gets its own shuffles.
    """
    per_epoch = n_points // batch
    epochs = -(-steps // per_epoch)
    perm = torch.rand(n_tasks, epochs, n_points, generator=gen).argsort(-1)
    perm = perm[:, :, : per_epoch * batch].reshape(n_tasks, epochs * per_epoch, batch)
    return perm[:, :steps]


def gather_points(values: torch.Tensor, idx: torch.Tensor) -> torch.Tensor:
    """values [T, P, 1] at idx [T, S, M] -> [T, S, M, 1]."""
    t, s, m = idx.shape
    return values.gather(1, idx.reshape(t, s * m, 1)).reshape(t, s, m, 1)


class TaskStream:
    """The training data of meta-training: for outer iteration i, n tasks and the k minibatches
    of m points each inner loop trains on, xb, yb [n, k, m, 1].

    Counter-based: iterations are drawn in chunks, chunk c from its own generator (seed, c), so
    iteration i's data is a pure function of (seed, i) (and of the config, which sets the chunk
    size): a resumed run needs no generator state, and sampling up to a thousand tasks per call
    costs a fraction of an op per iteration instead of a dozen small ops each time. A chunk holds
    at most memory.CHUNK_BYTES (and always one iteration), so large inner_steps or meta_batch
    allocate what an iteration needs.
    """

    query = False  # whether each task also has a query minibatch (episodes.py)

    def __init__(self, family: SineFamily, seed: int, meta_batch: int, steps: int, batch: int):
        self.family, self.seed = family, seed
        self.meta_batch, self.steps, self.batch = meta_batch, steps, batch
        task_bytes = memory.stream_task_bytes(family.n_points, steps, batch, family.grid,
                                              self.query)
        self.chunk = memory.chunk_iterations(meta_batch, task_bytes)  # iterations per chunk
        self._cached: tuple[int, torch.Tensor, torch.Tensor] | None = None

    def __call__(self, iteration: int) -> tuple[torch.Tensor, torch.Tensor]:
        c, i = divmod(iteration, self.chunk)
        if self._cached is None or self._cached[0] != c:
            self._cached = (c, *self._sample_chunk(c))
        n = self.meta_batch
        return self._cached[1][i * n : (i + 1) * n], self._cached[2][i * n : (i + 1) * n]

    def _sample_chunk(self, c: int) -> tuple[torch.Tensor, torch.Tensor]:
        return self._draw_chunk(c)[:2]

    def _chunk_tasks(self, c: int) -> tuple[torch.Generator, TaskBatch]:
        """Chunk c's generator and its tasks, drawn first from it."""
        gen = make_generator(self.seed, "train", c)
        return gen, self.family.sample(self.chunk * self.meta_batch, gen)

    def _draw_chunk(self, c: int):
        """Chunk c's minibatches xb, yb, its tasks and its generator (for subclasses that draw
        more from the same tasks, after the minibatches)."""
        gen, tasks = self._chunk_tasks(c)
        idx = minibatch_indices(len(tasks.x), self.family.n_points, self.steps, self.batch, gen)
        return gather_points(tasks.x, idx), gather_points(tasks.y, idx), tasks, gen


class PopulationStream:
    """The training data of a population: member p's own stream (its seed), its n tasks in rows
    p*n .. p*n + n - 1 of xb, yb [P * n, k, m, 1]. A member's data are exactly those it would
    train on alone. The members' chunks are drawn together and kept stacked [P, ...], so an
    iteration costs one slice, not one per member."""

    def __init__(self, streams: list[TaskStream]):
        self.streams = streams
        self._cached: tuple[int, torch.Tensor, torch.Tensor] | None = None

    def __call__(self, iteration: int) -> tuple[torch.Tensor, torch.Tensor]:
        first = self.streams[0]
        c, i = divmod(iteration, first.chunk)
        if self._cached is None or self._cached[0] != c:
            drawn = [stream._sample_chunk(c) for stream in self.streams]
            self._cached = (c, torch.stack([x for x, _ in drawn]),
                            torch.stack([y for _, y in drawn]))
        n = first.meta_batch
        return tuple(t[:, i * n : (i + 1) * n].flatten(0, 1) for t in self._cached[1:])

    def select(self, keep: list[int]) -> PopulationStream:
        return PopulationStream([self.streams[i] for i in keep])


@dataclass
class HeldOut:
    """A fixed set of held-out tasks: K support points each, and the points the MSE is measured
    on (a dense grid, or K fresh query points per task: make_heldout's `measure`)."""

    amplitude: torch.Tensor  # [N]
    phase: torch.Tensor  # [N]
    support_x: torch.Tensor  # [N, K, 1]
    support_y: torch.Tensor  # [N, K, 1]
    measure_x: torch.Tensor  # [N, G, 1]: the grid (the same for every task) or the query points
    measure_y: torch.Tensor  # [N, G, 1]

    def __len__(self) -> int:
        return len(self.amplitude)

    def subset(self, index: slice | torch.Tensor) -> HeldOut:
        return HeldOut(*(getattr(self, f)[index] for f in self.__dataclass_fields__))

    def to(self, device: torch.device | str) -> HeldOut:
        return HeldOut(*(getattr(self, f).to(device) for f in self.__dataclass_fields__))


def make_heldout(
    family: SineFamily, n_tasks: int, shots: int, grid_points: int, seed: int,
    measure: str = "grid", support: str = "family", stream: str = "heldout",
) -> HeldOut:
    """The held-out set of a run: from its own seed stream, fixed for the whole run (the
    validation set: the same from the "validation" stream).

    Drawn in this order from the stream, so the tasks do not depend on the other arguments:
    each task's amplitude and phase; its `shots` support points, as the family draws them
    (`support="family"`, SineFamily.sample_points: distinct grid points on a grid family,
    uniform draws otherwise) or uniformly over the x range (`support="uniform"`, the Reptile
    paper's section 4); then, with `measure="query"`, `shots` fresh uniform query points per
    task, on which the MSE is measured as the MAML reference code measures its test loss. With
    `measure="grid"` the MSE is measured on `grid_points` evenly spaced points over the x range.
    """
    if measure not in MEASURES or support not in SUPPORTS:
        raise ValueError(f"measure must be one of {MEASURES} and support one of {SUPPORTS}, "
                         f"not {measure!r}, {support!r}")
    gen = make_generator(seed, stream)
    amplitude, phase = family.sample_params(n_tasks, gen)
    if support == "family":
        support_x = family.sample_points(n_tasks, shots, gen)
    else:
        support_x = family.sample_x(n_tasks, shots, gen)
    if measure == "query":
        measure_x = family.sample_x(n_tasks, shots, gen)
    else:
        measure_x = family.grid_x(grid_points).expand(n_tasks, -1, -1)
    return HeldOut(
        amplitude,
        phase,
        support_x,
        sine(support_x, amplitude, phase),
        measure_x,
        sine(measure_x, amplitude, phase),
    )

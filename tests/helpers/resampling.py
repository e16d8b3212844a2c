"""A plain reference for the two-level bootstrap of analysis/bootstrap.py: one resample at a
time, numpy fancy indexing, no counts; for tests/test_intervals.py and benchmarks/intervals.py."""

from __future__ import annotations

import numpy as np


def two_level_draws(values: np.ndarray, statistic: str, shared: bool, resamples: int,
                    seed: int) -> np.ndarray:
    """[resamples, k]: the resampled statistic of `values` [seeds, tasks, k]. Each resample
    draws the seeds, then the tasks (once for all drawn seeds when `shared`, else for each), and
    averages the drawn seeds' mean or median over their drawn tasks."""
    rng = np.random.default_rng(seed)
    seeds, tasks, _ = values.shape
    reduce = np.mean if statistic == "mean" else np.median
    out = np.empty((resamples, values.shape[2]))
    for b in range(resamples):
        drawn = rng.integers(0, seeds, seeds)
        common = rng.integers(0, tasks, tasks)
        out[b] = np.mean([reduce(values[s][common if shared else rng.integers(0, tasks, tasks)],
                                 axis=0) for s in drawn], axis=0)
    return out

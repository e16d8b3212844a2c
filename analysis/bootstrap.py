"""Two-level bootstrap intervals over seeds and held-out tasks, by scipy.stats.bootstrap.

A job's number is a statistic (mean or median) of its per-task MSEs (eval_tasks.csv), and a
setting's number is the mean of its jobs' numbers over the seeds. Both the training seed and the
sample of held-out tasks vary the result; one resample redraws both:

1. the seeds: S draws with replacement from the setting's S seeds;
2. the tasks: T draws with replacement from the T held-out tasks, made once per resample and
   used by every drawn seed when the seeds were evaluated on the same tasks (the default: the
   held-out set comes from eval.seed, the same in every job; tasks and seeds are crossed, and a
   task that is hard for one seed is hard for all), or made afresh for each drawn seed when the
   seeds saw different tasks (nested);

then the statistic of the resampled seeds x tasks, i.e. the mean over the drawn seeds of each
one's statistic over its drawn tasks. scipy.stats.bootstrap does the drawing, the batching and
the interval: its samples are the seed indices and one (crossed) or S (nested) copies of the
task indices, resampled independently (paired=False); the statistic turns drawn indices into
counts and reads the per-task MSE matrix with them, so nothing seeds x tasks x resamples large is
ever built.

Method: the percentile interval. With three seeds, the jackknife that BCa needs for its
acceleration has three points; the percentile interval of a positive statistic stays positive
(a log axis can draw it) and needs no jackknife over a thousand tasks. The generator is seeded
(SEED), so a report is the same bytes every time; every setting uses the same draws.
"""

from __future__ import annotations

import numpy as np
from scipy.stats import bootstrap

from analysis.stats import LEVEL

N_RESAMPLES = 2000
SEED = 0
METHOD = "percentile"
_BATCH_CELLS = 4_000_000  # resamples x seeds x tasks (mean), x tasks x k (median) at once


def _counts(drawn: np.ndarray, n: int) -> np.ndarray:
    """[B, n] draws of indices 0..n-1 -> [B, n] counts of each index."""
    rows = np.arange(drawn.shape[0])[:, None] * n
    return np.bincount((drawn + rows).ravel(), minlength=drawn.shape[0] * n).reshape(-1, n)


def _small(n: int) -> type:
    """The narrowest integer type for counts and positions up to n: less memory to stream."""
    return np.int16 if n < 2**15 else np.int64


def _medians(ordered: np.ndarray, order: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """[B, K]: per row of `counts` [B, T] (how often each task was drawn), the median of the drawn
    tasks' values, for one seed whose values are `ordered` [K, T] (sorted along T, in the task
    order `order`). The average of the two middle order statistics, as numpy's median and
    torch.quantile(0.5) take it."""
    n = counts.shape[1]
    below = np.cumsum(counts[:, order], axis=2, dtype=counts.dtype)  # drawn at or below
    low = np.count_nonzero(below <= (n - 1) // 2, axis=2)  # the value holding draw n/2 - 1
    high = np.count_nonzero(below <= n // 2, axis=2) if n % 2 == 0 else low  # and draw n/2
    k = np.arange(ordered.shape[0])
    return (ordered[k, low] + ordered[k, high]) / 2


def _statistic(values: np.ndarray, statistic: str, shared: bool):
    """scipy's vectorised statistic: (drawn seeds [B, S], drawn tasks [B, T] once or S times)
    -> [K, B]."""
    S, T, K = values.shape
    if statistic == "median":
        order = np.argsort(values, axis=1, kind="stable").transpose(0, 2, 1)  # [S, K, T]
        ordered = np.take_along_axis(values.transpose(0, 2, 1), order, axis=2)
        order = order.astype(_small(T))

    def stat(seeds, *tasks, axis=-1):
        seeds = np.atleast_2d(seeds)
        counts = [_counts(np.atleast_2d(t), T).astype(_small(T)) for t in tasks] or [
            np.ones((len(seeds), T), _small(T))]  # one task: only the seeds are drawn
        rows = np.arange(len(seeds))
        if statistic == "mean":  # linear: weight each (seed, task) by how often it was drawn
            weights = np.zeros((len(seeds), S, T))
            for j in range(S):
                weights[rows, seeds[:, j]] += counts[0 if shared else j]
            return (weights.reshape(len(seeds), S * T) @ values.reshape(S * T, K)).T / (S * T)
        total = np.zeros((len(seeds), K))
        if shared:  # every drawn seed sees the same tasks: each seed's median once per resample
            times = _counts(seeds, S)
            for s in np.flatnonzero(times.any(axis=0)):
                total += times[:, s, None] * _medians(ordered[s], order[s], counts[0])
        else:
            for j in range(S):
                for s in np.unique(seeds[:, j]):
                    at = seeds[:, j] == s
                    total[at] += _medians(ordered[s], order[s], counts[j][at])
        return total.T / S
    return stat


def two_level(values, statistic: str = "mean", shared_tasks: bool = True,
              n_resamples: int = N_RESAMPLES, seed: int = SEED,
              level: float = LEVEL) -> tuple[np.ndarray, np.ndarray]:
    """(lo [K], hi [K]): the percentile interval of the mean over seeds of each seed's
    `statistic` ("mean" or "median") over tasks, from `values` [seeds, tasks, K] (per-task MSE
    after each of K step counts), seeds and tasks resampled as the module describes.

    A non-finite MSE (a task whose adaptation diverged; NaN counts as one) makes the mean
    infinite: that column's interval is NaN, as is every interval with fewer than two seeds
    (the spread between seeds is unknown)."""
    values = np.asarray(values, dtype=float)
    if values.ndim != 3:
        raise ValueError(f"values must be seeds x tasks x k, not shape {values.shape}")
    values = np.where(np.isnan(values), np.inf, values)
    S, T, K = values.shape
    lo, hi = np.full(K, np.nan), np.full(K, np.nan)
    if S < 2 or T < 1:
        return lo, hi
    columns = np.arange(K)
    if statistic == "mean":
        columns = columns[np.isfinite(values).all(axis=(0, 1))]
    elif statistic != "median":
        raise ValueError(f"statistic must be mean or median, not {statistic!r}")
    if not len(columns):
        return lo, hi
    values = values[:, :, columns]
    per_resample = T * len(columns) if statistic == "median" else S * T
    shared_tasks = shared_tasks or T == 1
    samples = (np.arange(S), *[np.arange(T)] * (0 if T == 1 else 1 if shared_tasks else S))
    with np.errstate(invalid="ignore"):  # its standard error of a blown-up median is NaN
        result = bootstrap(samples, _statistic(values, statistic, shared_tasks), paired=False,
                           vectorized=True, n_resamples=n_resamples, method=METHOD,
                           confidence_level=level, rng=np.random.default_rng(seed),
                           batch=max(1, _BATCH_CELLS // per_resample))
    lo[columns], hi[columns] = result.confidence_interval
    return lo, hi

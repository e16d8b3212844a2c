"""Benchmark: the two-level bootstrap of analysis/bootstrap.py, its time and its coverage.

    python -m benchmarks.intervals [--seeds 10] [--tasks 1000] [--ks 33] [--sets 400]

1. Time: two_level on a seeds x tasks x k matrix of per-task MSEs (mean and median; tasks
   shared by the seeds or not), N_RESAMPLES resamples, side by side with a reference that
   resamples the same way one resample at a time with numpy fancy indexing (timed on
   --reference-resamples resamples and scaled to N_RESAMPLES): tests/helpers/resampling.py.
2. Coverage: the share of `--sets` simulated sweeps whose 95% interval holds the true mean, for
   the t-interval across seeds, the bootstrap with the tasks drawn once for all seeds (crossed,
   what analysis uses when the seeds share their held-out tasks) and drawn per seed (nested).
   Each sweep: MSE = exp(seed effect + task effect + noise), normal effects with the given
   standard deviations; the task effect is common to the seeds, as one held-out set is.

Prints one JSON line per measurement.
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np

from analysis.bootstrap import N_RESAMPLES, two_level
from analysis.stats import t_quantile
from tests.helpers.resampling import two_level_draws

# (seeds, tasks, sd of the seed effect, of the task effect, of the noise)
DESIGNS = [(3, 100, 0.1, 0.8, 0.3), (3, 100, 0.3, 0.3, 0.3), (10, 100, 0.1, 0.8, 0.3),
           (10, 100, 0.3, 0.3, 0.3), (3, 1000, 0.05, 1.0, 0.3)]


def timing(args) -> None:
    values = np.random.default_rng(0).lognormal(0, 1, (args.seeds, args.tasks, args.ks))
    for statistic in ("mean", "median"):
        for shared in (True, False):
            start = time.perf_counter()
            two_level(values, statistic, shared)
            seconds = time.perf_counter() - start
            start = time.perf_counter()
            np.percentile(two_level_draws(values, statistic, shared,
                                          args.reference_resamples, seed=1), [2.5, 97.5], 0)
            scaled = (time.perf_counter() - start) * N_RESAMPLES / args.reference_resamples
            print(json.dumps({"bench": "time", "statistic": statistic, "shared_tasks": shared,
                              "shape": list(values.shape), "resamples": N_RESAMPLES,
                              "seconds": round(seconds, 3),
                              "reference_seconds_scaled": round(scaled, 1),
                              "speedup": round(scaled / seconds, 1)}), flush=True)


def coverage(args) -> None:
    rng = np.random.default_rng(0)
    for seeds, tasks, sd_seed, sd_task, sd_noise in DESIGNS:
        values = np.exp(rng.normal(0, sd_seed, (seeds, 1, args.sets))
                        + rng.normal(0, sd_task, (1, tasks, args.sets))
                        + rng.normal(0, sd_noise, (seeds, tasks, args.sets)))
        truth = np.exp((sd_seed**2 + sd_task**2 + sd_noise**2) / 2)
        means = values.mean(axis=1)  # [seeds, sets]
        half = t_quantile(seeds - 1) * means.std(axis=0, ddof=1) / np.sqrt(seeds)
        bounds = {"t": (means.mean(0) - half, means.mean(0) + half)}
        for name, shared in (("bootstrap_crossed", True), ("bootstrap_nested", False)):
            bounds[name] = two_level(values, "mean", shared)
        print(json.dumps({"bench": "coverage", "seeds": seeds, "tasks": tasks,
                          "sd_seed": sd_seed, "sd_task": sd_task, "sd_noise": sd_noise,
                          "sets": args.sets, **{
                              name: {"coverage": round(float(np.mean((lo <= truth)
                                                                     & (truth <= hi))), 3),
                                     "median_width": round(float(np.median(hi - lo)), 3)}
                              for name, (lo, hi) in bounds.items()}}), flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--tasks", type=int, default=1000)
    parser.add_argument("--ks", type=int, default=33, help="adaptation steps k = 0..32")
    parser.add_argument("--reference-resamples", type=int, default=100)
    parser.add_argument("--sets", type=int, default=400, help="simulated sweeps per design")
    args = parser.parse_args()
    timing(args)
    coverage(args)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

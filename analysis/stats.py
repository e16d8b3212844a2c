"""Intervals across seeds: mean +- t_{0.975, n-1} * sd / sqrt(n).

The Student t quantile is computed, not looked up: for integer degrees of freedom the two-sided
t probability has a finite closed form (Abramowitz & Stegun 26.7.3 and 26.7.4), which bisection
inverts to full double precision. No scipy, no table, any n. With one seed there is no interval:
the half-width is NaN (shown as "–").
"""

from __future__ import annotations

import math
from functools import cache

import numpy as np
import pandas as pd

LEVEL = 0.95


def t_two_sided(t: float, df: int) -> float:
    """P(|T| < t) for Student's t with integer `df` >= 1 (A&S 26.7.3-4)."""
    theta = math.atan(t / math.sqrt(df))
    cos2 = math.cos(theta) ** 2
    if df % 2:  # odd: (2/pi) * (theta + sin cos (1 + 2/3 cos^2 + 2.4/(3.5) cos^4 + ...))
        term = total = 1.0
        for j in range(1, (df - 1) // 2):
            term *= cos2 * (2 * j) / (2 * j + 1)
            total += term
        series = math.sin(theta) * math.cos(theta) * total if df > 1 else 0.0
        return 2 / math.pi * (theta + series)
    term = total = 1.0  # even: sin (1 + 1/2 cos^2 + 1.3/(2.4) cos^4 + ...)
    for j in range(1, df // 2):
        term *= cos2 * (2 * j - 1) / (2 * j)
        total += term
    return math.sin(theta) * total


@cache
def t_quantile(df: int, level: float = LEVEL) -> float:
    """The t value with P(|T| < t) = `level`, i.e. the (1 + level) / 2 quantile."""
    if df < 1:
        return math.nan
    lo, hi = 0.0, 1.0
    while t_two_sided(hi, df) < level:
        hi *= 2
    for _ in range(200):  # bisection: monotone, and cheap enough to run to the last bit
        mid = (lo + hi) / 2
        if mid in (lo, hi):
            break
        lo, hi = (mid, hi) if t_two_sided(mid, df) < level else (lo, mid)
    return (lo + hi) / 2


def interval(values) -> tuple[float, float]:
    """(lo, hi) of the 95% t interval of `values` (NaN ignored); (NaN, NaN) for fewer than two.

    Usable as seaborn's `errorbar=` callable; agrees with `summarize`.
    """
    values = np.asarray(values, dtype=float)
    values = values[~np.isnan(values)]
    n = len(values)
    if n < 2:
        return math.nan, math.nan
    mean = values.mean()
    half = t_quantile(n - 1) * values.std(ddof=1) / math.sqrt(n)
    return mean - half, mean + half


def summarize(frame: pd.DataFrame, by: list[str], value: str) -> pd.DataFrame:
    """Per group of `by`: mean, sd, n (seeds), half-width, lo and hi of the 95% interval.

    Non-finite values (a blown-up evaluation) stay in the mean, which then reads inf: dropping
    them would hide the blow-up; the median-over-tasks statistic is the robust alternative.
    """
    stats = (frame.groupby(by, dropna=False, sort=True)[value]
             .agg(mean="mean", sd="std", n="count").reset_index())
    t = stats["n"].map(lambda n: t_quantile(n - 1) if n > 1 else math.nan)
    stats["halfwidth"] = t * stats["sd"] / np.sqrt(stats["n"])
    stats["lo"] = stats["mean"] - stats["halfwidth"]
    stats["hi"] = stats["mean"] + stats["halfwidth"]
    return stats

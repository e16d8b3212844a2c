"""One "method" factor where a sweep varies several categorical algorithm keys together.

A sweep over algo.combine x algo.tail (sweep=overlap_*) or over algo.name x algo.tail compares
methods, not two independent factors: a figure should draw one line per method, not one per
combine with panels per tail. So when two or more categorical `algo.*` keys vary, they become
one factor, `method`, whose value names each job's method from its config alone:
"combo (combine=last, tail=shared)". A key enters a job's name only where it varies among the
jobs of the same algorithm, so Reptile beside first-order MAML with either tail reads "reptile",
"fomaml (tail=separate)", "fomaml (tail=shared)" (Reptile's tail, a key it ignores, is the same
in all its jobs); the algorithm's name is left out when every job runs the same one.
"""

from __future__ import annotations

import pandas as pd

from analysis.fmt import ordered, value_text
from analysis.style import is_numeric

METHOD = "method"
PREFIX = "algo."
NAME = "algo.name"


def method_keys(configs: pd.DataFrame, hyper: list[str]) -> list[str]:
    """The varying categorical algo.* keys, when there are two or more of them."""
    keys = [key for key in hyper if key.startswith(PREFIX)
            and not is_numeric(ordered(configs[key]))]
    return keys if len(keys) >= 2 else []


def _name(row: pd.Series, keys: list[str], shown: dict) -> str:
    """One job's method: its algorithm and the keys that vary within it."""
    algo = row.get(NAME)
    parts = [f"{key[len(PREFIX):]}={value_text(row[key])}" for key in shown.get(algo, keys)]
    head = value_text(algo) if NAME in keys else ""
    if head and parts:
        return f"{head} ({', '.join(parts)})"
    return head or ", ".join(parts)


def merge_methods(configs: pd.DataFrame, hyper: list[str],
                  used: pd.Series | None = None) -> tuple[pd.DataFrame, list[str]]:
    """(configs with a `method` column, hyperparameters with `method` in place of the keys it
    merges); unchanged when fewer than two categorical algo.* keys vary. `configs`: one row per
    job, the flat config keys as columns; `used`: the rows (a boolean mask) whose values decide
    what varies, by default all."""
    basis = configs if used is None else configs[used]
    keys = method_keys(basis, hyper)
    if not keys:
        return configs, hyper
    others = [key for key in keys if key != NAME]
    if NAME in keys:  # per algorithm, the keys that vary among its own jobs
        shown = {algo: [key for key in others if jobs[key].nunique(dropna=False) > 1]
                 for algo, jobs in basis.groupby(NAME, dropna=False)}
    else:
        shown = {}
    names = configs.apply(_name, axis=1, args=(keys, shown)) if len(configs) else []
    at = hyper.index(keys[0])
    merged = [key for key in hyper if key not in keys]
    return configs.assign(**{METHOD: names}), merged[:at] + [METHOD] + merged[at:]

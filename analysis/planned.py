"""The jobs a sweep planned but never started, from its multirun.yaml.

A sweep killed before its launcher reached some jobs leaves no folder for them, so reading run
directories alone cannot tell a 12-job sweep from a finished 8-job one. Hydra's basic sweeper
runs the product of its sweep overrides: the preset's `hydra.sweeper.params`, overridden key by
key by the command line's. Counting them, with Hydra's own override parser, gives the planned
number of jobs.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterable
from pathlib import Path

import yaml
from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.errors import HydraException

BASIC_SWEEPER = "hydra._internal.core_plugins.basic_sweeper.BasicSweeper"


def planned_jobs(sweep_dir: Path) -> int | None:
    """The number of jobs the sweep in `sweep_dir` launches; None where that cannot be told (no
    or unreadable multirun.yaml, another sweeper, a glob sweep)."""
    try:
        hydra = yaml.safe_load((sweep_dir / "multirun.yaml").read_text())["hydra"]
        sweeper = hydra.get("sweeper") or {}
        if sweeper.get("_target_", BASIC_SWEEPER) != BASIC_SWEEPER:
            return None
        params = [f"{k}={v}" for k, v in (sweeper.get("params") or {}).items()]
        overrides = OverridesParser.create().parse_overrides(
            [*params, *hydra["overrides"]["task"]])
        sizes = {o.key_or_group: len(list(o.sweep_string_iterator())) if o.is_sweep_override()
                 else 1 for o in overrides}  # a later override of a key replaces the earlier
    except (OSError, KeyError, TypeError, AttributeError, yaml.YAMLError, HydraException):
        return None
    return math.prod(sizes.values())


def never_started(run_dirs: Iterable[Path], paths: Iterable[str | os.PathLike],
                  root: Path) -> list[tuple[str, Path, str]]:
    """(name relative to root, folder, message) per sweep with fewer job folders than it planned.
    A sweep is a folder with multirun.yaml above some of `run_dirs`, at or below one of the
    `paths` analysed: a single job picked out of a sweep says nothing about its other jobs."""
    given = [Path(p).resolve() for p in paths]
    found: dict[Path, int] = {}
    for run in run_dirs:
        sweep = next((f for f in run.parents if (f / "multirun.yaml").is_file()), None)
        if sweep and any(sweep == g or g in sweep.parents for g in given):
            found[sweep] = found.get(sweep, 0) + 1
    problems = []
    for sweep, count in found.items():
        planned = planned_jobs(sweep)
        if planned and count < planned:
            name = sweep.relative_to(root).as_posix() if root in sweep.parents else sweep.name
            problems.append((name, sweep, f"{planned - count} of {planned} jobs never started: "
                             f"relaunch the sweep's command with hydra.sweep.dir={sweep}"))
    return problems

"""A sweep's plan: the jobs Hydra's basic sweeper launches, from a preset's hydra.sweeper.params
and the command line's overrides, expanded by Hydra's own override parser.

Used before a launch (preflight validates every planned job), after every job (the swept keys
are summary.csv's columns) and by analysis (a killed sweep's jobs that never started).
"""

from __future__ import annotations

import itertools
import os
from pathlib import Path

from .contract import MULTIRUN
from .io import ContractError, read_yaml

BASIC_SWEEPER = "hydra._internal.core_plugins.basic_sweeper.BasicSweeper"


def sweep_values(overrides: list[str], params: dict | None = None) -> dict[str, list[str]]:
    """{key: [override per value]} in launch order: the preset's params first, each overridden
    key by key by the command line's (as the basic sweeper does). A plain override is a key with
    one value; a sweep (a,b / range / choice) lists all of its values."""
    from hydra.core.override_parser.overrides_parser import OverridesParser

    lines = [f"{key}={value}" for key, value in (params or {}).items()] + list(overrides)
    by_key: dict[str, list[str]] = {}
    for o in OverridesParser.create().parse_overrides(lines):
        key = o.get_key_element()
        values = (list(o.sweep_string_iterator()) if o.is_sweep_override()
                  else [o.get_value_element_as_str()])
        by_key[key] = [f"{key}={v}" for v in values]
    return by_key


def planned_jobs(overrides: list[str], params: dict | None = None) -> list[list[str]]:
    """The override list of every job of the sweep, in the sweeper's job order."""
    return [list(job) for job in itertools.product(*sweep_values(overrides, params).values())]


def read_plan(sweep_dir: str | os.PathLike) -> tuple[list[str], dict] | None:
    """(command-line overrides, preset sweeper params) from SWEEP_DIR/multirun.yaml; None where
    the sweep's jobs are not the basic sweeper's product (another sweeper). ContractError for a
    missing or damaged file."""
    hydra = read_yaml(Path(sweep_dir) / MULTIRUN).get("hydra")
    try:
        sweeper = hydra.get("sweeper") or {}
        overrides = list(hydra["overrides"]["task"])
    except (AttributeError, KeyError, TypeError):
        raise ContractError(Path(sweep_dir) / MULTIRUN, "no hydra.overrides.task") from None
    if sweeper.get("_target_", BASIC_SWEEPER) != BASIC_SWEEPER:
        return None
    return overrides, sweeper.get("params") or {}


def swept_keys(sweep_dir: str | os.PathLike) -> list[str]:
    """The keys a sweep was launched over: every key that a preset param or a command-line
    override sweeps (a,b / range / choice), even where a later plain override pins it, and
    whether or not more than one of its values has run yet; [] without a readable plan."""
    from hydra.core.override_parser.overrides_parser import OverridesParser
    from hydra.errors import HydraException

    try:
        plan = read_plan(sweep_dir)
        if plan is None:
            return []
        overrides, params = plan
        lines = [f"{key}={value}" for key, value in params.items()] + overrides
        parsed = OverridesParser.create().parse_overrides(lines)
    except (ContractError, HydraException):
        return []
    return list(dict.fromkeys(o.key_or_group for o in parsed if o.is_sweep_override()))


def planned_count(sweep_dir: str | os.PathLike) -> int | None:
    """How many jobs the sweep launches; None where that cannot be told."""
    from hydra.errors import HydraException

    try:
        plan = read_plan(sweep_dir)
        return None if plan is None else len(planned_jobs(*plan))
    except (ContractError, HydraException):
        return None

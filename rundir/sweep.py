"""A sweep's plan: the jobs Hydra's basic sweeper launches, from a preset's hydra.sweeper.params
and the command line's overrides, expanded by Hydra's own override parser; for a search
(hydra/sweeper=optuna), its trials and the jobs of each.

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
# hydra/sweeper=optuna (hydra_plugins/optuna_search): a search, its study in the sweep folder
SEARCH_SWEEPER = "hydra_plugins.optuna_search.sweeper.OptunaSweeper"


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


def read_plan(sweep_dir: str | os.PathLike) -> tuple[list[str], dict, dict]:
    """(command-line overrides, sweeper params, the sweeper's config) from SWEEP_DIR/multirun.yaml.
    ContractError for a missing or damaged file."""
    hydra = read_yaml(Path(sweep_dir) / MULTIRUN).get("hydra")
    try:
        sweeper = hydra.get("sweeper") or {}
        overrides = list(hydra["overrides"]["task"])
    except (AttributeError, KeyError, TypeError):
        raise ContractError(Path(sweep_dir) / MULTIRUN, "no hydra.overrides.task") from None
    return overrides, sweeper.get("params") or {}, sweeper


def swept(overrides: list[str], params: dict | None = None) -> list[str]:
    """The keys that a preset param or a command-line override sweeps (a,b / range / choice /
    interval), even where a later plain override pins them."""
    from hydra.core.override_parser.overrides_parser import OverridesParser

    lines = [f"{key}={value}" for key, value in (params or {}).items()] + list(overrides)
    parsed = OverridesParser.create().parse_overrides(lines)
    return list(dict.fromkeys(o.key_or_group for o in parsed if o.is_sweep_override()))


def replicates(overrides: list[str], params: dict | None, key: str | None) -> list[str]:
    """A search's replicates: one override per value of a sweep of `key` (seed=0,1,2 gives
    seed=0, seed=1, seed=2), each trial's jobs; [] where `key` is not swept (one job a trial)."""
    from hydra.core.override_parser.overrides_parser import OverridesParser

    lines = [f"{k}={v}" for k, v in (params or {}).items()] + list(overrides)
    mine = [o for o in OverridesParser.create().parse_overrides(lines) if o.key_or_group == key]
    if not mine or not mine[-1].is_sweep_override():  # the command line wins, as for any key
        return []
    return [f"{mine[-1].get_key_element()}={v}" for v in mine[-1].sweep_string_iterator()]


def search_plan(sweep_dir: str | os.PathLike) -> tuple[int, int] | None:
    """(trials, jobs per trial) of a search folder (hydra/sweeper=optuna: trial N is jobs
    N * per_trial ... N * per_trial + per_trial - 1); None for another sweep."""
    overrides, params, sweeper = read_plan(sweep_dir)
    if sweeper.get("_target_") != SEARCH_SWEEPER:
        return None
    per_trial = max(1, len(replicates(overrides, params, sweeper.get("replicate_key"))))
    return int(sweeper["n_trials"]), per_trial


def swept_keys(sweep_dir: str | os.PathLike) -> list[str]:
    """The keys a sweep was launched over (swept), whether or not more than one of their values
    has run yet; [] without a readable plan."""
    from hydra.errors import HydraException

    try:
        overrides, params, _ = read_plan(sweep_dir)
        return swept(overrides, params)
    except (ContractError, HydraException):
        return []


def planned_count(sweep_dir: str | os.PathLike) -> int | None:
    """How many jobs the sweep launches (a search: trials x jobs per trial); None where that
    cannot be told."""
    from hydra.errors import HydraException

    try:
        search = search_plan(sweep_dir)
        if search is not None:
            return search[0] * search[1]
        overrides, params, sweeper = read_plan(sweep_dir)
        if sweeper.get("_target_", BASIC_SWEEPER) != BASIC_SWEEPER:
            return None
        return len(planned_jobs(overrides, params))
    except (ContractError, HydraException, KeyError, TypeError, ValueError):
        return None

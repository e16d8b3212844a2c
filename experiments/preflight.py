"""Checks every job of a launch before Hydra makes a folder or a launcher starts a worker.

Composes the config of each job the launch will run (rundir.sweep.planned_jobs: the command
line's sweeps crossed with a sweep preset's hydra.sweeper.params; for a search, every bound of
its search space) and validates it, so an impossible setting anywhere in a sweep is one line and
exit status 2 before any compute, instead of a traceback or a failed job minutes later.
"""

from __future__ import annotations

import copy
import re
import sys
from pathlib import Path

from hydra import compose
from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.core.override_parser.types import OverrideType
from hydra.errors import HydraException
from omegaconf import DictConfig, OmegaConf
from omegaconf.errors import OmegaConfBaseException

from experiments import CONF, CONFIG_NAME
from rundir.sweep import SEARCH_SWEEPER, planned_jobs, replicates

from . import lock
from .config import initialize
from .schema import register
from .validate import ConfigError, validate

# Hydra's flags that answer without running a job, and those that take a value
INFO_FLAGS = {"--help", "-h", "--hydra-help", "--info", "-i", "--cfg", "-c",
              "--shell-completion", "-sc"}
FLAGS_WITH_VALUE = {"--config-path", "-cp", "--config-name", "-cn", "--config-dir", "-cd",
                    "--experimental-rerun"}


class Composer:
    """compose() rereads the config tree; a sweep's jobs mostly differ in plain values. Those
    are applied to a copy of an already composed config (the schema still checks their types);
    anything else (a group choice, an append, a failure) goes through Hydra's compose, which
    owns the errors."""

    def __init__(self):
        self.parser = OverridesParser.create()
        self.composed: dict[tuple[str, ...], DictConfig] = {}

    def __call__(self, job: list[str]) -> DictConfig:
        structural = [o for o in job if not self._plain(o)]
        base = self.composed.get(tuple(structural))
        if base is None:
            base = self.composed[tuple(structural)] = compose(CONFIG_NAME, overrides=structural)
        cfg = copy.deepcopy(base)
        try:
            for o in self.parser.parse_overrides([o for o in job if self._plain(o)]):
                OmegaConf.update(cfg, o.key_or_group, o.value(), merge=False)
        except (OmegaConfBaseException, ValueError):
            return compose(CONFIG_NAME, overrides=job)
        return cfg

    def _plain(self, override: str) -> bool:
        o = self.parser.parse_override(override)
        group = (CONF / o.key_or_group.replace(".", "/")).is_dir() or "/" in o.key_or_group
        return o.type == OverrideType.CHANGE and not o.is_sweep_override() and not group \
            and not o.key_or_group.startswith("hydra")


def check(argv: list[str]) -> None:
    """Raises ConfigError naming the first job that cannot run."""
    if INFO_FLAGS & set(argv):
        return  # Hydra answers these itself
    multirun = bool({"-m", "--multirun"} & set(argv))
    overrides, skip = [], False
    for a in argv:
        if not skip and not a.startswith("-"):
            overrides.append(a)
        skip = a in FLAGS_WITH_VALUE
    register()
    with initialize():
        try:
            base = [o for o in overrides if not (multirun and _is_sweep(o))]
            cfg = compose(CONFIG_NAME, overrides=base, return_hydra_config=True)
            _check_owner(cfg, overrides, multirun)
            params = cfg.hydra.sweeper.get("params") if multirun else None
            params = OmegaConf.to_container(params) if params else None
            if multirun and cfg.hydra.sweeper.get("_target_") == SEARCH_SWEEPER:
                jobs = search_jobs(cfg, overrides, params)
            else:
                jobs = [(job, f"in the job {' '.join(job)}") for job in (
                    planned_jobs(overrides, params) if multirun else [overrides])]
            composer = Composer()
            for job, where in jobs:
                try:
                    validate(composer(job))
                except ConfigError as exc:
                    raise ConfigError(f"{exc} ({where})" if len(jobs) > 1 else str(exc)) from None
        except (HydraException, OmegaConfBaseException) as exc:
            cause = exc.__cause__
            detail = f": {str(cause).splitlines()[0]}" if cause and str(cause) else ""
            raise ConfigError(_one_line(str(exc)) + detail) from None
        except OverflowError as exc:  # OmegaConf's conversion of a huge integer to a float
            key = re.search(r"full_key: (\S+)", str(exc))
            raise ConfigError(f"{key.group(1) if key else 'a value'} is not allowed: a number "
                              f"too large for a float ({str(exc).splitlines()[0]})") from None


def _check_owner(cfg: DictConfig, overrides: list[str], multirun: bool) -> None:
    """A folder named on the command line that a live process uses is refused now, before
    Hydra writes into it (lock.py; the default folders are new ones)."""
    key = "hydra.sweep.dir" if multirun else "hydra.run.dir"
    if not any(o.startswith(f"{key}=") for o in overrides):
        return
    try:
        folder = OmegaConf.select(cfg, key)
    except OmegaConfBaseException:
        return  # a folder named through Hydra's runtime values: the job's own lock guards it
    try:
        lock.probe(Path(folder))
    except lock.FolderBusy as exc:
        raise ConfigError(str(exc)) from None


def search_jobs(cfg: DictConfig, overrides: list[str],
                params: dict | None) -> list[tuple[list[str], str]]:
    """A search's jobs to validate, each with where it comes from: every bound of the search
    space (each end of an interval or range, each choice) with the other keys at their first
    bound, for each replicate. The search itself samples between bounds the schema allows."""
    from hydra_plugins.optuna_search._space import SearchSpace, format_value

    if not cfg.eval.validation_tasks:
        raise ConfigError("eval.validation_tasks=0 is not allowed in a search: it optimises the "
                          "MSE on validation tasks, never on the test tasks (the search presets "
                          "set it)")
    key = cfg.hydra.sweeper.get("replicate_key")
    try:
        space = SearchSpace([f"{k}={v}" for k, v in (params or {}).items()] + overrides, key)
    except ValueError as exc:
        raise ConfigError(str(exc)) from None
    if not space.distributions:
        raise ConfigError("a search needs a search space: hydra.sweeper.params or an override "
                          "such as 'inner_lr=tag(log, interval(0.001, 0.1))'")
    corners = space.corners()
    first = {name: values[0] for name, values in corners.items()}
    jobs = []
    for name, values in corners.items():
        for value in values:
            where = f"the bound {name}={format_value(value)} of {space.lines[name]}"
            for replicate in replicates(overrides, params, key) or [None]:
                jobs.append((space.overrides({**first, name: value})
                             + ([replicate] if replicate else []),
                             f"{where}, with {replicate}" if replicate else where))
    return jobs


def _is_sweep(override: str) -> bool:
    return OverridesParser.create().parse_override(override).is_sweep_override()


def _one_line(message: str) -> str:
    """Hydra's composition errors, shortened to what to fix."""
    text = " ".join(message.split())
    missing = re.search(r"Could not find '(.+)/([^/']+)' Available options in '[^']+': (.*?) "
                        r"Config search path", text)
    if missing:
        group, option, allowed = missing.groups()
        return f"{group}={option} is not allowed: must be one of {', '.join(allowed.split())}"
    text = text.split(" Config search path")[0]
    if "token recognition error" in text:
        text += " (quote a value holding spaces or non-ASCII characters: key='a value')"
    return text


def main_guard() -> None:
    """Runs check() on the command line; prints one line and exits 2 if it fails."""
    try:
        check(sys.argv[1:])
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(2)

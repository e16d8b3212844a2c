"""Checks every job of a launch before Hydra makes a folder or a launcher starts a worker.

Composes the config of each job the launch will run (the command line's sweeps, times the
hydra.sweeper.params of a sweep preset, expanded as Hydra's basic sweeper does) and validates it,
so an impossible setting anywhere in a sweep is one line and exit status 2 before any compute,
instead of a traceback or a failed job minutes later.
"""

from __future__ import annotations

import itertools
import re
import sys
from pathlib import Path

from hydra import compose, initialize_config_dir
from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.errors import HydraException
from omegaconf import OmegaConf
from omegaconf.errors import OmegaConfBaseException

from .schema import register
from .validate import ConfigError, validate

CONF = Path(__file__).resolve().parents[1] / "conf"
FLAGS_WITH_VALUE = {
    "--config-path",
    "-cp",
    "--config-name",
    "-cn",
    "--config-dir",
    "-cd",
    "--experimental-rerun",
    "--info",
    "-i",
}


def job_overrides(overrides: list[str], sweeper_params: dict | None = None) -> list[list[str]]:
    """The override list of every job: each sweep (a,b / range / choice) expanded, crossed."""
    params = [f"{key}={value}" for key, value in (sweeper_params or {}).items()]
    parsed = OverridesParser.create().parse_overrides(params + overrides)
    by_key: dict[str, list[str]] = {}
    for o in parsed:  # later overrides of the same key win, as in Hydra
        key = o.get_key_element()
        values = (
            list(o.sweep_string_iterator())
            if o.is_sweep_override()
            else [o.get_value_element_as_str()]
        )
        by_key[key] = [f"{key}={v}" for v in values]
    return [list(job) for job in itertools.product(*by_key.values())]


def check(argv: list[str]) -> None:
    """Raises ConfigError naming the first job that cannot run."""
    if any(
        a
        in (
            "--help",
            "-h",
            "--hydra-help",
            "--info",
            "-i",
            "--cfg",
            "-c",
            "--shell-completion",
            "-sc",
        )
        for a in argv
    ):
        return  # Hydra answers these itself without running a job
    multirun = any(a in ("-m", "--multirun") for a in argv)
    overrides, skip = [], False
    for a in argv:
        if skip:
            skip = False
        elif a in FLAGS_WITH_VALUE:
            skip = True
        elif not a.startswith("-"):
            overrides.append(a)
    register()
    with initialize_config_dir(config_dir=str(CONF), version_base="1.3"):
        try:
            base = [o for o in overrides if not (multirun and _is_sweep(o))]
            cfg = compose("config", overrides=base, return_hydra_config=True)
            params = cfg.hydra.sweeper.get("params") if multirun else None
            params = OmegaConf.to_container(params) if params else None
            jobs = job_overrides(overrides, params) if multirun else [overrides]
            for job in jobs:
                cfg = compose("config", overrides=job)
                try:
                    validate(cfg)
                except ConfigError as exc:
                    where = f" (in the job {' '.join(job)})" if multirun and len(jobs) > 1 else ""
                    raise ConfigError(f"{exc}{where}") from None
        except (HydraException, OmegaConfBaseException) as exc:
            cause = exc.__cause__
            detail = f": {str(cause).splitlines()[0]}" if cause and str(cause) else ""
            raise ConfigError(_one_line(str(exc)) + detail) from None


def _one_line(message: str) -> str:
    """Hydra's composition errors, shortened to what to fix."""
    text = " ".join(message.split())
    missing = re.search(
        r"Could not find '(.+)/([^/']+)' Available options in '[^']+': (.*?) "
        r"Config search path",
        text,
    )
    if missing:
        group, option, allowed = missing.groups()
        return f"{group}={option} is not allowed: must be one of {', '.join(allowed.split())}"
    return text.split(" Config search path")[0]


def _is_sweep(override: str) -> bool:
    return OverridesParser.create().parse_override(override).is_sweep_override()


def main_guard() -> None:
    """Runs check() on the command line; prints one line and exits 2 if it fails."""
    try:
        check(sys.argv[1:])
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(2)

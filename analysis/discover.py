"""Find the run directories behind the paths given on the command line, and the jobs a killed
sweep never started.

A path may be a run directory, a Hydra sweep directory (multirun.yaml, jobs in 0/, 1/, ...) or any
folder holding several sweeps: every folder with a `.hydra/` subfolder or a `run.json` counts as
a run directory, found by one walk that does not descend into run directories.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from pathlib import Path

import rundir
from analysis.errors import AnalysisError
from rundir.sweep import planned_count

_HYDRA_DIR = Path(rundir.CONFIG).parent.name  # .hydra

def _natural_key(path: Path) -> list:
    # Hydra numbers jobs 0, 1, ..., 10: sort 10 after 9, not after 1.
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", str(path))]


def _walk(top: Path) -> Iterable[Path]:
    for folder, dirnames, filenames in os.walk(top):
        if _HYDRA_DIR in dirnames or rundir.RUN_JSON in filenames:
            dirnames[:] = []
            yield Path(folder)
        else:
            dirnames[:] = [name for name in dirnames if not name.startswith(".")]


def find_run_dirs(paths: Iterable[str | os.PathLike]) -> list[Path]:
    """All run directories under `paths`, each once, in natural order.

    Raises AnalysisError (one line) for an empty string, a path that does not exist or is not a
    folder, and a folder with no run directory in it.
    """
    found: dict[Path, None] = {}
    paths = list(paths)
    if not paths:
        raise AnalysisError("no path given")
    for given in paths:
        if not str(given).strip():
            raise AnalysisError("empty path given")
        path = Path(given)
        if not path.exists():
            raise AnalysisError(f"{given}: no such directory")
        if not path.is_dir():
            raise AnalysisError(f"{given}: not a directory (give a run or sweep directory)")
        runs = list(_walk(path))
        if not runs:
            raise AnalysisError(
                f"{given}: no run directories in it (looked for {_HYDRA_DIR}/ or "
                f"{rundir.RUN_JSON})"
            )
        found.update(dict.fromkeys(run.resolve() for run in runs))
    return sorted(found, key=_natural_key)


def never_started(run_dirs: Iterable[Path], paths: Iterable[str | os.PathLike],
                  root: Path) -> list[tuple[str, Path, str]]:
    """(name relative to root, folder, message) per sweep with fewer job folders than it planned.

    A sweep killed before its launcher reached some jobs leaves no folder for them; its
    multirun.yaml tells how many it planned (rundir.sweep). A sweep is a folder with
    multirun.yaml above some of `run_dirs`, at or below one of the `paths` analysed: a single
    job picked out of a sweep says nothing about its other jobs.
    """
    given = [Path(p).resolve() for p in paths]
    found: dict[Path, int] = {}
    for run in run_dirs:
        sweep = next((f for f in run.parents if (f / rundir.MULTIRUN).is_file()), None)
        if sweep and any(sweep == g or g in sweep.parents for g in given):
            found[sweep] = found.get(sweep, 0) + 1
    problems = []
    for sweep, count in found.items():
        planned = planned_count(sweep)
        if planned and count < planned:
            name = sweep.relative_to(root).as_posix() if root in sweep.parents else sweep.name
            problems.append((name, sweep, f"{planned - count} of {planned} jobs never started: "
                             f"relaunch the sweep's command with hydra.sweep.dir={sweep}"))
    return problems

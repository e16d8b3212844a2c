"""Find the run directories behind the paths given on the command line.

A path may be a run directory, a Hydra sweep directory (multirun.yaml, jobs in 0/, 1/, ...) or any
folder holding several sweeps: every folder with a `.hydra/` subfolder or a `run.json` counts as
a run directory, found by one walk that does not descend into run directories.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from pathlib import Path

from analysis.errors import AnalysisError


def is_run_dir(path: Path) -> bool:
    return (path / ".hydra").is_dir() or (path / "run.json").is_file()


def _natural_key(path: Path) -> list:
    # Hydra numbers jobs 0, 1, ..., 10: sort 10 after 9, not after 1.
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", str(path))]


def _walk(top: Path) -> Iterable[Path]:
    for folder, dirnames, filenames in os.walk(top):
        if ".hydra" in dirnames or "run.json" in filenames:
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
                f"{given}: no run directories in it (looked for .hydra/ or run.json)"
            )
        found.update(dict.fromkeys(run.resolve() for run in runs))
    return sorted(found, key=_natural_key)

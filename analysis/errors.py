"""The two ways analysis/ reports trouble.

- `AnalysisError`: nothing sensible can be produced (a wrong or empty path); the CLI prints its
  one-line message and exits with status 2.
- `RunDirWarning`: one job is unusable or suspicious; the analysis goes on without it. Each
  message is one line that starts with the offending file, so a long sweep's warnings grep well.
"""

from __future__ import annotations

import os
import warnings


class AnalysisError(Exception):
    """A fatal, user-facing error: its message is one line, shown without a traceback."""


class RunDirWarning(UserWarning):
    """A problem with one run directory (the job is left out or flagged)."""


def one_line(text: object) -> str:
    """Collapse whitespace so that error texts copied from run.json stay on one line."""
    return " ".join(str(text).split())


def warn_file(path: str | os.PathLike, problem: str) -> str:
    """Emit a RunDirWarning "PATH: problem" and return the message (for the report)."""
    message = f"{path}: {one_line(problem)}"
    warnings.warn(message, RunDirWarning, stacklevel=2)
    return message

"""Fixtures shared across the test modules (helpers that are plain functions live in
tests/helpers/)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.helpers.app import TINY, run_app


@pytest.fixture(scope="session")
def tiny_run(tmp_path_factory) -> Path:
    """A finished run directory of the tiny job (tests.helpers.app.TINY), trained once by the
    app as a user runs it. Read it only; `copy_of_tiny_run` gives a copy to change."""
    out = tmp_path_factory.mktemp("tiny") / "run"
    proc = run_app(*TINY, f"hydra.run.dir={out}")
    assert proc.returncode == 0, proc.stderr
    return out


@pytest.fixture
def copy_of_tiny_run(tiny_run, tmp_path) -> Path:
    """A private copy of tiny_run, to damage or relaunch."""
    return Path(shutil.copytree(tiny_run, tmp_path / "run"))

"""The README stays true: its two commands exist, CI runs its test command, every key is listed,
its Python example runs."""

import re
import subprocess
import sys

import pytest

from experiments.schema import markdown_table
from tests.helpers.app import ROOT, env

README = (ROOT / "README.md").read_text()


def test_readme_key_table_is_the_schemas():
    """Every key, its default and its doc, as `python -m experiments.schema` prints them."""
    table = README.split("<!-- key table")[1].split("-->", 1)[1].split("<!-- end of key table")[0]
    assert table.strip() == markdown_table().strip(), "run: python -m experiments.schema"


def test_readme_commands_are_the_makefile_targets_ci_runs():
    assert "make demo" in README and "make test" in README
    makefile = (ROOT / "Makefile").read_text()
    assert re.search(r"^demo: install", makefile, flags=re.M)
    assert re.search(r"^test: install\n\t\$\(BIN\)/python -m pytest$", makefile, flags=re.M)
    assert "make test" in (ROOT / ".ci" / "run").read_text()


@pytest.mark.slow
def test_readme_api_example_runs(tmp_path):
    """README's Python example, as written, in a fresh interpreter and an empty folder."""
    block = README.split("<!-- api example")[1].split("```python\n", 1)[1].split("```", 1)[0]
    out = subprocess.run([sys.executable, "-c", block], cwd=tmp_path, env=env(),
                         capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr
    assert len(list((tmp_path / "outputs" / "runs").glob("*/run.json"))) == 4
    assert (tmp_path / "mse_vs_k.png").stat().st_size > 10_000

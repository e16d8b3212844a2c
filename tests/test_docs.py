"""The README stays true: its two commands exist, CI runs its test command, every key is listed."""

import re

from experiments.schema import markdown_table
from tests.helpers.app import ROOT

README = (ROOT / "README.md").read_text()


def test_readme_key_table_is_the_schemas():
    """Every key, its default and its doc, as `python -m experiments.schema` prints them."""
    table = README.split("<!-- key table")[1].split("-->", 1)[1].split("<!-- end of key table")[0]
    assert table.strip() == markdown_table().strip(), "run: python -m experiments.schema"


def test_readme_commands_are_the_makefile_targets_ci_runs():
    assert "make demo" in README and "make test" in README
    makefile = (ROOT / "Makefile").read_text()
    assert re.search(r"^demo: install", makefile, flags=re.M)
    assert re.search(r'^test: install\n\t\$\(BIN\)/python -m pytest -m "not slow"$', makefile,
                     flags=re.M)
    assert re.search(r"^test-slow: install\n\t\$\(BIN\)/python -m pytest -m slow$", makefile,
                     flags=re.M)
    ci = (ROOT / ".ci" / "run").read_text()
    assert "make test " in ci and "make test-slow" in ci


def test_every_figure_and_file_the_docs_link_exists():
    """README and docs/*.md link figures, tables and docs by relative paths; none may dangle."""
    pages = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
    missing = []
    for page in pages:
        for target in re.findall(r"\]\(([^)#\s]+)\)", page.read_text()):
            if "://" not in target and not (page.parent / target).exists():
                missing.append(f"{page.relative_to(ROOT)}: {target}")
    assert not missing, missing

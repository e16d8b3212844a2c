"""The README stays true: its two commands exist, CI runs its test command, every key is listed."""

import re
from pathlib import Path

from omegaconf import OmegaConf

from experiments.schema import Schema

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()


def _keys(node, prefix=""):
    for key in node.keys():
        value = node._get_node(key)  # the values are MISSING in the schema: don't read them
        if OmegaConf.is_dict(value):
            yield from _keys(value, f"{prefix}{key}.")
        else:
            yield prefix + key


def test_readme_lists_every_config_key():
    listed = set(re.findall(r"^\| `([a-z_.]+)` \|", README, flags=re.M))
    missing = sorted(set(_keys(OmegaConf.structured(Schema))) - listed)
    assert not missing, f"keys missing from the README table: {missing}"


def test_readme_commands_are_the_makefile_targets_ci_runs():
    assert "make demo" in README and "make test" in README
    makefile = (ROOT / "Makefile").read_text()
    assert re.search(r"^demo: install", makefile, flags=re.M)
    assert re.search(r"^test: install\n\t\$\(BIN\)/python -m pytest$", makefile, flags=re.M)
    assert "make test" in (ROOT / ".ci" / "run").read_text()

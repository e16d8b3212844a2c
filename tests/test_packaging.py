"""Packaging: configs and plugins ship in the wheel and the installed app works from any folder;
importing the packages changes no process-wide state."""

from __future__ import annotations

import os
import runpy
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.helpers.app import ROOT, TINY, env

PACKAGES = ("reptile", "experiments", "analysis", "rundir", "hydra_plugins")


def test_configs_come_from_the_checkout():
    """An editable install maps the config package to conf/: edits show at once."""
    from experiments import CONF, CONFIG_PATH

    assert CONFIG_PATH == "pkg://reptile_sine_conf"
    assert CONF.resolve() == (ROOT / "conf").resolve()
    assert not (ROOT / "hydra_plugins" / "__init__.py").exists(), "a namespace package Hydra scans"


IMPORT_STATE = """
import copy, importlib, logging, os, pkgutil, sys, warnings
import matplotlib
matplotlib.use("svg")  # a notebook's backend
import matplotlib.pyplot
# third-party libraries' own import-time effects (scipy, mlflow's urllib3 add warning filters)
# are theirs; the trackers import theirs only when chosen, the walk below imports every module
import hydra, hydra.conf, mlflow, optuna, pandas, scipy.stats, seaborn, tensorboard, torch
from hydra.core.config_store import ConfigStore
from omegaconf import OmegaConf
from omegaconf.basecontainer import BaseContainer

OmegaConf.register_new_resolver("unique_name", lambda *a: "the notebook's")
calls = []
umask = os.umask
os.umask = lambda mask: (calls.append(mask), umask(mask))[1]

def state():
    return dict(backend=matplotlib.get_backend(), rc=dict(matplotlib.rcParams),
                store=copy.deepcopy(ConfigStore.instance().repo),
                resolvers=dict(BaseContainer._resolvers), filters=list(warnings.filters),
                handlers=list(logging.getLogger().handlers), level=logging.getLogger().level,
                threads=torch.get_num_threads(), cwd=os.getcwd(), env=dict(os.environ))

before = state()
for pkg in ("reptile", "experiments", "analysis", "rundir"):
    for m in pkgutil.walk_packages(importlib.import_module(pkg).__path__, pkg + "."):
        if not m.name.endswith("__main__"):
            importlib.import_module(m.name)
import experiments.sweep
importlib.reload(experiments.sweep)  # imported again: registered once
after = state()
added = set(after.pop("resolvers")) - set(before.pop("resolvers"))
assert added == {"reptile_sine.unique_name"}, added
assert OmegaConf.create({"a": "${unique_name:}"}).a == "the notebook's"
assert after == before, [key for key in before if before[key] != after[key]]
assert calls == [], calls
from experiments.schema import SCHEMA_NAME, register
register()  # what composing does: one entry of the project's own name
register()
added = set(ConfigStore.instance().repo) - set(before["store"])
assert added == {SCHEMA_NAME + ".yaml"}, added
print("ok")
"""


def test_importing_changes_no_global_state():
    """Importing every module leaves a notebook's matplotlib backend and rc, the umask, Hydra's
    ConfigStore, logging, warning filters and torch's threads alone; the one resolver has a
    namespaced name, leaves a user's `unique_name` alone and is registered once."""
    out = subprocess.run([sys.executable, "-c", IMPORT_STATE], cwd=ROOT, env=env(),
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "ok"


def test_setup_lists_every_package_and_every_plugin(tmp_path):
    """setup.py finds subpackages by pattern: a new plugin in hydra_plugins/ (here a stand-in in
    a copy of the source) is in the wheel with no edit, and nothing of the source is left out."""
    from setuptools import find_namespace_packages

    packages = runpy.run_path(str(ROOT / "setup.py"), run_name="setup")["packages"]
    for folder in PACKAGES:
        shutil.copytree(ROOT / folder, tmp_path / folder,
                        ignore=shutil.ignore_patterns("__pycache__"))
    (tmp_path / "hydra_plugins" / "new_plugin").mkdir()
    (tmp_path / "hydra_plugins" / "new_plugin" / "__init__.py").write_text("")
    listed = set(packages(str(tmp_path)))
    found = set(find_namespace_packages(str(tmp_path), include=[f"{p}*" for p in PACKAGES],
                                        exclude=["*__pycache__*"]))
    assert {"hydra_plugins", "hydra_plugins.new_plugin", "hydra_plugins.population_launcher",
            "experiments", "reptile_sine_conf"} <= listed
    assert listed - found == {"reptile_sine_conf"} and found - listed == set()


def _run(venv: Path, cwd: Path, *args: str, rc: int = 0) -> str:
    environ = {**env(), "PATH": f"{venv / 'bin'}{os.pathsep}{os.environ['PATH']}"}
    environ.pop("PYTHONPATH", None)
    out = subprocess.run(list(args), cwd=cwd, capture_output=True, text=True, timeout=600,
                         env=environ)
    assert out.returncode == rc, f"{' '.join(args)}\n{out.stdout}\n{out.stderr}"
    return out.stdout + out.stderr


COMPOSE_ALL = """
from experiments import CONF
from experiments.preflight import check
names = lambda group: sorted(p.stem for p in (CONF / group).glob("*.yaml"))
for preset in names("experiment"):
    check([f"experiment={preset}"])
for preset in names("sweep"):
    check(["-m", f"sweep={preset}"])
print(len(names("experiment")), "presets and", len(names("sweep")), "sweeps validate")
"""


@pytest.mark.slow
def test_wheel_installs_into_a_new_venv_and_runs_from_any_folder(tmp_path):
    """Builds the wheel from a copy of the source, installs it with its dependencies into a new
    venv (torch first, pinned), and from an empty folder: every preset and sweep validates, a
    preset trains, the launchers run a sweep, the SLURM configs compose, the API trains, and the
    report (Markdown and HTML) is written by both commands."""
    source = tmp_path / "source"
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(
        ".venv", ".git", "__pycache__", "*.egg-info", "build", "dist", "outputs", "multirun",
        ".pytest_cache", ".ruff_cache"))
    dist = tmp_path / "dist"
    _run(Path(sys.prefix), tmp_path, sys.executable, "-m", "pip", "wheel", "-q", "--no-deps",
         "-w", str(dist), str(source))
    (wheel,) = dist.glob("reptile_sine-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for conf in (ROOT / "conf").rglob("*.yaml"):
        assert f"reptile_sine_conf/{conf.relative_to(ROOT / 'conf').as_posix()}" in names
    for folder in PACKAGES:  # every module of the source is in the wheel
        for module in (ROOT / folder).rglob("*.py"):
            assert module.relative_to(ROOT).as_posix() in names
    assert "hydra_plugins/__init__.py" not in names

    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = str(venv / "bin" / "python")
    _run(venv, tmp_path, python, "-m", "pip", "install", "-q", "torch==2.13.0")
    _run(venv, tmp_path, python, "-m", "pip", "install", "-q", str(wheel))

    work = tmp_path / "work"
    work.mkdir()
    where = _run(venv, work, "python", "-c", "import experiments as e, analysis as a; "
                 "print(e.__file__, e.CONF, e.CONFIG_PATH, a.__file__)")
    assert str(ROOT) not in where and str(venv) in where and "pkg://reptile_sine_conf" in where
    assert "presets and" in _run(venv, work, "python", "-c", COMPOSE_ALL)
    assert "PopulationLauncher" in _run(venv, work, "reptile-train", "--info", "plugins")
    assert "inner_steps=0 is not allowed" in _run(venv, work, "reptile-train", "inner_steps=0",
                                                  rc=2)
    for name, target in (("slurm", "SlurmLauncher"),
                         ("population_slurm", "PopulationSlurmLauncher")):
        launcher = _run(venv, work, "reptile-train", f"hydra/launcher={name}", "--cfg", "hydra",
                        "-p", "hydra.launcher")  # conf/hydra/launcher/NAME.yaml over the plugin's
        assert f".{target}" in launcher, launcher
    _run(venv, work, "reptile-train", "experiment=maml_sine", *TINY, "hydra.run.dir=preset")
    assert '"status": "done"' in (work / "preset" / "run.json").read_text()
    for launcher in ("joblib", "basic", "submitit_local", "population",
                     "population_submitit_local"):
        _run(venv, work, "reptile-train", "-m", "sweep=inner_steps_quick", "seed=0",
             "inner_steps=1,2", *TINY, f"hydra/launcher={launcher}",
             f"hydra.sweep.dir=sweeps/{launcher}")
        assert len(list((work / "sweeps" / launcher).glob("*/run.json"))) == 2, launcher
    api = _run(venv, work, "python", "-c", "from experiments.api import train; "
               f"print(train({TINY + ['hydra.run.dir=api']!r}))")
    assert str(work / "api") in api
    _run(venv, work, "reptile-report", "sweeps/joblib")
    _run(venv, work, "python", "-m", "analysis", "sweeps/population", "api", "--out", "mixed",
         "--no-figures")
    for report in (work / "sweeps" / "joblib" / "report", work / "mixed"):
        assert (report / "report.md").is_file() and (report / "report.html").is_file()
    assert "<img" in (work / "sweeps" / "joblib" / "report" / "report.html").read_text()

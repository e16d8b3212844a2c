"""The Python API (experiments.api.train): the command line's run directory, from Python."""

from __future__ import annotations

import logging
import subprocess
import sys

import pandas as pd
import pytest

from tests.helpers.app import ROOT, TINY, app_command, env, snapshot


def test_api_writes_what_the_command_line_writes(tmp_path, monkeypatch):
    """Same overrides, same working directory, same folder name: the same files, .hydra/'s
    byte for byte, and the same results (curve.csv's wall-clock seconds aside)."""
    import torch
    from hydra.core.global_hydra import GlobalHydra
    from hydra.core.hydra_config import HydraConfig

    from experiments.api import train

    overrides = [*TINY, "seed=3", "threads=2", "hydra.run.dir=run"]
    cli = subprocess.run(app_command(*overrides), cwd=tmp_path, env=env(), capture_output=True,
                         text=True, timeout=300)
    assert cli.returncode == 0, cli.stderr
    (tmp_path / "run").rename(tmp_path / "cli")
    monkeypatch.chdir(tmp_path)
    threads, handlers = torch.get_num_threads(), list(logging.getLogger().handlers)

    run = train(overrides)

    assert run == tmp_path / "run"
    assert torch.get_num_threads() == threads  # the job ran on 2; the caller's come back
    assert logging.getLogger().handlers == handlers
    assert not GlobalHydra.instance().is_initialized() and HydraConfig.instance().cfg is None
    ours, theirs = snapshot(run), snapshot(tmp_path / "cli")
    assert sorted(ours) == sorted(theirs)
    same = [".hydra/config.yaml", ".hydra/overrides.yaml", ".hydra/hydra.yaml", "eval.csv",
            "eval_init.csv", "eval_tasks.csv", "predictions.csv", "support.csv", "weights.pt",
            "train.log"]
    assert [name for name in same if ours[name] != theirs[name]] == []
    curves = [pd.read_csv(folder / "curve.csv").drop(columns="seconds")
              for folder in (run, tmp_path / "cli")]
    pd.testing.assert_frame_equal(*curves)


def test_api_names_its_folder_as_the_command_line_and_refuses_in_one_line(tmp_path,
                                                                          monkeypatch):
    from experiments import sweep
    from experiments.api import train
    from experiments.validate import ConfigError

    monkeypatch.chdir(tmp_path)
    run = train([*TINY, "seed=4"], log_file=False)
    assert run.parent == tmp_path / "outputs" / "runs"
    assert "seed=4" in run.name and run.name.endswith(f"_{sweep._SUFFIX}")  # conf's run.dir
    assert '"status": "done"' in (run / "run.json").read_text()
    assert not (run / "train.log").exists()
    with pytest.raises(ConfigError, match=r"^inner_steps=0 is not allowed: must be an integer"):
        train(["inner_steps=0"])
    with pytest.raises(ConfigError, match="seed=0,1"):  # one call, one job
        train(["seed=0,1"])
    assert list((tmp_path / "outputs" / "runs").iterdir()) == [run]  # refused: no folder


@pytest.mark.slow
def test_readme_api_example_runs(tmp_path):
    """README's Python example, as written, in a fresh interpreter and an empty folder."""
    readme = (ROOT / "README.md").read_text()
    block = readme.split("<!-- api example")[1].split("```python\n", 1)[1].split("```", 1)[0]
    out = subprocess.run([sys.executable, "-c", block], cwd=tmp_path, env=env(),
                         capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr
    assert len(list((tmp_path / "outputs" / "runs").glob("*/run.json"))) == 4
    assert (tmp_path / "mse_vs_k.png").stat().st_size > 10_000

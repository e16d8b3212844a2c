"""The evaluation options of a real run: the initial weights' per-task file, the MSE on K fresh
query points (eval.measure=query) against the dense grid, and a finished run evaluated again
with other settings (python -m experiments.reevaluate) against a retraining."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest
import torch

from tests.helpers.app import TINY, run_app

EVALUATED = ("eval.csv", "eval_tasks.csv", "eval_K5.csv", "eval_tasks_K5.csv", "eval_init.csv",
             "eval_init_tasks.csv", "predictions.csv", "support.csv", "weights.pt")


def test_eval_init_tasks_holds_eval_init_per_task(tiny_run):
    per_k = pd.read_csv(tiny_run / "eval_init.csv")
    per_task = pd.read_csv(tiny_run / "eval_init_tasks.csv")
    tasks = pd.read_csv(tiny_run / "eval_tasks.csv")
    assert list(per_task.columns) == list(tasks.columns)  # eval_tasks.csv's contract
    assert per_task[["task", "amplitude", "phase"]].equals(tasks[["task", "amplitude", "phase"]])
    means = [per_task[f"mse_k{k}"].mean() for k in per_k["k"]]
    assert means == pytest.approx(per_k["mse_mean"].tolist(), rel=1e-6)
    assert not per_task["mse_k8"].equals(tasks["mse_k8"])  # other weights


@pytest.fixture(scope="module")
def measured(tmp_path_factory):
    """The same tiny job on the MAML family trained twice: MSE on the grid and on query points."""
    runs = {}
    for measure in ("grid", "query"):
        runs[measure] = tmp_path_factory.mktemp(measure) / "run"
        proc = run_app(*TINY, "task=maml", "eval.extra_shots=[5]", f"eval.measure={measure}",
                       f"hydra.run.dir={runs[measure]}")
        assert proc.returncode == 0, proc.stderr
    return runs


def test_query_measure_changes_the_evaluation_only(measured):
    grid, query = measured["grid"], measured["query"]
    for name in ("weights.pt", "support.csv", "predictions.csv"):  # training and fits unchanged
        assert (grid / name).read_bytes() == (query / name).read_bytes(), name
    for name in ("eval.csv", "eval_tasks.csv", "eval_K5.csv", "eval_tasks_K5.csv"):
        a, b = pd.read_csv(grid / name), pd.read_csv(query / name)
        assert list(a.columns) == list(b.columns), name  # the same contract
        assert a.shape == b.shape, name
    a, b = pd.read_csv(grid / "eval_tasks.csv"), pd.read_csv(query / "eval_tasks.csv")
    assert a[["task", "amplitude", "phase"]].equals(b[["task", "amplitude", "phase"]])
    assert not a["mse_k8"].equals(b["mse_k8"])  # measured elsewhere


def test_reevaluation_writes_what_a_retraining_writes(measured, tmp_path):
    out = tmp_path / "again"
    proc = run_app(str(measured["grid"]), "--out", str(out), "eval.measure=query",
                   module="experiments.reevaluate")
    assert proc.returncode == 0, proc.stderr
    query = measured["query"]
    for name in EVALUATED:
        assert (out / name).read_bytes() == (query / name).read_bytes(), name
    assert (out / ".hydra/config.yaml").read_text() == (query / ".hydra/config.yaml").read_text()
    overrides = (out / ".hydra/overrides.yaml").read_text().splitlines()
    assert overrides[-1] == "- eval.measure=query" and "- task=maml" in overrides
    info = json.loads((out / "run.json").read_text())
    assert info["status"] == "done" and info["iteration"] == info["meta_iters"]
    # a second call leaves the finished folder as it is
    before = (out / "eval.csv").stat().st_mtime_ns
    again = run_app(str(measured["grid"]), "--out", str(out), "eval.measure=query",
                    module="experiments.reevaluate")
    assert again.returncode == 0 and (out / "eval.csv").stat().st_mtime_ns == before


@pytest.mark.parametrize("override,message", [
    ("inner_lr=0.1", "inner_lr=0.1 is not allowed: only eval.* keys can change"),
    ("eval.measure=dense", "eval.measure=dense is not allowed: must be one of grid, query"),
])
def test_reevaluation_refuses_what_would_change_training_or_is_not_allowed(
        measured, tmp_path, override, message):
    proc = run_app(str(measured["grid"]), "--out", str(tmp_path / "no"), override,
                   module="experiments.reevaluate")
    assert proc.returncode == 2
    assert proc.stderr.startswith(f"error: {message}") and proc.stderr.count("\n") == 1
    assert not (tmp_path / "no").exists()


def _with_saved_config(run: Path, tmp_path: Path, change) -> Path:
    """A copy of a finished run whose checkpoint's saved config is changed by change(config)."""
    copy = tmp_path / "run"
    shutil.copytree(run, copy)
    state = torch.load(copy / "checkpoint.pt", weights_only=False)
    change(state["config"])
    torch.save(state, copy / "checkpoint.pt")
    return copy


def test_a_run_trained_before_a_knob_existed_is_reevaluated_as_its_default(measured, tmp_path):
    older = _with_saved_config(measured["grid"], tmp_path, lambda c: c["algo"].pop("terms"))
    proc = run_app(str(older), "--out", str(tmp_path / "again"), "eval.measure=query",
                   module="experiments.reevaluate")
    assert proc.returncode == 0, proc.stderr


def test_a_run_trained_with_another_value_is_refused_naming_the_key(measured, tmp_path):
    other = _with_saved_config(measured["grid"], tmp_path,
                               lambda c: c.update(inner_lr=c["inner_lr"] * 2))
    proc = run_app(str(other), "--out", str(tmp_path / "no"), "eval.measure=query",
                   module="experiments.reevaluate")
    assert proc.returncode == 2
    assert "another training config (differs in inner_lr)" in proc.stderr, proc.stderr
    assert not (tmp_path / "no").exists()

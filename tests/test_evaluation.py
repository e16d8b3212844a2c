"""The evaluation options of a real run: the initial weights' per-task file, and the MSE on K
fresh query points (eval.measure=query) against the dense grid."""

from __future__ import annotations

import pandas as pd
import pytest

from tests.helpers.app import TINY, run_app


def test_eval_init_tasks_holds_eval_init_per_task(tiny_run):
    per_k = pd.read_csv(tiny_run / "eval_init.csv")
    per_task = pd.read_csv(tiny_run / "eval_init_tasks.csv")
    tasks = pd.read_csv(tiny_run / "eval_tasks.csv")
    assert list(per_task.columns) == list(tasks.columns)  # eval_tasks.csv's contract
    assert per_task[["task", "amplitude", "phase"]].equals(tasks[["task", "amplitude", "phase"]])
    means = [per_task[f"mse_k{k}"].mean() for k in per_k["k"]]
    assert means == pytest.approx(per_k["mse_mean"].tolist(), rel=1e-6)
    assert not per_task["mse_k8"].equals(tasks["mse_k8"])  # other weights


def test_query_measure_changes_the_evaluation_only(tmp_path):
    runs = {}
    for measure in ("grid", "query"):
        runs[measure] = tmp_path / measure
        proc = run_app(*TINY, "task=maml", "eval.extra_shots=[5]", f"eval.measure={measure}",
                       f"hydra.run.dir={runs[measure]}")
        assert proc.returncode == 0, proc.stderr
    grid, query = runs["grid"], runs["query"]
    for name in ("weights.pt", "support.csv", "predictions.csv"):  # training and fits unchanged
        assert (grid / name).read_bytes() == (query / name).read_bytes(), name
    for name in ("eval.csv", "eval_tasks.csv", "eval_K5.csv", "eval_tasks_K5.csv"):
        a, b = pd.read_csv(grid / name), pd.read_csv(query / name)
        assert list(a.columns) == list(b.columns), name  # the same contract
        assert a.shape == b.shape, name
    a, b = pd.read_csv(grid / "eval_tasks.csv"), pd.read_csv(query / "eval_tasks.csv")
    assert a[["task", "amplitude", "phase"]].equals(b[["task", "amplitude", "phase"]])
    assert not a["mse_k8"].equals(b["mse_k8"])  # measured elsewhere

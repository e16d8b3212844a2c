"""The paper scripts (scripts/*.sh) end to end at a tiny size, as a user runs them: train by
their Hydra sweeps, then draw from the run directories; the benchmark table's numbers are checked
against the runs' own per-task files."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from analysis.bootstrap import two_level
from tests.helpers.app import ROOT, env

pytestmark = pytest.mark.slow

TINY = "log_every=20 checkpoint_every=20 eval.n_tasks=30 eval.curve_tasks=10"


def run_script(name: str, tmp_path: Path, **settings: str) -> subprocess.CompletedProcess:
    settings = {"PYTHON": sys.executable, "OUT": str(tmp_path / "runs"),
                "FIGURES": str(tmp_path / "figures"), **settings}
    proc = subprocess.run(["bash", str(ROOT / "scripts" / name)], env={**env(), **settings},
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc


def assert_figure(folder: Path, stem: str) -> None:
    assert (folder / f"{stem}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert (folder / f"{stem}.pdf").read_bytes()[:5] == b"%PDF-"


def test_maml_benchmark_scripts_tables_come_from_the_runs(tmp_path):
    run_script("maml_benchmark.sh", tmp_path, ITERS="40", SEEDS="0,1,2", OVERRIDES=TINY)
    runs = tmp_path / "runs"
    for algo in ("maml", "fomaml", "reptile", "pretrain"):
        for seed in (0, 1, 2):
            info = json.loads((runs / algo / f"seed{seed}" / "run.json").read_text())
            assert (info["status"], info["algo"], info["seed"]) == ("done", algo, seed)
    figures = tmp_path / "figures"
    for stem in ("benchmark_curves", "benchmark_curves_median"):
        assert_figure(figures, stem)
    text = (figures / "benchmark.md").read_text()
    for K in (5, 10, 20):
        assert text.count(f"K = {K}: held-out MSE") == 2  # mean and median tables
    assert "two-level bootstrap over seeds and tasks" in text  # the default interval
    # a cell by hand: MAML, K = 5, after 5 steps; each task averaged over the seeds first
    seeds = np.stack([pd.read_csv(runs / "maml" / f"seed{s}" / "eval_tasks_K5.csv")["mse_k5"]
                      for s in (0, 1, 2)])
    per_task = seeds.mean(axis=0)
    table = pd.read_csv(figures / "benchmark.csv").query("algo == 'maml' and K == 5 and k == 5")
    assert table["mse_mean"].item() == pytest.approx(per_task.mean(), rel=1e-12)
    lo, hi = two_level(seeds[:, :, None], "mean", shared_tasks=True)
    assert (table["lo"].item(), table["hi"].item()) == pytest.approx((lo[0], hi[0]), rel=1e-9)
    assert table["mse_median"].item() == pytest.approx(np.median(per_task), rel=1e-12)
    # the per-seed table: one column per seed, each the seed's own mean over its tasks
    per_seed = pd.read_csv(figures / "benchmark_per_seed.csv").query(
        "algo == 'maml' and K == 5 and k == 5").sort_values("seed")
    assert per_seed["mse_mean"].tolist() == pytest.approx(seeds.mean(axis=1).tolist(), rel=1e-12)
    assert "| MAML | 5 |" in (figures / "benchmark_per_seed.md").read_text()
    # beside the paper: the same cell, the paper's number, the seeds' range
    beside = pd.read_csv(figures / "benchmark_vs_paper.csv").query("method == 'maml' and k == 5")
    assert beside["paper"].item() == 0.38
    assert beside["mse_mean"].item() == pytest.approx(per_task.mean(), rel=1e-12)
    assert (beside["seed_min"].item(), beside["seed_max"].item()) == pytest.approx(
        (seeds.mean(axis=1).min(), seeds.mean(axis=1).max()), rel=1e-12)
    assert "| MAML | 5 | 0.38 |" in (figures / "benchmark_vs_paper.md").read_text()

    # the candidate causes: each retrains MAML (and the baseline) with one override
    run_script("maml_benchmark_causes.sh", tmp_path, ITERS="40", SEEDS="0,1", OVERRIDES=TINY,
               BENCH=str(runs), OUT=str(tmp_path / "causes"))
    causes = pd.read_csv(figures / "benchmark_causes.csv")
    assert list(dict.fromkeys(causes["cause"])) == [
        "ours", "single seeds", "query", "update_lr", "reference", "eval_lr_0.001",
        "eval_lr_0.005"]
    changed = causes.drop_duplicates("cause").set_index("cause")["changes"]
    assert changed["query"] == "eval.measure=query"
    assert changed["reference"] == "eval.lr=0.001 eval.measure=query inner_lr=0.001"
    # re-evaluated: the benchmark's three seeds; trained: SEEDS
    query = np.stack([pd.read_csv(tmp_path / "causes" / "query" / "maml" / f"seed{s}"
                                  / "eval_tasks_K5.csv")["mse_k10"] for s in (0, 1, 2)])
    assert {p.name for p in (tmp_path / "causes" / "update_lr" / "maml").iterdir()} == {
        "seed0", "seed1"}
    cell = causes.query("cause == 'query' and method == 'maml' and k == 10")
    assert cell["mse_mean"].item() == pytest.approx(query.mean(), rel=1e-12)
    assert not causes.query("cause == 'eval_lr_0.001' and method == 'pretrain'").size
    assert "| the paper | – | MAML | 0.67 | 0.38 | 0.35 |" in (
        figures / "benchmark_causes.md").read_text()


def test_figure1_script(tmp_path):
    run_script("figure1.sh", tmp_path, ITERS="40", SEEDS="0,1", TASKS="0,2",
               OVERRIDES=TINY + " compile=false")
    runs = tmp_path / "runs"
    for algo in ("maml", "fomaml", "reptile", "pretrain"):
        for seed in (0, 1):
            info = json.loads((runs / algo / f"seed{seed}" / "run.json").read_text())
            assert (info["status"], info["algo"]) == ("done", algo)
    figures = tmp_path / "figures"
    for stem in ("figure1", "figure1_mse"):
        assert_figure(figures, stem)
    # every method of one seed starts from the same weights: one random-initialisation line
    for seed in (0, 1):
        files = {(runs / algo / f"seed{seed}" / "eval_init_tasks.csv").read_bytes()
                 for algo in ("maml", "fomaml", "reptile", "pretrain")}
        assert len(files) == 1
    init = np.stack([pd.read_csv(runs / "reptile" / f"seed{s}" / "eval_init_tasks.csv")["mse_k8"]
                     for s in (0, 1)])
    table = pd.read_csv(figures / "figure1.csv")
    cell = table.query("algo == 'init' and k == 8")
    assert cell["mse_mean"].item() == pytest.approx(init.mean(), rel=1e-12)
    assert set(table["algo"]) == {"init", "pretrain", "maml", "fomaml", "reptile"}
    text = (figures / "figure1.md").read_text()
    assert "| random initialisation |" in text and "| joint training |" in text
    assert (figures / "figure1_per_seed.md").is_file()


def test_seed_post_figure_script(tmp_path):
    run_script("seed_post_figure.sh", tmp_path,
               OVERRIDES=TINY + " meta_iters=40 eval.snapshot_every=20")
    snapshots = pd.read_csv(tmp_path / "runs" / "snapshots.csv")
    assert sorted(snapshots["iteration"].unique()) == [0, 20, 40]
    assert_figure(tmp_path / "figures", "seed_post")


def test_inner_gradients_script(tmp_path):
    """The quick preset cut down to 2 terms x 2 combinations x 2 seeds: the figure's numbers
    are the runs' own, and the report is written."""
    run_script("inner_gradients.sh", tmp_path, SWEEP="inner_gradients_quick",
               OVERRIDES=TINY + " meta_iters=40 seed=0,1 algo.terms=1,3")
    runs = tmp_path / "runs"
    for stem in ("inner_gradients", "inner_gradients_median"):
        assert_figure(tmp_path / "figures", stem)
    assert set(pd.read_csv(tmp_path / "figures" / "inner_gradients_median.csv")["statistic"]) == {
        "median"}
    table = pd.read_csv(tmp_path / "figures" / "inner_gradients.csv")
    assert sorted(zip(table["method_value"], table["value"])) == [
        ("last", 1), ("last", 3), ("sum", 1), ("sum", 3)]
    assert set(table["n"]) == {2} and set(table["k"]) == {32}
    # one cell by hand: sum of 3 gradients, the mean of its two seeds' mean MSE after 32 steps
    algos = {p: yaml.safe_load((p / ".hydra" / "config.yaml").read_text())["algo"]
             for p in runs.glob("[0-9]*")}
    jobs = [p for p, algo in algos.items() if (algo["terms"], algo["combine"]) == (3, "sum")]
    means = [pd.read_csv(p / "eval.csv").set_index("k").loc[32, "mse_mean"] for p in jobs]
    cell = table[(table["method_value"] == "sum") & (table["value"] == 3)]
    assert len(means) == 2 and cell["mean"].item() == pytest.approx(np.mean(means), rel=1e-9)
    assert (runs / "report" / "report.md").exists()


def test_minibatch_overlap_script(tmp_path):
    """The three quick overlap presets with the last-gradient methods only and two seeds."""
    run_script("minibatch_overlap.sh", tmp_path, SIZE="_quick",
               OVERRIDES=TINY + " meta_iters=40 seed=0,1 algo.combine=last")
    runs = tmp_path / "runs"
    for knob in ("inner_steps", "inner_batch", "meta_step"):
        summary = pd.read_csv(runs / knob / "summary.csv")
        assert set(summary["status"]) == {"done"}
        assert (runs / knob / "report" / "report.md").exists()
    for stem in ("minibatch_overlap", "minibatch_overlap_median"):
        assert_figure(tmp_path / "figures", stem)
    table = pd.read_csv(tmp_path / "figures" / "minibatch_overlap.csv")
    assert set(table["knob"]) == {"inner_steps", "inner_batch", "meta_step"}
    assert set(table["method_value"]) == {"shared", "separate"}  # algo.tail: one key varies
    assert set(table["n"]) == {2}


def test_tuning_script_chooses_on_validation_tasks(tmp_path):
    bench = tmp_path / "bench"
    proc = subprocess.run(
        [sys.executable, "-m", "experiments.train", "-m", "experiment=maml_benchmark_pretrain",
         "seed=0,1", "meta_iters=40", *TINY.split(), f"hydra.sweep.dir={bench}",
         "hydra.sweep.subdir=${algo.name}/seed${seed}"],
        cwd=ROOT, env=env(), capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    run_script("tune_maml_benchmark.sh", tmp_path, ITERS="40", SEEDS="0,1", BENCH=str(bench),
               OVERRIDES=TINY)
    figures = tmp_path / "figures"
    for name, key, values in (("tune_reptile", "meta_step", [0.1, 0.3, 1.0]),
                              ("tune_pretrain", "eval.lr", [0.005, 0.01, 0.02, 0.04])):
        table = pd.read_csv(figures / f"{name}.csv")
        assert sorted(table[key]) == values and (table["val_n"] == 2).all()
        # the chosen setting: the lowest mean over seeds of the jobs' validation MSE
        assert table["chosen"].sum() == 1
        assert table.loc[table["chosen"], "val_mean"].item() == table["val_mean"].min()
        text = (figures / f"{name}.md").read_text()
        bold = [line for line in text.splitlines() if line.startswith("| **")]
        assert len(bold) == 1 and "never the test tasks" in text  # the chosen row alone
    # the validation tasks are the jobs' own eval_val.csv, not their test tasks
    job = next((tmp_path / "runs" / "reptile").glob("*/eval_val.csv"))
    assert not pd.read_csv(job).equals(pd.read_csv(job.parent / "eval.csv"))

"""Our MAML benchmark beside the MAML paper's table (analysis.fidelity): each cell's flag says
whether the published number lies inside our interval, the seeds' range is that of the seeds'
own means, and a cause's row names the keys it changed."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.fidelity import INSIDE, causes_table, changes, paper_rows, paper_table
from analysis.maml_benchmark import per_seed, summary
from analysis.published import MAML_TABLE, MAML_TABLE_SHOTS


def _tasks(level: dict, seeds=(0, 1, 2), tasks: int = 40) -> pd.DataFrame:
    """Per-task MSEs around `level[(algo, k)]`, K = the paper's, a little spread per seed."""
    rng = np.random.default_rng(0)
    rows = []
    for (algo, k), value in level.items():
        for seed in seeds:
            for task in range(tasks):
                mse = value * (1 + 0.05 * seed) * rng.lognormal(0, 0.3)
                rows.append({"algo": algo, "seed": seed, "K": MAML_TABLE_SHOTS, "task": task,
                             "k": k, "mse": mse})
    return pd.DataFrame(rows)


def test_paper_rows_flag_the_cells_whose_published_number_is_inside_our_interval():
    level = {("maml", 1): 0.67, ("maml", 5): 0.9, ("maml", 10): 0.35,
             ("pretrain", 1): 2.4, ("pretrain", 5): 2.2, ("pretrain", 10): 5.0,
             ("reptile", 1): 1.0}  # not in the paper's table: no row
    tasks = _tasks(level)
    stats = summary(tasks, "t")
    rows = paper_rows(stats, per_seed(tasks))
    assert list(zip(rows["method"], rows["k"])) == [(m, k) for m in MAML_TABLE
                                                     for k in sorted(MAML_TABLE[m])]
    for _, r in rows.iterrows():
        assert r["paper"] == MAML_TABLE[r["method"]][r["k"]]
        assert r["inside"] == (r["lo"] <= r["paper"] <= r["hi"])
        seeds = tasks[(tasks["algo"] == r["method"]) & (tasks["k"] == r["k"])].groupby(
            "seed")["mse"].mean()
        assert (r["seed_min"], r["seed_max"]) == pytest.approx((seeds.min(), seeds.max()))
    # the levels put the paper's 0.38 (MAML, 5 steps) and 2.19 (pretrained, 10) far outside
    outside = set(zip(rows.loc[~rows["inside"], "method"], rows.loc[~rows["inside"], "k"]))
    assert {("maml", 5), ("pretrain", 10)} <= outside
    text = paper_table(rows)
    assert text.count(f"| {INSIDE} |") == int(rows["inside"].sum())
    assert "| MAML | 5 | 0.38 |" in text


def test_changes_name_every_key_a_cause_sets_but_the_seed():
    base = {"seed": 0, "inner_lr": 0.01, "eval.lr": 0.01, "eval.measure": "grid"}
    other = {**base, "seed": 3, "inner_lr": 0.001, "eval.lr": 0.001}
    assert changes(base, other) == "eval.lr=0.001 inner_lr=0.001"
    assert changes(base, {**base, "seed": 5}) == "–"


def test_causes_table_sets_each_cause_beside_the_papers_row():
    rows = pd.DataFrame([
        {"cause": "ours", "changes": "–", "method": "maml", "k": k, "mse_mean": 0.6, "lo": 0.5,
         "hi": 0.7, "interval": "bootstrap", "mse_median": 0.4, "inside": k == 1}
        for k in (1, 5, 10)] + [
        {"cause": "query", "changes": "eval.measure=query", "method": "maml", "k": 5,
         "mse_mean": 0.4, "lo": 0.3, "hi": 0.45, "interval": "bootstrap", "mse_median": 0.2,
         "inside": True}])
    text = causes_table(rows)
    lines = text.splitlines()
    paper = next(i for i, line in enumerate(lines) if line.startswith("| the paper | – | MAML"))
    assert lines[paper] == "| the paper | – | MAML | 0.67 | 0.38 | 0.35 |"
    assert lines[paper + 1].startswith("| ours | – | MAML | 0.60 [0.50, 0.70] (0.4) ✓ |")
    assert lines[paper + 2] == ("| query | `eval.measure=query` | MAML | – | 0.400 [0.300, 0.450] "
                                "(0.2) ✓ | – |")

"""One `method` factor for sweeps that vary several algorithm keys together (analysis.methods),
and the paper-style figure of several such sweeps (python -m analysis.paper methods), on
synthetic run directories; expected values read from their own files."""

from __future__ import annotations

import warnings

import matplotlib.image
import pandas as pd
import pytest
import yaml

from analysis import paper
from analysis.errors import RunDirWarning
from analysis.load import load_runs
from analysis.report import build_report
from analysis.tables import cell_statistics
from tests.helpers.synthetic import make_run, make_sweep

SEEDS = (0, 1, 2)
OVERLAP = {"algo.combine": ["sum", "last"], "algo.tail": ["shared", "separate"],
           "inner_steps": [1, 4]}


@pytest.fixture(scope="module")
def overlap(tmp_path_factory):
    root = tmp_path_factory.mktemp("overlap")
    return root, make_sweep(root, OVERLAP, SEEDS)


def config_of(run) -> dict:
    return yaml.safe_load((run / ".hydra" / "config.yaml").read_text())["algo"]


def test_two_varying_algorithm_keys_are_one_method(overlap, tmp_path):
    root, runs = overlap
    loaded = load_runs([root])
    assert loaded.hyperparameters == ["method", "inner_steps"]
    jobs = loaded.jobs.set_index("run_dir")
    for run in runs:
        algo = config_of(run)
        assert jobs.loc[str(run.resolve()), "method"] == (
            f"combine={algo['combine']}, tail={algo['tail']}")
    assert "algo.tail" not in loaded.frame and loaded.frame["method"].nunique() == 4
    with warnings.catch_warnings():
        warnings.simplefilter("error", RunDirWarning)
        build_report([root], tmp_path, gallery_tasks=1)
    figures = {p.stem for p in (tmp_path / "figures").glob("*.png")}
    assert "method_method_vs_inner_steps" in figures
    assert not any("algo-tail" in name for name in figures)


def test_an_algorithm_names_only_the_keys_that_vary_among_its_own_jobs(tmp_path):
    """Reptile ignores algo.tail (all its jobs keep the default); first-order MAML runs both."""
    settings = [{"algo.name": "reptile"}, {"algo.name": "fomaml", "algo.tail": "shared"},
                {"algo.name": "fomaml", "algo.tail": "separate"}]
    for number, (setting, seed) in enumerate((s, seed) for s in settings for seed in SEEDS):
        make_run(tmp_path / str(number), setting | {"seed": seed}, job_num=number)
    loaded = load_runs([tmp_path])
    assert loaded.hyperparameters == ["method"]
    assert sorted(loaded.jobs["method"].unique()) == [
        "fomaml (tail=separate)", "fomaml (tail=shared)", "reptile"]


def test_one_varying_algorithm_key_stays_as_it_is(tmp_path):
    make_sweep(tmp_path, {"algo.combine": ["sum", "last"], "algo.terms": [1, 2]}, seeds=(0, 1))
    assert load_runs([tmp_path]).hyperparameters == ["algo.combine", "algo.terms"]


def test_paper_figure_of_several_sweeps_draws_the_cells(overlap, tmp_path):
    root, _ = overlap
    gradients = tmp_path / "gradients"
    make_sweep(gradients, {"algo.combine": ["sum", "last"], "algo.terms": [1, 2, 4]}, SEEDS)
    out = tmp_path / "figures"
    assert paper.main(["methods", str(gradients), str(root), "--out", str(out), "--name",
                       "both", "--interval", "t", "--k", "8"]) == 0
    assert matplotlib.image.imread(out / "both.png").shape[2] == 4
    assert (out / "both.pdf").read_bytes()[:5] == b"%PDF-"
    table = pd.read_csv(out / "both.csv")
    assert set(table["knob"]) == {"algo.terms", "inner_steps"} and set(table["k"]) == {8}
    # the table's cells are the report's cells
    cells = cell_statistics(load_runs([root]), [8], "mean")
    cell = cells[(cells["method"] == "combine=last, tail=separate") & (cells["inner_steps"] == 4)]
    row = table[(table["method_value"] == "combine=last, tail=separate") & (table["value"] == 4)]
    assert row["mean"].item() == pytest.approx(cell["mean"].item(), rel=1e-12)
    assert row["n"].item() == len(SEEDS)


def test_paper_figure_of_the_median(overlap, tmp_path):
    root, _ = overlap
    assert paper.main(["methods", str(root), "--out", str(tmp_path), "--name", "m",
                       "--statistic", "median", "--interval", "t"]) == 0
    table = pd.read_csv(tmp_path / "m.csv")
    cells = cell_statistics(load_runs([root]), [32], "median")
    merged = table.merge(cells, left_on=["method_value", "value"],
                         right_on=["method", "inner_steps"], suffixes=("", "_cells"))
    assert set(table["statistic"]) == {"median"} and set(table["k"]) == {32}
    assert len(merged) == len(table) == 8
    assert merged["mean"].to_numpy() == pytest.approx(merged["mean_cells"].to_numpy(), rel=1e-12)


def test_paper_figure_legend_names_the_papers_methods(overlap):
    root, _ = overlap
    loaded = load_runs([root])
    cells = cell_statistics(loaded, [8], "mean")
    cells = cells[cells["n"] > 0]
    fig = paper.methods_figure([(cells, "method", "inner_steps", [])], "MSE")
    (ax,) = [ax for ax in fig.axes if ax.get_visible()]
    handles, labels = ax.get_legend_handles_labels()
    assert "sum, shared tail (Reptile)" in labels
    assert "last, separate tail (first-order MAML)" in labels
    named = dict(zip(labels, handles, strict=True))
    reptile = cells[cells["method"] == "combine=sum, tail=shared"].sort_values("inner_steps")
    assert list(named["sum, shared tail (Reptile)"].lines[0].get_ydata()) == pytest.approx(
        list(reptile["mean"]), rel=1e-12)


def test_paper_figure_refuses_a_sweep_without_methods_in_one_line(tmp_path, capsys):
    make_sweep(tmp_path / "plain", {"inner_steps": [1, 2]}, seeds=(0, 1))
    assert paper.main(["methods", str(tmp_path / "plain"), "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "no categorical key (a method) varies" in err

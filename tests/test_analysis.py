"""analysis/: loading, statistics, tables, figures and the report, on synthetic run directories.

Expected values are computed here from the fixture files themselves (eval.csv read with the csv
module), never copied from the code's output.
"""

from __future__ import annotations

import csv
import math
import re
import statistics
import warnings
from pathlib import Path

import pandas as pd
import pytest
from PIL import Image

from analysis.errors import RunDirWarning
from analysis.load import load_runs
from analysis.report import build_report
from analysis.stats import interval, t_quantile
from analysis.tables import sensitivity_tables
from rundir import atomic_path, write_text
from rundir.quicklook import draw_fit_figure
from tests.helpers.synthetic import make_run, make_sweep

GRID = {"inner_steps": [1, 4], "inner_lr": [0.01, 0.02]}
SEEDS = (0, 1, 2)


def eval_column(run_dir: Path, column: str) -> dict[int, float]:
    """{k: value} from a job's eval.csv, read without the code under test."""
    with open(run_dir / "eval.csv", newline="") as handle:
        return {int(row["k"]): float(row[column]) for row in csv.DictReader(handle)}


def t975_df2() -> float:
    """Student t, 97.5% quantile, 2 d.f.: closed form (2p-1) sqrt(2 / (1 - (2p-1)^2))."""
    q = 2 * 0.975 - 1
    return q * math.sqrt(2 / (1 - q * q))


def hand_cell(runs_dirs: list[Path], column: str, k: int) -> tuple[float, float]:
    values = [eval_column(run, column)[k] for run in runs_dirs]
    assert len(values) == 3
    mean = sum(values) / 3
    sd = math.sqrt(sum((v - mean) ** 2 for v in values) / 2)
    return mean, t975_df2() * sd / math.sqrt(3)


def jobs_of(runs: list[Path], inner_steps: int, inner_lr: float) -> list[Path]:
    """The run dirs of one setting (make_sweep orders jobs grid-major, seeds innermost)."""
    combos = [(s, lr) for s in GRID["inner_steps"] for lr in GRID["inner_lr"]]
    start = combos.index((inner_steps, inner_lr)) * len(SEEDS)
    return runs[start:start + len(SEEDS)]


@pytest.fixture(scope="module")
def sweep(tmp_path_factory) -> tuple[Path, list[Path]]:
    root = tmp_path_factory.mktemp("sweep")
    return root, make_sweep(root, GRID, SEEDS)


@pytest.fixture(scope="module")
def problem_sweep(tmp_path_factory) -> tuple[Path, list[Path]]:
    """A sweep still in progress: one failed, one diverged, one running, one without run.json."""
    root = tmp_path_factory.mktemp("partial")
    runs = make_sweep(root, GRID, SEEDS, statuses={1: "failed", 4: "diverged", 7: "running"})
    (runs[10] / "run.json").unlink()
    return root, runs


@pytest.fixture(scope="module")
def report(problem_sweep, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("report")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RunDirWarning)
        return build_report([problem_sweep[0]], out, gallery_tasks=2)


# --- statistics --------------------------------------------------------------------------------

def test_t_quantile_matches_closed_forms_and_the_normal_limit():
    assert t_quantile(1) == pytest.approx(math.tan(math.pi * (0.975 - 0.5)), rel=1e-12)
    assert t_quantile(2) == pytest.approx(t975_df2(), rel=1e-12)
    # df = 4: t = 2 sqrt(q - 1), q = cos(arccos(sqrt(a)) / 3) / sqrt(a), a = 4 p (1 - p)
    a = 4 * 0.975 * 0.025
    q = math.cos(math.acos(math.sqrt(a)) / 3) / math.sqrt(a)
    assert t_quantile(4) == pytest.approx(2 * math.sqrt(q - 1), rel=1e-10)
    z = statistics.NormalDist().inv_cdf(0.975)
    assert t_quantile(100_000) == pytest.approx(z, abs=1e-4)
    assert all(t_quantile(n) > t_quantile(n + 1) > z for n in range(1, 60))


def test_interval_needs_two_seeds():
    assert all(math.isnan(v) for v in interval([0.5]))
    lo, hi = interval([1.0, 2.0, 3.0])
    assert (lo + hi) / 2 == pytest.approx(2.0)
    assert (hi - lo) / 2 == pytest.approx(t975_df2() * 1.0 / math.sqrt(3))


# --- loading -----------------------------------------------------------------------------------

def test_load_gives_one_row_per_job_and_k_with_typed_hyperparameters(sweep):
    root, runs = sweep
    loaded = load_runs([root])
    assert loaded.hyperparameters == ["inner_steps", "inner_lr"]  # command-line order
    k_count = len(eval_column(runs[0], "mse_mean"))
    assert len(loaded.frame) == len(runs) * k_count
    assert not loaded.frame.duplicated(["job", "k"]).any()
    assert loaded.frame["inner_steps"].dtype == "int64"
    assert loaded.frame["inner_lr"].dtype == "float64"
    assert loaded.frame["seed"].dtype == "int64"
    assert set(loaded.frame["status"]) == {"done"}
    assert loaded.constants["model.width"] == 64 and type(loaded.constants["model.width"]) is int
    row = loaded.frame[(loaded.frame["job"] == "3") & (loaded.frame["k"] == 5)].iloc[0]
    assert row["mse_median"] == pytest.approx(eval_column(runs[3], "mse_median")[5])


def test_keys_absent_from_some_configs_stay_integers(tmp_path):
    make_run(tmp_path / "a", {"seed": 0})
    make_run(tmp_path / "b", {"seed": 0, "eval.extra": 3})
    loaded = load_runs([tmp_path])
    assert loaded.hyperparameters == ["eval.extra"]
    assert str(loaded.jobs["eval.extra"].dtype) == "Int64"
    assert loaded.jobs["eval.extra"].isna().sum() == 1
    # Hydra keeps "${inner_lr}" in config.yaml; the loader resolves such plain references.
    assert loaded.constants["eval.lr"] == loaded.constants["inner_lr"] == 0.02


def test_seed_aliases_and_bookkeeping_keys_are_not_hyperparameters(tmp_path):
    for job, (seed, steps) in enumerate([(0, 1), (1, 1), (0, 2), (1, 2)]):
        make_run(tmp_path / str(job), {"seed": seed, "eval.seed": 100 + seed, "threads": job + 1,
                                       "inner_steps": steps, "meta_iters": 100 * steps})
    loaded = load_runs([tmp_path])
    # eval.seed moves with seed; meta_iters moves with inner_steps (counted once); threads is
    # bookkeeping.
    assert loaded.hyperparameters == ["inner_steps"]
    assert load_runs([tmp_path], ignore=["inner_steps"]).hyperparameters == ["meta_iters"]


def test_a_knob_confounded_with_the_seed_is_still_a_hyperparameter(tmp_path):
    for seed in range(3):
        make_run(tmp_path / str(seed), {"seed": seed, "inner_steps": 2 ** seed})
    assert load_runs([tmp_path]).hyperparameters == ["inner_steps"]


def test_several_sweeps_and_a_single_run_load_together(sweep, tmp_path):
    other = make_sweep(tmp_path / "other", {"meta_batch": [1, 5]}, seeds=(0, 1))
    single = make_run(tmp_path / "single" / "run", {"seed": 7})
    loaded = load_runs([sweep[0], tmp_path / "other", single])
    assert len(loaded.jobs) == len(sweep[1]) + len(other) + 1
    assert set(loaded.hyperparameters) == {"inner_steps", "inner_lr", "meta_batch"}
    assert loaded.jobs["job"].is_unique
    # A folder holding several sweeps and runs is searched recursively.
    found = load_runs([tmp_path])
    assert sorted(found.jobs["job"]) == sorted([f"other/{i}" for i in range(len(other))]
                                               + ["single/run"])


# --- tables ------------------------------------------------------------------------------------

@pytest.mark.parametrize("statistic, column", [("mean", "mse_mean"), ("median", "mse_median")])
def test_table_cell_matches_a_hand_computation(sweep, statistic, column):
    root, runs = sweep
    tables = {t.name: t for t in sensitivity_tables(load_runs([root]), statistic=statistic)}
    assert set(tables) == {"mse_by_inner_steps", "mse_by_inner_lr",
                           "mse_grid_inner_steps_inner_lr"}
    mean, half = hand_cell(jobs_of(runs, 4, 0.02), column, k=8)
    for table in tables.values():
        data = table.data
        cell = data[(data["inner_steps"] == 4) & (data["inner_lr"] == 0.02) & (data["k"] == 8)]
        assert len(cell) == 1
        assert cell["mean"].iloc[0] == pytest.approx(mean, rel=1e-9)
        assert cell["halfwidth"].iloc[0] == pytest.approx(half, rel=1e-9)
        assert cell["n"].iloc[0] == 3
        assert table.statistic == statistic


def test_best_value_is_the_lowest_mean_within_each_block(sweep):
    table = next(t for t in sensitivity_tables(load_runs([sweep[0]])) if t.name ==
                 "mse_by_inner_steps")
    for (_, _), block in table.data.groupby(["inner_lr", "k"]):
        assert block["best"].any()
        assert block["best"].tolist() == (block["mean"] == block["mean"].min()).tolist()


def test_requested_ks_limit_the_columns(sweep):
    table = sensitivity_tables(load_runs([sweep[0]]), ks=(0, 3, 99))[0]
    assert sorted(table.data["k"].unique()) == [0, 3]


# --- the report --------------------------------------------------------------------------------

def test_report_embeds_every_table_and_figure(report):
    out = report.parent
    text = report.read_text()
    tables = sorted((out / "tables").glob("*.md"))
    assert {t.stem for t in tables} == {"mse_by_inner_steps", "mse_by_inner_lr",
                                        "mse_grid_inner_steps_inner_lr", "budget_inner_steps",
                                        "budget_inner_lr"}
    for table in tables:
        assert table.read_text() in text
        for suffix in (".md", ".tex", ".csv"):
            assert f"](tables/{table.stem}{suffix})" in text
    expected = {f"{kind}_{knob}" for kind in ("mse_vs_k", "sensitivity", "curves", "budget")
                for knob in GRID} | {"heatmap_inner_steps_inner_lr", "fit_gallery"}
    assert {p.stem for p in (out / "figures").glob("*.png")} == expected
    assert {p.stem for p in (out / "figures").glob("*.pdf")} == expected
    for stem in expected:
        assert f"](figures/{stem}.png)" in text and f"](figures/{stem}.pdf)" in text
        with Image.open(out / "figures" / f"{stem}.png") as image:
            assert image.info["dpi"] == pytest.approx((300, 300), abs=0.5)
        assert (out / "figures" / f"{stem}.pdf").read_bytes()[:5] == b"%PDF-"
    assert not list(out.rglob("*.tmp")), "atomic writes left a temporary file"


def test_report_lists_failed_diverged_unfinished_and_unreadable_jobs(report, problem_sweep):
    problems = report.read_text().split("## Problems")[1].split("## Tables")[0]
    rows = {line.split("|")[1].strip(" `"): line for line in problems.splitlines()
            if line.startswith("| `")}
    assert set(rows) == {"1", "4", "7", "10"}
    assert "failed" in rows["1"] and "CUDA out of memory" in rows["1"]
    assert "diverged" in rows["4"]
    assert "unfinished" in rows["7"]
    assert "missing run.json" in rows["10"] and str(problem_sweep[1][10] / "run.json") in rows["10"]


def test_report_table_shows_the_hand_computed_cell_and_the_diverged_seed(report, problem_sweep):
    runs = problem_sweep[1]
    # Setting (inner_steps=4, inner_lr=0.02) is jobs 9, 10, 11; job 10 lost its run.json, so
    # the cell is the mean of two seeds. Setting (1, 0.02) is jobs 3, 4, 5 with 4 diverged.
    values = [eval_column(runs[j], "mse_mean")[8] for j in (9, 11)]
    mean = sum(values) / 2
    sd = abs(values[0] - values[1]) / math.sqrt(2)
    half = math.tan(math.pi * (0.975 - 0.5)) * sd / math.sqrt(2)  # t quantile, 1 d.f.
    decimals = max(0, 1 - math.floor(math.log10(half)))
    table = (report.parent / "tables" / "mse_by_inner_steps.md").read_text()
    row = next(line for line in table.splitlines() if line.startswith("| 0.02 | 4 |"))
    assert f"{mean:.{decimals}f} ± {half:.{decimals}f}" in row
    assert row.rstrip(" |").endswith("| 2")
    diverged_row = next(line for line in table.splitlines() if line.startswith("| 0.02 | 1 |"))
    assert diverged_row.rstrip(" |").endswith("2 (+1 diverged)")
    csv_table = pd.read_csv(report.parent / "tables" / "mse_by_inner_steps.csv")
    cell = csv_table[(csv_table["inner_steps"] == 4) & (csv_table["inner_lr"] == 0.02)
                     & (csv_table["k"] == 8)].iloc[0]
    assert cell["mean"] == pytest.approx(mean) and cell["halfwidth"] == pytest.approx(half)


def test_rebuilding_into_the_same_folder_leaves_no_stale_table_or_figure(sweep, tmp_path):
    out = tmp_path / "report"
    for stale in ("tables/mse_by_width.md", "figures/mse_vs_k_width.png", "figures/old.pdf"):
        (out / stale).parent.mkdir(parents=True, exist_ok=True)
        (out / stale).write_text("from an earlier build")
    (out / "notes.txt").write_text("the user's own")
    build_report([sweep[0]], out, figures=False)
    assert not (out / "figures").exists() or not list((out / "figures").iterdir())
    assert {p.name for p in (out / "tables").iterdir()} == {
        f"{stem}{suffix}" for stem in ("mse_by_inner_steps", "mse_by_inner_lr",
                                       "mse_grid_inner_steps_inner_lr", "budget_inner_steps",
                                       "budget_inner_lr")
        for suffix in (".md", ".tex", ".csv")}
    assert (out / "notes.txt").read_text() == "the user's own"


def test_summary_files_keep_types(report):
    out = report.parent
    summary = pd.read_csv(out / "results.csv")
    assert summary["inner_steps"].dtype == "int64" and summary["seed"].dtype == "int64"
    assert set(summary["status"]) == {"done", "diverged", "running"}
    parquet = pd.read_parquet(out / "results.parquet")
    assert parquet["inner_steps"].dtype == "int64" and str(parquet["k"].dtype) == "Int64"
    jobs = pd.read_csv(out / "jobs.csv")
    assert len(jobs) == 12 and jobs["included"].sum() == 10


# --- quick look and helpers --------------------------------------------------------------------

def test_quicklook_draws_fit_png(sweep):
    run_dir = sweep[1][0]
    path = draw_fit_figure(run_dir)
    assert path == run_dir / "fit.png"
    with Image.open(path) as image:
        assert image.info["dpi"] == pytest.approx((150, 150), abs=0.5)
        assert image.size[0] > 1000  # five task panels side by side, readable


def test_atomic_write_keeps_the_old_file_on_error(tmp_path):
    target = write_text(tmp_path / "a.txt", "old")
    with pytest.raises(RuntimeError), atomic_path(target) as tmp:
        tmp.write_text("half")
        raise RuntimeError("writer died")
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["a.txt"]


def test_report_number_format_rounds_mean_to_the_interval(report):
    table = (report.parent / "tables" / "mse_by_inner_lr.md").read_text()
    for mean, half in re.findall(r"([\d.]+) ± ([\d.]+)", table):
        assert len(mean.partition(".")[2]) == len(half.partition(".")[2])

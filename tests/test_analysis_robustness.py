"""analysis/ on damaged, unfinished and wrong input: warn and leave the job out, or fail cleanly."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from analysis.__main__ import main
from analysis.curves import read_curves
from analysis.errors import AnalysisError, RunDirWarning
from analysis.load import load_runs
from analysis.render import markdown
from analysis.tables import sensitivity_tables
from tests.helpers.synthetic import make_run, make_sweep, truncate

ROOT = Path(__file__).resolve().parents[1]


def _damage_eval_mid_line(run: Path) -> Path:
    return truncate(run / "eval.csv", keep=0.5)


def _damage_eval_at_line(run: Path) -> Path:
    path = run / "eval.csv"
    lines = path.read_text().splitlines(keepends=True)
    path.write_text("".join(lines[: len(lines) // 2]))  # whole rows, but k stops early
    return path


def _remove_run_json(run: Path) -> Path:
    (run / "run.json").unlink()
    return run / "run.json"


def _bad_config(run: Path) -> Path:
    path = run / ".hydra" / "config.yaml"
    path.write_text("seed: [0, 1\nmodel: {width: 64\n")
    return path


def _bad_overrides(run: Path) -> Path:
    path = run / ".hydra" / "overrides.yaml"
    path.write_text("- inner_steps=4\n  - : [\n")
    return path


def _unknown_format(run: Path) -> Path:
    path = run / "run.json"
    path.write_text(path.read_text().replace('"format": 1', '"format": 99'))
    return path


def _failed(run: Path) -> Path:
    make_run(run, {"seed": 1}, status="failed")
    return run / "run.json"


@pytest.mark.parametrize("damage", [_damage_eval_mid_line, _damage_eval_at_line, _remove_run_json,
                                    _bad_config, _bad_overrides, _unknown_format, _failed])
def test_a_broken_job_warns_naming_its_file_and_is_left_out(tmp_path, damage):
    runs = make_sweep(tmp_path, {"inner_steps": [1, 4]}, seeds=(0, 1))
    bad_file = damage(runs[1])
    with pytest.warns(RunDirWarning) as caught:
        loaded = load_runs([tmp_path])
    messages = [str(w.message) for w in caught if issubclass(w.category, RunDirWarning)]
    assert len(messages) == 1
    assert messages[0].startswith(f"{bad_file}: ") and "\n" not in messages[0]
    assert "1" not in set(loaded.frame["job"])
    assert set(loaded.frame["job"]) == {"0", "2", "3"}
    assert [p.job for p in loaded.problems] == ["1"]
    assert loaded.problems[0].file == str(bad_file)


def test_a_diverged_job_is_shown_as_diverged_not_dropped(tmp_path):
    make_sweep(tmp_path, {"inner_steps": [1, 4]}, seeds=(0, 1),
               statuses={1: "diverged", 2: "diverged", 3: "diverged"})
    with pytest.warns(RunDirWarning, match="diverged"):
        loaded = load_runs([tmp_path])
    assert set(loaded.jobs.loc[loaded.jobs["included"], "status"]) == {"done", "diverged"}
    assert (loaded.frame["status"] == "diverged").sum() == 3
    table = sensitivity_tables(loaded, ks=(0, 8))[0]
    text = markdown(table, "caption")
    one = next(line for line in text.splitlines() if line.startswith("| 1 |"))
    four = next(line for line in text.splitlines() if line.startswith("| 4 |"))
    assert one.rstrip(" |").endswith("1 (+1 diverged)")
    assert four.count("diverged") == 3  # both k cells and the seeds column
    assert four.rstrip(" |").endswith("0 (+2 diverged)")


def test_a_job_still_running_is_listed_and_left_out_of_the_numbers(tmp_path):
    make_sweep(tmp_path, {"inner_steps": [1, 4]}, seeds=(0, 1), statuses={0: "running"})
    loaded = load_runs([tmp_path])
    assert [(p.job, p.kind) for p in loaded.problems] == [("0", "running")]
    running = loaded.frame[loaded.frame["job"] == "0"]
    assert len(running) == 1 and running["k"].isna().all()
    table = sensitivity_tables(loaded, ks=(0,))[0]
    assert table.data.loc[table.data["inner_steps"] == 1, "n"].tolist() == [1]


@pytest.mark.parametrize("make_path", [
    lambda tmp: str(tmp / "does-not-exist"),
    lambda tmp: str(tmp),  # an empty folder
    lambda tmp: "",
    lambda tmp: str(make_run(tmp / "run") / "run.json"),  # a file
])
def test_a_wrong_path_is_one_clear_error(tmp_path, capsys, make_path):
    path = make_path(tmp_path)
    with pytest.raises(AnalysisError):
        load_runs([path])
    assert main([path, "--out", str(tmp_path / "out"), "--no-figures"]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "error" in err
    assert not (tmp_path / "out").exists()


def test_cli_exits_2_without_traceback():
    result = subprocess.run([sys.executable, "-m", "analysis", "/no/such/sweep", "--out", "x"],
                            cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert result.stderr.strip() == "python -m analysis: error: /no/such/sweep: no such directory"
    assert "Traceback" not in result.stderr


def test_cli_on_a_partial_sweep_prints_one_line_warnings(tmp_path, capsys):
    runs = make_sweep(tmp_path / "sweep", {"inner_steps": [1, 4]}, seeds=(0, 1),
                      statuses={1: "failed"})
    truncate(runs[2] / "eval.csv")
    out = tmp_path / "out"
    assert main([str(tmp_path / "sweep"), "--out", str(out), "--no-figures",
                 "--statistic", "median", "--ks", "0,4,8"]) == 0
    captured = capsys.readouterr()
    assert captured.out.split() == [str(out / "report.md"), str(out / "report.html")]
    warnings = captured.err.strip().splitlines()
    assert len(warnings) == 2 and all(line.startswith("warning: ") for line in warnings)
    assert str(runs[1] / "run.json") in warnings[0] and str(runs[2] / "eval.csv") in warnings[1]
    report = (out / "report.md").read_text()
    assert "median over each job's held-out tasks" in report
    assert "the median of the MSE" in (out / "tables" / "mse_by_inner_steps.md").read_text()
    assert "| inner_steps | k=0 | k=4 | k=8 | seeds |" in report


def test_cli_help_lists_the_options(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["--help"])
    assert exit_info.value.code == 0
    text = capsys.readouterr().out
    for option in ("--out", "--ks", "--statistic", "--no-figures", "--gallery-tasks", "--ignore",
                   "--interval", "--k", "--budgets"):
        assert option in text


@pytest.mark.parametrize("options, message", [
    (["--k", "99"], "--k 99: no finished job evaluated k=99 (allowed: 0 to 32)"),
    (["--interval", "normal"], "argument --interval: invalid choice: 'normal'"),
    (["--budgets", "0.1,2"], "need one or more fractions in (0, 1]: '0.1,2'"),
])
def test_cli_refuses_a_bad_option_in_one_line(tmp_path, capsys, options, message):
    make_sweep(tmp_path / "sweep", {"inner_steps": [1, 4]}, seeds=(0, 1))
    try:
        code = main([str(tmp_path / "sweep"), "--no-figures", *options])
    except SystemExit as exit_info:  # argparse's own refusals
        code = exit_info.code
    assert code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert message in err[-1]


def test_cli_writes_into_the_sweep_by_default_and_needs_out_for_several(tmp_path, capsys):
    make_sweep(tmp_path / "a", {"inner_steps": [1, 4]}, seeds=(0,))
    make_sweep(tmp_path / "b", {"inner_steps": [1, 4]}, seeds=(1,))
    assert main([str(tmp_path / "a"), "--no-figures"]) == 0
    assert (tmp_path / "a" / "report" / "report.md").is_file()
    with pytest.raises(SystemExit) as exit_info:
        main([str(tmp_path / "a"), str(tmp_path / "b"), "--no-figures"])
    assert exit_info.value.code == 2
    assert "--out is required" in capsys.readouterr().err
    # Rerunning over the sweep ignores its report folder; two sweeps go into one report.
    assert main([str(tmp_path), "--out", str(tmp_path / "both"), "--no-figures"]) == 0
    assert "4 jobs found" in (tmp_path / "both" / "report.md").read_text()


def test_a_truncated_curve_leaves_the_job_out_of_the_learning_curves_only(tmp_path):
    runs = make_sweep(tmp_path, {"inner_steps": [1, 4]}, seeds=(0, 1))
    truncate(runs[2] / "curve.csv")
    loaded = load_runs([tmp_path])
    assert set(loaded.frame["job"]) == {"0", "1", "2", "3"}  # its evaluation is intact
    with pytest.warns(RunDirWarning, match=str(runs[2] / "curve.csv")):
        curves = read_curves(loaded)
    assert set(curves["job"]) == {"0", "1", "3"}
    assert (curves.groupby("job")["k"].nunique() == 1).all()  # the largest k only


def test_benchmark_keeps_a_diverged_task_in_the_mean_and_counts_it():
    import math

    import pandas as pd

    from analysis.maml_benchmark import markdown_table, summary

    rows = []
    for seed in (0, 1):
        for task, mse in enumerate([0.1, 0.2, 0.3, float("nan") if seed else 0.4]):
            rows.append({"algo": "maml", "seed": seed, "K": 10, "task": task, "k": 1, "mse": mse})
    stats = summary(pd.DataFrame(rows))
    row = stats.iloc[0]
    assert math.isinf(row["mse_mean"]) and row["n_diverged"] == 1
    assert row["mse_median"] == pytest.approx((0.2 + 0.3) / 2)  # of the per-task seed means
    assert "(1 diverged)" in markdown_table(stats, 10)
    assert "0.25 (1 diverged)" in markdown_table(stats, 10, "median")


def test_jobs_a_killed_sweep_never_started_are_named(tmp_path, capsys):
    import shutil

    sweep = tmp_path / "sweep"
    runs = make_sweep(sweep, {"inner_steps": [1, 4]}, seeds=(0, 1, 2))  # 6 jobs planned
    for run in runs[4:]:
        shutil.rmtree(run)  # the launcher never reached them
    out = tmp_path / "out"
    assert main([str(sweep), "--out", str(out), "--no-figures"]) == 0
    expected = ("2 of 6 jobs never started: relaunch the sweep's command with "
                f"hydra.sweep.dir={sweep}")
    assert capsys.readouterr().err.strip() == f"warning: {sweep / 'multirun.yaml'}: {expected}"
    assert f"| `sweep` | jobs never started | `multirun.yaml` | {expected} |" in (
        out / "report.md").read_text()
    # one job picked out of the sweep, or the whole sweep, says nothing is missing
    assert main([str(runs[0]), "--out", str(tmp_path / "one"), "--no-figures"]) == 0
    make_sweep(tmp_path / "full", {"inner_steps": [1, 4]}, seeds=(0, 1, 2))
    assert main([str(tmp_path / "full"), "--out", str(tmp_path / "two"), "--no-figures"]) == 0
    assert capsys.readouterr().err == ""

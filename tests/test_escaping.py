"""Reports and tables show what a run directory contains and never render or run it
(analysis/escape.py); folders with spaces and non-ASCII characters work end to end."""

from __future__ import annotations

import json
import re
import shlex
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

from analysis import escape
from analysis.report import build_report
from analysis.tables import slug
from experiments.sweep import hydra_quoted
from tests.helpers.app import ROOT, TINY, env
from tests.helpers.synthetic import make_sweep

HOSTILE = ["<img src=x onerror=alert(1)>", "![pixel](http://tracker.example/p.png)",
           "[click](javascript:alert(1))", "$\\input{/etc/passwd}$", "a|b *c* _d_ ~~e~~ `f`",
           "50% & #1 {x} ^y \\z", "line\nbreak"]


@pytest.mark.parametrize("text", HOSTILE)
def test_markdown_shows_the_text_and_nothing_it_could_start(text):
    shown = escape.markdown(text)
    assert "\n" not in shown and "<" not in shown and ">" not in shown
    # every markup character left is escaped by a backslash (or was an entity's &)
    for match in re.finditer(r"[`*\[\]|~$]", shown):
        assert shown[match.start() - 1] == "\\", (shown, match.group())
    code = escape.markdown_code(text)
    fence = re.match(r"`+", code).group()
    assert code.endswith(fence) and fence not in code[len(fence):-len(fence)]


@pytest.mark.parametrize("text", HOSTILE)
def test_latex_shows_the_text_and_runs_no_command(text):
    shown = escape.latex(text)
    commands = re.findall(r"\\([A-Za-z]+)", shown)
    assert set(commands) <= {"textbackslash", "textasciitilde", "pm", "alpha"}, shown
    assert not re.search(r"(?<!\\)[{}$&%#_]", shown.replace("\\textbackslash{}", "")
                         .replace("\\textasciitilde{}", "").replace("\\^{}", "")), shown


@pytest.mark.parametrize("text", HOSTILE)
def test_html_shows_the_text(text):
    shown = escape.html(text)
    assert "<" not in shown and ">" not in shown and '"' not in shown and "\n" not in shown


def test_a_report_of_hostile_run_directories_quotes_them_as_written(tmp_path):
    """Job values, a config key and an error message holding Markdown, HTML and LaTeX: the report
    shows them escaped, the figures draw them as written ($ starts no mathtext), and a key
    holding a path writes no file outside the report."""
    names, evil_key = HOSTILE[:4], "evil/x<i>$k$"
    runs = make_sweep(tmp_path / "sweep", {"task.name": names, evil_key: [1, 2]}, seeds=(0, 1))
    info = json.loads((runs[0] / "run.json").read_text())
    info.update(status="failed", error=HOSTILE[4] + " " + HOSTILE[0])
    (runs[0] / "run.json").write_text(json.dumps(info))
    out = tmp_path / "sweep" / "report"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        report = build_report([tmp_path / "sweep"], out, gallery_tasks=1).read_text()
    outside_code = re.sub(r"(`+).*?\1", "", report)  # a code span shows its text literally
    assert "<img" not in outside_code and "<i>" not in outside_code
    assert not re.search(r"(?<!\\)\]\((http|javascript)", outside_code)  # no link, no image
    assert not re.search(r"(?<!\\)\$", outside_code)  # no math
    for name in names:
        assert escape.markdown(name) in report
    latex = "\n".join(p.read_text() for p in (out / "tables").glob("*.tex"))
    assert "\\input" not in latex and escape.latex(names[3]) in latex
    written = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert all(out in p.parents or (tmp_path / "sweep") in p.parents for p in written)
    assert all(re.fullmatch(r"[\w.-]+", p.name) for p in (out / "figures").iterdir())
    assert slug(evil_key) == "evil-x-i--k-" and slug("../../etc/x") == "------etc-x"


@pytest.mark.parametrize("value", ["/tmp/plain", "/tmp/a b/ü é ñ", "a,b", "it's", "x${y}",
                                   "end\\"])
def test_a_folder_is_quoted_for_hydra_so_the_relaunch_command_names_it(value):
    from hydra.core.override_parser.overrides_parser import OverridesParser
    from omegaconf import OmegaConf

    override = OverridesParser.create().parse_override(f"k={hydra_quoted(value)}")
    assert not override.is_sweep_override()
    assert OmegaConf.create({"v": override.value()}).v == value


@pytest.mark.slow
def test_a_sweep_in_a_folder_with_spaces_and_accents_runs_resumes_and_reports(tmp_path):
    cwd = tmp_path / "my runs ü"
    cwd.mkdir()
    sweep = cwd / "sweep é ñ"
    command = [sys.executable, "-m", "experiments.train", "-m", *TINY, "seed=0,1",
               f"hydra.sweep.dir={hydra_quoted(str(sweep))}"]
    first = subprocess.run(command, cwd=cwd, env=env(), capture_output=True, text=True,
                           timeout=600)
    assert first.returncode == 0, first.stderr
    assert [json.loads((sweep / j / "run.json").read_text())["status"] for j in "01"] == \
        ["done", "done"]
    # the command the sweep printed resumes it (every job done: nothing reruns)
    resume = next(line for line in first.stdout.splitlines() if "resume it with: " in line)
    again = subprocess.run(shlex.split(resume.split("resume it with: ", 1)[1]), cwd=cwd,
                           env=env(), capture_output=True, text=True, timeout=600)
    assert again.returncode == 0, again.stderr
    assert f"sweep {sweep}: 2 jobs, 2 done" in again.stdout
    report = subprocess.run([sys.executable, "-m", "analysis", str(sweep)],
                            cwd=ROOT, env=env(), capture_output=True, text=True, timeout=600)
    assert report.returncode == 0, report.stderr
    assert [Path(line) for line in report.stdout.splitlines()] == [
        sweep / "report" / "report.md", sweep / "report" / "report.html"]
    assert (sweep / "report" / "report.md").read_text().count("![") >= 1

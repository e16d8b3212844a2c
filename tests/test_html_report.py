"""report.html: one self-contained page, every figure embedded, nothing from a run directory
turned into markup; opened in a real headless chromium."""

from __future__ import annotations

import json
import re
import warnings
from pathlib import Path

import pytest

from analysis.errors import RunDirWarning
from analysis.report import build_report
from tests.helpers.browser import image_check, screenshot
from tests.helpers.synthetic import make_run, make_sweep

# a job folder and an error message that would run script if they reached the page as markup
HOSTILE_DIR = "<img src=nope onerror=\"document.title='pwned'\">"
HOSTILE_ERROR = "<script>document.title='pwned'</script> & <b>bold</b>"


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("runs")
    make_sweep(root / "sweep", {"inner_steps": [1, 4]}, (0, 1))
    failed = make_run(root / HOSTILE_DIR, {"inner_steps": 4, "seed": 2}, status="failed")
    info = json.loads((failed / "run.json").read_text())
    (failed / "run.json").write_text(json.dumps({**info, "error": HOSTILE_ERROR}))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RunDirWarning)
        md = build_report([root / "sweep", failed], root / "report", gallery_tasks=2)
    return md.with_suffix(".html")


def test_page_embeds_every_figure_and_escapes_run_directory_text(report):
    page = report.read_text(encoding="utf-8")
    figures = re.findall(r"!\[[^\]]*\]\((figures/[^)]+\.png)\)",
                         report.with_suffix(".md").read_text(encoding="utf-8"))
    assert len(figures) >= 4
    sources = re.findall(r'<img src="([^"]*)"', page)
    assert len(sources) == len(figures) and all(s.startswith("data:image/png;base64,")
                                                for s in sources)
    assert "<script" not in page and "<b>" not in page and "<img src=nope" not in page
    assert "&lt;script&gt;document.title=" in page and "&amp; &lt;b&gt;bold&lt;/b&gt;" in page
    assert 'href="figures/' in page  # the PDFs stay links beside the page


@pytest.mark.slow
def test_chromium_loads_every_figure_of_the_page_alone(report, tmp_path):
    """A copy of the page alone in an empty folder (only what it embeds can load) in a real
    browser: every figure decodes, no script of the runs' text ran, and the page draws."""
    figures = len(re.findall(r"!\[", report.with_suffix(".md").read_text(encoding="utf-8")))
    verdict = image_check(report, tmp_path)
    assert verdict["broken"] == [] and verdict["images"] == verdict["loaded"] == figures
    assert all(width > 500 and height > 300 for width, height in verdict["sizes"])
    assert verdict["scripts"] == 1 and verdict["title"] == "Sensitivity report"  # the probe's
    shot = screenshot(report, tmp_path / "report.png")
    from matplotlib.image import imread

    pixels = imread(shot)
    assert pixels.shape[:2] == (2400, 1200)
    drawn = (pixels[..., :3] < 0.9).any(axis=-1)  # text, table rules, figures
    assert drawn.mean() > 0.01, "a blank page"

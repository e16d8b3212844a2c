"""report.html beside report.md: the same report as one self-contained page for a browser.

report.md is rendered as GitHub renders it (CommonMark and its tables, markdown-it-py), and
every figure it shows is embedded as a data: URI, so the page shows every figure on its own:
mailed, moved or opened offline. Links to the other files of the report (PDFs, CSV and LaTeX
tables, results.csv) stay relative and work where the page sits beside them.

Text in the report comes partly from run directories (settings, job names, error messages), so
nothing in it may become markup: raw HTML in the Markdown is shown as text (markdown-it's
html=False), link targets are checked by markdown-it (no javascript:), and the page's title is
escaped here.
"""

from __future__ import annotations

import base64
import html
import re
import struct
from pathlib import Path
from string import Template
from urllib.parse import unquote, urlsplit

from markdown_it import MarkdownIt

from analysis.fmt import DASH
from rundir import write_text
from rundir.quicklook import RC

IMAGE_TYPES = {".png": "image/png", ".svg": "image/svg+xml", ".jpg": "image/jpeg",
               ".jpeg": "image/jpeg", ".gif": "image/gif"}
PAGE_TEXT_PX = 15
STYLE = Template("""
body { font: ${text}px/1.5 system-ui, -apple-system, "Segoe UI", sans-serif; color: #1f2328;
       max-width: 64rem; margin: 2rem auto; padding: 0 1.5rem; }
h1, h2, h3 { line-height: 1.25; } h2 { border-bottom: 1px solid #d1d9e0; padding-bottom: .3em; }
table { border-collapse: collapse; display: block; overflow-x: auto; margin: .8rem 0;
        font-variant-numeric: tabular-nums; }
th, td { border: 1px solid #d1d9e0; padding: .3rem .7rem; text-align: left; }
td code { overflow-wrap: anywhere; }  /* long paths wrap instead of widening the table */
tr:nth-child(2n) { background: #f6f8fa; }
img { max-width: 100%; height: auto; display: block; margin: .5rem 0; }
code { font: .9em ui-monospace, SFMono-Regular, Menlo, monospace; background: #f6f8fa;
       padding: .1em .3em; border-radius: 4px; }
""").substitute(text=PAGE_TEXT_PX)
# a table cell that holds a number (bold when best), or a placeholder for one
NUMBER = re.compile(r"^(\*\*)?[-+−]?(\d|\.\d|inf\b|nan\b)")
PLACEHOLDERS = {"", DASH, "diverged", "running"}  # analysis.render's cells without a number
CSS_DPI = 96  # CSS pixels per inch
FIGURE_SCALE = PAGE_TEXT_PX / (RC["font.size"] / 72 * CSS_DPI)  # figures' text at the page's


def render(markdown: str, folder: Path) -> str:
    """The page for `markdown` (report.md's text), its images read from `folder`."""
    md = MarkdownIt("commonmark", {"html": False}).enable("table")
    tokens = md.parse(markdown)
    title = next((tokens[i + 1].content for i, t in enumerate(tokens)
                  if t.type == "heading_open" and t.tag == "h1"), "Report")
    for token in tokens:
        for child in token.children or []:
            if child.type == "image":
                src = embedded(folder, str(child.attrGet("src") or ""))
                child.attrSet("src", src)
                width = print_width(src)
                if width:
                    child.attrSet("width", str(width))
    align_numbers(tokens)
    body = md.renderer.render(tokens, md.options, {})
    return ("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
            f"<title>{html.escape(title)}</title>\n<style>{STYLE}</style>\n</head>\n"
            f"<body>\n{body}</body>\n</html>\n")


def embedded(folder: Path, src: str) -> str:
    """An image file of the report's folder as a data: URI; any other source as it is."""
    if urlsplit(src).scheme or src.startswith(("/", "\\")):
        return src
    path = (folder / unquote(src)).resolve()
    kind = IMAGE_TYPES.get(path.suffix.lower())
    if kind is None or not path.is_file() or folder.resolve() not in path.parents:
        return src  # left as written: a browser shows it missing, the page's test counts it
    return f"data:{kind};base64,{base64.b64encode(path.read_bytes()).decode('ascii')}"


def print_width(src: str) -> int | None:
    """The CSS width of a data: PNG: its print size (its pixels over its dpi) scaled so that
    the figure's text reads at the page's text size; None for anything else."""
    if not src.startswith("data:image/png;base64,"):
        return None
    png = base64.b64decode(src.split(",", 1)[1])
    width = struct.unpack(">I", png[16:20])[0]  # IHDR
    at = png.find(b"pHYs")  # pixels per unit (x, y), unit 1 = metre
    if at < 0 or png[at + 12] != 1:
        return None
    dpi = struct.unpack(">I", png[at + 4:at + 8])[0] * 0.0254
    return round(width / dpi * CSS_DPI * FIGURE_SCALE) if dpi else None


def align_numbers(tokens) -> None:
    """Right-aligns the table columns whose body cells are all numbers (or placeholders for
    one), as a Markdown table would with a `---:` rule; report.md's rules say no alignment."""
    rows: list[list] = []
    for i, token in enumerate(tokens):
        if token.type == "table_open":
            rows = []
        elif token.type == "tr_open":
            rows.append([])
        elif token.type in ("th_open", "td_open"):
            rows[-1].append((token, tokens[i + 1].content.strip()))
        elif token.type == "table_close" and len(rows) > 1:
            for column in zip(*rows):
                body = [text for _, text in column[1:]]
                if any(NUMBER.match(text) for text in body) and all(
                        NUMBER.match(text) or text in PLACEHOLDERS for text in body):
                    for cell, _ in column:
                        cell.attrSet("style", "text-align:right")


def write_html(report_md: Path) -> Path:
    """Writes report.html beside `report_md`; returns its path."""
    report_md = Path(report_md)
    page = render(report_md.read_text(encoding="utf-8"), report_md.parent)
    return write_text(report_md.with_suffix(".html"), page)

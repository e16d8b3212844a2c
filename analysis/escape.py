"""Text from run directories (job names, config keys and values, error messages, paths) as it
goes into a report: escaped for each format, so that the report shows it and never renders or
runs it. One function per format, used by every writer of that format (render.py for tables,
report.py for report.md, an HTML report for html); figures draw text as written
(text.parse_math is off in rundir.quicklook.RC).
"""

from __future__ import annotations

import html as _html
import re

from analysis.errors import one_line

# Markdown: HTML made inert, and the characters that start inline markup (emphasis, code, links,
# images, table cells, strikethrough, math) escaped; `_` only where it can emphasise (not inside
# a word: inner_steps stays as it is)
_MARKDOWN_ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}
_MARKDOWN_SPECIAL = set("\\`*[]|~$")
_LATEX_SPECIAL = {"&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_", "{": r"\{",
                  "}": r"\}", "~": r"\textasciitilde{}", "^": r"\^{}", "\\": r"\textbackslash{}"}
_LATEX_UNICODE = {"±": r"$\pm$", "α": r"$\alpha$", "ε": r"$\varepsilon$", "→": r"$\to$",
                  "×": r"$\times$", "–": "--", "∈": r"$\in$", "π": r"$\pi$", "≥": r"$\geq$"}


def markdown(text: object) -> str:
    """Inline Markdown (a table cell, a heading, a list item) that shows `text` as written, on
    one line."""
    text = one_line(text)

    def shown(i: int, c: str) -> str:
        if c in _MARKDOWN_ENTITIES:
            return _MARKDOWN_ENTITIES[c]
        inside_word = c == "_" and 0 < i < len(text) - 1 and text[i - 1].isalnum() \
            and text[i + 1].isalnum()
        return "\\" + c if c in _MARKDOWN_SPECIAL or (c == "_" and not inside_word) else c
    return "".join(shown(i, c) for i, c in enumerate(text))


def markdown_code(text: object) -> str:
    """`text` as an inline code span: fenced by more backticks than any run of them inside (a
    backslash does not escape within code)."""
    text = one_line(text)
    fence = "`" * (1 + max((len(run) for run in re.findall(r"`+", text)), default=0))
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def latex(text: object) -> str:
    """LaTeX text (a cell, a caption): its specials escaped, a few symbols as math."""
    text = "".join(_LATEX_SPECIAL.get(c, c) for c in one_line(text))
    return "".join(_LATEX_UNICODE.get(c, c) for c in text)


def html(text: object) -> str:
    """HTML text or attribute value, on one line."""
    return _html.escape(one_line(text), quote=True)


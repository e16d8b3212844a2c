"""Write a sensitivity table as Markdown, LaTeX (booktabs) and CSV.

Both text formats are rendered from one grid of cells, so they always agree: each cell is
"mean ± half-width" of the 95% t-interval across seeds, or "mean [lo, hi]" for the (asymmetric)
bootstrap interval, bold where it is the best (lowest) in its block, "–" for a missing interval
(one seed), and "diverged" where every job of a setting diverged.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from analysis import escape
from analysis.fmt import DASH, interval_text, value_text
from analysis.tables import ALL, Table
from rundir import atomic_path, write_text


def _cell(row: pd.Series, interval: str) -> tuple[str, bool]:
    """(text, best) for one setting x k."""
    if row["n"] == 0:
        if row["n_diverged"]:
            return "diverged", False
        return ("running" if row["n_running"] else DASH), False
    text = interval_text(interval, row["mean"], row["lo"], row["hi"], row["halfwidth"])
    return text, bool(row["best"])


def _seeds(row: pd.Series) -> str:
    extra = [f"+{row[f'n_{s}']} {s}" for s in ("diverged", "running") if row[f"n_{s}"]]
    return f"{row['n_done']}" + (f" ({', '.join(extra)})" if extra else "")


def grid(table: Table) -> tuple[list[str], list[list[tuple[str, bool]]], int]:
    """Header, rows of (text, best) cells, and how many leading columns are row labels.

    One factor: a row per setting, a column per k. Two factors: a row per (k, first factor),
    a column per value of the second.
    """
    data = table.data.assign(cell=table.data.apply(_cell, axis=1, args=(table.interval,)))
    shown = [key for key in [*table.context, *table.factors] if key != ALL]
    if len(table.factors) == 1:
        rows_by = [*table.context, *table.factors]
        wide = data.pivot(index=rows_by, columns=table.column, values="cell")
        seeds = data.drop_duplicates(rows_by).set_index(rows_by).apply(_seeds, axis=1)
        names = table.headers or {k: f"k={k}" for k in wide.columns}
        header = [key for key in shown] + [names[k] for k in wide.columns] + ["seeds"]
        rows = [[(value_text(v), False) for v, key in zip(_tuple(index), rows_by, strict=True)
                 if key != ALL]
                + list(cells) + [(seeds.loc[index], False)] for index, cells in wide.iterrows()]
        return header, rows, len(shown)
    a, b = table.factors
    rows_by = [*table.context, "k", a]
    wide = data.pivot(index=rows_by, columns=b, values="cell")
    header = ([*table.context, "k", a]
              + [f"{b}={value_text(v)}" for v in wide.columns])
    rows = [[(value_text(v), False) for v in _tuple(index)] + list(cells)
            for index, cells in wide.iterrows()]
    return header, rows, len(rows_by)


def _tuple(index: object) -> tuple:
    return index if isinstance(index, tuple) else (index,)


def markdown(table: Table, caption: str) -> str:
    header, rows, _ = grid(table)

    def show(text: str, best: bool) -> str:
        text = escape.markdown(text)
        return f"**{text}**" if best else text
    lines = [f"*{escape.markdown(caption)}*", "",
             "| " + " | ".join(escape.markdown(h) for h in header) + " |",
             "|" + "|".join(" --- " for _ in header) + "|"]
    lines += ["| " + " | ".join(show(*cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def latex(table: Table, caption: str) -> str:
    header, rows, labels = grid(table)

    def show(text: str, best: bool) -> str:
        return rf"\textbf{{{escape.latex(text)}}}" if best else escape.latex(text)
    lines = [r"% needs \usepackage{booktabs}", r"\begin{table}[t]", r"\centering",
             rf"\caption{{{escape.latex(caption)}}}", rf"\label{{tab:{table.name}}}",
             r"\begin{tabular}{" + "l" * labels + "r" * (len(header) - labels) + "}",
             r"\toprule", " & ".join(escape.latex(h) for h in header) + r" \\", r"\midrule"]
    lines += [" & ".join(show(*cell) for cell in row) + r" \\" for row in rows]
    lines += [r"\bottomrule", r"\end{tabular}", r"\end{table}"]
    return "\n".join(lines) + "\n"


def write_table(table: Table, caption: str, folder: Path) -> dict[str, Path]:
    """Write NAME.md, NAME.tex and NAME.csv into `folder`; return them by format."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = {"md": folder / f"{table.name}.md", "tex": folder / f"{table.name}.tex",
             "csv": folder / f"{table.name}.csv"}
    write_text(paths["md"], markdown(table, caption))
    write_text(paths["tex"], latex(table, caption))
    with atomic_path(paths["csv"]) as tmp:
        table.data.assign(statistic=table.statistic, interval=table.interval).to_csv(
            tmp, index=False)
    return paths

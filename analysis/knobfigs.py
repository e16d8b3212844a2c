"""Figures of held-out MSE against a knob's value: one x axis (the knob), one line per group,
the across-seed mean with its 95% interval as error bars (set slightly apart when several lines
share a setting; no joining line between categories), panels for whatever else varies.

    sensitivity  MSE after k against a knob; a line per setting of the other keys
    by_method    MSE after k against a numeric knob, a line per value of a categorical key (the
                 method: algo.name, an optimiser, ...), panels for the rest; drawn for every
                 categorical x numeric pair of varying keys (method_pairs)
    budget       MSE at several training lengths against a knob, a line per budget
                 (analysis.budget)
"""

from __future__ import annotations

import pandas as pd
from matplotlib.figure import Figure

from analysis.figures import context, evaluated, mse_label
from analysis.fmt import ordered, setting_text, value_text
from analysis.load import Runs
from analysis.plotting import (
    dodge,
    finish,
    grid_figure,
    knob_axis,
    log_mse_axis,
    panel_spans,
    panels,
    points,
)
from analysis.style import is_numeric, label, palette
from analysis.tables import Table

_DODGE = 0.12  # lines side by side, this far apart in widths of one setting's slot


def against_knob(stats: pd.DataFrame, knob: str, line_key: str | None, panel_keys: list[str],
                 ylabel: str, legend_title: str | None, names: dict | None = None,
                 categorical: bool = False, ax=None) -> Figure:
    """`stats` (mean, lo, hi per row) against `knob`: a line per value of `line_key` (named by
    `names`, or as it prints; coloured in sequence when numeric unless `categorical`), a panel
    per setting of `panel_keys`."""
    values = ordered(stats[knob])
    numeric = is_numeric(values)
    groups = ordered(stats[line_key]) if line_key else [None]
    colours = palette([str(g) for g in groups] if categorical else groups)
    colours = {g: colours[str(g) if categorical else g] for g in groups}
    sections = panels(stats, panel_keys)
    spans = panel_spans(stats, sections)
    given = ax is not None
    fig, axes = grid_figure(len(sections), 3.8, 2.9, sharey=len(set(spans)) == 1, ax=ax,
                            titles=[title for title, _ in sections])
    for ax, (title, sub), span in zip(axes, sections, spans, strict=True):
        for i, group in enumerate(groups):
            rows = sub if line_key is None else sub[sub[line_key] == group]
            rows = rows.sort_values(knob)
            if not len(rows):
                continue
            name = None if group is None else (names or {}).get(group, value_text(group))
            offset = (i - (len(groups) - 1) / 2) * _DODGE
            if numeric:
                x = dodge(rows[knob], values, offset / len(values))
                points(ax, x, rows, colours[group], name, span, joined=True)
            else:  # no lines between categories: their order carries no meaning
                x = [values.index(v) + offset for v in rows[knob]]
                points(ax, x, rows, colours[group], name, span)
        if numeric:
            knob_axis(ax, values)
        else:
            ax.set_xticks(range(len(values)), [value_text(v) for v in values])
            ax.set_xlim(-0.5, len(values) - 0.5)
        log_mse_axis(ax, span)
        ax.set_title(title)
    return finish(fig, axes, label(knob), ylabel, legend_title, given)


def sensitivity(runs: Runs, cells: pd.DataFrame, knob: str, k: int,
                statistic: str = "mean", ax=None) -> Figure:
    """Held-out MSE after k steps against the knob's value (log axis for geometric values), a
    line per setting of the other varying keys."""
    data = evaluated(cells)
    data = data[data["k"] == k]
    others = context(runs, knob)
    ylabel = mse_label(runs, statistic, k)
    if len(others) <= 1:  # its values name the lines
        return against_knob(data, knob, others[0] if others else None, [], ylabel,
                            label(others[0]) if others else None, ax=ax)
    # several: a line per setting "key=value, ...", in the settings' order
    settings = list(data[others].drop_duplicates().sort_values(others).itertuples(index=False))
    number = {tuple(s): i for i, s in enumerate(settings)}
    data = data.assign(_line=[number[tuple(row)] for row in data[others].itertuples(index=False)])
    return against_knob(data, knob, "_line", [], ylabel, "setting", categorical=True,
                        names={i: setting_text(others, tuple(s)) for s, i in number.items()},
                        ax=ax)


def method_pairs(runs: Runs) -> list[tuple[str, str]]:
    """(categorical key, numeric key) for every such pair of varying keys, in their order."""
    jobs = runs.jobs[runs.jobs["included"]]
    kinds = {key: is_numeric(ordered(jobs[key])) for key in runs.hyperparameters}
    return [(method, knob) for method in runs.hyperparameters if not kinds[method]
            for knob in runs.hyperparameters if kinds[knob]]


def by_method(runs: Runs, cells: pd.DataFrame, method: str, knob: str, k: int,
              statistic: str = "mean", ax=None) -> Figure:
    """Held-out MSE after k steps against a numeric knob, one line per value of `method`, a
    panel per setting of the other varying keys."""
    data = evaluated(cells)
    data = data[data["k"] == k]
    return against_knob(data, knob, method, context(runs, method, knob),
                        mse_label(runs, statistic, k), label(method), ax=ax)


def budget(runs: Runs, table: Table, k: int, statistic: str = "mean", ax=None) -> Figure:
    """Held-out MSE on the curve's tasks against the table's knob, one line per training length
    (a budget table of analysis.budget), a panel per setting of the other varying keys."""
    ylabel = f"held-out MSE after k={k}\n({statistic} over the curve's held-out tasks)"
    return against_knob(table.data[table.data["n"] > 0], table.factors[0], "budget",
                        table.context, ylabel, "learning curve read at", names=table.headers,
                        ax=ax)

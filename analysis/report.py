"""The report: data files, sensitivity tables, figures and report.md in one output folder.

    OUT/report.md            every table and figure embedded, and the jobs with problems
    OUT/report.html          the same as one self-contained page (analysis.html_report)
    OUT/results.csv|parquet  one row per (job, k): hyperparameters, seed, status, metrics
    OUT/jobs.csv             one row per job found, including the ones left out, and why
    OUT/tables/NAME.md|tex|csv, OUT/figures/NAME.png|pdf

Rebuilding into the same OUT replaces the report: files of tables/ and figures/ (and a results
format) that this build did not write are removed once everything new is in place, so report.md
never sits beside a stale table of settings no longer analysed.

Whatever report.md quotes from the run directories (jobs, keys, values, errors, paths) is escaped
(analysis/escape.py): it is shown as written, never rendered as Markdown or HTML.
"""

from __future__ import annotations

import datetime
import importlib.util
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from analysis import escape, knobfigs
from analysis.budget import DEFAULT_BUDGETS, budget_caption
from analysis.errors import AnalysisError
from analysis.fmt import ordered, value_text
from analysis.html_report import write_html
from analysis.intervals import describe
from analysis.load import Runs, load_runs
from analysis.plots import Plots
from analysis.plotting import BAND_NOTE, save
from analysis.protocol import describe as describe_protocol
from analysis.render import write_table
from analysis.search import search_sections, studies
from analysis.style import label
from analysis.tables import (
    ALL,
    DEFAULT_KS,
    Table,
    evaluated_ks,
    factors_of,
    grid_pairs,
    present_ks,
    sensitivity_tables,
    slug,
)
from rundir import atomic_path, write_text

KINDS = {"failed": "failed", "diverged": "diverged", "running": "unfinished (running)",
         "unreadable": "left out (unreadable files)", "not started": "jobs never started"}


@dataclass
class Entry:
    """One table or figure of the report: its heading, caption and files."""

    title: str
    caption: str
    files: dict[str, Path]


@dataclass
class Context:
    """What every caption of one report shares."""

    runs: Runs
    statistic: str
    interval: str
    protocol: str

    def interval_text(self, per_task: bool = True) -> str:
        """The interval's words; per_task False for numbers that come one per job (curves)."""
        return describe(self.interval, self.runs.constants.get("eval.n_tasks", "the")
                        if per_task else None)

    def close(self, text: str) -> str:
        return f"{text} Protocol: {self.protocol}."


def table_caption(table: Table, c: Context) -> str:
    n = c.runs.constants.get("eval.n_tasks")
    context = [key for key in table.context if key != ALL]
    if len(table.factors) == 1:
        layout = "Rows: settings, columns: adaptation steps k at evaluation"
        best = "bold: lowest in its column" + (" within each block of equal " +
                                               ", ".join(context) if context else "")
    else:
        layout = f"Rows: k at evaluation and {table.factors[0]}, columns: {table.factors[1]}"
        best = "bold: lowest for each k" + (" and " + ", ".join(context) if context else "")
    return c.close(f"Held-out MSE after k adaptation steps. Each job contributes the "
                   f"{table.statistic} of the MSE over its {n or ''} held-out tasks; each cell is "
                   f"the mean over seeds and {c.interval_text()}. {layout}; {best}. Only "
                   "finished jobs count; diverged and running ones are listed.")


def write_data(runs: Runs, out: Path) -> dict[str, Path]:
    """results.csv (and .parquet when pyarrow is there) and jobs.csv."""
    files = {"results.csv": out / "results.csv", "jobs.csv": out / "jobs.csv"}
    with atomic_path(files["results.csv"]) as tmp:
        runs.frame.to_csv(tmp, index=False)
    with atomic_path(files["jobs.csv"]) as tmp:
        runs.jobs.to_csv(tmp, index=False)
    if importlib.util.find_spec("pyarrow"):
        files["results.parquet"] = out / "results.parquet"
        with atomic_path(files["results.parquet"]) as tmp:
            runs.frame.to_parquet(tmp, index=False)
    return files


def draw_figures(c: Context, plots: Plots, folder: Path, k: int, gallery_tasks: int,
                 budgets: list[Table]) -> list[Entry]:
    """Every figure the runs allow; figures needing finished jobs are skipped without them.
    `plots`: its cells at every k evaluated (None without finished jobs)."""
    runs, statistic = c.runs, c.statistic
    done = plots.cells is not None
    entries = []

    def add(title: str, caption: str, stem: str, draw, *args) -> None:
        paths = save(draw, folder / stem, *args)
        entries.append(Entry(title, c.close(caption), dict(zip(("png", "pdf"), paths,
                                                               strict=True))))

    keys = factors_of(runs)
    curve_k = plots.curve_k
    band = f"line: mean over seeds, band: {c.interval_text()}. {BAND_NOTE}"
    methods = knobfigs.method_pairs(runs)
    for knob in keys:
        name = "all jobs" if knob == ALL else label(knob)
        stem = "all" if knob == ALL else slug(knob)
        if done:
            add(f"MSE against adaptation steps, by {name}",
                f"Held-out MSE ({statistic} over each job's tasks) after k adaptation steps; "
                f"{band}", f"mse_vs_k_{stem}", plots.mse_vs_k, knob)
        # a numeric knob whose only context is a method is drawn by by_method below
        covered = any(pair[1] == knob for pair in methods) and len(keys) == 2
        if done and knob != ALL and not covered:
            add(f"Sensitivity to {name}", f"Held-out MSE after k={k} against {knob}; points: "
                f"mean over seeds, bands or bars: {c.interval_text()}. {BAND_NOTE}",
                f"sensitivity_{stem}", plots.sensitivity, knob, k)
        if plots.curve_stats is not None:
            add(f"Learning curves, by {name}", f"Held-out MSE after k={curve_k} on the "
                "curve's tasks during meta-training (curve.csv); line: mean over seeds, band: "
                f"{c.interval_text(per_task=False)}. {BAND_NOTE}", f"curves_{stem}",
                plots.learning_curves, knob)
    for method, knob in methods if done else []:
        add(f"{label(knob)} by {label(method)}", f"Held-out MSE after k={k} against {knob}, "
            f"one line per {method}; points: mean over seeds, band: {c.interval_text()}. "
            f"{BAND_NOTE}", f"method_{slug(method)}_vs_{slug(knob)}", plots.by_method,
            method, knob, k)
    for table in budgets:
        knob = table.factors[0]
        add(f"Training length and {label(knob)}", f"Held-out MSE after k={curve_k} on the "
            f"curve's tasks against {knob}, one line per training length (Table "
            f"'{table.name}'); points: mean over seeds, band or bars: "
            f"{c.interval_text(per_task=False)}. Read at a fraction of a run, not a run trained "
            f"that long: the meta step anneals over the whole run. {BAND_NOTE}",
            table.name, knobfigs.budget, runs, table, curve_k, statistic)
    for a, b in grid_pairs(runs) if done else []:
        add(f"Grid of {a} × {b}", f"Held-out MSE after k={k} ({statistic} over tasks), mean "
            "over seeds; best cell boxed.", f"heatmap_{slug(a, b)}", plots.heatmap, a, b, k)
    if done:
        add("Fit gallery", "Fits after k adaptation steps with the meta-trained weights of "
            "each setting's first finished seed: true curve (green), support points (black x) "
            "and predictions after each k (light to dark red).", "fit_gallery",
            plots.fit_gallery, gallery_tasks, "meta")
    return entries


def _problems(runs: Runs) -> list[str]:
    if not runs.problems:
        return ["None: every job finished."]
    lines = ["| job | status | file | problem | overrides |", "| --- | --- | --- | --- | --- |"]
    order = list(KINDS)
    for p in sorted(runs.problems, key=lambda p: (order.index(p.kind), p.job)):
        cells = [escape.markdown_code(p.job), KINDS[p.kind], escape.markdown_code(p.file),
                 escape.markdown(p.message), escape.markdown(p.overrides)]
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def _overview(c: Context, paths: list[str]) -> list[str]:
    runs = c.runs
    jobs = runs.jobs
    counts = jobs.loc[jobs["included"], "status"].value_counts()
    included = ", ".join(f"{counts[s]} {s}" for s in ("done", "diverged", "running") if s in counts)
    hyper = "; ".join(f"{escape.markdown_code(key)}: " + ", ".join(
        escape.markdown(value_text(v)) for v in ordered(jobs.loc[jobs["included"], key]))
        for key in runs.hyperparameters) or "none"
    seeds = escape.markdown(", ".join(str(s) for s in ordered(jobs.loc[jobs["included"],
                                                                        "seed"])))
    return [f"{len(jobs)} jobs found under {', '.join(map(escape.markdown_code, paths))}; used "
            f"{included or 'none'}; left out {int((~jobs['included']).sum())}. "
            f"Written {datetime.datetime.now().isoformat(timespec='seconds')}.", "",
            f"- **Statistic:** held-out MSE, the {c.statistic} over each job's held-out tasks "
            "(`--statistic mean|median`), then the mean over seeds.",
            f"- **Interval (`--interval {c.interval}`):** {c.interval_text()}; for the "
            f"learning curves and training lengths, {c.interval_text(per_task=False)}.",
            f"- **Hyperparameters that vary:** {hyper}.", f"- **Seeds:** {seeds or 'none'}.",
            f"- **Protocol (shared by every job):** "
            f"{escape.markdown(c.protocol) if c.protocol else 'not recorded'}."]


def _section(lines: list[str], out: Path, entries: list[Entry], kind: str, start: int) -> None:
    for number, entry in enumerate(entries, start):
        if kind == "Table":
            links = ", ".join(f"[{suffix}]({path.relative_to(out).as_posix()})"
                              for suffix, path in entry.files.items())
            lines += [f"### Table {number}. {escape.markdown(entry.title)}", "",
                      entry.files["md"].read_text(encoding="utf-8"), f"Files: {links}", ""]
        else:
            png, pdf = (entry.files[s].relative_to(out).as_posix() for s in ("png", "pdf"))
            title = escape.markdown(entry.title)
            lines += [f"### Figure {number}. {title}", "", f"![{title}]({png})", "",
                      f"*{escape.markdown(entry.caption)}* [PDF]({pdf})", ""]


def build_report(paths: Iterable[str | os.PathLike], out: str | os.PathLike,
                 ks=DEFAULT_KS, statistic: str = "mean", figures: bool = True,
                 gallery_tasks: int = 3, ignore: Iterable[str] = (), interval: str = "t",
                 k: int | None = None, budgets=DEFAULT_BUDGETS) -> Path:
    """Load `paths`, write tables, figures and data into `out`, and return OUT/report.md
    (report.html beside it).

    interval: "t" or "bootstrap" (analysis.intervals); k: the adaptation steps of the figures
    that show one k (default the largest of `ks` evaluated); budgets: fractions of meta_iters
    at which the learning curves are read (analysis.budget)."""
    paths = [str(p) for p in paths]
    runs = load_runs(paths, ignore)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    data = write_data(runs, out)
    c = Context(runs, statistic, interval, describe_protocol(runs.constants))
    shown = present_ks(runs, ks)
    if k is not None and k not in evaluated_ks(runs):
        steps = evaluated_ks(runs)
        raise AnalysisError(f"--k {k}: no finished job evaluated k={k} (allowed: "
                            + (f"{steps[0]} to {steps[-1]})" if steps else "none)"))
    # a search's trials are each a setting of their own: its section replaces per-setting ones
    folders = studies(runs.jobs["run_dir"])
    search_only = bool(folders) and all(any(f in Path(d).parents for f in folders)
                                        for d in runs.jobs["run_dir"])
    # one pass over every k when figures need them all (the tables' k are among them)
    plots = Plots(runs, statistic, interval, evaluated_ks(runs) if figures else shown)
    cells = plots.cells if shown and not search_only else None
    tables = []
    for table in [] if search_only else sensitivity_tables(runs, ks, statistic, interval, cells):
        caption = table_caption(table, c)
        title = "by " + " × ".join(table.factors) if table.factors != [ALL] else "of all jobs"
        tables.append(Entry(f"Held-out MSE {title}", caption, write_table(
            table, caption, out / "tables")))
    # curves read once (one warning per damaged file)
    budget = [] if search_only else plots.budget_tables(budgets)
    for table in budget:
        caption = budget_caption(table, plots.curve_k, c.protocol,
                                 c.interval_text(per_task=False))
        tables.append(Entry(f"Training length and {table.factors[0]}", caption,
                            write_table(table, caption, out / "tables")))
    entries = []
    if figures and shown and not search_only:
        entries = draw_figures(c, plots, out / "figures", max(shown) if k is None else k,
                               gallery_tasks, budget)
    lines = ["# Sensitivity report", "", *_overview(c, paths), "", "## Problems", "",
             *_problems(runs), "", "## Tables", ""]
    _section(lines, out, tables, "Table", 1)
    if search_only:
        lines += ["Only searches: every trial is a setting of its own, so each search's section "
                  "below (its trials table and figures) stands in for the per-setting tables "
                  "and figures.", ""]
    elif not tables:
        lines += ["No finished job evaluated any of the k asked for.", ""]
    if not search_only:
        lines += ["## Figures", ""]
    _section(lines, out, entries, "Figure", 1)
    if not entries and not search_only:
        lines += ["No figures (`--no-figures`, or no finished job).", ""]
    search_lines, search_files = search_sections(runs, out, figures)
    lines += search_lines
    lines += ["## Data", ""] + [f"- [{name}]({path.name})" for name, path in data.items()]
    written = [*data.values(), *(f for e in [*tables, *entries] for f in e.files.values()),
               *search_files]
    _remove_stale(out, written)
    report = write_text(out / "report.md", "\n".join(lines) + "\n")
    write_html(report)
    return report


def _remove_stale(out: Path, written: list[Path]) -> None:
    """Deletes what an earlier build into `out` left and this one did not write."""
    keep = {p.resolve() for p in written}
    stale = [*(p for d in ("tables", "figures") if (out / d).is_dir() for p in (out / d).iterdir()),
             out / "results.parquet"]
    for path in stale:
        if path.is_file() and not path.name.startswith(".") and path.resolve() not in keep:
            path.unlink()

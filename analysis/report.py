"""The report: data files, sensitivity tables, figures and report.md in one output folder.

    OUT/report.md            every table and figure embedded, and the jobs with problems
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

from analysis import escape
from analysis import figures as fig
from analysis.curves import read_curves
from analysis.fmt import ordered, value_text
from analysis.gallery import fit_gallery
from analysis.load import Runs, load_runs
from analysis.protocol import describe
from analysis.render import write_table
from analysis.style import label
from analysis.tables import (
    ALL,
    DEFAULT_KS,
    Table,
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


def table_caption(table: Table, runs: Runs, protocol: str) -> str:
    n = runs.constants.get("eval.n_tasks")
    context = [key for key in table.context if key != ALL]
    if len(table.factors) == 1:
        layout = "Rows: settings, columns: adaptation steps k at evaluation"
        best = "bold: lowest in its column" + (" within each block of equal " +
                                               ", ".join(context) if context else "")
    else:
        layout = f"Rows: k at evaluation and {table.factors[0]}, columns: {table.factors[1]}"
        best = "bold: lowest for each k" + (" and " + ", ".join(context) if context else "")
    return (f"Held-out MSE after k adaptation steps. Each job contributes the {table.statistic} "
            f"of the MSE over its {n or ''} held-out tasks; each cell is the mean ± the half-width "
            f"of the 95% t-interval across seeds (– : a single seed). {layout}; {best}. "
            "Only finished jobs count; diverged and running ones are listed. "
            f"Protocol: {protocol}.")


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


def draw_figures(runs: Runs, folder: Path, k: int, statistic: str, protocol: str,
                 gallery_tasks: int) -> list[Entry]:
    """Every figure the runs allow; figures needing finished jobs are skipped without them."""
    done = bool((runs.frame["status"] == "done").any())
    curves = read_curves(runs)  # once for all knobs (and one warning per damaged file)
    entries = []

    def add(title: str, caption: str, stem: str, draw, *args) -> None:
        paths = fig.save(draw, folder / stem, runs, *args, caption=protocol)
        entries.append(Entry(title, caption, dict(zip(("png", "pdf"), paths, strict=True))))

    for knob in factors_of(runs):
        name = "all jobs" if knob == ALL else label(knob)
        stem = "all" if knob == ALL else slug(knob)
        if done:
            add(f"MSE against adaptation steps, by {name}",
                f"Held-out MSE ({statistic} over tasks) after k steps; line: mean over seeds, "
                "band: 95% t-interval.", f"mse_vs_k_{stem}", fig.mse_vs_k, knob, statistic)
        if done and knob != ALL:
            add(f"Sensitivity to {name}", f"Held-out MSE after k={k} against {knob}; bars: 95% "
                "t-interval across seeds.", f"sensitivity_{stem}", fig.sensitivity, knob, k,
                statistic)
        if len(curves):
            add(f"Learning curves, by {name}", "Held-out MSE on the curve's tasks during "
                "meta-training (curve.csv), mean and 95% t-interval across seeds.",
                f"curves_{stem}", fig.learning_curves, knob, statistic, curves)
    for a, b in grid_pairs(runs) if done else []:
        add(f"Grid of {a} × {b}", f"Held-out MSE after k={k}, mean over seeds; best cell boxed.",
            f"heatmap_{slug(a, b)}", fig.heatmap, a, b, k, statistic)
    if done:
        add("Fit gallery", "True curve (green), support points (black x) and predictions after "
            "each k (light to dark red) with the meta-trained weights of each setting's first "
            "seed.", "fit_gallery", fit_gallery, gallery_tasks, "meta")
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


def _overview(runs: Runs, paths: list[str], statistic: str, protocol: str) -> list[str]:
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
            f"- **Statistic:** held-out MSE, the {statistic} over each job's held-out tasks "
            "(`--statistic mean|median`), then the mean and 95% t-interval across seeds.",
            f"- **Hyperparameters that vary:** {hyper}.", f"- **Seeds:** {seeds or 'none'}.",
            f"- **Protocol (shared by every job):** "
            f"{escape.markdown(protocol) if protocol else 'not recorded'}."]


def build_report(paths: Iterable[str | os.PathLike], out: str | os.PathLike,
                 ks=DEFAULT_KS, statistic: str = "mean", figures: bool = True,
                 gallery_tasks: int = 3, ignore: Iterable[str] = ()) -> Path:
    """Load `paths`, write tables, figures and data into `out`, and return OUT/report.md."""
    paths = [str(p) for p in paths]
    runs = load_runs(paths, ignore)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    data = write_data(runs, out)
    protocol = describe(runs.constants)
    tables = []
    for table in sensitivity_tables(runs, ks, statistic):
        caption = table_caption(table, runs, protocol)
        files = write_table(table, caption, out / "tables")
        title = "by " + " × ".join(table.factors) if table.factors != [ALL] else "of all jobs"
        tables.append(Entry(f"Held-out MSE {title}", caption, files))
    shown = present_ks(runs, ks)
    entries = (draw_figures(runs, out / "figures", max(shown), statistic, protocol, gallery_tasks)
               if figures and shown else [])
    lines = ["# Sensitivity report", "", *_overview(runs, paths, statistic, protocol), "",
             "## Problems", "", *_problems(runs), "", "## Tables", ""]
    for number, entry in enumerate(tables, 1):
        links = ", ".join(f"[{kind}]({path.relative_to(out).as_posix()})"
                          for kind, path in entry.files.items())
        lines += [f"### Table {number}. {escape.markdown(entry.title)}", "",
                  entry.files["md"].read_text(encoding="utf-8"), f"Files: {links}", ""]
    if not tables:
        lines += ["No finished job evaluated any of the k asked for.", ""]
    lines += ["## Figures", ""]
    for number, entry in enumerate(entries, 1):
        png, pdf = (entry.files[s].relative_to(out).as_posix() for s in ("png", "pdf"))
        title = escape.markdown(entry.title)
        lines += [f"### Figure {number}. {title}", "", f"![{title}]({png})", "",
                  f"*{escape.markdown(entry.caption)}* [PDF]({pdf})", ""]
    if not entries:
        lines += ["No figures (`--no-figures`, or no finished job).", ""]
    lines += ["## Data", ""] + [f"- [{name}]({path.name})" for name, path in data.items()]
    written = [*data.values(), *(f for e in [*tables, *entries] for f in e.files.values())]
    _remove_stale(out, written)
    return write_text(out / "report.md", "\n".join(lines) + "\n")


def _remove_stale(out: Path, written: list[Path]) -> None:
    """Deletes what an earlier build into `out` left and this one did not write."""
    keep = {p.resolve() for p in written}
    stale = [*(p for d in ("tables", "figures") if (out / d).is_dir() for p in (out / d).iterdir()),
             out / "results.parquet"]
    for path in stale:
        if path.is_file() and not path.name.startswith(".") and path.resolve() not in keep:
            path.unlink()

"""`python -m analysis.paper FIGURE RUN_DIRS... --out DIR`: the paper figures and tables.

  figure1 RUN_OR_DIR...             the Reptile paper's Figure 1 (figure1.png, .pdf: fits after
                                    0, 8, 16, 24, 32 steps on --tasks, one seed's runs), its
                                    companion figure1_mse.png, .pdf (held-out MSE against k per
                                    method, random initialisation included, 95% interval), and
                                    figure1.md, .csv, figure1_per_seed.md, .csv
  seed_post RUN                     the seed post's panel grid (seed_post.png, .pdf)
  methods SWEEP_DIR...              held-out MSE after k against each sweep's numeric knob, a
                                    line per method, a panel per sweep (NAME.png, .pdf, and
                                    the plotted numbers NAME.csv; --name, --k, --statistic;
                                    --interval t or bootstrap): the inner-loop analyses (scripts/
                                    inner_gradients.sh, scripts/minibatch_overlap.sh)
  benchmark RUN_OR_DIR...           the MAML sine benchmark: benchmark.md, benchmark.csv,
                                    benchmark_per_seed.md, .csv, benchmark_vs_paper.md, .csv
                                    (beside the MAML paper's 5-shot table),
                                    benchmark_curves.png, .pdf (mean, 95% interval),
                                    benchmark_curves_median.png, .pdf (median, quartiles)
  causes BENCH_DIR CAUSE_DIR...     the benchmark and each candidate cause (a folder of runs
                                    trained with one override) beside the paper's table:
                                    benchmark_causes.md, .csv
  tuning SWEEP_DIR...               a tuning sweep (conf/sweep/tune_*.yaml): each setting's
                                    validation and test MSE across seeds (t-interval), the
                                    lowest validation mean chosen: NAME.md, .csv (--name)

--interval bootstrap (default: over seeds and tasks) or t (across seeds) for every interval.
Everything is read from run directories (docs/run-directory.md); scripts/*.sh train and draw.
Exit status 2 with one line on stderr for a bad path or missing runs.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd

from analysis.errors import AnalysisError, one_line
from analysis.fidelity import causes_rows, causes_table, paper_rows, paper_table
from analysis.figures import context, evaluated, mse_label
from analysis.intervals import INTERVALS
from analysis.knobfigs import method_pairs, methods_figure
from analysis.load import load_runs
from analysis.maml_benchmark import markdown_table, per_seed, per_seed_table, per_task, summary
from analysis.paperfigs import (
    FIGURE1_METHODS,
    FIGURE1_NAMES,
    figure1,
    method_curves,
    seed_post_grid,
)
from analysis.plotting import save
from analysis.tables import STATISTICS, cell_statistics, evaluated_ks
from analysis.tuning import tuning_rows, tuning_table
from rundir import ContractError, write_text
from rundir.quicklook import save_figure

FIGURE1_STEPS = (0, 1, 8, 16, 32)  # the k of figure1.md


def _tables(out: Path, stem: str, tasks, args, **options) -> tuple[list, object]:
    """STEM.md, .csv (mean and median tables per K) and STEM_per_seed.md, .csv; returns the
    paths and the summary. `options`: steps, names and order of the tables."""
    stats = summary(tasks, args.interval)
    seeds = per_seed(tasks)
    shots = sorted(stats["K"].unique())
    tables = [markdown_table(stats, K, statistic, **options)
              for statistic in ("mean", "median") for K in shots]
    paths = [write_text(out / f"{stem}.md", "\n".join(tables)),
             write_text(out / f"{stem}.csv", stats.to_csv(index=False)),
             write_text(out / f"{stem}_per_seed.md",
                        "\n".join(per_seed_table(seeds, K, **options) for K in shots)),
             write_text(out / f"{stem}_per_seed.csv", seeds.to_csv(index=False))]
    return paths, stats


def _benchmark(runs: list[str], out: Path, args: argparse.Namespace) -> list[Path]:
    tasks = per_task(runs)
    paths, stats = _tables(out, "benchmark", tasks, args)
    beside = paper_rows(stats, per_seed(tasks))
    paths += [write_text(out / "benchmark_vs_paper.md", paper_table(beside)),
              write_text(out / "benchmark_vs_paper.csv", beside.to_csv(index=False))]
    for statistic, suffix in (("mean", ""), ("median", "_median")):
        paths += save_figure(method_curves(stats, statistic), out / f"benchmark_curves{suffix}")
    return paths


def _causes(runs: list[str], out: Path, args: argparse.Namespace) -> list[Path]:
    if len(runs) < 2:
        raise AnalysisError("causes takes the benchmark's folder and one folder per cause")
    rows = causes_rows(runs[0], runs[1:], args.interval)
    return [write_text(out / "benchmark_causes.md", causes_table(rows)),
            write_text(out / "benchmark_causes.csv", rows.to_csv(index=False))]


def _tuning(runs: list[str], out: Path, args: argparse.Namespace) -> list[Path]:
    rows = tuning_rows(runs, "t")  # a few seeds, one number each: a bootstrap says little
    return [write_text(out / f"{args.name}.md", tuning_table(rows)),
            write_text(out / f"{args.name}.csv", rows.to_csv(index=False))]


def _figure1(runs: list[str], out: Path, args: argparse.Namespace) -> list[Path]:
    tasks = [int(t) for t in args.tasks.split(",")]
    paths = save_figure(figure1(runs, tasks), out / "figure1")
    table, stats = _tables(out, "figure1", per_task(runs, init=True), args,
                           steps=FIGURE1_STEPS, names=FIGURE1_NAMES, order=FIGURE1_METHODS)
    curves = method_curves(stats, "mean", FIGURE1_METHODS, FIGURE1_NAMES)
    return paths + save_figure(curves, out / "figure1_mse") + table


def _seed_post(runs: list[str], out: Path, args: argparse.Namespace) -> list[Path]:
    if len(runs) != 1:
        raise AnalysisError("seed_post takes one run directory (with snapshots.csv)")
    return save_figure(seed_post_grid(runs[0]), out / "seed_post")


def _methods(runs: list[str], out: Path, args: argparse.Namespace) -> list[Path]:
    parts, tables, ylabel = [], [], ""
    for path in runs:
        found = load_runs([path])
        pairs = method_pairs(found)
        if not pairs:
            raise AnalysisError(f"{path}: no categorical key (a method) varies together with a "
                                "numeric one")
        steps = evaluated_ks(found)
        k = max(steps) if args.k is None else args.k
        if k not in steps:
            raise AnalysisError(f"--k {k}: no finished job of {path} evaluated it")
        cells = evaluated(cell_statistics(found, [k], args.statistic, args.interval))
        for method, knob in pairs:
            parts.append((cells, method, knob, context(found, method, knob)))
            tables.append(cells.assign(sweep=path, method_key=method, knob=knob,
                                       value=cells[knob], method_value=cells[method],
                                       statistic=args.statistic))
        ylabel = mse_label(found, args.statistic, k)
    table = pd.concat(tables)[["sweep", "method_key", "method_value", "knob", "value", "k",
                               "statistic", "mean", "lo", "hi", "n"]]
    return [*save(methods_figure, out / args.name, parts, ylabel),
            write_text(out / f"{args.name}.csv", table.to_csv(index=False))]


COMMANDS = {"figure1": _figure1, "seed_post": _seed_post, "benchmark": _benchmark,
            "causes": _causes, "methods": _methods, "tuning": _tuning}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m analysis.paper", description=__doc__.split(
        "\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    p.add_argument("figure", choices=list(COMMANDS))
    p.add_argument("runs", nargs="+", help="run directories (or folders of them)")
    p.add_argument("--out", default="docs/figures", help="output folder (default docs/figures)")
    p.add_argument("--tasks", default="0,1,2",
                   help="held-out tasks drawn by figure1, comma-separated (default 0,1,2)")
    p.add_argument("--name", default="methods",
                   help="file stem of the methods figure or the tuning table")
    p.add_argument("--statistic", choices=sorted(STATISTICS), default="mean",
                   help="methods: per job, the mean or the median of the held-out tasks' MSE "
                        "(the median is robust to tasks whose adaptation blows up); default: "
                        "%(default)s")
    p.add_argument("--k", type=int, help="adaptation steps of the methods figure (default: the "
                   "largest evaluated)")
    p.add_argument("--interval", choices=INTERVALS, default="bootstrap",
                   help="95%% interval of every mean: bootstrap (two-level, over seeds and "
                        "held-out tasks) or t (across seeds); default: %(default)s")
    args = p.parse_args(argv)
    try:
        for path in COMMANDS[args.figure](args.runs, Path(args.out), args):
            print(path)
    except (AnalysisError, ContractError, KeyError, OSError, ValueError) as err:
        print(f"error: {one_line(err)}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())

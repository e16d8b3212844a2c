"""`python -m analysis.paper FIGURE RUN_DIRS... --out DIR`: the paper figures and tables.

  figure1 MAML_RUN REPTILE_RUN      the Reptile paper's Figure 1 (figure1.png, .pdf)
  seed_post RUN                     the seed post's panel grid (seed_post.png, .pdf)
  methods SWEEP_DIR...              held-out MSE after k against each sweep's numeric knob, a
                                    line per method, a panel per sweep (NAME.png, .pdf, and
                                    the plotted numbers NAME.csv; --name, --k, --statistic;
                                    --interval t or bootstrap): the inner-loop analyses (scripts/
                                    inner_gradients.sh, scripts/minibatch_overlap.sh)
  benchmark RUN_OR_DIR...           the MAML sine benchmark: benchmark.md, benchmark.csv,
                                    benchmark_per_seed.md, benchmark_per_seed.csv,
                                    benchmark_curves.png, .pdf (mean, 95% interval),
                                    benchmark_curves_median.png, .pdf (median, quartiles);
                                    --interval bootstrap (default: over seeds and tasks) or t

Everything is read from run directories (docs/run-directory.md); scripts/*.sh train and draw.
Exit status 2 with one line on stderr for a bad path or missing runs.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd

from analysis.errors import AnalysisError, one_line
from analysis.figures import context, evaluated, mse_label
from analysis.intervals import INTERVALS
from analysis.knobfigs import method_pairs, methods_figure
from analysis.load import load_runs
from analysis.maml_benchmark import markdown_table, per_seed, per_seed_table, per_task, summary
from analysis.paperfigs import benchmark_curves, figure1, seed_post_grid
from analysis.plotting import save
from analysis.tables import STATISTICS, cell_statistics, evaluated_ks
from rundir import ContractError, write_text
from rundir.quicklook import save_figure


def _benchmark(runs: list[str], out: Path, args: argparse.Namespace) -> list[Path]:
    tasks = per_task(runs)
    stats = summary(tasks, args.interval)
    seeds = per_seed(tasks)
    shots = sorted(stats["K"].unique())
    tables = [markdown_table(stats, K, statistic) for statistic in ("mean", "median")
              for K in shots]
    paths = [write_text(out / "benchmark.md", "\n".join(tables)),
             write_text(out / "benchmark.csv", stats.to_csv(index=False)),
             write_text(out / "benchmark_per_seed.md",
                        "\n".join(per_seed_table(seeds, K) for K in shots)),
             write_text(out / "benchmark_per_seed.csv", seeds.to_csv(index=False))]
    for statistic, suffix in (("mean", ""), ("median", "_median")):
        paths += save_figure(benchmark_curves(stats, statistic), out / f"benchmark_curves{suffix}")
    return paths


def _figure1(runs: list[str], out: Path, args: argparse.Namespace) -> list[Path]:
    if len(runs) != 2:
        raise AnalysisError("figure1 takes two run directories: MAML_RUN REPTILE_RUN")
    return save_figure(figure1(*runs, task=args.task), out / "figure1")


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
            "methods": _methods}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m analysis.paper", description=__doc__.split(
        "\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    p.add_argument("figure", choices=list(COMMANDS))
    p.add_argument("runs", nargs="+", help="run directories (or folders of them)")
    p.add_argument("--out", default="docs/figures", help="output folder (default docs/figures)")
    p.add_argument("--task", type=int, default=0, help="held-out task drawn by figure1")
    p.add_argument("--name", default="methods", help="file stem of the methods figure")
    p.add_argument("--statistic", choices=sorted(STATISTICS), default="mean",
                   help="methods: per job, the mean or the median of the held-out tasks' MSE "
                        "(the median is robust to tasks whose adaptation blows up); default: "
                        "%(default)s")
    p.add_argument("--k", type=int, help="adaptation steps of the methods figure (default: the "
                   "largest evaluated)")
    p.add_argument("--interval", choices=INTERVALS, default="bootstrap",
                   help="95%% interval of the benchmark's mean: bootstrap (two-level, over "
                        "seeds and held-out tasks) or t (across seeds); default: %(default)s")
    args = p.parse_args(argv)
    try:
        for path in COMMANDS[args.figure](args.runs, Path(args.out), args):
            print(path)
    except (AnalysisError, ContractError, KeyError, OSError) as err:
        print(f"error: {one_line(err)}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""`python -m analysis SWEEP_DIR... --out DIR` (or reptile-report): tables, figures, report.md and
report.html from run directories. Prints the two reports' paths.

Exit status: 0 with the report written, 2 for a usage error or a path that holds no runs (one
line on stderr, no traceback). Problems with single jobs are one-line warnings on stderr.
"""

from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path

from analysis.budget import DEFAULT_BUDGETS
from analysis.errors import AnalysisError, one_line
from analysis.intervals import INTERVALS
from analysis.tables import DEFAULT_KS, STATISTICS

SCRIPT = "reptile-report"  # pyproject.toml's console script
EXAMPLES = """examples:
  python -m analysis multirun/2026-11-27_12-00-00_inner_steps_ab12   (writes .../report/)
  python -m analysis multirun/ --out reports/all --statistic median --interval bootstrap
  python -m analysis sweepA sweepB outputs/one_run --out cmp --ks 0,1,8,32 --no-figures
"""


def _listed(kind: type, what: str, allowed, need: str):
    """An argparse type: a comma-separated list of `kind` (`what` in errors), each `allowed`."""
    def parse(text: str) -> tuple:
        try:
            values = tuple(kind(part) for part in text.split(",") if part.strip())
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"not a comma-separated list of {what}: {text!r}") from None
        if not values or not all(allowed(v) for v in values):
            raise argparse.ArgumentTypeError(f"need one or more {need}: {text!r}")
        return values
    return parse


_ks = _listed(int, "integers", lambda k: k >= 0, "k >= 0")
_budgets = _listed(float, "fractions", lambda b: 0 < b <= 1, "fractions in (0, 1]")


def prog() -> str:
    """The command as the user typed it: the console script, or python -m analysis."""
    return SCRIPT if Path(sys.argv[0]).name == SCRIPT else "python -m analysis"


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog=prog(), epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Aggregate run directories (single runs, Hydra sweeps, folders of sweeps, "
                    "finished or still running) into sensitivity tables (Markdown, LaTeX, CSV), "
                    "figures (PNG, PDF), results.csv and report.md.")
    p.add_argument("paths", nargs="+", metavar="SWEEP_DIR",
                   help="run directory, sweep directory, or a folder searched for runs")
    p.add_argument("--out", type=Path, metavar="DIR",
                   help="output folder (default with one SWEEP_DIR: SWEEP_DIR/report)")
    p.add_argument("--ks", type=_ks, default=DEFAULT_KS, metavar="K,K,...",
                   help="adaptation steps k shown in the tables (default: "
                        + ",".join(map(str, DEFAULT_KS)) + ")")
    p.add_argument("--statistic", choices=sorted(STATISTICS), default="mean",
                   help="per job, the mean or the median of the held-out tasks' MSE (the median "
                        "is robust to the few tasks that blow up); default: %(default)s")
    p.add_argument("--interval", choices=INTERVALS, default="t",
                   help="95%% interval of tables and figures: t (Student t across seeds) or "
                        "bootstrap (two-level, over seeds and held-out tasks; slower); default: "
                        "%(default)s")
    p.add_argument("--k", type=int, metavar="K",
                   help="adaptation steps of the figures that show MSE after one k (default: "
                        "the largest of --ks evaluated)")
    p.add_argument("--budgets", type=_budgets, default=DEFAULT_BUDGETS, metavar="F,F,...",
                   help="fractions of meta_iters at which the learning curves are read for the "
                        "training-length tables (default: "
                        + ",".join(f"{b:g}" for b in DEFAULT_BUDGETS) + ")")
    p.add_argument("--no-figures", action="store_true", help="tables and data only (fast)")
    p.add_argument("--gallery-tasks", type=int, default=3, metavar="N",
                   help="held-out tasks per setting in the fit gallery (default: %(default)s)")
    p.add_argument("--ignore", action="append", default=[], metavar="KEY",
                   help="config key never to treat as a hyperparameter (repeatable)")
    return p


def _show(message, category, filename, lineno, file=None, line=None) -> None:
    print(f"warning: {one_line(message)}", file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    out = args.out
    if out is None:
        if len(args.paths) != 1:
            parser().error("--out is required with more than one SWEEP_DIR")
        out = Path(args.paths[0]) / "report"
    from analysis.report import build_report  # after parsing: --help skips seaborn

    with warnings.catch_warnings():
        warnings.simplefilter("always")
        warnings.showwarning = _show
        try:
            report = build_report(args.paths, out, ks=args.ks, statistic=args.statistic,
                                  figures=not args.no_figures, gallery_tasks=args.gallery_tasks,
                                  ignore=args.ignore, interval=args.interval, k=args.k,
                                  budgets=args.budgets)
        except AnalysisError as err:
            print(f"{prog()}: error: {err}", file=sys.stderr)
            return 2
    print(report)
    print(report.with_suffix(".html"))
    return 0


if __name__ == "__main__":
    sys.exit(main())

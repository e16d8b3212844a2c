"""Benchmark: load 1000 synthetic job directories with analysis.load.load_runs.

    python -m benchmarks.load [--jobs 1000] [--repeats 3]     (from the repository root)

Writes a sweep of synthetic run directories (tests/helpers/synthetic.py, the run-directory
contract, without the fit files that loading never reads) into a temporary folder, then times
load_runs and, for context, the sensitivity tables built from it. Prints one JSON line per timed
repeat and a summary line; exits 1 when the median load exceeds the budget (5 s for 1000 jobs).
The files sit in the page cache after writing, so this measures parsing, not disk reads.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
import warnings
from pathlib import Path

from analysis.load import load_runs
from analysis.tables import sensitivity_tables
from tests.helpers.synthetic import make_sweep

BUDGET_S = 5.0
KNOBS = {"inner_steps": [1, 2, 4, 8, 16], "inner_lr": [0.005, 0.01, 0.02, 0.04]}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=1000, help="job directories (default 1000)")
    parser.add_argument("--repeats", type=int, default=3, help="timed loads (default 3)")
    args = parser.parse_args()
    settings = len(KNOBS["inner_steps"]) * len(KNOBS["inner_lr"])
    seeds = range(max(1, args.jobs // settings))
    with tempfile.TemporaryDirectory(prefix="bench-load-") as tmp:
        start = time.perf_counter()
        runs = make_sweep(Path(tmp) / "sweep", KNOBS, seeds=seeds, fits=False)
        print(json.dumps({"bench": "generate", "jobs": len(runs),
                          "seconds": round(time.perf_counter() - start, 3)}), flush=True)
        loads, tables = [], []
        for repeat in range(args.repeats):
            with warnings.catch_warnings():
                warnings.simplefilter("error")  # a clean sweep must load without warnings
                start = time.perf_counter()
                loaded = load_runs([tmp])
                loads.append(time.perf_counter() - start)
            start = time.perf_counter()
            sensitivity_tables(loaded)
            tables.append(time.perf_counter() - start)
            assert len(loaded.jobs) == len(runs) and loaded.jobs["included"].all()
            print(json.dumps({"bench": "load", "repeat": repeat, "jobs": len(runs),
                              "rows": len(loaded.frame), "seconds": round(loads[-1], 3),
                              "tables_seconds": round(tables[-1], 3)}), flush=True)
    median = statistics.median(loads)
    budget = BUDGET_S * len(runs) / 1000
    print(json.dumps({"bench": "load", "summary": True, "jobs": len(runs),
                      "median_s": round(median, 3), "min_s": round(min(loads), 3),
                      "per_job_ms": round(1000 * median / len(runs), 3),
                      "tables_median_s": round(statistics.median(tables), 3),
                      "budget_s": budget, "ok": median < budget}))
    return 0 if median < budget else 1


if __name__ == "__main__":
    sys.exit(main())

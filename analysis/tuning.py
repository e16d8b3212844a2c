"""Tuning on validation tasks: which value of a knob a paper table uses.

A tuning sweep (conf/sweep/tune_*.yaml, scripts/tune_maml_benchmark.sh) trains each candidate
value over a few seeds with eval.validation_tasks > 0, so every job also measures its held-out
MSE on validation tasks drawn from eval.seed's own validation stream, never among the test
tasks. tuning_table ranks the settings by their mean validation MSE across seeds and marks the
lowest, the value the paper table keeps; the test MSE stands beside it for reading, never for
choosing.
"""

from __future__ import annotations

import os
from collections.abc import Iterable

import pandas as pd

from analysis.errors import AnalysisError
from analysis.escape import markdown
from analysis.fmt import interval_text, setting_text
from analysis.intervals import across_seeds, describe
from analysis.load import load_runs

VALIDATION, TEST = "final_val_mse_mean", "final_mse_mean"  # run.json's metrics, as loaded


def tuning_rows(paths: Iterable[str | os.PathLike], interval: str = "t") -> pd.DataFrame:
    """One row per setting of the varying keys (seeds pooled): n seeds, the validation and the
    test MSE (mean, lo, hi across seeds) and `chosen`, True for the lowest validation mean."""
    runs = load_runs(list(paths))
    jobs = runs.jobs[runs.jobs["included"] & (runs.jobs["status"] == "done")]
    if VALIDATION not in jobs or jobs[VALIDATION].isna().all():
        raise AnalysisError("no finished job measured validation tasks: train the tuning sweep "
                            "with eval.validation_tasks > 0 (conf/sweep/tune_*.yaml)")
    keys = [k for k in runs.hyperparameters if k != "seed"]
    if not keys:
        raise AnalysisError("nothing to tune: no key but the seed varies across these runs")
    both = []
    for column, name in ((VALIDATION, "val"), (TEST, "test")):
        stats = across_seeds(jobs, keys, column, interval)
        both.append(stats.rename(columns={c: f"{name}_{c}" for c in stats.columns
                                          if c not in keys}))
    rows = both[0].merge(both[1], on=keys)
    rows["chosen"] = rows["val_mean"] == rows["val_mean"].min()
    rows.attrs["keys"], rows.attrs["interval"] = keys, interval
    return rows


def _cell(row: pd.Series, name: str, interval: str) -> str:
    return interval_text(interval, *(row[f"{name}_{c}"] for c in ("mean", "lo", "hi",
                                                                    "halfwidth")))


def tuning_table(rows: pd.DataFrame) -> str:
    """Markdown: one line per setting, the chosen one in bold."""
    keys, interval = rows.attrs["keys"], rows.attrs["interval"]
    lines = [f"*Tuning on validation tasks (never the test tasks): mean held-out MSE after the "
             f"evaluation's last step over the seeds, {describe(interval)}. Chosen (bold): the "
             f"lowest validation mean; the test MSE is shown, not used.*", "",
             "| setting | seeds | validation MSE | test MSE |", "| --- | ---: | ---: | ---: |"]
    for _, row in rows.iterrows():
        setting = markdown(setting_text(keys, tuple(row[keys])))
        cells = [setting, str(int(row["val_n"])), _cell(row, "val", interval),
                 _cell(row, "test", interval)]
        if row["chosen"]:
            cells = [f"**{c}**" for c in cells]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"

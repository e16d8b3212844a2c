"""analysis: tables, figures and a report from run directories (docs/run-directory.md).

Reads run directories only; never imports reptile/ or experiments/, and needs no model in memory.

    load      load_runs(paths) -> Runs: one row per (job, k), hyperparameters, problems
    tables    sensitivity_tables(runs, ks, statistic); render writes Markdown, LaTeX, CSV
    figures   mse_vs_k, sensitivity, heatmap, learning_curves; gallery.fit_gallery
    quicklook draw_fit_figure(run_dir): the fit plot of one run (numpy + matplotlib only)
    report    build_report(paths, out) -> OUT/report.md; also `python -m analysis --help`

Modules are imported on first use, so that `analysis.quicklook` stays light for the trainer.
"""

from __future__ import annotations

import importlib

_EXPORTS = {
    "load_runs": "analysis.load",
    "Runs": "analysis.load",
    "sensitivity_tables": "analysis.tables",
    "build_report": "analysis.report",
    "draw_fit_figure": "analysis.quicklook",
    "AnalysisError": "analysis.errors",
    "RunDirWarning": "analysis.errors",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'analysis' has no attribute {name!r}")

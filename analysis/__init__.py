"""analysis: tables, figures and a report from run directories (docs/run-directory.md).

Reads run directories only (through rundir, the contract); never imports reptile/ or
experiments/, and needs no model in memory.

    load            load_runs(paths) -> Runs: one row per (job, k), hyperparameters, problems
    tables          sensitivity_tables(runs, ks, statistic); render writes Markdown, LaTeX, CSV
    figures         mse_vs_k, sensitivity, heatmap, learning_curves; gallery.fit_gallery
    report          build_report(paths, out) -> OUT/report.md; also `python -m analysis --help`
    search          a search folder's study: trials table and Optuna's figures (optuna needed)
    maml_benchmark  the MAML paper's sine benchmark tables; paper and paperfigs draw the paper
                    figures (`python -m analysis.paper --help`)
"""

from analysis.errors import AnalysisError, RunDirWarning
from analysis.load import Runs, load_runs
from analysis.report import build_report

__all__ = ["AnalysisError", "RunDirWarning", "Runs", "build_report", "load_runs"]

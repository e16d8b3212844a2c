"""analysis: tables, figures and a report from run directories (docs/run-directory.md).

Reads run directories only (through rundir, the contract); never imports reptile/ or
experiments/, and needs no model in memory.

    load            load_runs(paths) -> Runs: one row per (job, k), hyperparameters, problems;
                    methods: several algorithm keys that vary together as one factor, method
    tables          sensitivity_tables(runs, ks, statistic, interval); render writes Markdown,
                    LaTeX, CSV; budget: the same at several training lengths (curve.csv)
    intervals       the t-interval or the two-level bootstrap (bootstrap, tasks) per cell
    figures         mse_vs_k, learning_curves, heatmap; knobfigs: MSE against a knob
                    (sensitivity, by_method, budget); gallery.fit_gallery; plotting: helpers;
                    each into a new Figure or the caller's axes (ax=)
    plots           Plots(runs): every report figure from loaded runs, numbers computed as the
                    report computes them (it draws through it), e.g. Plots(runs).mse_vs_k(ax=ax)
    report          build_report(paths, out) -> OUT/report.md; also `python -m analysis --help`
    search          a search folder's study: trials table and Optuna's figures (optuna needed)
    maml_benchmark  the paper tables per method (the MAML sine benchmark, Figure 1's companion);
                    fidelity sets them beside the published numbers (published) with the
                    candidate causes of each difference; paper and paperfigs draw the paper
                    figures (`python -m analysis.paper --help`), knobfigs.methods_figure the
                    inner-loop analyses
"""

from analysis.errors import AnalysisError, RunDirWarning
from analysis.load import Runs, load_runs
from analysis.plots import Plots
from analysis.report import build_report

__all__ = ["AnalysisError", "Plots", "RunDirWarning", "Runs", "build_report", "load_runs"]

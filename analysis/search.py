"""A search folder (hydra/sweeper=optuna): its trials table and Optuna's figures for the report.

The study is read from the folder's SQLite file (rundir.STUDY) with optuna itself (the `search`
extra); each trial's objective is the held-out MSE on validation tasks, and the test MSE of its
jobs stands beside it, read from their run directories like every other table. Figures are
Optuna's matplotlib ones: the optimisation history, parameter importances by PED-ANOVA (numpy
only: the fANOVA evaluator needs scikit-learn) and slice plots.
"""

from __future__ import annotations

import importlib.util
import warnings
from collections.abc import Iterable
from pathlib import Path

import matplotlib
import numpy as np
import pandas as pd

import rundir
from analysis.fmt import number
from analysis.load import Runs
from analysis.style import RC, label, plain_log_ticks, save_figure


def studies(run_dirs: Iterable[str]) -> list[Path]:
    """The search folders (holding rundir.STUDY) above the given run directories."""
    found = {}
    for run in map(Path, run_dirs):
        folder = next((f for f in run.parents if (f / rundir.STUDY).is_file()), None)
        if folder is not None:
            found[folder] = None
    return list(found)


def load_study(folder: Path):
    """The folder's study (optuna), or None with a warning when optuna is missing."""
    if importlib.util.find_spec("optuna") is None:
        warnings.warn(f"{folder / rundir.STUDY}: a search, but optuna is not installed (pip "
                      "install reptile-sine[search]): its trials are left out", stacklevel=2)
        return None
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    storage = f"sqlite:///{(folder / rundir.STUDY).resolve()}"
    (name,) = optuna.get_all_study_names(storage)[:1]
    return optuna.load_study(study_name=name, storage=storage)


def trials_table(study, folder: Path, runs: Runs) -> pd.DataFrame:
    """One row per trial, best first: its state, objective (validation MSE), the test MSE of
    its jobs (mean over them), its parameters, its job folders and why it failed (its job's
    run.json says best: "diverged at iteration 5" rather than "returned None")."""
    per_trial = max(1, len(study.user_attrs.get("replicates") or []))
    jobs = runs.jobs.set_index("run_dir")
    rows = []
    for t in study.trials:
        dirs = [str((folder / str(t.number * per_trial + r)).resolve()) for r in range(per_trial)]
        mine = jobs.loc[[d for d in dirs if d in jobs.index]]
        test = mine["final_mse_mean"].dropna().tolist() if "final_mse_mean" in mine else []
        errors = mine["error"].dropna().tolist() if "error" in mine else []
        rows.append({"trial": t.number, "state": t.state.name.lower(),
                     "val_mse": t.value, "test_mse": np.mean(test) if test else None,
                     **t.params, "jobs": " ".join(Path(d).name for d in dirs),
                     "error": errors[0] if errors else t.user_attrs.get("error")})
    frame = pd.DataFrame(rows)
    return frame.sort_values(["val_mse", "trial"], na_position="last", ignore_index=True)


def markdown(frame: pd.DataFrame, limit: int = 20) -> str:
    """The table's first `limit` rows as Markdown."""
    shown = frame.head(limit)
    header = [label(c) if c in shown.columns[4:-2] else c for c in shown.columns]
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(" --- " for _ in header) + "|"]
    for _, row in shown.iterrows():
        cells = ["" if v is None or v != v else number(v) if isinstance(v, float) else str(v)
                 for v in row]
        lines.append("| " + " | ".join(c.replace("|", r"\|") for c in cells) + " |")
    return "\n".join(lines) + "\n"


def figures(study, folder: Path, prefix: str = "") -> list[tuple[str, str, list[Path]]]:
    """(title, caption, [png, pdf]) of Optuna's figures of the study: folder/PREFIXhistory,
    PREFIXimportances and PREFIXslices (.png, .pdf)."""
    from optuna.exceptions import ExperimentalWarning
    from optuna.importance import PedAnovaImportanceEvaluator
    from optuna.visualization import matplotlib as vis

    values = np.array([t.value for t in study.trials if t.value is not None])
    if len(values) < 2:
        return []
    log = values.min() > 0
    # a task whose adaptation blows up can make a trial's mean MSE astronomical: such trials
    # would squash the others into a line, so the axis stops at 10x the median trial
    top = 10 * np.median(values) if log else None
    limits = {"bottom": values.min() / 1.5, "top": top} if log else {}
    hidden = int((values > top).sum()) if top else 0
    off_scale = (f" {hidden} trial(s) above the axis (up to {number(values.max())}) are not "
                 "shown." if hidden else "")
    objective = "validation MSE (objective)"
    drawn = []

    def draw(stem: str, title: str, caption: str, plot) -> None:
        with matplotlib.rc_context(RC), warnings.catch_warnings():
            # Optuna's matplotlib plots are marked experimental, and set their own style
            warnings.simplefilter("ignore", ExperimentalWarning)
            warnings.filterwarnings("ignore", "Attempting to set identical")  # one value
            axes = plot()
            fig = np.ravel(axes)[0].figure
            for ax in np.ravel(axes):
                for loc in ("left", "center", "right"):
                    ax.set_title("", loc=loc)
                ax.set_facecolor("white")  # the project's look, not Optuna's ggplot
                ax.grid(True, color="0.9")
            fig.suptitle("")
            fig.set_layout_engine("constrained")
            drawn.append((title, caption, save_figure(fig, folder / f"{prefix}{stem}")))
            matplotlib.pyplot.close(fig)

    def history():
        ax = vis.plot_optimization_history(study, target_name=objective)
        ax.set_yscale("log" if log else "linear")
        ax.set_ylim(**limits)
        if log:
            plain_log_ticks(ax.yaxis)
        ax.set_xlabel("trial")
        ax.legend(["trial", "best so far"], loc="upper right")
        return ax

    def importances():
        ax = vis.plot_param_importances(study, evaluator=PedAnovaImportanceEvaluator())
        ax.set_xlabel("importance for the validation MSE (PED-ANOVA)")
        ax.set_ylabel("")
        ax.get_legend().remove()
        return ax

    def slices():
        axes = vis.plot_slice(study, target_name=objective)
        for ax in np.ravel(axes):
            if log:
                ax.set_yscale("log")
                ax.set_ylim(**limits)
                plain_log_ticks(ax.yaxis)
            ax.set_xlabel(label(ax.get_xlabel()))
        return axes

    folder.mkdir(parents=True, exist_ok=True)
    draw("history", "Optimisation history", "Validation MSE of every completed trial "
         "(points) and the best so far (line), in trial order." + off_scale, history)
    try:
        draw("importances", "Parameter importances", "How much each searched parameter "
             "explains the validation MSE of the better trials (PED-ANOVA: the quantile of "
             "better trials against all).", importances)
    except (ValueError, RuntimeError) as err:  # too few trials, or no spread in a parameter
        warnings.warn(f"{folder}: no parameter importances ({err})", stacklevel=2)
    draw("slices", "Slice plots", "Validation MSE of every completed trial against each "
         "searched parameter; colour: trial number (later trials darker)." + off_scale, slices)
    return drawn


def search_sections(runs: Runs, out: Path, draw: bool = True) -> tuple[list[str], list[Path]]:
    """report.md's section for each search among the runs, and the files it wrote (the trials
    table as CSV in tables/, the figures in figures/)."""
    lines: list[str] = []
    files: list[Path] = []
    for folder in studies(runs.jobs["run_dir"]):
        study = load_study(folder)
        if study is None:
            continue
        table = trials_table(study, folder, runs)
        name = folder.name
        csv = out / "tables" / f"search_{name}.csv"
        csv.parent.mkdir(parents=True, exist_ok=True)
        with rundir.atomic_path(csv) as tmp:
            table.to_csv(tmp, index=False)
        files.append(csv)
        counts = table["state"].value_counts()
        best = table.iloc[0] if len(table) and table.iloc[0]["state"] == "complete" else None
        lines += [f"## Search `{name}`", "",
                  f"{len(table)} trials (" + ", ".join(f"{n} {s}" for s, n in counts.items())
                  + f"), study `{study.study_name}` in `{folder / rundir.STUDY}`. Objective: "
                  "the held-out MSE after K steps on validation tasks (mean over the tasks, and "
                  "over a trial's seeds), minimised by TPE; `test_mse`: the same on the test "
                  "tasks, never seen by the search.", ""]
        if best is not None:
            params = ", ".join(f"{k}={number(best[k]) if isinstance(best[k], float) else best[k]}"
                               for k in study.best_trial.params)
            lines += [f"**Best trial {best['trial']}:** validation MSE {number(best['val_mse'])},"
                      f" test MSE {number(best['test_mse'])}; {params}.", ""]
        lines += [f"*Trials, best first (the first 20; all in [CSV]"
                  f"({csv.relative_to(out).as_posix()})).*", "", markdown(table), ""]
        for title, caption, paths in figures(study, out / "figures", f"search_{name}_") \
                if draw else []:
            png, pdf = (p.relative_to(out).as_posix() for p in paths)
            lines += [f"### {title}", "", f"![{title}]({png})", "", f"*{caption}* [PDF]({pdf})",
                      ""]
            files += paths
    return lines, files

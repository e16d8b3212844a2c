"""The names of the run-directory contract (docs/run-directory.md): files, statuses, columns.

Declared once here; the writers in experiments/ and the readers in analysis/ import them.
"""

from __future__ import annotations

import json

__all__ = [
    "FORMAT", "STATUSES", "FINAL", "CONFIG", "OVERRIDES", "HYDRA", "RUN_JSON", "CURVE",
    "EVAL_INIT", "EVAL_INIT_TASKS", "PREDICTIONS", "SUPPORT", "SNAPSHOTS", "WEIGHTS",
    "CHECKPOINT", "FIT",
    "SHARPNESS", "EVAL_VALIDATION", "EVENTS", "LOCK", "RUN_FIELDS", "RUN_FIELD_TYPES",
    "EVAL_COLUMNS", "CURVE_COLUMNS", "PREDICTION_COLUMNS", "SUPPORT_COLUMNS", "SNAPSHOT_COLUMNS",
    "TASK_COLUMNS", "MULTIRUN", "SWEEP_SUMMARY", "STUDY", "SEARCH_RESULTS", "MLFLOW_STORE",
    "MLFLOW_ARTIFACTS", "eval_file", "eval_tasks_file", "task_mse_column", "run_record",
    "flatten", "as_text",
]

FORMAT = 1  # of run.json, weights.pt and checkpoint.pt; readers refuse other formats
STATUSES = ("running", "done", "diverged", "failed")
FINAL = ("done", "diverged")  # a job that has ended: a relaunch leaves it alone

# -- one job: RUN_DIR/ -------------------------------------------------------------------------
CONFIG = ".hydra/config.yaml"
OVERRIDES = ".hydra/overrides.yaml"
HYDRA = ".hydra/hydra.yaml"
RUN_JSON = "run.json"
CURVE = "curve.csv"
EVAL_INIT = "eval_init.csv"
EVAL_INIT_TASKS = "eval_init_tasks.csv"  # eval_tasks.csv's columns, from the initial weights
PREDICTIONS = "predictions.csv"
SUPPORT = "support.csv"
SNAPSHOTS = "snapshots.csv"
WEIGHTS = "weights.pt"
CHECKPOINT = "checkpoint.pt"
FIT = "fit"  # the quick-look figure: fit.png
SHARPNESS = "sharpness.csv"
EVAL_VALIDATION = "eval_val.csv"  # eval.validation_tasks > 0: as eval.csv, on validation tasks
EVENTS = "events.out.tfevents."  # logger=tensorboard: how an event file's name starts
# held by the one process using a run or sweep folder (experiments/lock.py), gone when it ends
LOCK = ".lock"


def eval_file(shots: int | None = None) -> str:
    """eval.csv, or eval_K{shots}.csv for an extra K (eval.extra_shots)."""
    return "eval.csv" if shots is None else f"eval_K{shots}.csv"


def eval_tasks_file(shots: int | None = None) -> str:
    """eval_tasks.csv, or eval_tasks_K{shots}.csv for an extra K."""
    return "eval_tasks.csv" if shots is None else f"eval_tasks_K{shots}.csv"


def task_mse_column(k: int) -> str:
    """The column of eval_tasks.csv holding each task's MSE after k adaptation steps."""
    return f"mse_k{k}"


# run.json's fields, in the order it is written
RUN_FIELDS = ("format", "status", "seed", "algo", "iteration", "meta_iters", "wall_seconds",
              "device", "versions", "started", "finished", "error", "metrics")
# what each run.json field holds (or null, but for format and status); metrics maps names to
# numbers (or null)
RUN_FIELD_TYPES = {"format": int, "status": str, "seed": int, "algo": str, "iteration": int,
                   "meta_iters": int, "wall_seconds": float, "device": str, "versions": dict,
                   "started": str, "finished": str, "error": str, "metrics": dict}
# columns of eval.csv, eval_init.csv and eval_K{K}.csv
EVAL_COLUMNS = ("k", "mse_mean", "mse_median", "mse_std", "mse_sem", "mse_q25", "mse_q75",
                "n_tasks", "n_blowup")
CURVE_COLUMNS = ("iteration", "meta_step", "train_loss", "seconds", "k", "mse_mean",
                 "mse_median")
# eval_tasks.csv, eval_init_tasks.csv and eval_tasks_K{K}.csv: these, then task_mse_column(k)
# for k = 0..K
TASK_COLUMNS = ("task", "amplitude", "phase")
PREDICTION_COLUMNS = ("weights", "task", "k", "x", "y_true", "y_pred")
SUPPORT_COLUMNS = ("task", "x", "y")
SNAPSHOT_COLUMNS = ("iteration", "task", "k", "x", "y_true", "y_pred")

# -- one sweep: SWEEP_DIR/ ---------------------------------------------------------------------
MULTIRUN = "multirun.yaml"
SWEEP_SUMMARY = "summary.csv"  # one row per job, rewritten after every job
STUDY = "study.db"  # a search (hydra/sweeper=optuna): the Optuna study, SQLite
SEARCH_RESULTS = "optimization_results.yaml"  # a search: its best trial and counts
MLFLOW_STORE = "mlflow.db"  # logger=mlflow: the store of the folder's runs, SQLite
MLFLOW_ARTIFACTS = "mlartifacts"  # logger=mlflow: their artifacts (fit.png), per experiment


def run_record(**fields) -> dict:
    """A run.json record: the given fields in the contract's order (format filled in).
    Raises KeyError for a field the contract does not have."""
    unknown = set(fields) - set(RUN_FIELDS)
    if unknown:
        raise KeyError(f"run.json has no field {sorted(unknown)[0]!r}")
    return {name: FORMAT if name == "format" else fields.get(name) for name in RUN_FIELDS}


def flatten(tree: dict, prefix: str = "") -> dict:
    """A nested config as {"model.width": 64, ...}; lists become tuples (hashable, comparable)."""
    flat = {}
    for key, value in tree.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(flatten(value, f"{name}."))
        else:
            flat[name] = tuple(value) if isinstance(value, list) else value
    return flat


def as_text(value) -> object:
    """A flattened value as a CSV cell: tuples as JSON lists, everything else unchanged."""
    return json.dumps(list(value)) if isinstance(value, tuple) else value

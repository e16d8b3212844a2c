"""Load run directories into one tidy table: one row per (job, k).

The hyperparameters are the config keys whose values differ across the loaded jobs (from each
job's `.hydra/config.yaml`, nested keys joined with dots, types kept). `seed` is the replicate
axis, never a hyperparameter. Jobs that cannot be used are left out with a one-line warning that
names the file, and are listed in `Runs.problems` so that a report can show them.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

import rundir
from analysis.discover import find_run_dirs, never_started
from analysis.errors import one_line, warn_file

EVAL_REQUIRED = ("k", "mse_mean", "mse_median")
REPLICATE = "seed"
# Keys that change how a job runs, not what it computes; never treated as hyperparameters.
BOOKKEEPING = frozenset({"device", "threads", "compile", "checkpoint_every", "log_every",
                         "progress", "resume", "verbose"})
_PATHLIKE = ("dir", "path", "file")
_INTERPOLATION = re.compile(r"\$\{([\w.]+)\}")


@dataclass(frozen=True)
class Problem:
    """A job that is not a clean finished run: failed, diverged, running, or unreadable."""

    job: str
    kind: str  # failed | diverged | running | unreadable | not started (a sweep's missing jobs)
    file: str
    message: str
    overrides: str = ""


@dataclass
class Runs:
    """Everything the tables, figures and report need, read from the run directories."""

    frame: pd.DataFrame  # one row per (included job, k); k is <NA> for jobs without eval.csv
    jobs: pd.DataFrame  # one row per job found, left-out jobs included (column `included`)
    hyperparameters: list[str]  # varying config keys, command-line order first
    constants: dict[str, object]  # config values shared by every included job
    problems: list[Problem] = field(default_factory=list)
    root: Path = Path(".")  # the folder the job names are relative to


class _Unusable(Exception):
    """Leave this job out: args are (file, message)."""


def resolve(flat: dict[str, object]) -> dict[str, object]:
    """Replace values that are a plain reference to another key ("${inner_lr}", as Hydra saves
    eval.lr) by that key's value; anything fancier stays as written."""
    for _ in range(5):  # chains of references, without looping forever on a cycle
        pending = {key: value for key, value in flat.items() if isinstance(value, str)
                   and (m := _INTERPOLATION.fullmatch(value)) and m.group(1) in flat}
        if not pending:
            break
        flat.update({key: flat[_INTERPOLATION.fullmatch(value).group(1)]
                     for key, value in pending.items()})
    return flat


def _read_eval(path: Path, eval_steps: object) -> dict[str, np.ndarray]:
    table = rundir.read_columns(path, EVAL_REQUIRED)
    k = table["k"]
    if len(k) == 0 or not np.array_equal(k, np.arange(len(k))):
        raise _Unusable(path, "k is not 0, 1, ..., K (truncated?)")
    if isinstance(eval_steps, int) and len(k) != eval_steps + 1:
        raise _Unusable(path, f"k stops at {len(k) - 1} but run.json says K = {eval_steps}")
    return {name: table.get(name, np.full(len(k), np.nan)) for name in rundir.EVAL_COLUMNS}


def _read_job(run_dir: Path, job: str) -> tuple[dict, dict | None, dict | None, Problem | None]:
    """One job: (record, flat config or None, eval columns or None, problem or None)."""
    record: dict[str, object] = {"job": job, "run_dir": str(run_dir), "status": "unreadable"}
    config = evaluation = None
    try:
        overrides_path = run_dir / rundir.OVERRIDES
        # Optional: the varying keys come from config.yaml; overrides only give their order.
        overrides = rundir.read_yaml(overrides_path, list) if overrides_path.exists() else []
        record["overrides"] = " ".join(map(str, overrides))
        record["override_keys"] = [str(item).split("=", 1)[0].lstrip("+~") for item in overrides]
        config = {key: _hashable(value) for key, value in
                  resolve(rundir.flatten(rundir.read_config(run_dir))).items()}
        record["seed"] = config.get(REPLICATE)
        info = rundir.read_run_json(run_dir, missing_ok=False)
        status = record["status"] = info["status"]
        metrics = info.get("metrics") or {}
        record.update(
            seed=config.get(REPLICATE, info.get("seed")),
            iteration=info.get("iteration"),
            meta_iters=info.get("meta_iters"),
            wall_seconds=info.get("wall_seconds"),
            error=one_line(info["error"]) if info.get("error") else None,
            **{f"final_{name}": value for name, value in metrics.items()},
        )
        if status == "failed":
            raise _Unusable(run_dir / rundir.RUN_JSON,
                            f"failed: {record['error'] or 'no error given'}")
        eval_path = run_dir / rundir.eval_file()
        if status == "done" or (status == "diverged" and eval_path.exists()):
            evaluation = _read_eval(eval_path, metrics.get("eval_steps"))
    except (_Unusable, rundir.ContractError) as err:
        file, message = (err.path, err.reason) if isinstance(err, rundir.ContractError) \
            else err.args
        kind = "failed" if record["status"] == "failed" else "unreadable"
        record.update(included=False, problem=message)
        warn_file(file, message)
        return record, config, None, Problem(
            job, kind, str(file), one_line(message), record.get("overrides", "")
        )
    record.update(included=True, problem=None)
    problem = None
    if status == "diverged":
        message = f"diverged: {record['error'] or 'no error given'}"
        warn_file(run_dir / rundir.RUN_JSON, message)
        problem = Problem(job, "diverged", str(run_dir / rundir.RUN_JSON), message,
                          record["overrides"])
    elif status == "running":
        done = f"{record['iteration']} of {info.get('meta_iters')} outer iterations done"
        problem = Problem(job, "running", str(run_dir / rundir.RUN_JSON), f"running: {done}",
                          record["overrides"])
    return record, config, evaluation, problem


def _hashable(value: object) -> object:
    """A config value as it can be compared across jobs: nested lists or dicts (a damaged or
    foreign config) as their text."""
    try:
        hash(value)
    except TypeError:
        return str(value)
    return value


def _as_text(value: object) -> object:
    if value is None or value != value:
        return None
    if isinstance(value, tuple):
        return "[" + ", ".join(map(str, value)) + "]"
    return str(value)


def _object_frame(rows: list[dict]) -> pd.DataFrame:
    """Columns of Python objects: an int stays an int even where other rows lack the key
    (from_records would turn 4 and a missing value into 4.0 and NaN)."""
    keys = dict.fromkeys(key for row in rows for key in row)
    return pd.DataFrame({key: pd.Series([row.get(key) for row in rows], dtype=object)
                         for key in keys}, index=range(len(rows)))


def _typed(values: pd.Series) -> pd.Series:
    """Give a config column the type of its values: ints stay ints (nullable if some are absent)."""
    present = [value for value in values if value is not None and value == value]
    kinds = {type(value) for value in present}
    if kinds <= {bool}:
        return values.astype("boolean")
    small = all(-2**63 <= value < 2**63 for value in present if type(value) is int)
    if kinds <= {int} and small:
        return values.astype("Int64" if len(present) < len(values) else "int64")
    if kinds <= {int, float} and small:
        return values.astype(float)
    # Lists (ranges such as task.amplitude) and mixed values: compare and print as text.
    return values.map(_as_text)


def _hyperparameters(configs: pd.DataFrame, order: dict[str, int], ignore: set[str]) -> list[str]:
    """Varying keys, command-line order first; keys that vary in lockstep count once."""
    def ignored(key: str) -> bool:
        last = key.rsplit(".", 1)[-1]
        return key in ignore or last in BOOKKEEPING or last.endswith(_PATHLIKE)

    varying = [key for key in configs.columns
               if not ignored(key) and configs[key].nunique(dropna=False) > 1]
    def partition(key: str) -> tuple:
        return tuple(pd.factorize(configs[key], use_na_sentinel=False)[0])

    replicate = partition(REPLICATE) if REPLICATE in configs else None
    factors: dict[tuple, str] = {}
    for key in sorted(varying, key=lambda key: order.get(key, len(order))):
        if key.rsplit(".", 1)[-1].endswith("seed") and partition(key) == replicate:
            continue  # a seed derived from the seed (eval.seed = seed + 100) is a replicate too
        # Keys that split the jobs identically are one factor (meta_iters set per inner_steps).
        factors.setdefault(partition(key), key)
    return list(factors.values())


def load_runs(paths: Iterable[str | os.PathLike], ignore: Iterable[str] = ()) -> Runs:
    """Load every run directory under `paths` (run dirs, sweep dirs, or folders of sweeps).

    `ignore` names extra config keys never to treat as hyperparameters. Raises AnalysisError for
    an empty or wrong path; warns (RunDirWarning) once per job that is left out or diverged.
    """
    paths = list(paths)
    run_dirs = find_run_dirs(paths)
    root = Path(os.path.commonpath(run_dirs)) if len(run_dirs) > 1 else run_dirs[0].parent
    records, configs, evals, problems = [], [], {}, []
    for run_dir in run_dirs:
        job = run_dir.relative_to(root).as_posix()
        record, config, evaluation, problem = _read_job(run_dir, job)
        sweep = Path(job).parent.as_posix()
        record["sweep"] = root.name if sweep == "." else sweep
        records.append(record)
        configs.append(config or {})
        problems += [problem] if problem else []
        if evaluation is not None:
            evals[job] = evaluation
    for name, folder, message in never_started(run_dirs, paths, root):
        warn_file(folder / rundir.MULTIRUN, message)
        problems.append(Problem(name, "not started", rundir.MULTIRUN, message))
    # Hyperparameter columns come in the order the sweep's command line named them.
    order: dict[str, int] = {}
    for record in records:
        for key in record.pop("override_keys", ()):
            order.setdefault(key, len(order))
    jobs = _object_frame(records)
    jobs = jobs.assign(**{key: _typed(jobs[key]) for key in jobs})
    config_frame = _object_frame(configs)
    included = jobs["included"].to_numpy(bool)
    hyper = _hyperparameters(config_frame[included], order, set(ignore))
    constants = {key: config_frame.loc[included, key].iloc[0] for key in config_frame
                 if included.any() and config_frame.loc[included, key].nunique(dropna=False) == 1}
    typed = pd.DataFrame({key: _typed(config_frame[key]) for key in hyper}, index=jobs.index)
    # A config key wins over a run.json field of the same name.
    jobs = pd.concat([jobs.drop(columns=[key for key in hyper if key in jobs]), typed], axis=1)
    return Runs(_tidy(jobs[included], evals, hyper), jobs, hyper, constants, problems, root)


def _tidy(jobs: pd.DataFrame, evals: dict[str, dict], hyper: list[str]) -> pd.DataFrame:
    """Expand the included jobs to one row per k (a single <NA> row without eval.csv)."""
    lengths = [len(evals[job]["k"]) if job in evals else 1 for job in jobs["job"]]
    columns = {name: np.concatenate([evals[job][name] if job in evals else [np.nan]
                                     for job in jobs["job"]]) if len(jobs) else []
               for name in rundir.EVAL_COLUMNS}
    long = pd.DataFrame(columns, dtype=float)
    for name in ("k", "n_tasks", "n_blowup"):
        long[name] = long[name].round().astype("Int64")
    ident = ["job", "sweep", *hyper, "seed", "status"]
    progress = ["iteration", "wall_seconds", "run_dir"]
    head = jobs.reindex(columns=ident + progress).loc[jobs.index.repeat(lengths)]
    head = head.reset_index(drop=True)
    return pd.concat([head[ident], long, head[progress]], axis=1)

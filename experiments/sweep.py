"""Sweep-level plumbing: unique output folder names, failure records, summary.csv.

It runs after every job of a sweep, in whichever process the launcher ran the job, and needs no
model; the app imports it before Hydra starts (for the resolver), so pandas is imported only
when a summary is written.
"""

from __future__ import annotations

import contextlib
import fcntl
import re
import secrets
import shlex
import sys
import traceback
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from omegaconf import DictConfig, OmegaConf

import rundir
import rundir.sweep

if TYPE_CHECKING:
    import pandas as pd

# Leading columns of summary.csv; the swept hyperparameters go between JOB and STATUS_COLS.
JOB = "job"
TRIAL = "trial"  # a search's: the trial a job belongs to (after JOB)
STATUS_COLS = ["seed", "status", "iteration", "wall_seconds"]
BEST_SHOWN = 10  # a search ends with its best trials

_SUFFIX = secrets.token_hex(2)  # one per process, so every path this process names agrees


def unique_name(*parts: str | None) -> str:
    """Joins the non-empty parts with '_' and appends this process's random suffix.

    Hydra names output folders by the second; two sweeps started in the same second (a script
    launching several presets) would share one folder and overwrite each other's jobs.
    Registered with use_cache, so Hydra copies the resolved value into every job's config
    (joblib and submitit workers are other processes with other suffixes).
    """
    words = [str(p).replace("/", "-") for p in parts if p not in (None, "")]
    return "_".join([*words, _SUFFIX])


# conf/config.yaml names folders with ${reptile_sine.unique_name:...}. Registered at import, the
# one thing importing this project does to the process: launchers' workers resolve the job's
# folder after unpickling the task function (which imports this module), before any code of
# ours runs. Namespaced, so it never takes a name another library or a notebook uses, and
# registered once however often the module is imported or reloaded.
RESOLVER = "reptile_sine.unique_name"
if not OmegaConf.has_resolver(RESOLVER):
    OmegaConf.register_new_resolver(RESOLVER, unique_name, use_cache=True)


# -- one job of a sweep --------------------------------------------------------------------------
@contextlib.contextmanager
def job_guard(cfg: DictConfig, out: Path, propagate: tuple[type[BaseException], ...] = ()):
    """Turns a job's exception into a `failed` run.json and lets the sweep go on.

    Hydra's sweepers re-raise the first failed job once its batch ends, which stops later
    batches and skips on_multirun_end (no final summary). Exceptions in `propagate` mean the
    sweep itself is wrong (e.g. a folder holding another config's run) and still stop it.
    """
    try:
        yield
    except propagate:
        raise
    except rundir.WriteError as exc:  # nothing more is written to a failing disk
        print(f"failed: {out}  ({exc}; its last checkpoint and run.json are intact)",
              file=sys.stderr)
    except Exception as exc:
        traceback.print_exc()
        record_failure(cfg, out, f"{type(exc).__name__}: {exc}".splitlines()[0])
        print(f"failed: {out}  ({type(exc).__name__})", file=sys.stderr)


def record_failure(cfg: DictConfig, out: Path, error: str) -> None:
    """Marks run.json failed, keeping what an earlier record says (iterations, times). A
    final record (done, diverged) or one of an unknown format is never overwritten."""
    from .writer import versions  # imports torch: only when a job has failed

    try:
        info = rundir.read_run_json(out)
    except rundir.ContractError:
        return
    if info is not None and info["status"] in rundir.FINAL:
        return
    now = rundir.now()
    record = rundir.run_record(  # a job that failed before it began
        seed=cfg.get("seed"), algo=cfg.get("algo", {}).get("name"), iteration=0,
        meta_iters=cfg.get("meta_iters"), wall_seconds=0.0, device=cfg.get("device"),
        versions=versions(), started=now)
    record.update(info or {})
    record.update(status="failed", finished=now, error=error)
    rundir.write_json(out / rundir.RUN_JSON, record)


# -- the sweep's summary.csv -----------------------------------------------------------------------
def job_dirs(sweep_dir: Path) -> list[Path]:
    """The sweep's job folders (any depth, so custom hydra.sweep.subdir patterns work), in job
    order."""
    dirs = [p.parent.parent for p in sweep_dir.glob(f"**/{rundir.CONFIG}")]
    return sorted(dirs, key=lambda d: (len(d.parts), int(d.name) if d.name.isdigit() else -1,
                                       str(d)))


def summary_frame(sweep_dir: Path) -> pd.DataFrame:
    """One row per job: the job folder, every hyperparameter that differs between jobs (and
    the swept ones), seed, status, iterations, wall time, the headline metrics and the error."""
    import pandas as pd

    rows, configs = [], []
    for job in job_dirs(sweep_dir):
        config, info = _read_job(job)
        configs.append(config)
        rows.append({JOB: job.relative_to(sweep_dir).as_posix(), "seed": config.get("seed"),
                     "status": info["status"], "iteration": info.get("iteration"),
                     "wall_seconds": info.get("wall_seconds"), **(info.get("metrics") or {}),
                     "error": info.get("error")})
    metrics = [k for k in dict.fromkeys(k for r in rows for k in r)
               if k not in (JOB, *STATUS_COLS, "error")]
    frame = pd.DataFrame(rows, columns=[JOB, *STATUS_COLS, *metrics, "error"])
    for col in frame.columns:  # counts stay integers in the CSV even where a job has none
        values = [r[col] for r in rows if r.get(col) is not None]
        if values and all(type(v) is int for v in values):
            frame[col] = frame[col].astype("Int64")
    settings = pd.DataFrame([{k: rundir.as_text(v) for k, v in c.items()} for c in configs])
    varying = sorted(k for k in settings.columns if settings[k].astype(str).nunique() > 1)
    keys = [k for k in dict.fromkeys([*rundir.sweep.swept_keys(sweep_dir), *varying])
            if k in settings.columns and k != "seed"]
    for i, key in enumerate(keys):
        frame.insert(1 + i, key, settings[key])
    search = _search_plan(sweep_dir)
    if search is not None:
        frame.insert(1, TRIAL, [int(job) // search[1] if job.isdigit() else None
                                for job in frame[JOB]])
        frame[TRIAL] = frame[TRIAL].astype("Int64")
    return frame


def _search_plan(sweep_dir: Path) -> tuple[int, int] | None:
    """(trials, jobs per trial) of a search folder; None for another sweep or no plan yet."""
    try:
        return rundir.sweep.search_plan(sweep_dir)
    except (rundir.ContractError, KeyError, ValueError):
        return None


def _read_job(job: Path) -> tuple[dict, dict]:
    """A job's flattened config and its run.json; a damaged file makes the job's status say so
    instead of hiding the other jobs."""
    config, info = {}, {"status": "missing"}
    try:
        config = rundir.flatten(rundir.read_config(job, resolve=False))  # as the sweep set it
        info = rundir.read_run_json(job) or info
    except rundir.ContractError as exc:
        info = {"status": "unreadable", "error": str(exc)}
    return config, info


@contextlib.contextmanager
def _locked(sweep_dir: Path) -> Iterator[None]:
    """Serialises summary writers: parallel jobs end at the same time, and a writer that read
    the run.json files before another job finished must not overwrite a newer summary."""
    with open(sweep_dir / ".summary.lock", "a") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX)
        except OSError:  # file systems without locks (some NFS): the end-of-sweep write fixes it
            pass
        yield


def write_summary(sweep_dir: Path) -> pd.DataFrame:
    with _locked(sweep_dir):
        frame = summary_frame(sweep_dir)
        rundir.write_csv(sweep_dir / rundir.SWEEP_SUMMARY, frame)
    return frame


# -- what the sweep prints at its end ----------------------------------------------------------
def relaunch_command(sweep_dir: Path) -> str:
    """This process's own command line, pointed at sweep_dir: done jobs are skipped there."""
    argv = [a for a in sys.orig_argv if not a.startswith("hydra.sweep.dir=")]
    return shlex.join([*argv, f"hydra.sweep.dir={hydra_quoted(str(sweep_dir))}"])


def hydra_quoted(value: str) -> str:
    """A value as a Hydra override writes it: quoted where Hydra's grammar would read it as
    something else (spaces, non-ASCII letters, commas, interpolations, quotes)."""
    if re.fullmatch(r"[A-Za-z0-9_./+-]+", value):
        return value
    # a backslash escapes only before a quote (or before backslashes before one)
    value = re.sub(r"(\\*)'", lambda m: 2 * m.group(1) + "\\'", value)
    value = re.sub(r"(\\+)$", lambda m: 2 * m.group(1), value)
    return "'" + value.replace("${", "\\${") + "'"


def table(frame: pd.DataFrame) -> str:
    """Held-out MSE per setting, averaged over seeds: the table a sweep ends with; with
    validation tasks their MSE first, and a search's best trials by it (its objective)."""
    keys = list(frame.columns[1:frame.columns.get_loc("seed")])
    done = frame[frame["status"] == "done"]
    if done.empty or "mse_mean" not in done:
        return "no job finished"
    if not keys:
        return done[[JOB, "seed", "mse_k0_mean", "mse_mean", "mse_median"]].to_string(index=False)
    validation = {"val_mse": ("val_mse_mean", "mean")} if "val_mse_mean" in done else {}
    stats = done.groupby(keys, sort=True, dropna=False).agg(
        seeds=("seed", "size"), **validation, mse_k0=("mse_k0_mean", "mean"),
        mse=("mse_mean", "mean"), mse_sd=("mse_mean", "std"), median=("mse_median", "mean"))
    if TRIAL in keys and validation:
        # trials whose jobs all finished, best first (the study's value is this mean)
        stats = stats[stats["seeds"] == done.groupby(TRIAL).size().max()]
        stats = stats.sort_values("val_mse").head(BEST_SHOWN)
        return ("the best trials by val_mse, the search's objective (the held-out MSE on "
                "validation tasks); mse: on the test tasks\n" + stats.reset_index().to_string(
                    index=False, float_format=lambda v: f"{v:.4g}"))
    return stats.reset_index().to_string(index=False, float_format=lambda v: f"{v:.4g}")


def report(sweep_dir: Path, frame: pd.DataFrame) -> tuple[str, bool]:
    """The closing lines of a sweep, and whether every job ended (done or diverged)."""
    counts = [f"{n} {status}" for status, n in frame["status"].value_counts().items()]
    lines = [table(frame), "",
             f"sweep {sweep_dir}: " + ", ".join([f"{len(frame)} jobs", *counts])
             + f"; summary: {sweep_dir / rundir.SWEEP_SUMMARY}"]
    keys = list(frame.columns[1:frame.columns.get_loc("status")])
    for _, row in frame[frame["status"] != "done"].iterrows():
        setting = " ".join(f"{k}={row[k]}" for k in keys)
        lines.append(f"  {row['status']}: job {row[JOB]} ({setting}): {row['error']}")
    ok = frame["status"].isin(rundir.FINAL).all()
    if not ok:
        lines.append(f"rerun the unfinished jobs (done ones are skipped): "
                     f"{relaunch_command(sweep_dir)}")
    return "\n".join(lines), bool(ok)

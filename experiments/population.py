"""How hydra/launcher=population batches this app's jobs (hydra_plugins/population_launcher):
jobs whose configs differ only in member keys (schema.MEMBER_KEYS: seed, meta steps, step
sizes, evaluation seed and step size) train together as one population."""

from __future__ import annotations

import sys
import traceback
from pathlib import Path

from omegaconf import DictConfig

import rundir

from . import sweep
from .config import conf_tree
from .preflight import Composer
from .trainer import shape_key


def plan(job_overrides: list[list[str]]) -> list[tuple[list[int], float]]:
    """Groups of jobs (indices) that can train as one population, each with the relative cost
    of one member: the arithmetic of its inner loop (tasks x inner steps x network size)."""
    with conf_tree():
        compose = Composer()
        cfgs = [compose(list(overrides)) for overrides in job_overrides]
    groups: dict[tuple, list[int]] = {}
    for i, cfg in enumerate(cfgs):
        groups.setdefault(shape_key(cfg), []).append(i)
    return [(members, cost(cfgs[members[0]])) for members in groups.values()]


def cost(cfg: DictConfig) -> float:
    width, depth = cfg.model.width, cfg.model.depth
    per_step = cfg.inner_batch * (2 * width + (depth - 1) * width * width)
    return cfg.meta_iters * cfg.meta_batch * cfg.inner_steps * per_step


def run(jobs: list[tuple[DictConfig, Path]]) -> list[object]:
    """Trains the jobs [(config, run directory)]; returns what the task function returns for
    each (its held-out MSE, None for a job that failed or diverged). A job that cannot run is
    recorded failed and the others go on; a folder holding another config's run stops the
    sweep, as with the other launchers."""
    from .train import finish_line, prepare
    from .trainer import train
    from .writer import RunDirError

    results: list[object] = [None] * len(jobs)
    runnable = []
    for i, (cfg, out) in enumerate(jobs):
        with sweep.job_guard(cfg, out):
            prepare(cfg)
            runnable.append(i)
    try:
        infos = train([jobs[i][0] for i in runnable], [jobs[i][1] for i in runnable])
    except RunDirError:
        raise
    except rundir.WriteError as exc:  # nothing more is written to a failing disk
        print(f"failed: {exc}; the jobs' last checkpoints and run.json are intact",
              file=sys.stderr)
        return results
    except Exception as exc:  # recorded failed in each job's run.json; the sweep goes on
        traceback.print_exc()
        error = f"{type(exc).__name__}: {exc}".splitlines()[0]
        for i in runnable:
            sweep.record_failure(*jobs[i], error)
        return results
    for i, info in zip(runnable, infos):
        results[i] = finish_line(info, jobs[i][1])
    return results

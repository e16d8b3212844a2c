"""The population launcher: a sweep's jobs as batched populations.

An app opts in by giving its task function an attribute `population` with two functions:

    plan(job_overrides) -> [(job indices, cost per member), ...]
        which jobs may train together as one population (they differ only in values that
        change no shape of the computation), and a relative cost of one member of each group;
    run(jobs) -> [return value or exception, ...]
        trains the jobs [(task config, output dir), ...] together, each writing its own output
        folder, and returns what the task function would have returned for each.

Without it (any other Hydra app) every job is a group of one and runs as the joblib launcher
runs it. Groups are split to at most `max_members` members and, locally, until every worker has
one; they run longest first, one per worker (local: processes on this machine; SLURM: one array
task each). Each job then goes through Hydra's own run_job, so its .hydra/ files, its log and
the callbacks (on_job_start, on_job_end) are those of any other launcher.
"""

from __future__ import annotations

import copy
import logging
import os
from collections.abc import Sequence
from functools import partial
from pathlib import Path
from typing import Any

from hydra.core.hydra_config import HydraConfig
from hydra.core.singleton import Singleton
from hydra.core.utils import JobReturn, _save_config, filter_overrides, run_job, setup_globals
from hydra.plugins.launcher import Launcher
from hydra.types import HydraContext, TaskFunction
from hydra_plugins.hydra_submitit_launcher.submitit_launcher import BaseSubmititLauncher
from omegaconf import DictConfig, open_dict, read_write

log = logging.getLogger(__name__)

Job = tuple[int, list[str]]  # (job number in the sweep, its overrides)


def plan(task_function: TaskFunction, job_overrides: Sequence[Sequence[str]],
         initial_job_idx: int, workers: int | None, max_members: int | None) -> list[list[Job]]:
    """The groups of jobs to run, longest first."""
    jobs = [(initial_job_idx + i, list(o)) for i, o in enumerate(job_overrides)]
    hooks = getattr(task_function, "population", None)
    if hooks is None:
        groups = [([i], 1.0) for i in range(len(jobs))]
    else:
        groups = [(list(members), float(cost)) for members, cost in hooks.plan(
            [overrides for _, overrides in jobs])]
    pieces = []
    for members, cost in groups:
        size = max_members or len(members)
        pieces += [(members[i : i + size], cost) for i in range(0, len(members), size)]
    while workers and len(pieces) < workers:  # split the largest so that every worker has one
        largest = max(pieces, key=lambda piece: len(piece[0]) * piece[1])
        if len(largest[0]) < 2:
            break
        pieces.remove(largest)
        half = len(largest[0]) // 2
        pieces += [(largest[0][:half], largest[1]), (largest[0][half:], largest[1])]
    pieces.sort(key=lambda piece: -len(piece[0]) * piece[1])
    return [[jobs[i] for i in members] for members, _ in pieces]


def _sweep_config(hydra_context: HydraContext, config: DictConfig, job: Job,
                  job_id: str | None) -> DictConfig:
    """The job's composed config, numbered as the other launchers number it."""
    idx, overrides = job
    sweep_config = hydra_context.config_loader.load_sweep_config(config, overrides)
    with open_dict(sweep_config):
        sweep_config.hydra.job.id = job_id or f"{sweep_config.hydra.job.name}_{idx}"
        sweep_config.hydra.job.num = idx
    return sweep_config


def _prepare(sweep_config: DictConfig) -> Path:
    """The job's output folder, made and given its .hydra/ files (as run_job does) before the
    population trains, so that a killed population leaves every job's folder readable."""
    HydraConfig.instance().set_config(sweep_config)
    out = Path(str(sweep_config.hydra.sweep.dir)) / str(sweep_config.hydra.sweep.subdir)
    with read_write(sweep_config.hydra.runtime), open_dict(sweep_config.hydra.runtime):
        sweep_config.hydra.runtime.output_dir = str(out.absolute())
    HydraConfig.instance().set_config(sweep_config)
    if sweep_config.hydra.output_subdir is not None:
        hydra_output = out / str(sweep_config.hydra.output_subdir)
        _save_config(_task_config(sweep_config), "config.yaml", hydra_output)
        _save_config(copy.deepcopy(HydraConfig.instance().cfg), "hydra.yaml", hydra_output)
        _save_config(sweep_config.hydra.overrides.task, "overrides.yaml", hydra_output)
    return out


def _task_config(sweep_config: DictConfig) -> DictConfig:
    task_cfg = sweep_config.copy()
    with open_dict(task_cfg):
        del task_cfg["hydra"]
    return task_cfg


def run_group(hydra_context: HydraContext, config: DictConfig, task_function: TaskFunction,
              group: list[Job], singleton_state: dict[Any, Any],
              job_id: str | None = None) -> list[JobReturn]:
    """Runs one group in this process: trains it as one population, then passes each job
    through run_job (with its result) for its callbacks and bookkeeping."""
    setup_globals()
    Singleton.set_state(singleton_state)
    hooks = getattr(task_function, "population", None)
    configs = [_sweep_config(hydra_context, config, job, job_id) for job in group]
    if hooks is None:
        tasks = [task_function] * len(group)
    else:
        results = hooks.run([(_task_config(c), _prepare(c)) for c in configs])
        tasks = [partial(_returning, result) for result in results]
    returns = []
    for sweep_config, task in zip(configs, tasks):
        HydraConfig.instance().set_config(sweep_config)
        returns.append(run_job(hydra_context=hydra_context, task_function=task,
                               config=sweep_config, job_dir_key="hydra.sweep.dir",
                               job_subdir_key="hydra.sweep.subdir"))
    return returns


def _returning(result: Any, _cfg: DictConfig) -> Any:
    """A task function that hands back a population member's result (or raises its error)."""
    if isinstance(result, BaseException):
        raise result
    return result


def _log_plan(config: DictConfig, groups: list[list[Job]], where: str) -> None:
    log.info(f"Population launcher: {sum(map(len, groups))} jobs in {len(groups)} groups "
             f"({where}), sweep output dir: {config.hydra.sweep.dir}")
    for g, group in enumerate(groups):
        for idx, overrides in group:
            log.info(f"\t#{idx} (group {g}) : {' '.join(filter_overrides(overrides))}")


def _in_job_order(groups: list[list[Job]], returns: list[list[JobReturn]]) -> list[JobReturn]:
    by_idx = {idx: ret for group, rets in zip(groups, returns)
              for (idx, _), ret in zip(group, rets)}
    return [by_idx[idx] for idx in sorted(by_idx)]


class PopulationLauncher(Launcher):
    """hydra/launcher=population: groups in parallel, one worker process per core."""

    def __init__(self, n_jobs: int = -1, max_members: int | None = None) -> None:
        self.n_jobs, self.max_members = n_jobs, max_members
        self.config: DictConfig | None = None
        self.task_function: TaskFunction | None = None
        self.hydra_context: HydraContext | None = None

    def setup(self, *, hydra_context: HydraContext, task_function: TaskFunction,
              config: DictConfig) -> None:
        self.config, self.hydra_context, self.task_function = config, hydra_context, task_function

    def launch(self, job_overrides: Sequence[Sequence[str]],
               initial_job_idx: int) -> Sequence[JobReturn]:
        from joblib import Parallel, cpu_count, delayed

        setup_globals()
        workers = self.n_jobs if self.n_jobs > 0 else max(1, cpu_count() + 1 + self.n_jobs)
        groups = plan(self.task_function, job_overrides, initial_job_idx, workers,
                      self.max_members)
        Path(str(self.config.hydra.sweep.dir)).mkdir(parents=True, exist_ok=True)
        _log_plan(self.config, groups, f"{workers} worker processes")
        state = Singleton.get_state()
        returns = Parallel(n_jobs=min(workers, len(groups)), backend="loky", batch_size=1)(
            delayed(run_group)(self.hydra_context, self.config, self.task_function, group,
                               state)
            for group in groups)
        return _in_job_order(groups, returns)


class _SubmititPopulation(BaseSubmititLauncher):
    """One array task per group, through submitit; a requeued task (time limit, preemption)
    reruns its group, whose jobs resume from their checkpoints."""

    def __init__(self, max_members: int | None = None, **params: Any) -> None:
        super().__init__(**params)
        self.max_members = max_members

    def __call__(self, group: list[Job], singleton_state: dict[Any, Any]) -> list[JobReturn]:
        import submitit

        return run_group(self.hydra_context, self.config, self.task_function, group,
                         singleton_state, job_id=submitit.JobEnvironment().job_id)

    def launch(self, job_overrides: Sequence[Sequence[str]],
               initial_job_idx: int) -> Sequence[JobReturn]:
        import submitit

        groups = plan(self.task_function, job_overrides, initial_job_idx, None,
                      self.max_members)
        params = dict(self.params)
        folder = params.pop("submitit_folder")
        init = {f"{self._EXECUTOR}_max_num_timeout": params.pop("max_num_timeout")} \
            if "max_num_timeout" in params else {}
        executor = submitit.AutoExecutor(cluster=self._EXECUTOR, folder=folder, **init)
        shared = {"timeout_min", "cpus_per_task", "gpus_per_node", "tasks_per_node", "mem_gb",
                  "nodes", "name", "stderr_to_stdout"}
        executor.update_parameters(**{k if k in shared else f"{self._EXECUTOR}_{k}": v
                                      for k, v in params.items()})
        sweep_dir = Path(str(self.config.hydra.sweep.dir))
        sweep_dir.mkdir(parents=True, exist_ok=True)
        if "mode" in self.config.hydra.sweep:
            os.chmod(sweep_dir, mode=int(str(self.config.hydra.sweep.mode), 8))
        _log_plan(self.config, groups, f"submitit {self._EXECUTOR}, one array task each")
        state = Singleton.get_state()
        tasks = executor.map_array(self, groups, [state] * len(groups))
        return _in_job_order(groups, [task.results()[0] for task in tasks])


class PopulationSlurmLauncher(_SubmititPopulation):
    _EXECUTOR = "slurm"


class PopulationSubmititLocalLauncher(_SubmititPopulation):
    _EXECUTOR = "local"

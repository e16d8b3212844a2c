"""The search: ask a batch of trials, launch their jobs through the configured launcher, tell
each trial its value; the study lives in the sweep folder and resumes.

One launch of `python -m APP -m ...` is one Search.sweep():

  1. The search space: hydra.sweeper.params and the command line (_space.py). A sweep of
     replicate_key (seed=0,1,2) gives each trial's jobs, one per value; its value is their mean.
  2. The study: SQLite in the sweep folder, opened with load_if_exists, so launching again into
     hydra.sweep.dir continues it. Trials a killed launch left RUNNING are launched again first,
     into their own job folders, where the app resumes them from their checkpoints.
  3. Until n_trials trials have finished (complete or failed, earlier launches' included): ask
     n_jobs trials, launch their jobs as one batch (job number = trial number x jobs per trial +
     replicate, so folders never collide across launches), tell each trial. A job that raised,
     returned None, something not a number, NaN or +-inf fails its trial; the search goes on.
  4. SWEEP_DIR/optimization_results.yaml: the best trial and the counts.
"""

from __future__ import annotations

import inspect
import logging
import math
from pathlib import Path
from typing import Any

import optuna
from hydra.core.plugins import Plugins
from hydra.core.utils import JobReturn, JobStatus
from hydra.types import HydraContext, TaskFunction
from hydra.utils import get_class
from omegaconf import DictConfig, OmegaConf
from optuna.trial import Trial, TrialState

import rundir
from rundir.sweep import replicates

from ._space import SearchSpace

log = logging.getLogger(__name__)
FINISHED = (TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAIL)


def objective(returns: list[JobReturn | str]) -> tuple[float | None, str | None]:
    """(the mean of a trial's job values, None), or (None, why the trial failed). An entry
    that is a string is the launcher's error."""
    values = []
    for ret in returns:
        if isinstance(ret, str):
            return None, ret
        if ret.status != JobStatus.COMPLETED:  # its return_value would re-raise the exception
            exc = ret._return_value
            return None, f"job {ret.hydra_cfg.hydra.job.num} raised {type(exc).__name__}: " \
                f"{exc}".splitlines()[0]
        raw = ret.return_value
        try:
            value = float(raw)
        except (TypeError, ValueError):
            return None, f"job {ret.hydra_cfg.hydra.job.num} returned {raw!r:.60}"
        if not math.isfinite(value):
            return None, f"job {ret.hydra_cfg.hydra.job.num} returned {value}"
        values.append(value)
    return sum(values) / len(values), None


class Search:
    def __init__(self, *, params: Any, replicate_key: str | None, n_trials: int, n_jobs: int,
                 direction: str, storage: str | None, study_name: str, sampler: Any) -> None:
        self.params = {str(k): str(v) for k, v in (params or {}).items()}
        self.replicate_key, self.n_trials = replicate_key, n_trials
        if n_jobs < 0:
            from joblib import cpu_count

            n_jobs = max(1, cpu_count() + 1 + n_jobs)
        self.n_jobs = max(1, n_jobs)
        self.direction, self.storage, self.study_name = direction, storage, study_name
        self.sampler = sampler

    def setup(self, hydra_context: HydraContext, task_function: TaskFunction,
              config: DictConfig) -> None:
        self.config, self.hydra_context = config, hydra_context
        self.launcher = Plugins.instance().instantiate_launcher(
            config=config, hydra_context=hydra_context, task_function=task_function)

    def sweep(self, arguments: list[str]) -> list[JobReturn]:
        sweep_dir = Path(str(self.config.hydra.sweep.dir))
        sweep_dir.mkdir(parents=True, exist_ok=True)
        OmegaConf.save(self.config, sweep_dir / rundir.MULTIRUN)  # as Hydra's basic sweeper
        lines = [f"{k}={v}" for k, v in self.params.items()] + list(arguments)
        space = SearchSpace(lines, self.replicate_key)
        if not space.distributions:
            raise ValueError("nothing to search: give hydra.sweeper.params or a sweep override "
                             "such as 'inner_lr=tag(log, interval(0.001, 0.1))'")
        self.replicates = replicates(list(arguments), self.params, self.replicate_key)
        study = self.open_study(sweep_dir, space)
        returns: list[JobReturn] = []
        running = [Trial(study, t._trial_id) for t in study.get_trials(
            deepcopy=False, states=(TrialState.RUNNING,))]
        if running:
            log.warning(f"trials {[t.number for t in running]} were cut short by an earlier "
                        "launch: running them again first (each job resumes from its checkpoint)")
        for i in range(0, len(running), self.n_jobs):
            batch = running[i:i + self.n_jobs]
            returns += self.run(study, batch, [self._overrides(t, space) for t in batch])
        while (left := self.n_trials - self.finished(study)) > 0:
            batch = [study.ask(space.distributions) for _ in range(min(self.n_jobs, left))]
            overrides = [space.overrides(t.params) for t in batch]
            try:  # a key missing from the config: stop now, the batch told (not left RUNNING)
                for job in overrides:
                    self.hydra_context.config_loader.load_sweep_config(self.config, job)
            except Exception:
                for t in batch:
                    study.tell(t, state=TrialState.FAIL)
                raise
            for t, job in zip(batch, overrides):
                t.set_user_attr("overrides", job)
            returns += self.run(study, batch, overrides)
        self.write_results(study, sweep_dir)
        return returns

    def open_study(self, sweep_dir: Path, space: SearchSpace) -> optuna.Study:
        url = self.storage or f"sqlite:///{(sweep_dir / rundir.STUDY).resolve()}"
        study = optuna.create_study(storage=url, study_name=self.study_name,
                                    direction=self.direction, load_if_exists=True)
        before = study.user_attrs.get("replicates")
        if before is not None and before != self.replicates:  # job numbers would collide
            raise ValueError(f"this study's trials each train {before or 'one job'}, not "
                             f"{self.replicates or 'one job'}: relaunch with the same, or choose "
                             "a new hydra.sweep.dir")
        study.set_user_attr("replicates", self.replicates)
        if study.user_attrs.get("space", space.describe()) != space.describe():
            log.warning("the search space differs from the one of this study's earlier launches")
        study.set_user_attr("space", space.describe())
        study.sampler = self.make_sampler(len(study.trials))
        log.info(f"study {self.study_name!r} in {url}: {self.finished(study)} of "
                 f"{self.n_trials} trials finished before")
        return study

    def make_sampler(self, trials_before: int) -> optuna.samplers.BaseSampler:
        """The sampler of sampler._target_ with those of the other keys it takes; its seed moved
        on by the trials already in the study."""
        conf = OmegaConf.to_container(OmegaConf.create(self.sampler), resolve=True)
        cls = get_class(conf.pop("_target_"))
        if conf.get("seed") is not None:
            conf["seed"] = int(conf["seed"]) + trials_before
        takes = inspect.signature(cls).parameters
        if not any(p.kind == p.VAR_KEYWORD for p in takes.values()):
            conf = {k: v for k, v in conf.items() if k in takes}
        return cls(**conf)

    @staticmethod
    def finished(study: optuna.Study) -> int:
        return len(study.get_trials(deepcopy=False, states=FINISHED))

    def _overrides(self, trial: Trial, space: SearchSpace) -> list[str]:
        return trial.user_attrs.get("overrides") or space.overrides(trial.params)

    def run(self, study: optuna.Study, trials: list[Trial],
            overrides: list[list[str]]) -> list[JobReturn]:
        """Launches the trials' jobs and tells each trial its value; returns the jobs'
        JobReturns."""
        per_trial = max(1, len(self.replicates))
        jobs = [job + [r] for job in overrides for r in self.replicates] or overrides
        results = self._launch([t.number for t in trials], jobs, per_trial)
        for i, trial in enumerate(trials):
            mine = results[i * per_trial:(i + 1) * per_trial]
            value, error = objective(mine)
            if error is None:
                if per_trial > 1:
                    trial.set_user_attr("values", [float(r.return_value) for r in mine])
                study.tell(trial, value)
            else:
                trial.set_user_attr("error", error)
                study.tell(trial, state=TrialState.FAIL)
                log.warning(f"trial {trial.number} failed: {error}")
        return [r for r in results if isinstance(r, JobReturn)]

    def _launch(self, numbers: list[int], jobs: list[list[str]], per_trial: int) -> list[Any]:
        """A JobReturn (or the launcher's error text) per job, job number = trial number x
        per_trial + replicate: one launch per run of consecutive trial numbers."""
        results: list[Any] = []
        start = 0
        while start < len(numbers):
            end = start + 1
            while end < len(numbers) and numbers[end] == numbers[end - 1] + 1:
                end += 1
            chunk = jobs[start * per_trial:end * per_trial]
            try:
                results += self.launcher.launch(chunk, initial_job_idx=numbers[start] * per_trial)
            except Exception as exc:  # e.g. a worker killed: its batch-mates' results are lost
                error = f"launcher failed: {type(exc).__name__}: {exc}".splitlines()[0]
                log.error(f"trials {numbers[start]}..{numbers[end - 1]}: {error}")
                results += [error] * len(chunk)
            start = end
        return results

    def write_results(self, study: optuna.Study, sweep_dir: Path) -> None:
        complete = study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
        best = study.best_trial if complete else None
        OmegaConf.save(OmegaConf.create({
            "study_name": self.study_name, "direction": self.direction,
            "n_complete": len(complete),
            "n_failed": len(study.get_trials(deepcopy=False, states=(TrialState.FAIL,))),
            "best_trial": best.number if best else None,
            "best_value": best.value if best else None,
            "best_params": dict(best.params) if best else None,
        }), sweep_dir / rundir.SEARCH_RESULTS)
        if best is None:
            log.warning("no trial completed")
        else:
            log.info(f"best: trial {best.number}, value {best.value:.6g}, params {best.params}")

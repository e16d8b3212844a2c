"""The Optuna sweeper's config, registered as hydra/sweeper=optuna.

Imported by Hydra's plugin scan at every start of every app (single runs too): it imports nothing
heavy; optuna is imported by _study.py when a search starts.
"""

# No `from __future__ import annotations`: Hydra's plugin scan executes this module before it is
# in sys.modules, where dataclasses cannot resolve string annotations.
from dataclasses import dataclass, field
from typing import Any, Optional

from hydra.core.config_store import ConfigStore

from rundir.sweep import SEARCH_SWEEPER


@dataclass
class TPESamplerConf:
    """optuna.samplers.TPESampler's arguments; another sampler through _target_ (keys it does
    not take are left out), e.g. hydra.sweeper.sampler._target_=optuna.samplers.RandomSampler."""

    _target_: str = "optuna.samplers.TPESampler"
    # the first launch's seed; a resumed launch uses seed + the trials already in the study, so
    # that its random start-up trials are new points
    seed: Optional[int] = 0
    n_startup_trials: int = 10  # random trials before TPE's model takes over
    # the trials of a batch are asked before any is told: the constant liar keeps them apart
    constant_liar: bool = True
    multivariate: bool = True  # one joint model of the parameters, not one per parameter


@dataclass
class OptunaSearchConf:
    _target_: str = SEARCH_SWEEPER
    _recursive_: bool = False  # the sweeper makes its sampler itself (the seed moves on resume)

    # the search space, key -> Hydra's sweep grammar (the command line adds to it and wins):
    #   interval(a, b)              float in [a, b]
    #   tag(log, interval(a, b))    float, log-uniform
    #   tag(int, interval(a, b))    integer in [a, b] (tag(log, int, interval(...)): log-uniform)
    #   range(a, b[, step])         integers a, a + step, ... < b
    #   choice(a, b, c) or a,b,c    one of the values
    #   value                       the same for every trial
    params: dict[str, Any] = field(default_factory=dict)
    # a sweep of this key is not searched: its values are every trial's replicates (seed=0,1,2:
    # three jobs a trial, its value their mean)
    replicate_key: Optional[str] = "seed"
    n_trials: int = 20  # finished trials wanted in the study, earlier launches' included
    n_jobs: int = -1  # trials asked and launched together; -1: one per CPU core
    direction: str = "minimize"  # minimize | maximize
    # an Optuna storage URL; null: SQLite in the sweep folder (rundir.STUDY), so that launching
    # again into hydra.sweep.dir resumes the study
    storage: Optional[str] = None
    study_name: str = "search"
    sampler: Any = field(default_factory=TPESamplerConf)


ConfigStore.instance().store(group="hydra/sweeper", name="optuna", node=OptunaSearchConf,
                             provider="optuna_search")

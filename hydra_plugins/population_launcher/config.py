"""The launcher's configs, registered in Hydra's ConfigStore under hydra/launcher:

    population                  every local core: groups run in parallel, one process per core
    population_submitit_slurm   one SLURM array task per group, through submitit
    population_submitit_local   the same submitit path on this machine (tests, debugging)
"""

# no `from __future__ import annotations`: Hydra's plugin scanner runs this module before it is in
# sys.modules, where dataclasses cannot resolve string annotations
from dataclasses import dataclass
from typing import Optional

from hydra.core.config_store import ConfigStore
from hydra_plugins.hydra_submitit_launcher.config import LocalQueueConf, SlurmQueueConf

PACKAGE = "hydra_plugins.population_launcher.launcher"


@dataclass
class PopulationConf:
    _target_: str = f"{PACKAGE}.PopulationLauncher"
    # worker processes, one per core (-1: every core); each trains one group at a time
    n_jobs: int = -1
    # members of one population at most (null: no limit); larger groups are split
    max_members: Optional[int] = None


@dataclass
class PopulationSlurmConf(SlurmQueueConf):
    _target_: str = f"{PACKAGE}.PopulationSlurmLauncher"
    max_members: Optional[int] = None


@dataclass
class PopulationSubmititLocalConf(LocalQueueConf):
    _target_: str = f"{PACKAGE}.PopulationSubmititLocalLauncher"
    max_members: Optional[int] = None


ConfigStore.instance().store(group="hydra/launcher", name="population", node=PopulationConf,
                             provider="population_launcher")
ConfigStore.instance().store(group="hydra/launcher", name="population_submitit_slurm",
                             node=PopulationSlurmConf, provider="population_launcher")
ConfigStore.instance().store(group="hydra/launcher", name="population_submitit_local",
                             node=PopulationSubmititLocalConf, provider="population_launcher")

"""The composed config of a command line, outside a running Hydra app (tests, benchmarks, the
Python API): the same conf/ tree, schema and overrides the app composes."""

from __future__ import annotations

from hydra import compose, initialize_config_dir
from omegaconf import DictConfig

from experiments import CONF
from experiments.schema import register


def compose_config(*overrides: str, hydra: bool = False) -> DictConfig:
    """The config of `python -m experiments.train OVERRIDES...` (with the hydra node when
    `hydra`)."""
    register()
    with initialize_config_dir(config_dir=str(CONF), version_base="1.3"):
        return compose("config", overrides=list(overrides), return_hydra_config=hydra)

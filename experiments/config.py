"""The composed config of a command line, outside a running Hydra app (tests, benchmarks, the
Python API): the same conf/ tree, schema and overrides the app composes."""

from __future__ import annotations

from contextlib import contextmanager

from hydra import compose, initialize_config_dir
from hydra.core.global_hydra import GlobalHydra
from omegaconf import DictConfig

from experiments import CONF
from experiments.schema import register


@contextmanager
def conf_tree():
    """Hydra's compose API ready on conf/: inside a running app its own, else initialised here
    for the duration."""
    register()
    if GlobalHydra.instance().is_initialized():
        yield
        return
    with initialize_config_dir(config_dir=str(CONF), version_base="1.3"):
        yield


def compose_config(*overrides: str, hydra: bool = False) -> DictConfig:
    """The config of `python -m experiments.train OVERRIDES...` (with the hydra node when
    `hydra`)."""
    with conf_tree():
        return compose("config", overrides=list(overrides), return_hydra_config=hydra)

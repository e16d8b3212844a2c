"""The composed config of a command line, outside a running Hydra app (tests, benchmarks, the
Python API): the same conf/ tree, schema and overrides the app composes."""

from __future__ import annotations

from contextlib import contextmanager

from hydra import compose, initialize_config_dir, initialize_config_module
from hydra.core.global_hydra import GlobalHydra
from omegaconf import DictConfig

from experiments import CONF, CONFIG_MODULE, CONFIG_NAME, CONFIG_PATH, JOB_NAME
from experiments.schema import register


def initialize():
    """Hydra's compose API on the app's own search path and job name, as a context manager:
    pkg://reptile_sine_conf (the folder in a checkout that was never installed)."""
    if CONFIG_PATH.startswith("pkg://"):
        return initialize_config_module(CONFIG_MODULE, version_base="1.3", job_name=JOB_NAME)
    return initialize_config_dir(config_dir=str(CONF), version_base="1.3", job_name=JOB_NAME)


@contextmanager
def conf_tree():
    """Hydra's compose API ready on conf/: inside a running app its own, else initialised here
    for the duration."""
    register()
    if GlobalHydra.instance().is_initialized():
        yield
        return
    with initialize():
        yield


def compose_config(*overrides: str, hydra: bool = False) -> DictConfig:
    """The config of `python -m experiments.train OVERRIDES...` (with the hydra node when
    `hydra`)."""
    with conf_tree():
        return compose(CONFIG_NAME, overrides=list(overrides), return_hydra_config=hydra)

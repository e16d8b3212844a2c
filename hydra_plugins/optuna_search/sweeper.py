"""The plugin class Hydra finds by scanning hydra_plugins: a shell, so that an app's start does
not import optuna; the search is in _study.py."""

from __future__ import annotations

from typing import Any

from hydra.plugins.sweeper import Sweeper
from hydra.types import HydraContext, TaskFunction
from omegaconf import DictConfig

from .config import OptunaSearchConf  # noqa: F401  (registers hydra/sweeper=optuna)


class OptunaSweeper(Sweeper):
    def __init__(self, **conf: Any) -> None:
        from ._study import Search

        self.search = Search(**conf)

    def setup(self, *, hydra_context: HydraContext, task_function: TaskFunction,
              config: DictConfig) -> None:
        self.search.setup(hydra_context, task_function, config)

    def sweep(self, arguments: list[str]) -> Any:
        return self.search.sweep(arguments)

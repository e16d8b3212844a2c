"""The config schema: registered with Hydra's ConfigStore and listed first in conf/config.yaml's
defaults, so a wrong type (inner_steps=abc) or an unknown key (inner_step=4) is refused while
composing. Values and their comments live in conf/; ranges and combinations are checked by
validate.py."""

from __future__ import annotations

from dataclasses import dataclass, field

from hydra.core.config_store import ConfigStore
from omegaconf import MISSING


@dataclass
class TaskSchema:
    name: str = MISSING
    amplitude: list[float] = MISSING
    phase: list[float] = MISSING
    x_range: list[float] = MISSING
    n_points: int = MISSING
    grid: bool = MISSING


@dataclass
class ModelSchema:
    width: int = MISSING
    depth: int = MISSING
    activation: str = MISSING
    init: str = MISSING
    init_std: float = MISSING


@dataclass
class AlgoSchema:
    name: str = MISSING
    meta_optimizer: str = MISSING


@dataclass
class EvalSchema:
    n_tasks: int = MISSING
    seed: int = MISSING
    shots: int = MISSING
    steps: int = MISSING
    lr: float = MISSING
    optimizer: str = MISSING
    grid_points: int = MISSING
    curve_tasks: int = MISSING
    curve_ks: list[int] = MISSING
    predict_tasks: int = MISSING
    predict_ks: list[int] = MISSING
    predict_points: int = MISSING
    snapshot_every: int = MISSING
    extra_shots: list[int] = MISSING


@dataclass
class Schema:
    task: TaskSchema = field(default_factory=TaskSchema)
    model: ModelSchema = field(default_factory=ModelSchema)
    algo: AlgoSchema = field(default_factory=AlgoSchema)
    eval: EvalSchema = field(default_factory=EvalSchema)
    seed: int = MISSING
    device: str = MISSING
    threads: int = MISSING
    compile: bool = MISSING
    meta_step: float = MISSING
    meta_step_final: float = MISSING
    meta_batch: int = MISSING
    meta_iters: int = MISSING
    inner_steps: int = MISSING
    inner_batch: int = MISSING
    inner_lr: float = MISSING
    inner_optimizer: str = MISSING
    log_every: int = MISSING
    checkpoint_every: int = MISSING


def register() -> None:
    ConfigStore.instance().store(name="schema", node=Schema)

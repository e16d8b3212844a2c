"""Configs for tests, composed from conf/ as the app composes them (never copied)."""

from __future__ import annotations

import dataclasses

import torch

from experiments import CONF, build
from experiments.config import compose_config
from reptile.meta import Member, MetaConfig

__all__ = ["compose_config", "group_options", "lr", "member", "meta_config"]


def group_options(group: str) -> list[str]:
    """The options of a config group, e.g. group_options("sweep")."""
    return sorted(p.relative_to(CONF / group).with_suffix("").as_posix()
                  for p in (CONF / group).rglob("*.yaml"))


def meta_config(*overrides: str, **changes) -> MetaConfig:
    """The engine's shared knobs at conf/'s defaults (and `overrides`), with `changes` applied:
    meta_config(meta_batch=3). inner_steps is composed too, so that algo.terms follows it as
    conf/'s ${inner_steps} does."""
    if "inner_steps" in changes:
        overrides = (*overrides, f"inner_steps={changes['inner_steps']}")
    return dataclasses.replace(build.meta_config(compose_config(*overrides)), **changes)


def member(*overrides: str, **changes) -> Member:
    """A member's own knobs at conf/'s defaults (and `overrides`), with `changes` applied:
    member(seed=1, inner_lr=0.01)."""
    return dataclasses.replace(build.member(compose_config(*overrides)), **changes)


def lr(value: float, n: int = 1) -> torch.Tensor:
    """A step size for n rows (the engine takes one per row)."""
    return torch.full((n,), value)

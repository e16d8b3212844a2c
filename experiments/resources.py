"""Memory, before any compute: a config whose estimated need exceeds what the machine (or its
GPU) has is refused in one line with the estimate and the key that drives it, instead of an
allocator's traceback minutes later (reptile/memory.py estimates; tests/test_resources.py
measures the estimate against real jobs).
"""

from __future__ import annotations

import copy
import dataclasses
import os
from pathlib import Path

from omegaconf import DictConfig, OmegaConf

from reptile.memory import Sizes, peak_bytes

from .schema import knobs

PROCESS_BYTES = 600 * 2**20  # Python, torch, pandas and matplotlib, before a job's tensors
SURE_FIT = 2**30  # a need this small is not checked against the device (no torch import)
# the keys that set sizes, in the order a tie names them
SIZE_KEYS = ("meta_batch", "model.width", "model.depth", "inner_steps", "inner_batch",
             "task.n_points", "eval.n_tasks", "eval.steps", "eval.grid_points", "eval.shots",
             "eval.extra_shots", "eval.predict_tasks", "eval.predict_points", "eval.predict_ks")


def sizes(cfg: DictConfig, members: int = 1) -> Sizes:
    e = cfg.eval
    return Sizes(width=cfg.model.width, depth=cfg.model.depth, algo=cfg.algo.name,
                 meta_batch=cfg.meta_batch, inner_steps=cfg.inner_steps,
                 inner_batch=cfg.inner_batch, inner_optimizer=cfg.inner_optimizer,
                 n_points=cfg.task.n_points, grid=cfg.task.grid, n_tasks=e.n_tasks,
                 shots=max([e.shots, *e.extra_shots]), grid_points=e.grid_points,
                 eval_steps=e.steps, predict_tasks=e.predict_tasks,
                 predict_points=e.predict_points, predict_ks=len(e.predict_ks), members=members)


def need(cfg: DictConfig, members: int = 1) -> int:
    """Bytes a job of `cfg` (a population of `members` such jobs) needs at its peak."""
    return PROCESS_BYTES + peak_bytes(sizes(cfg, members))


def check(cfg: DictConfig, members: int = 1) -> None:
    """Raises ValueError (one line) when the need exceeds the memory of the job's device."""
    needed = need(cfg, members)
    if needed <= SURE_FIT:
        return
    limit, where = available(cfg.device)
    if needed > limit:
        key = driver(cfg, members)
        value = OmegaConf.select(cfg, key)
        value = OmegaConf.to_container(value) if OmegaConf.is_config(value) else value
        raise ValueError(f"{key}={value} needs about {_gb(needed)} of memory (estimated before "
                         f"any compute), more than {where} ({_gb(limit)}): lower {key}")


def driver(cfg: DictConfig, members: int = 1) -> str:
    """The size key whose default would lower the need most."""
    defaults = {key: f.default_factory() if f.default is dataclasses.MISSING else f.default
                for key, f in knobs()}
    needed = need(cfg, members)

    def without(key: str) -> int:
        other = copy.deepcopy(cfg)
        OmegaConf.update(other, key, defaults[key], merge=False)
        try:
            return need(other, members)
        except Exception:  # a default that does not fit the rest: no help
            return needed
    return max(SIZE_KEYS, key=lambda key: needed - without(key))


def available(device: str) -> tuple[int, str]:
    """(bytes, what they are) of the memory a job on `device` (cpu | cuda | auto) can use."""
    if device != "cpu":
        import torch

        if torch.cuda.is_available():
            props = torch.cuda.get_device_properties(0)
            return props.total_memory, f"the GPU's memory ({props.name})"
    return machine_memory(), "this machine's memory"


def machine_memory() -> int:
    """Physical memory, or the cgroup's limit where one is set (a container, a SLURM job)."""
    total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    try:
        limit = Path("/sys/fs/cgroup/memory.max").read_text().strip()
    except OSError:
        return total
    return min(total, int(limit)) if limit.isdigit() else total


def _gb(n: int) -> str:
    try:
        return f"{n / 1e9:.3g} GB"
    except OverflowError:  # beyond a float: say its order of magnitude
        return f"~1e+{len(str(n)) - 10} GB"

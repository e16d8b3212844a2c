"""From a validated config to the engine's objects (reptile/): the one place that knows how
config keys map onto the library's arguments."""

from __future__ import annotations

import torch
from omegaconf import DictConfig

from reptile.algorithms import make_learner
from reptile.meta import Member, MetaConfig, MetaLearner
from reptile.mlp import MLP
from reptile.tasks import HeldOut, SineFamily, make_generator, make_heldout


def device(name: str) -> torch.device:
    """device=auto is cuda when one is visible, else cpu."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(name)


def family(cfg: DictConfig) -> SineFamily:
    t = cfg.task
    return SineFamily(tuple(t.amplitude), tuple(t.phase), tuple(t.x_range), t.n_points, t.grid)


def network(cfg: DictConfig) -> MLP:
    return MLP(cfg.model.width, cfg.model.depth, cfg.model.activation)


def initial_weights(cfg: DictConfig, net: MLP) -> torch.Tensor:
    """phi before meta-training, flat [D], from the training seed's own "init" stream."""
    return net.init(make_generator(cfg.seed, "init"), cfg.model.init, cfg.model.init_std)


def meta_config(cfg: DictConfig) -> MetaConfig:
    """The knobs a population's members share."""
    return MetaConfig(
        meta_batch=cfg.meta_batch, meta_iters=cfg.meta_iters, inner_steps=cfg.inner_steps,
        inner_batch=cfg.inner_batch, inner_optimizer=cfg.inner_optimizer,
        meta_optimizer=cfg.algo.meta_optimizer, tail=cfg.algo.tail, terms=cfg.algo.terms,
        combine=cfg.algo.combine,
    )


def member(cfg: DictConfig) -> Member:
    """The knobs of meta-training a member sets for itself."""
    return Member(seed=cfg.seed, meta_step=cfg.meta_step, meta_step_final=cfg.meta_step_final,
                  inner_lr=cfg.inner_lr)


def learner(cfgs: list[DictConfig], net: MLP, phi0: torch.Tensor,
            where: torch.device) -> MetaLearner:
    """The learner of a population: cfgs share every key but the member keys
    (schema.MEMBER_KEYS); phi0 [P, D] their initial weights."""
    cfg = cfgs[0]
    return make_learner(cfg.algo.name, net, phi0.clone(), family(cfg), meta_config(cfg),
                        [member(c) for c in cfgs], where, compile=cfg.compile)


def heldout(cfg: DictConfig, where: torch.device, shots: int | None = None) -> HeldOut:
    """The run's held-out tasks (eval.seed's stream) with eval.shots support points, or
    `shots` (eval.extra_shots): the same tasks, other support points (and, with
    eval.measure=query, as many query points)."""
    e = cfg.eval
    tasks = make_heldout(family(cfg), e.n_tasks, shots or e.shots, e.grid_points, e.seed,
                         e.measure, e.support)
    return tasks.to(where)


def validation(cfg: DictConfig, where: torch.device) -> HeldOut:
    """The run's validation tasks (eval.validation_tasks of them): drawn like the held-out
    tasks from eval.seed's own "validation" stream, so never among the test tasks."""
    e = cfg.eval
    return make_heldout(family(cfg), e.validation_tasks, e.shots, e.grid_points, e.seed,
                        e.measure, e.support, stream="validation").to(where)

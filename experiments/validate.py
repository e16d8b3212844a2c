"""Range and combination checks on a composed config, before any compute.

Each rule names a key, a predicate over the config and what is allowed; the first broken rule
becomes a one-line ConfigError: "inner_batch=60 is not allowed: must be <= task.n_points (50)".
The schema (schema.py) has already checked names and types.
"""

from __future__ import annotations

from collections.abc import Callable

from omegaconf import DictConfig, OmegaConf

ALGORITHMS = ("reptile", "fomaml", "maml", "pretrain")
DEVICES = ("auto", "cpu", "cuda")
OPTIMIZERS = ("sgd", "adam")


class ConfigError(ValueError):
    """An impossible configuration; the message is one line naming key, value and what is
    allowed."""


def _mlp_choices(name: str) -> tuple[str, ...]:
    """The names in reptile.mlp's table `name` (ACTIVATIONS, INITS), imported only when a rule
    runs: reptile imports torch."""
    import reptile.mlp

    return tuple(getattr(reptile.mlp, name))


def _keys(cfg: DictConfig, prefix: str = "") -> set[str]:
    """Dotted names of every key, nested ones included (not list items)."""
    keys = set()
    for key in cfg.keys():
        if key == "hydra":
            continue
        value = cfg._get_node(key)
        keys.add(prefix + str(key))
        if OmegaConf.is_dict(value):
            keys |= _keys(value, f"{prefix}{key}.")
    return keys


def _interval(values) -> bool:
    return len(values) == 2 and values[0] <= values[1]


def _ks_within(ks, steps) -> bool:
    return len(ks) > 0 and all(0 <= k <= steps for k in ks)


# (key, rule(value, cfg), what is allowed: a format string over cfg)
RULES: list[tuple[str, Callable, str]] = [
    ("seed", lambda v, c: v >= 0, "an integer >= 0"),
    ("device", lambda v, c: v in DEVICES, "one of " + ", ".join(DEVICES)),
    ("threads", lambda v, c: v >= 0, "an integer >= 0 (0 = torch's default)"),
    ("algo.name", lambda v, c: v in ALGORITHMS, "one of " + ", ".join(ALGORITHMS)),
    ("algo.meta_optimizer", lambda v, c: v in OPTIMIZERS, "one of " + ", ".join(OPTIMIZERS)),
    ("meta_step", lambda v, c: 0 < v <= 1, "a number in (0, 1]"),
    ("meta_step_final", lambda v, c: 0 <= v <= c.meta_step,
     "a number in [0, meta_step] ({c.meta_step})"),
    ("meta_batch", lambda v, c: v >= 1, "an integer >= 1"),
    ("meta_iters", lambda v, c: v >= 1, "an integer >= 1"),
    ("inner_steps", lambda v, c: v >= 1, "an integer >= 1"),
    ("inner_batch", lambda v, c: 1 <= v <= c.task.n_points,
     "an integer in [1, task.n_points] ([1, {c.task.n_points}])"),
    ("inner_lr", lambda v, c: v > 0, "a number > 0"),
    ("inner_optimizer", lambda v, c: v in OPTIMIZERS, "one of " + ", ".join(OPTIMIZERS)),
    # second-order MAML differentiates through plain SGD inner steps only
    ("inner_optimizer", lambda v, c: v == "sgd" or c.algo.name != "maml",
     "sgd when algo.name is maml"),
    ("model.width", lambda v, c: v >= 1, "an integer >= 1"),
    ("model.depth", lambda v, c: v >= 1, "an integer >= 1"),
    ("model.activation", lambda v, c: v in _mlp_choices("ACTIVATIONS"),
     "one of tanh, relu, sigmoid"),
    ("model.init", lambda v, c: v in _mlp_choices("INITS"), "one of uniform, normal"),
    ("model.init_std", lambda v, c: v > 0, "a number > 0"),
    ("task.amplitude", lambda v, c: _interval(v) and v[0] >= 0, "[lo, hi] with 0 <= lo <= hi"),
    ("task.phase", lambda v, c: _interval(v), "[lo, hi] with lo <= hi"),
    ("task.x_range", lambda v, c: _interval(v) and v[0] < v[1], "[lo, hi] with lo < hi"),
    ("task.n_points", lambda v, c: v >= 1, "an integer >= 1"),
    ("eval.n_tasks", lambda v, c: v >= 1, "an integer >= 1"),
    ("eval.shots", lambda v, c: v >= 1 and (not c.task.grid or v <= c.task.n_points),
     "an integer >= 1, and <= task.n_points ({c.task.n_points}) on a grid task family"),
    ("eval.steps", lambda v, c: v >= 1, "an integer >= 1"),
    ("eval.lr", lambda v, c: v > 0, "a number > 0"),
    ("eval.optimizer", lambda v, c: v in OPTIMIZERS, "one of " + ", ".join(OPTIMIZERS)),
    ("eval.grid_points", lambda v, c: v >= 2, "an integer >= 2"),
    ("eval.curve_tasks", lambda v, c: 1 <= v <= c.eval.n_tasks,
     "an integer in [1, eval.n_tasks] ([1, {c.eval.n_tasks}])"),
    ("eval.curve_ks", lambda v, c: _ks_within(v, c.eval.steps),
     "a non-empty list of k in [0, eval.steps] ([0, {c.eval.steps}])"),
    ("eval.predict_tasks", lambda v, c: 0 <= v <= c.eval.n_tasks,
     "an integer in [0, eval.n_tasks] ([0, {c.eval.n_tasks}])"),
    ("eval.predict_ks", lambda v, c: _ks_within(v, c.eval.steps),
     "a non-empty list of k in [0, eval.steps] ([0, {c.eval.steps}])"),
    ("eval.predict_points", lambda v, c: v >= 2, "an integer >= 2"),
    ("eval.snapshot_every", lambda v, c: v >= 0, "an integer >= 0 (0 = no snapshots.csv)"),
    ("eval.extra_shots", lambda v, c: all(
        k >= 1 and (not c.task.grid or k <= c.task.n_points) for k in v),
     "a list of integers >= 1, each <= task.n_points ({c.task.n_points}) on a grid task family"),
    ("log_every", lambda v, c: v >= 1, "an integer >= 1"),
    ("checkpoint_every", lambda v, c: v >= 0, "an integer >= 0 (0 = only at the end)"),
]


def validate(cfg: DictConfig) -> None:
    """Raises ConfigError for the first rule the config breaks."""
    from .schema import Schema  # the schema's keys are the allowed ones

    unknown = sorted(_keys(cfg) - _keys(OmegaConf.structured(Schema)))
    if unknown:
        raise ConfigError(f"{unknown[0]} is not a known key: check its spelling, and drop the + "
                          "(the README lists every key)")
    for key, ok, allowed in RULES:
        value = OmegaConf.select(cfg, key)
        plain = OmegaConf.to_container(value) if OmegaConf.is_config(value) else value
        try:
            good = bool(ok(plain, cfg))
        except TypeError:  # e.g. a list where a number belongs (the schema lets + keys in)
            good = False
        if not good:
            raise ConfigError(f"{key}={plain} is not allowed: must be {allowed.format(c=cfg)}")
    if cfg.device == "cuda":
        import torch

        if not torch.cuda.is_available():
            raise ConfigError("device=cuda is not allowed: no CUDA device is visible; use cpu "
                              "or auto")

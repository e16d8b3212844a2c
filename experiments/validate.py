"""Range and combination checks on a composed config, before any compute, and its memory need
against the device's (resources.py).

The rules are the schema's (schema.py: each knob declares what it allows); the first broken one
becomes a one-line ConfigError: "inner_batch=60 is not allowed: must be an integer in
[1, task.n_points] ([1, 50])". Hydra has already checked names and types while composing.
"""

from __future__ import annotations

from omegaconf import DictConfig, OmegaConf
from omegaconf.errors import OmegaConfBaseException

from . import resources
from .schema import Schema, knobs


class ConfigError(ValueError):
    """An impossible configuration; the message is one line naming key, value and what is
    allowed."""


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


def validate(cfg: DictConfig) -> None:
    """Raises ConfigError for the first rule the config breaks."""
    unknown = sorted(_keys(cfg) - _keys(OmegaConf.structured(Schema)))
    if unknown:  # the schema refuses unknown keys, except those appended with +
        raise ConfigError(f"{unknown[0]} is not a known key: check its spelling, and drop the + "
                          "(the README lists every key)")
    # each key's own rules first: a rule across keys can then trust the other key's value
    for across in (False, True):
        for key, f in knobs():
            try:
                value = OmegaConf.select(cfg, key)
            except OmegaConfBaseException as exc:  # a derived default of a bad key's value
                if not across:
                    continue  # that key's own rule refuses it
                raise ConfigError(f"{key} cannot be derived: {str(exc).splitlines()[0]}") \
                    from None
            plain = OmegaConf.to_container(value) if OmegaConf.is_config(value) else value
            for rule in f.metadata["rules"]:
                if rule.across != across:
                    continue
                try:
                    good = bool(rule.ok(plain, cfg))
                except TypeError:  # e.g. a list where a number belongs (a + key slipped past)
                    good = False
                if not good:
                    raise ConfigError(f"{key}={plain} is not allowed: must be "
                                      f"{rule.allowed.format(c=cfg)}")
    if cfg.device == "cuda":
        import torch

        if not torch.cuda.is_available():
            raise ConfigError("device=cuda is not allowed: no CUDA device is visible; use cpu "
                              "or auto")
    try:
        resources.check(cfg)  # the memory it needs, against the device's
    except ValueError as exc:
        raise ConfigError(str(exc)) from None

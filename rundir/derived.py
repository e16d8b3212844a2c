"""Derived defaults: config values computed from other keys, as OmegaConf resolvers.

A default that must fit another key follows it unless the user sets it:
`eval.curve_tasks: ${reptile_sine.min:100,${eval.n_tasks}}` is 100, or eval.n_tasks when that is
smaller, so `eval.n_tasks=50` alone is a valid config. A value the user sets replaces the
expression and is checked as given. The schema (experiments/schema.py) writes its defaults with
these resolvers; Hydra saves them unresolved in .hydra/config.yaml, so analysis resolves a saved
config with the same functions (resolve_config), never with anything else a file might name.
"""

from __future__ import annotations

import re
from functools import lru_cache

from omegaconf import OmegaConf
from omegaconf.errors import OmegaConfBaseException

__all__ = ["QUERY_APART", "RESOLVERS", "register_resolvers", "resolve_config"]


def _min(*values):
    """The smallest argument: `${reptile_sine.min:100,${eval.n_tasks}}`."""
    return min(values)


def _upto(ks, limit):
    """The k of `ks` that are at most `limit`: `${reptile_sine.upto:[0,1,8,32],${eval.steps}}`."""
    return [k for k in ks if k <= limit]


def _cap_on_grid(value, n_points, grid):
    """`value`, at most n_points on a grid family (whose points are its grid):
    `${reptile_sine.cap_on_grid:10,${task.n_points},${task.grid}}`."""
    return min(value, n_points) if grid else value


# the algorithms whose algo.tail=separate holds a query minibatch of inner_batch points apart
# from the support (reptile/episodes.py); the schema's rule for algo.tail reads it too
QUERY_APART = ("maml", "fomaml", "combo")


def _batch_fit(value, n_points, grid, algo, tail):
    """`value`, at most what a task's points hold: n_points, or half of them on a grid family
    when the algorithm holds its query apart from the support (QUERY_APART, algo.tail=separate):
    `${reptile_sine.batch_fit:10,${task.n_points},${task.grid},${algo.name},${algo.tail}}`."""
    apart = grid and algo in QUERY_APART and tail == "separate"
    return min(value, max(1, n_points // 2) if apart else n_points)


# named in the project's own namespace: a notebook's own `min` resolver is never replaced or used
RESOLVERS = {"reptile_sine.min": _min, "reptile_sine.upto": _upto,
             "reptile_sine.cap_on_grid": _cap_on_grid, "reptile_sine.batch_fit": _batch_fit}
_CALL = re.compile(r"\$\{\s*([\w.]+)\s*:")  # a resolver call: ${name: ...}
_REF = re.compile(r"\$\{([\w.]+)\}")  # a reference to another key: ${eval.n_tasks}
_DEPTH = 10  # references of references at most: a saved config may loop


def register_resolvers() -> None:
    """Registers the resolvers with OmegaConf, once per process (calling again is a no-op)."""
    for name, function in RESOLVERS.items():
        if not OmegaConf.has_resolver(name):
            OmegaConf.register_new_resolver(name, function)


def resolve_config(config: dict) -> dict | None:
    """A saved config (nested dicts) with its references and derived defaults computed; None
    where it names a resolver other than RESOLVERS (a run directory's contents are never
    executed: no ${oc.env:...}), a missing key, or does not resolve.

    Each value is resolved on its own, with the values it refers to written in: a sweep's
    thousand configs hold a handful of distinct expressions, each evaluated once."""
    def lookup(key: str):
        node = config
        for part in key.split("."):
            node = node[part]
        return node

    def value(v, depth: int = 0):
        if not isinstance(v, str) or "${" not in v:
            return v
        if depth > _DEPTH or any(name not in RESOLVERS for name in _CALL.findall(v)):
            raise ValueError(v)
        whole = _REF.fullmatch(v)
        if whole:
            return value(lookup(whole.group(1)), depth + 1)
        text = _REF.sub(lambda m: _literal(value(lookup(m.group(1)), depth + 1)), v)
        result = _evaluate(text)
        return list(result) if isinstance(result, tuple) else result

    def walk(node):
        if isinstance(node, dict):
            return {key: walk(item) for key, item in node.items()}
        if isinstance(node, list):
            return [walk(item) for item in node]
        return value(node)

    try:
        return walk(config)
    except (KeyError, TypeError, ValueError, OmegaConfBaseException, RecursionError):
        return None


def _literal(value) -> str:
    """A value as OmegaConf's grammar writes it inside an interpolation."""
    if isinstance(value, bool) or value is None:
        return {True: "true", False: "false", None: "null"}[value]
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, list):
        return "[" + ",".join(map(_literal, value)) + "]"
    if isinstance(value, str):
        return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"
    raise TypeError(type(value).__name__)


@lru_cache(maxsize=4096)
def _evaluate(text: str):
    """One value's text with its references written in, e.g. ${reptile_sine.min:100,50} (lists
    come back as tuples: the cache hands out the same object)."""
    register_resolvers()
    result = OmegaConf.to_container(OmegaConf.create({"v": text}), resolve=True)["v"]
    return tuple(result) if isinstance(result, list) else result

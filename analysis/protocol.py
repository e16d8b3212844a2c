"""The protocol line of captions, built from the config values every loaded job shares.

Values that vary are the subject of the table or figure and are left out here. Items whose keys
are absent (a config from another version) are skipped rather than guessed.
"""

from __future__ import annotations

from collections.abc import Callable

from analysis.fmt import number


def _range(values) -> str:
    lo, hi = values
    return f"[{number(lo)}, {number(hi)}]"


# (keys needed, how to say it); the order is the order of the caption.
_ITEMS: list[tuple[tuple[str, ...], Callable[..., str]]] = [
    (("model.activation", "model.width", "model.depth"),
     lambda act, width, depth: f"{act} MLP 1-{'-'.join([str(width)] * depth)}-1"),
    (("algo",), str),
    (("algo.name",), str),
    (("meta_iters",), lambda n: f"{n} outer iterations"),
    (("meta_batch",), lambda n: f"meta-batch n={n}"),
    (("meta_step", "meta_step_final"), lambda a, b: f"meta step ε={number(a)}→{number(b)}"),
    (("inner_optimizer", "inner_lr"), lambda opt, lr: f"inner {str(opt).upper()} α={number(lr)}"),
    (("inner_steps",), lambda k: f"{k} inner steps"),
    (("inner_batch",), lambda m: f"inner batch m={m}"),
    (("task.amplitude",), lambda r: f"amplitude ∈ {_range(r)}"),
    (("task.phase",), lambda r: f"phase ∈ {_range(r)}"),
    (("task.x_range",), lambda r: f"x ∈ {_range(r)}"),
    (("eval.shots",), lambda k: f"eval K={k} shots"),
    (("eval.steps", "eval.lr"), lambda n, lr: f"{n} adaptation steps at α={number(lr)}"),
    (("eval.n_tasks",), lambda n: f"{n} held-out tasks"),
]


def describe(constants: dict) -> str:
    """E.g. "tanh MLP 1-64-64-1, reptile, ..., 1000 held-out tasks"."""
    parts = []
    for keys, say in _ITEMS:
        if all(key in constants and constants[key] is not None for key in keys):
            try:
                parts.append(say(*(constants[key] for key in keys)))
            except (TypeError, ValueError):  # an unexpected shape: leave the item out
                continue
    return ", ".join(parts)

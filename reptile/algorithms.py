"""The algorithms by name (conf/algo/NAME.yaml sets algo.name): each a MetaLearner with the same
interface (step, phi, iteration, state_dict), trained by the same runner and evaluated by the
same code (evaluate.py)."""

from __future__ import annotations

from .combo import Combo
from .maml import FOMAML, MAML
from .meta import MetaLearner, Reptile
from .pretrain import Pretrain

LEARNERS: dict[str, type[MetaLearner]] = {
    "reptile": Reptile,
    "fomaml": FOMAML,
    "maml": MAML,
    "pretrain": Pretrain,
    "combo": Combo,
}


def make_learner(name: str, *args, **kwargs) -> MetaLearner:
    """LEARNERS[name](net, phi, family, cfg, members, device, compile)."""
    if name not in LEARNERS:
        raise ValueError(f"unknown algorithm {name!r}; one of {', '.join(LEARNERS)}")
    return LEARNERS[name](*args, **kwargs)

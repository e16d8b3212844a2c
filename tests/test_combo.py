"""The gradient combinations of the Reptile paper's section 6.2 (algo=combo): against a plain
one-task loop (reptile/reference.py), and the identities the docs state: the sum with SGD inner
steps and a shared tail is Reptile (truncated after i steps), the last gradient alone is
first-order MAML with one inner step fewer at meta step eps * alpha."""

from __future__ import annotations

import dataclasses

import pytest
import torch

from experiments.validate import ConfigError, validate
from reptile import reference
from reptile.algorithms import make_learner
from reptile.mlp import MLP
from reptile.tasks import SineFamily, make_generator
from tests.helpers.config import compose_config, member, meta_config

FAMILY = SineFamily()
X_PER_TASK = SineFamily(phase=(0.0, torch.pi), n_points=10, grid=False)
NET = MLP(width=8)
MEMBERS = [member(seed=0, meta_step=0.5, inner_lr=0.05),
           member(seed=1, meta_step=0.3, meta_step_final=0.1, inner_lr=0.02),
           member(seed=2, meta_step=0.2, inner_lr=0.03)]


def combo_config(**changes):
    return meta_config("algo=combo", meta_batch=3, meta_iters=6, **changes)


def learner(algo: str, cfg, members=MEMBERS[:1], family=FAMILY):
    phi0 = torch.stack([NET.init(make_generator(m.seed, "init")) for m in members])
    return make_learner(algo, NET, phi0, family, cfg, members)


def read(xb: torch.Tensor, terms: int, tail: str) -> torch.Tensor:
    """The i minibatches a combination reads from one iteration's data [n, k, m, 1]: the first
    i of the cycle (shared tail), or the first i - 1 and the held-apart last slot (separate)."""
    if tail == "shared":
        return xb[:, :terms]
    return torch.cat([xb[:, : terms - 1], xb[:, -1:]], 1)


@pytest.mark.parametrize("adam", [False, True], ids=["sgd", "adam"])
@pytest.mark.parametrize("tail", ["shared", "separate"])
@pytest.mark.parametrize("combine", ["sum", "last"])
@pytest.mark.parametrize("terms", [1, 2, 4])
def test_one_outer_step_is_the_plain_loops(terms, combine, tail, adam):
    cfg = combo_config(inner_steps=4, terms=terms, combine=combine, tail=tail,
                       inner_optimizer="adam" if adam else "sgd")
    engine = learner("combo", cfg)
    me = MEMBERS[0]
    model = reference.build_module(NET, engine.phi[0])
    xb, yb = engine.tasks(0)
    assert xb.shape == (3, 4, 10, 1)
    reference.combination_step(model, read(xb, terms, tail), read(yb, terms, tail),
                               me.inner_lr, me.meta_step, combine, adam)
    phi0 = engine.phi.clone()
    engine.step()
    torch.testing.assert_close(engine.phi[0], reference.flat_params(model), rtol=1e-5,
                               atol=1e-6)
    assert (engine.phi - phi0).abs().max() > 1e-3  # it moved


@pytest.mark.parametrize("meta_optimizer", ["sgd", "adam"])
@pytest.mark.parametrize("steps", [1, 3])
def test_sum_with_sgd_and_a_shared_tail_is_reptile(steps, meta_optimizer):
    """phi - W_i = alpha (g_1 + ... + g_i): the sum at meta step eps moves phi as Reptile does,
    on the same tasks and minibatches, for every member of a population."""
    cfg = combo_config(inner_steps=steps, terms=steps, meta_optimizer=meta_optimizer)
    combo, plain = learner("combo", cfg, MEMBERS), learner("reptile", cfg, MEMBERS)
    assert torch.equal(combo.tasks(0)[0], plain.tasks(0)[0])
    # Reptile's phi - W loses digits to cancellation where alpha * g is tiny, and Adam divides
    # by the gradient's own size (every weight moves by about eps), so there the rounding shows
    tolerance = {"sgd": (1e-5, 1e-6), "adam": (1e-4, 1e-4)}[meta_optimizer]
    for _ in range(6):
        torch.testing.assert_close(combo.step(), plain.step(), rtol=tolerance[0], atol=1e-7)
    torch.testing.assert_close(combo.phi, plain.phi, rtol=tolerance[0], atol=tolerance[1])


def test_the_sum_of_fewer_terms_is_reptile_truncated():
    """terms = i < k: Reptile with i inner steps on the first i minibatches of the same tasks."""
    cfg = combo_config(inner_steps=5, terms=2)
    combo = learner("combo", cfg)
    truncated = learner("reptile", dataclasses.replace(cfg, inner_steps=2))
    xb, yb = combo.tasks(0)
    W = truncated.phi.repeat(3, 1)
    truncated.adapt(W, xb[:, :2], yb[:, :2], truncated.task_lr())
    eps = MEMBERS[0].meta_step
    combo.step()
    torch.testing.assert_close(combo.phi, truncated.phi + eps * (W.mean(0) - truncated.phi),
                               rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("family", [FAMILY, X_PER_TASK], ids=["grid", "x-per-task"])
@pytest.mark.parametrize("tail", ["shared", "separate"])
def test_the_last_gradient_is_fomaml_with_one_step_fewer(tail, family):
    """g_i alone at meta step eps is first-order MAML with i - 1 inner steps, the same tail and
    the same data, at meta step eps * alpha (the paper's update: eps times the last step)."""
    i = 4
    cfg = combo_config(inner_steps=i, terms=i, combine="last", tail=tail, inner_batch=5)
    combo = learner("combo", cfg, MEMBERS, family)
    fomaml_members = [dataclasses.replace(m, meta_step=m.meta_step * m.inner_lr,
                                          meta_step_final=m.meta_step_final * m.inner_lr)
                      for m in MEMBERS]
    fomaml = learner("fomaml", dataclasses.replace(cfg, inner_steps=i - 1), fomaml_members,
                     family)
    assert torch.equal(combo.tasks(2)[0], fomaml.tasks(2)[0])
    for _ in range(6):
        torch.testing.assert_close(combo.step(), fomaml.step(), rtol=1e-5, atol=1e-7)
    torch.testing.assert_close(combo.phi, fomaml.phi, rtol=1e-5, atol=1e-6)


def test_with_inner_adam_the_sum_is_of_raw_gradients_not_reptiles_steps():
    cfg = combo_config(inner_steps=3, inner_optimizer="adam")
    combo, plain = learner("combo", cfg), learner("reptile", cfg)
    combo.step(), plain.step()
    assert (combo.phi - plain.phi).abs().max() > 1e-3


def test_one_term_is_the_same_gradient_whatever_the_combination():
    """g_1 alone is the gradient at phi on the first minibatch: joint training."""
    runs = [learner("combo", combo_config(inner_steps=3, terms=1, combine=c)) for c in
            ("sum", "last")]
    for _ in range(3):
        for run in runs:
            run.step()
    assert torch.equal(runs[0].phi, runs[1].phi)


@pytest.mark.parametrize("overrides,message", [
    (["inner_steps=3", "algo.terms=4"],
     r"^algo.terms=4 is not allowed: must be an integer in \[1, inner_steps\] \(\[1, 3\]\)$"),
    (["algo.terms=0"], r"^algo.terms=0 is not allowed: must be an integer in \[1, inner_steps\]"),
    (["algo.combine=mean"], r"^algo.combine=mean is not allowed: must be one of sum, last$"),
    (["algo.tail=separate", "inner_batch=30"], r"^algo.tail=separate is not allowed: must be "
                                                r"shared when a grid task's points"),
])
def test_bad_combinations_are_refused_in_one_line(overrides, message):
    with pytest.raises(ConfigError, match=message):
        validate(compose_config("algo=combo", *overrides))


def test_terms_default_to_every_inner_step():
    cfg = compose_config("algo=combo", "inner_steps=7")
    validate(cfg)
    assert (cfg.algo.terms, cfg.algo.combine, cfg.algo.tail) == (7, "sum", "shared")


@pytest.mark.slow
@pytest.mark.parametrize("combine", ["sum", "last"])
def test_compiled_combination_matches_eager(combine):
    cfg = combo_config(inner_steps=4, terms=3, combine=combine)
    eager = learner("combo", cfg, MEMBERS[:2])
    phi0 = eager.phi.clone()
    compiled = make_learner("combo", NET, phi0, FAMILY, cfg, MEMBERS[:2], compile=True)
    for _ in range(6):
        eager.step(), compiled.step()
    torch.testing.assert_close(compiled.phi, eager.phi, rtol=1e-5, atol=1e-6)

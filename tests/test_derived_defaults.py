"""Defaults that a cross-key rule bounds follow the key that bounds them (rundir/derived.py):
setting only that key is a valid config; only a conflict between values the user set is
refused."""

from __future__ import annotations

import pandas as pd
import pytest
from omegaconf import OmegaConf

import rundir
from experiments.preflight import check
from experiments.schema import knobs
from experiments.validate import ConfigError, validate
from rundir.derived import RESOLVERS, register_resolvers, resolve_config
from tests.helpers.app import run_app
from tests.helpers.config import compose_config, group_options

# every key with a rule across keys: (overrides of the keys it depends on, its value then)
DERIVED = {
    "eval.curve_tasks": [(["eval.n_tasks=50"], 50), (["eval.n_tasks=1"], 1),
                         (["eval.n_tasks=5000"], 100)],
    "eval.predict_tasks": [(["eval.n_tasks=3"], 3), (["eval.n_tasks=50"], 4)],
    "eval.curve_ks": [(["eval.steps=8"], [0, 1, 8]), (["eval.steps=4"], [0, 1]),
                      (["eval.steps=1"], [0, 1]), (["eval.steps=100"], [0, 1, 8, 32])],
    "eval.predict_ks": [(["eval.steps=8"], [0, 8]), (["eval.steps=20"], [0, 8, 16]),
                        (["eval.steps=1"], [0])],
    "inner_batch": [(["task.n_points=5"], 5), (["task.n_points=5", "task.grid=false"], 5),
                    (["task=maml"], 10), (["algo=maml", "task.n_points=15"], 7),
                    (["algo=fomaml", "task.n_points=15", "algo.tail=shared"], 10),
                    (["algo=combo", "algo.tail=separate", "task.n_points=15"], 7)],
    # a grid's points must hold MAML's query apart from a full support minibatch: the default
    # inner_batch makes room (above), so only a value the user set can conflict
    "algo.tail": [(["algo=maml", "task.n_points=15"], "separate"),
                  (["algo=fomaml", "task.n_points=3"], "separate")],
    "eval.shots": [(["task.n_points=5"], 5), (["task.n_points=5", "task.grid=false"], 10),
                   (["task.n_points=1"], 1)],
}
# keys whose rule reads another key but whose default fits every value of it
ALWAYS_FIT = {
    "meta_step_final": ["meta_step=0.001"],  # default 0.0, in [0, meta_step] for any meta_step
    "inner_optimizer": ["algo=maml"],  # default sgd, which MAML allows
    "eval.extra_shots": ["task.n_points=1"],  # default []: nothing to fit
    "algo.terms": ["algo=combo", "inner_steps=1"],  # default ${inner_steps}: always fits
}


def test_every_rule_across_keys_is_audited():
    across = {key for key, f in knobs() if any(rule.across for rule in f.metadata["rules"])}
    assert across == set(DERIVED) | set(ALWAYS_FIT)


CASES = [(key, overrides, expected) for key, cases in DERIVED.items()
         for overrides, expected in cases]


@pytest.mark.parametrize("key,overrides,expected", CASES,
                         ids=[f"{k}-{'-'.join(o)}" for k, o, _ in CASES])
def test_a_derived_default_follows_the_key_it_depends_on(key, overrides, expected):
    cfg = compose_config(*overrides)
    validate(cfg)
    value = OmegaConf.select(cfg, key)
    assert (OmegaConf.to_container(value) if OmegaConf.is_config(value) else value) == expected


@pytest.mark.parametrize("key", sorted(ALWAYS_FIT))
def test_a_default_that_always_fits_validates_at_the_other_keys_extremes(key):
    validate(compose_config(*ALWAYS_FIT[key]))


# (the user's overrides, the key the one-line refusal names)
CONFLICTS = [
    (["eval.n_tasks=50", "eval.curve_tasks=100"], "eval.curve_tasks=100"),
    (["eval.n_tasks=3", "eval.predict_tasks=4"], "eval.predict_tasks=4"),
    (["eval.steps=8", "eval.curve_ks=[0,32]"], "eval.curve_ks=[0, 32]"),
    (["eval.steps=8", "eval.predict_ks=[16]"], "eval.predict_ks=[16]"),
    (["task.n_points=5", "inner_batch=10"], "inner_batch=10"),
    (["task.n_points=5", "eval.shots=10"], "eval.shots=10"),
]


@pytest.mark.parametrize("overrides,named", CONFLICTS, ids=[c[1] for c in CONFLICTS])
def test_a_conflict_between_set_values_is_refused_naming_the_key(overrides, named):
    with pytest.raises(ConfigError, match=f"^{named.replace('[', '.').replace(']', '.')} is "
                                          "not allowed"):
        validate(compose_config(*overrides))


def test_a_bad_source_is_refused_by_its_own_rule_not_by_what_derives_from_it():
    with pytest.raises(ConfigError, match=r"^eval.n_tasks=0 is not allowed"):
        validate(compose_config("eval.n_tasks=0"))
    with pytest.raises(ConfigError, match=r"^task.n_points=0 is not allowed"):
        validate(compose_config("task.n_points=0"))


PRESETS = [("experiment", o) for o in group_options("experiment")] + \
    [("sweep", o) for o in group_options("sweep")]


@pytest.mark.parametrize("group,option", PRESETS, ids=[f"{g}={o}" for g, o in PRESETS])
def test_every_preset_accepts_fewer_held_out_tasks_and_steps(group, option):
    """Presets derive their curve and prediction settings too (seed_post_figure's fit after 8
    steps is its protocol: it keeps 8 steps)."""
    validate(compose_config(f"{group}={option}", "eval.n_tasks=2"))
    if option != "seed_post_figure":
        validate(compose_config(f"{group}={option}", "eval.steps=1"))


def test_the_issues_command_line_passes_preflight():
    check(["eval.n_tasks=50"])  # refused before: eval.curve_tasks=100, a key never set
    check(["-m", "eval.n_tasks=10,20", "eval.steps=4"])


def test_resolvers_register_once_and_registering_again_is_harmless():
    register_resolvers()
    register_resolvers()
    assert all(OmegaConf.has_resolver(name) for name in RESOLVERS)
    assert all(name.startswith("reptile_sine.") for name in RESOLVERS)  # never a user's own


def test_a_saved_config_resolves_with_the_same_functions_and_nothing_else():
    saved = OmegaConf.to_container(compose_config("eval.n_tasks=7", "eval.steps=4"),
                                   resolve=False)
    assert saved["eval"]["curve_tasks"].startswith("${reptile_sine.min:")
    resolved = resolve_config(saved)
    assert resolved["eval"]["curve_tasks"] == 7 and resolved["eval"]["curve_ks"] == [0, 1]
    assert resolved["eval"]["lr"] == saved["inner_lr"]
    assert resolve_config({"a": "${oc.env:HOME}"}) is None  # never runs what a file names
    assert resolve_config({"a": "${b}", "b": "${a}"}) is None  # a loop
    assert resolve_config({"a": "${reptile_sine.min:1,${missing}}"}) is None


def test_a_real_run_with_only_small_sources_set_writes_the_derived_sizes(tmp_path):
    out = tmp_path / "run"
    proc = run_app("meta_iters=20", "log_every=10", "checkpoint_every=0", "model.width=8",
                   "eval.n_tasks=3", "eval.steps=2", f"hydra.run.dir={out}")
    assert proc.returncode == 0, proc.stderr
    curve = pd.read_csv(out / rundir.CURVE)
    assert sorted(set(curve["k"])) == [0, 1]
    predictions = pd.read_csv(out / rundir.PREDICTIONS)
    assert sorted(set(predictions["task"])) == [0, 1, 2] and set(predictions["k"]) == {0}
    assert rundir.read_config(out)["eval"]["curve_tasks"] == 3  # analysis reads it resolved

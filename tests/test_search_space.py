"""The Optuna sweeper's search space: Hydra's sweep grammar -> Optuna distributions, sampled
values -> override text that Hydra parses back to the same value."""

from __future__ import annotations

import pytest
from hydra.core.override_parser.overrides_parser import OverridesParser
from optuna.distributions import CategoricalDistribution, FloatDistribution, IntDistribution

from hydra_plugins.optuna_search._space import SearchSpace, format_value
from rundir.sweep import replicates


@pytest.mark.parametrize("line, expected", [
    ("x=interval(-1, 2)", FloatDistribution(-1.0, 2.0)),
    ("x=tag(log, interval(1e-4, 1e-1))", FloatDistribution(1e-4, 1e-1, log=True)),
    ("x=tag(int, interval(1, 64))", IntDistribution(1, 64)),
    ("x=tag(log, int, interval(8, 256))", IntDistribution(8, 256, log=True)),
    ("x=range(1, 11)", IntDistribution(1, 10)),  # Hydra's range excludes its stop
    ("x=range(0, 20, 5)", IntDistribution(0, 15, step=5)),
    ("x=range(0.0, 1.0, 0.25)", FloatDistribution(0.0, 0.75, step=0.25)),
    ("x=choice(sgd, adam)", CategoricalDistribution(["sgd", "adam"])),
    ("x=8,16,32", CategoricalDistribution([8, 16, 32])),
])
def test_distributions(line, expected):
    assert SearchSpace([line]).distributions == {"x": expected}


def test_plain_values_go_to_every_trial_and_a_later_line_wins():
    space = SearchSpace(["x=interval(0, 1)", "y=choice(a, b)", "z=3", "+extra=hello", "y=b"])
    assert list(space.distributions) == ["x"]
    assert space.fixed == ["z=3", "+extra=hello", "y=b"]
    assert space.overrides({"x": 0.25}) == ["z=3", "+extra=hello", "y=b", "x=0.25"]
    assert space.corners() == {"x": [0.0, 1.0]}


def test_a_sweep_of_the_replicate_key_is_not_searched():
    lines = ["seed=0,1,2", "inner_lr=tag(log, interval(0.001, 0.1))"]
    space = SearchSpace(lines, replicate_key="seed")
    assert list(space.distributions) == ["inner_lr"] and space.fixed == []
    assert replicates(lines, {}, "seed") == ["seed=0", "seed=1", "seed=2"]
    assert replicates(["seed=4"], {"seed": "0,1,2"}, "seed") == []  # the command line wins
    assert replicates([], {"seed": "0,1"}, None) == []
    assert "seed" in SearchSpace(lines, replicate_key=None).distributions


@pytest.mark.parametrize("line, message", [
    ("x=tag(foo, interval(0, 1))", "unknown tag"),
    ("x=tag(int, interval(0.5, 3))", "whole bounds"),
    ("x=shuffle(range(1, 5))", "shuffle"),
    ("x=tag(log, choice(1, 2))", "no tags"),
])
def test_refused(line, message):
    with pytest.raises(ValueError, match=message):
        SearchSpace([line])


@pytest.mark.parametrize("value", [0, -3, 0.1, 1e-05, 123456.789, 2.0, True, False, None,
                                   "adam", "a b", "it's", "null", "nan", "1.5", "x=y", "a,b",
                                   "${oops}", "back\\slash", "end\\", "q\\'q"])
def test_format_value_round_trips(value):
    parsed = OverridesParser.create().parse_override(f"k={format_value(value)}")
    assert not parsed.is_sweep_override()
    assert parsed.value() == value and type(parsed.value()) is type(value)

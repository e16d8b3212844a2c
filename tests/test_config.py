"""Every config composes and validates; every group option and preset is exercised."""

import re
from pathlib import Path

import pytest
import torch
from hydra.errors import ConfigCompositionException
from omegaconf import OmegaConf

import rundir
from experiments import CONF, build
from experiments.schema import Schema, knobs
from experiments.validate import ConfigError, validate
from reptile import names
from reptile.algorithms import LEARNERS
from reptile.inner import InnerOptimizer
from reptile.meta_optimizer import MetaOptimizer
from reptile.mlp import ACTIVATIONS, MLP
from reptile.tasks import SineFamily
from tests.helpers.config import compose_config as make
from tests.helpers.config import group_options as options


def test_default_config_composes_and_validates():
    cfg = make()
    validate(cfg)
    assert cfg.algo.name == "reptile" and cfg.eval.lr == cfg.inner_lr


@pytest.mark.parametrize(
    "group,option",
    [(g, o) for g in ("task", "model", "algo", "eval", "logger", "experiment")
     for o in options(g)],
)
def test_every_group_option_composes_and_validates(group, option):
    cfg = make(f"{group}={option}")
    validate(cfg)
    OmegaConf.to_container(cfg, resolve=True, throw_on_missing=True)


def test_reptile_paper_preset_is_the_paper_protocol():
    cfg = make("experiment=reptile_paper")
    assert (cfg.meta_batch, cfg.meta_iters, cfg.inner_lr, cfg.meta_step) == (1, 30000, 0.02, 0.1)
    assert (cfg.model.width, cfg.model.depth, cfg.model.activation) == (64, 2, "tanh")
    assert cfg.task.grid and cfg.task.n_points == 50 and cfg.inner_steps * cfg.inner_batch == 50


def test_maml_task_family():
    cfg = make("experiment=maml_sine")
    assert not cfg.task.grid and cfg.task.phase[1] == pytest.approx(3.14159, abs=1e-4)
    assert (cfg.model.width, cfg.model.activation, cfg.meta_batch) == (40, "relu", 25)


def test_figure1_presets_share_the_protocol_and_the_papers_evaluation():
    reptile = make("experiment=reptile_paper")
    shared = ("meta_batch", "meta_iters", "inner_steps", "inner_batch", "inner_lr", "model",
              "task")
    for preset, algo in (("figure1_reptile", "reptile"), ("figure1_maml", "maml"),
                         ("figure1_fomaml", "fomaml"), ("figure1_pretrain", "pretrain")):
        cfg = make(f"experiment={preset}")
        validate(cfg)
        assert cfg.algo.name == algo
        assert all(cfg[key] == reptile[key] for key in shared), preset
        assert cfg.eval.support == "uniform" and cfg.eval.measure == "grid"
        assert list(cfg.eval.predict_ks) == [0, 8, 16, 24, 32] and cfg.eval.shots == 10
        assert cfg.eval.lr == 0.02
        if algo != "reptile":  # the MAML paper's meta-optimiser, annealed as Reptile's eps
            assert (cfg.algo.meta_optimizer, cfg.meta_step, cfg.meta_step_final) == (
                "adam", 0.001, 0.0)
        if algo in ("maml", "fomaml"):
            assert cfg.algo.tail == "separate"


def test_uniform_support_may_exceed_a_grid_familys_points():
    validate(make("experiment=figure1_reptile", "eval.shots=60", "eval.extra_shots=[80]"))
    with pytest.raises(ConfigError, match=r"^eval.shots=60 is not allowed: .*eval.support=fam"):
        validate(make("experiment=reptile_paper", "eval.shots=60"))


def test_schema_refuses_unknown_keys_and_wrong_types():
    with pytest.raises(ConfigCompositionException):
        make("inner_step=4")
    with pytest.raises(ConfigCompositionException):
        make("inner_steps=four")


def test_every_key_in_conf_carries_a_comment():
    for path in CONF.rglob("*.yaml"):
        for line in path.read_text().splitlines():
            code = line.split("#")[0]
            if ":" in code and code.strip() and not code.strip().startswith("-"):
                key, _, value = code.partition(":")
                if value.strip() and not key.strip().startswith(("hydra", "defaults")):
                    assert "#" in line or _comment_above(path, line), f"{path.name}: {line}"


def _comment_above(path: Path, line: str) -> bool:
    lines = path.read_text().splitlines()
    i = lines.index(line)
    return i > 0 and lines[i - 1].strip().startswith("#")


def test_validation_message_names_key_value_and_what_is_allowed():
    with pytest.raises(ConfigError, match=r"^inner_batch=60 is not allowed: must be .*\[1, 50\]"):
        validate(make("inner_batch=60"))


# -- one declaration per knob: conf/ and the engine agree with the schema ----------------------
DEFAULT_FILES = {"config.yaml": "", "task/reptile.yaml": "task.", "model/mlp.yaml": "model.",
                 "algo/reptile.yaml": "algo.", "eval/default.yaml": "eval.",
                 "logger/none.yaml": "logger."}


def test_conf_defaults_are_the_schemas():
    composed = rundir.flatten(OmegaConf.to_container(make(), resolve=False))
    schema = rundir.flatten(OmegaConf.to_container(OmegaConf.structured(Schema), resolve=False))
    assert composed == schema


def test_conf_comments_are_the_schemas_docs():
    """Each knob's line in its default file carries the schema's doc as its comment."""
    docs = {key: f.metadata["doc"].replace("`", "") for key, f in knobs()}
    seen = {}
    for name, prefix in DEFAULT_FILES.items():
        for line in (CONF / name).read_text().splitlines():
            match = re.match(r"^([a-z_]+):\s*\S.*?\s+#\s(.*)$", line)
            if match and prefix + match.group(1) in docs:
                seen[prefix + match.group(1)] = match.group(2)
    assert seen == docs


def test_engine_defaults_are_confs():
    cfg = make()
    assert build.network(cfg) == MLP() and build.family(cfg) == SineFamily()


def test_the_engine_implements_exactly_the_declared_names():
    assert set(ACTIVATIONS) == set(names.ACTIVATIONS)
    assert set(LEARNERS) == set(names.ALGORITHMS)
    gen = torch.Generator().manual_seed(0)
    for scheme in names.INITS:
        MLP(4, 1).init(gen, scheme)
    for kind in names.OPTIMIZERS:
        InnerOptimizer(kind, 0.1), MetaOptimizer(kind)
    with pytest.raises(ValueError):
        InnerOptimizer("rmsprop", 0.1)


@pytest.mark.parametrize("key", [key for key, f in knobs() if f.metadata["rules"]])
def test_every_rule_refuses_with_one_line_naming_its_key(key):
    """A value no rule of the key can allow (a string where a number or list belongs, an
    unknown name) is refused in one line that starts with the key."""
    cfg = OmegaConf.create(OmegaConf.to_container(make()))  # untyped: the schema would refuse it
    OmegaConf.update(cfg, key, "not-a-value", merge=False)
    with pytest.raises(ConfigError) as err:
        validate(cfg)
    message = str(err.value)
    assert message.startswith(f"{key}=not-a-value is not allowed: must be ") and "\n" not in message

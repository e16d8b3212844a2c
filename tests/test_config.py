"""Every config composes and validates; every group option and preset is exercised."""

from pathlib import Path

import pytest
from hydra import compose, initialize_config_dir
from hydra.errors import ConfigCompositionException
from omegaconf import OmegaConf

from experiments.schema import register
from experiments.validate import ConfigError, validate

CONF = Path(__file__).resolve().parents[1] / "conf"
register()


def options(group: str) -> list[str]:
    return sorted(p.stem for p in (CONF / group).glob("*.yaml"))


def make(*overrides: str):
    with initialize_config_dir(config_dir=str(CONF), version_base="1.3"):
        return compose("config", overrides=list(overrides))


def test_default_config_composes_and_validates():
    cfg = make()
    validate(cfg)
    assert cfg.algo.name == "reptile" and cfg.eval.lr == cfg.inner_lr


@pytest.mark.parametrize(
    "group,option",
    [(g, o) for g in ("task", "model", "algo", "eval", "experiment") for o in options(g)],
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

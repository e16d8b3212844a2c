"""Generated abuse (hypothesis): overrides of every key with values of any type and size, and
damage of every kind to run directories. An override either validates or is refused in one line
(exit 2 on the command line), never a traceback; analysis reads a damaged sweep with one-line
warnings naming the files, never a crash.

Case counts per run: FAST_CASES overrides, a third as many sweeps and half as many damaged sweeps
in the fast suite; SLOW_CASES overrides, a third as many damaged sweeps and CLI_CASES command
lines more under -m slow.
"""

from __future__ import annotations

import json
import math
import shutil
import string
import warnings
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import rundir
from analysis.curves import read_curves
from analysis.errors import RunDirWarning
from analysis.gallery import read_gallery
from analysis.load import load_runs
from analysis.render import latex, markdown
from analysis.tables import sensitivity_tables
from experiments.preflight import check
from experiments.schema import knobs
from experiments.validate import ConfigError
from tests.helpers.app import TINY, run_app
from tests.helpers.synthetic import make_sweep

FAST_CASES, SLOW_CASES, CLI_CASES = 100, 1500, 6
KEYS = [key for key, _ in knobs()]
FUZZ = dict(deadline=None, database=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])


# -- overrides ---------------------------------------------------------------------------------
def _number_text(x: float) -> str:
    return "nan" if math.isnan(x) else repr(x)


scalars = st.one_of(
    st.integers(min_value=-10**40, max_value=10**40).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(_number_text),
    st.sampled_from(["true", "false", "null", "", "[]", "{}", "''", "inf", "-inf", "nan",
                     "1e400", "-0", "0x10", "9" * 400, "${seed}", "${nope}", "${oc.env:HOME}",
                     "a,b", "[1,2", "'unclosed", "tanh", "adam", "cuda", "x" * 2000]),
    st.text(min_size=0, max_size=30),  # any unicode, quotes, commas, brackets, spaces
    st.text(alphabet=string.ascii_letters + string.digits + "_-.", min_size=1, max_size=12),
)
values = st.one_of(scalars, st.lists(st.one_of(
    st.integers(min_value=-10**12, max_value=10**12).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(_number_text),
    st.sampled_from(["a", "''", "null"])), max_size=5).map(lambda v: "[" + ",".join(v) + "]"))
# values of the key's own type, extremes included, so that most cases reach the rules
ints = st.one_of(st.integers(min_value=-3, max_value=70),
                 st.integers(min_value=-10**30, max_value=10**30)).map(str)
floats = st.one_of(st.floats(min_value=-2, max_value=2),
                   st.floats(allow_nan=True, allow_infinity=True)).map(_number_text)
NAMES = ["sgd", "adam", "tanh", "relu", "sigmoid", "uniform", "normal", "reptile", "maml",
         "fomaml", "pretrain", "cpu", "auto", "cuda", "é", "x y"]
TYPED = {"int": ints, "float": floats, "bool": st.sampled_from(["true", "false"]),
         "str": st.one_of(st.sampled_from(NAMES), st.text(max_size=8)),
         "list[int]": st.lists(ints, max_size=6).map(lambda v: "[" + ",".join(v) + "]"),
         "list[float]": st.lists(floats, max_size=3).map(lambda v: "[" + ",".join(v) + "]")}
TYPES = {key: str(f.type) for key, f in knobs()}
override = st.sampled_from(KEYS).flatmap(
    lambda key: st.one_of(TYPED[TYPES[key]], values).map(lambda value: f"{key}={value}"))
overrides = st.lists(override, min_size=1, max_size=3)


def _validates_or_refuses_in_one_line(argv: list[str]) -> None:
    try:
        check(argv)
    except ConfigError as exc:
        message = str(exc)
        assert message and "\n" not in message, (argv, message)


@settings(max_examples=FAST_CASES, **FUZZ)
@given(overrides)
def test_any_override_of_any_key_validates_or_is_refused_in_one_line(argv):
    _validates_or_refuses_in_one_line(argv)


@settings(max_examples=FAST_CASES // 3, **FUZZ)
@given(st.sampled_from(KEYS), st.lists(scalars, min_size=2, max_size=3))
def test_any_sweep_over_any_key_validates_or_is_refused_in_one_line(key, sweep_values):
    _validates_or_refuses_in_one_line(["-m", f"{key}={','.join(sweep_values)}"])


@pytest.mark.slow
@settings(max_examples=SLOW_CASES, **FUZZ)
@given(overrides)
def test_many_more_overrides_validate_or_are_refused_in_one_line(argv):
    _validates_or_refuses_in_one_line(argv)


@pytest.mark.slow
@settings(max_examples=CLI_CASES, **FUZZ)
@given(overrides)
def test_the_command_line_runs_or_refuses_with_exit_2_never_a_traceback(tmp_path, argv):
    out = tmp_path / f"run{len(list(tmp_path.iterdir()))}"
    proc = run_app(*TINY, *argv, f"hydra.run.dir={out}")
    assert "Traceback" not in proc.stderr, (argv, proc.stderr)
    if proc.returncode == 2:
        assert len(proc.stderr.strip().splitlines()) == 1, (argv, proc.stderr)
    else:  # accepted: it ran (a generated config may also diverge: a result, not a crash)
        assert proc.returncode == 0, (argv, proc.stderr)
        assert rundir.read_run_json(out)["status"] in rundir.FINAL


# -- damaged run directories ---------------------------------------------------------------------
# what analysis reads of each job, and of the sweep
JOB_FILES = [rundir.RUN_JSON, rundir.CONFIG, rundir.OVERRIDES, rundir.eval_file(),
             rundir.CURVE, rundir.PREDICTIONS, rundir.SUPPORT]
json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=10)),
    lambda inner: st.one_of(st.lists(inner, max_size=3),
                            st.dictionaries(st.text(max_size=5), inner, max_size=3)),
    max_leaves=6)


@st.composite
def damage(draw):
    """(job number or None for the sweep's multirun.yaml, file, how, what it writes)."""
    job = draw(st.sampled_from([0, 1, 2, 3, None]))
    file = rundir.MULTIRUN if job is None else draw(st.sampled_from(JOB_FILES))
    how = draw(st.sampled_from(["truncate", "random bytes", "delete", "wrong type", "empty"]))
    return job, file, how, draw(st.floats(0, 1)), draw(st.binary(max_size=200)), \
        draw(json_values), draw(st.integers(0, 30))


def _apply(sweep: Path, job, file, how, cut, garbage, value, field) -> Path:
    path = sweep / file if job is None else sweep / str(job) / file
    if how == "delete":
        path.unlink()
    elif how == "empty":
        path.write_bytes(b"")
    elif how == "truncate":
        data = path.read_bytes()
        path.write_bytes(data[: int(len(data) * cut)])
    elif how == "random bytes":
        path.write_bytes(garbage)
    elif path.suffix == ".json":  # a field, or the whole record, of another type
        record = json.loads(path.read_text())
        name = sorted(record)[field % len(record)]
        path.write_text(json.dumps({**record, name: value} if cut < 0.9 else value))
    elif path.suffix == ".yaml":
        tree = yaml.safe_load(path.read_text())
        if isinstance(tree, dict) and cut < 0.9:
            tree[sorted(tree)[field % len(tree)]] = value
        else:
            tree = value
        path.write_text(yaml.safe_dump(tree))
    else:  # a CSV cell of another type
        lines = path.read_text().splitlines()
        row = lines[min(len(lines) - 1, int(cut * len(lines)))].split(",")
        row[0] = json.dumps(value).replace(",", ";")
        lines[min(len(lines) - 1, int(cut * len(lines)))] = ",".join(row)
        path.write_text("\n".join(lines) + "\n")
    return path


@pytest.fixture(scope="module")
def intact(tmp_path_factory) -> Path:
    sweep = tmp_path_factory.mktemp("intact") / "sweep"
    make_sweep(sweep, {"inner_steps": [1, 4]}, seeds=(0, 1))
    return sweep


def _analyse(sweep: Path):
    """Everything analysis reads, without drawing; returns the runs and the warnings' texts."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        runs = load_runs([sweep])
        for table in sensitivity_tables(runs):
            markdown(table, "caption"), latex(table, "caption")
        read_curves(runs)
        read_gallery(runs)
    return runs, [str(w.message) for w in caught if issubclass(w.category, RunDirWarning)]


def _reads_damage(intact: Path, tmp_path: Path, case) -> None:
    sweep = tmp_path / f"sweep{len(list(tmp_path.iterdir()))}"
    shutil.copytree(intact, sweep)
    path = _apply(sweep, *case)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # (pandas' and numpy's, on nonsense numbers)
        runs, messages = _analyse(sweep)
    assert all("\n" not in m and m.startswith(str(sweep)) for m in messages), messages
    job = case[0]
    if job is not None and str(job) not in set(runs.frame["job"]):  # the damage left it out
        assert any(m.startswith(str(path)) for m in messages), (case[:3], messages)


@settings(max_examples=FAST_CASES // 2, **FUZZ)
@given(case=damage())
def test_any_damage_to_a_sweep_is_read_with_warnings_naming_the_files(intact, tmp_path, case):
    _reads_damage(intact, tmp_path, case)


@pytest.mark.slow
@settings(max_examples=SLOW_CASES // 3, **FUZZ)
@given(case=damage())
def test_much_more_damage_is_read_with_warnings_naming_the_files(intact, tmp_path, case):
    _reads_damage(intact, tmp_path, case)


@pytest.mark.parametrize("field", rundir.RUN_FIELDS)
@pytest.mark.parametrize("value", ["text", [1, {"a": None}]], ids=["str", "list"])
def test_a_run_json_field_of_another_type_leaves_the_job_out_naming_the_file(intact, tmp_path,
                                                                            field, value):
    sweep = tmp_path / "sweep"
    shutil.copytree(intact, sweep)
    path = sweep / "1" / rundir.RUN_JSON
    record = json.loads(path.read_text())
    if isinstance(value, str) and rundir.RUN_FIELD_TYPES[field] is str:
        value = 3  # a number where text belongs
    path.write_text(json.dumps({**record, field: value}))
    runs, messages = _analyse(sweep)
    assert "1" not in set(runs.frame["job"])
    assert any(m.startswith(f"{path}: ") for m in messages), messages

"""Memory before any compute: a config too large for the machine is refused in one line naming
the key that drives it (experiments/resources.py); the training stream's chunks stay bounded
(reptile/memory.py); a long stage says what it is doing (experiments/progress.py)."""

from __future__ import annotations

import io
import subprocess
import sys
import time
from contextlib import redirect_stderr

import pytest
import torch

from experiments import build, progress, resources
from experiments.validate import ConfigError, validate
from reptile import memory
from reptile.meta import task_stream
from reptile.mlp import MLP
from tests.helpers.app import ROOT, run_app
from tests.helpers.config import compose_config, group_options

# the examples: (overrides, the key the refusal names)
TOO_LARGE = [
    (["model.width=100000"], "model.width"),
    (["meta_batch=1000000"], "meta_batch"),
    (["algo=maml", "inner_steps=1000000"], "inner_steps"),  # autograd keeps every step
    (["eval.n_tasks=1000000000"], "eval.n_tasks"),
    (["model.depth=100000"], "model.depth"),
]


@pytest.mark.parametrize("overrides,key", TOO_LARGE, ids=[t[0][-1] for t in TOO_LARGE])
def test_a_config_larger_than_the_machine_is_refused_naming_its_key(overrides, key):
    cfg = compose_config("device=cpu", *overrides)
    with pytest.raises(ConfigError) as refused:
        validate(cfg)
    message = str(refused.value)
    value = next(o for o in overrides if o.startswith(key)).split("=")[1]
    assert message.startswith(f"{key}={value} needs about ") and "\n" not in message
    assert f"GB of memory (estimated before any compute), more than this machine's memory " \
           f"({resources.machine_memory() / 1e9:.3g} GB): lower {key}" in message


def test_inner_steps_of_a_million_allocate_one_iteration_not_a_thousand_tasks(monkeypatch):
    """The issue's 40 GB: the stream drew 1,024 tasks of a million steps. Now a chunk holds what
    an iteration needs, and the need is refused only where it does not fit."""
    cfg = compose_config("device=cpu", "inner_steps=1000000")
    stream = task_stream(build.family(cfg), build.meta_config(cfg), 0)
    assert stream.chunk == 1
    validate(cfg)  # ~2.3 GB: fits this machine
    monkeypatch.setattr(resources, "machine_memory", lambda: 2 * 2**30)
    with pytest.raises(ConfigError, match=r"^inner_steps=1000000 needs about"):
        validate(cfg)


def test_the_cli_refuses_before_any_compute_in_one_line(tmp_path):
    proc = run_app("device=cpu", "meta_batch=1000000", f"hydra.run.dir={tmp_path / 'run'}")
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: meta_batch=1000000 needs about ")
    assert not (tmp_path / "run").exists()


PRESETS = [(g, o) for g in ("experiment", "sweep") for o in group_options(g)]


@pytest.mark.parametrize("group,option", PRESETS, ids=[f"{g}={o}" for g, o in PRESETS])
def test_every_preset_keeps_its_chunks_and_so_its_numbers(group, option):
    """A chunk's size is part of the random draw: every preset's chunk is the 1,024-task one it
    had before chunks were bounded, so no preset's results change."""
    cfg = compose_config(f"{group}={option}")
    query = cfg.algo.name in ("maml", "fomaml")
    stream = task_stream(build.family(cfg), build.meta_config(cfg), 0, query)
    assert stream.chunk == max(1, 1024 // cfg.meta_batch)


@pytest.mark.parametrize("overrides", [["inner_steps=100000"], ["meta_batch=3000"],
                                       ["inner_steps=5000", "algo=maml"],
                                       ["inner_batch=50", "inner_steps=2000"]])
def test_a_chunk_stays_within_its_bound_unless_one_iteration_exceeds_it(overrides):
    cfg = compose_config(*overrides)
    query = cfg.algo.name in ("maml", "fomaml")
    stream = task_stream(build.family(cfg), build.meta_config(cfg), 0, query)
    per_iteration = cfg.meta_batch * memory.stream_task_bytes(
        cfg.task.n_points, cfg.inner_steps, cfg.inner_batch, cfg.task.grid, query)
    assert stream.chunk * per_iteration <= memory.CHUNK_BYTES or stream.chunk == 1
    assert stream.chunk < max(1, 1024 // cfg.meta_batch) or cfg.meta_batch >= 1024
    xb, _ = stream(0)  # the counted sizes are the drawn ones
    assert xb.shape[:3] == (cfg.meta_batch, cfg.inner_steps + query, cfg.inner_batch)


def test_a_bounded_chunk_still_makes_each_iterations_data_a_function_of_seed_and_iteration():
    cfg = compose_config("inner_steps=20000")
    make = lambda: task_stream(build.family(cfg), build.meta_config(cfg), 3)  # noqa: E731
    a, b = make(), make()
    assert a.chunk < 1024 // cfg.meta_batch
    late = a(2 * a.chunk + 1)
    for i in range(2 * a.chunk + 2):
        b(i)
    assert torch.equal(late[0], b(2 * a.chunk + 1)[0])


@pytest.mark.parametrize("width,depth", [(1, 1), (16, 2), (40, 3), (64, 5)])
def test_the_weight_count_is_the_networks(width, depth):
    assert memory.network_size(width, depth) == MLP(width, depth).size


def test_a_long_stage_is_named_and_a_short_one_is_not(monkeypatch):
    monkeypatch.setattr(progress, "NOTE_AFTER", 0.2)
    err = io.StringIO()
    with redirect_stderr(err):
        with progress.stage("quick"):
            pass
        with progress.stage("compiling the inner loop"):
            time.sleep(0.7)
    lines = err.getvalue().splitlines()
    assert lines and all(line.startswith("compiling the inner loop: ") for line in lines)
    assert lines[0].endswith(" s so far") and 1 <= len(lines) <= 2  # at 0.2 s and 0.4 s


# -- the estimate against real jobs -------------------------------------------------------------
PEAK = """
import resource, runpy, sys
sys.argv = ["train", *sys.argv[1:]]
try:
    runpy.run_module("experiments.train", run_name="__main__", alter_sys=True)
finally:
    print("peak", resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024, file=sys.stderr)
"""
SHORT = ["device=cpu", "meta_iters=1", "log_every=1000", "checkpoint_every=0",
         "eval.n_tasks=20", "eval.predict_points=50"]
# each stresses one part of the estimate: the inner loop's weights, the stream's chunk, MAML's
# graph, Adam's moments, the pooled points of pretrain, a wide network's evaluation
MEASURED = [["meta_batch=30000"], ["inner_steps=100000"],
            ["algo=maml", "inner_steps=100", "meta_batch=500"],
            ["meta_batch=20000", "inner_optimizer=adam"],
            ["algo=pretrain", "inner_steps=200", "meta_batch=2000"],
            ["model.width=1000", "eval.steps=2"]]


@pytest.mark.slow
@pytest.mark.parametrize("overrides", MEASURED, ids=[o[0] for o in MEASURED])
def test_the_estimate_is_within_a_factor_of_two_of_the_measured_peak(tmp_path, overrides):
    args = [*SHORT, *overrides]
    proc = subprocess.run([sys.executable, "-c", PEAK, *args, f"hydra.run.dir={tmp_path}"],
                          cwd=ROOT, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stderr
    peak = int(proc.stderr.strip().splitlines()[-1].split()[1])
    estimate = resources.need(compose_config(*args))
    print(f"{' '.join(overrides)}: estimate {estimate / 2**20:.0f} MiB, peak RSS "
          f"{peak / 2**20:.0f} MiB")  # shown by pytest -rP
    assert estimate / 2 <= peak <= estimate * 2, (peak / 2**20, estimate / 2**20)

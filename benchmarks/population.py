"""Population benchmark: sweeps as batched populations against a process a job, end to end.

    python -m benchmarks.population                       # all three parts (~30 minutes here)
    python -m benchmarks.population --parts members,breakdown --iters 3000

Parts, each measured side by side in this one run, on the same cores:
  presets    wall time of the full sweep presets (default inner_steps, meta_step) with
             hydra/launcher=joblib and hydra/launcher=population: the commands users run
  members    the Reptile protocol (meta-batch 1) as a population of 1, 5, 25, 100 members (one
             worker process): wall time per member
  breakdown  one run of the Reptile protocol end to end, split into start-up, compiled-loop
             load, training, learning-curve points and the final evaluation and files, beside
             the plain demo-style loop (reptile/reference.py) training the same protocol and
             evaluating it the same way; and 10 seeds as one population against 10 plain loops

Prints one JSON object per measurement, then a summary with the ratios. Timings from a shared
machine are upper bounds; the ratios are the stable part. A script, run by hand: its numbers
belong in the README, not in unit tests.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def emit(**row) -> dict:
    print(json.dumps(row), flush=True)
    return row


def app(*overrides: str, cwd: Path) -> float:
    """Wall seconds of `python -m experiments.train OVERRIDES` (which must succeed)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "HYDRA_FULL_ERROR": "1"}
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "experiments.train", *overrides], cwd=cwd,
                          env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"failed: {' '.join(overrides)}\n{proc.stdout[-2000:]}"
                         f"{proc.stderr[-2000:]}")
    return seconds


def presets(names: list[str], tmp: Path) -> list[str]:
    lines = []
    for name in names:
        seconds = {}
        for launcher in ("joblib", "population"):
            seconds[launcher] = app("-m", f"sweep={name}", f"hydra/launcher={launcher}",
                                    f"hydra.sweep.dir={tmp / f'{name}_{launcher}'}", cwd=tmp)
            emit(part="presets", preset=name, launcher=launcher, seconds=seconds[launcher])
        lines.append(f"sweep={name}: joblib {seconds['joblib']:.0f} s, population "
                     f"{seconds['population']:.0f} s "
                     f"({seconds['joblib'] / seconds['population']:.1f}x)")
    return lines


def members(sizes: list[int], iters: int, tmp: Path) -> list[str]:
    per_member = {}
    for size in sizes:
        seeds = ",".join(map(str, range(size)))
        seconds = app("-m", "experiment=reptile_paper", f"seed={seeds}",
                      f"meta_iters={iters}", "hydra/launcher=population",
                      "hydra.launcher.n_jobs=1", f"hydra.sweep.dir={tmp / f'members_{size}'}",
                      cwd=tmp)
        per_member[size] = seconds / size
        emit(part="members", members=size, meta_iters=iters, seconds=seconds,
             seconds_per_member=seconds / size)
    one = per_member[sizes[0]] * sizes[0]
    return [f"Reptile protocol ({iters} outer steps, meta-batch 1), {size} members: "
            f"{per_member[size] * size:.0f} s, {per_member[size]:.1f} s per member, "
            f"{per_member[size] * size / one:.1f}x one member" for size in sizes]


def breakdown(iters: int, tmp: Path) -> list[str]:
    """One run of the protocol end to end as users launch it (and 10 seeds as one population),
    its phases from an instrumented run in a fresh process, and the plain loop's training of
    the same protocol, seed after seed, in another."""
    lines = []
    for seeds in (1, 10):
        seed_list = ",".join(map(str, range(seeds)))
        total = app("-m", "experiment=reptile_paper", f"seed={seed_list}", f"meta_iters={iters}",
                    "hydra/launcher=population", "hydra.launcher.n_jobs=1",
                    f"hydra.sweep.dir={tmp / f'e2e_{seeds}'}", cwd=tmp)
        phases = _child(f"b._phases({iters}, {seeds}, {str(tmp / f'phases_{seeds}')!r})")
        plain = _child(f"b._plain({iters}, {seeds})")
        emit(part="breakdown", impl="engine", seeds=seeds, meta_iters=iters, total=total,
             **phases)
        emit(part="breakdown", impl="plain loop", seeds=seeds, meta_iters=iters, **plain)
        parts = ", ".join(f"{k} {phases[k]:.1f} s" for k in
                          ("startup", "compile", "train", "curve", "final"))
        lines.append(f"Reptile protocol, {iters} outer steps, {seeds} seed(s): ours "
                     f"{total:.1f} s end to end ({parts}); plain loop {plain['seconds']:.1f} s "
                     f"(training only); {plain['seconds'] / total:.1f}x")
    return lines


def _child(call: str) -> dict:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    t = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", f"import benchmarks.population as b; {call}"],
                          env=env, capture_output=True, text=True)
    wall = time.perf_counter() - t
    if proc.returncode != 0:
        raise SystemExit(proc.stderr[-3000:])
    return {**json.loads(proc.stdout.strip().splitlines()[-1]), "process_seconds": wall}


def _phases(iters: int, seeds: int, out: str) -> None:
    """(In a fresh process.) The phases of the protocol's run by the app's trainer: start-up
    (interpreter and imports), the compiled loop's load (a learner's first outer step minus its
    second), training, learning-curve points, final evaluation and files."""
    t0 = time.perf_counter()
    import torch

    from experiments import build, trainer
    from experiments.config import compose_config

    startup = time.perf_counter() - t0 + _interpreter_seconds()
    torch.set_num_threads(1)
    cfgs = [compose_config("experiment=reptile_paper", f"seed={s}", f"meta_iters={iters}")
            for s in range(seeds)]
    net = build.network(cfgs[0])
    phi0 = torch.stack([build.initial_weights(c, net) for c in cfgs])
    learner = build.learner(cfgs, net, phi0, torch.device("cpu"))
    t = time.perf_counter()
    learner.step()
    first = time.perf_counter() - t
    t = time.perf_counter()
    learner.step()
    compile_load = first - (time.perf_counter() - t)
    clock = {"train": 0.0, "curve": 0.0, "final": 0.0}

    def timed(name, fn):
        def wrapper(*args, **kwargs):
            t = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                clock[name] += time.perf_counter() - t
        return wrapper

    P = trainer.Population
    P._log_curve, P._finish = timed("curve", P._log_curve), timed("final", P._finish)
    P._meta_train = timed("train", P._meta_train)
    trainer.train(cfgs, [Path(out) / str(s) for s in range(seeds)])
    clock["train"] -= clock["curve"]  # the curve points are logged inside the training loop
    print(json.dumps({"startup": startup, "compile": compile_load, **clock}))


def _plain(iters: int, seeds: int) -> None:
    """(In a fresh process.) The plain demo-style loop (reptile/reference.py: one task at a
    time, an nn.Module, backward(), manual SGD) training the protocol, seed after seed, with
    the demo's own check (one task's fit, every 1,000 steps)."""
    t0 = time.perf_counter()
    import torch

    from experiments import build
    from experiments.config import compose_config
    from reptile import reference
    from reptile.meta import meta_step_at, task_stream

    torch.set_num_threads(1)
    for s in range(seeds):
        cfg = compose_config("experiment=reptile_paper", f"seed={s}", f"meta_iters={iters}")
        net = build.network(cfg)
        model = reference.build_module(net, build.initial_weights(cfg, net))
        stream = task_stream(build.family(cfg), build.meta_config(cfg), s)
        probe = build.heldout(cfg, torch.device("cpu")).subset(slice(0, 1))
        for it in range(iters):
            eps = meta_step_at(it, iters, cfg.meta_step, cfg.meta_step_final)
            reference.reptile_step(model, *stream(it), cfg.inner_lr, eps)
            if it % 1000 == 0:
                reference.adaptation_mse(model, probe.support_x, probe.support_y, probe.measure_x,
                                         probe.measure_y, 32, cfg.eval.lr)
    seconds = time.perf_counter() - t0 + _interpreter_seconds()
    print(json.dumps({"seconds": seconds}))


def _interpreter_seconds() -> float:
    """Python's own start-up (interpreter, site), measured in a child."""
    t = time.perf_counter()
    subprocess.run([sys.executable, "-c", "pass"], check=True)
    return time.perf_counter() - t


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--parts", default="presets,members,breakdown",
                        help="comma list of: presets, members, breakdown")
    parser.add_argument("--presets", default="inner_steps,meta_step",
                        help="sweep presets timed with both launchers")
    parser.add_argument("--members", default="1,5,25,100", help="population sizes")
    parser.add_argument("--iters", type=int, default=30_000,
                        help="outer steps of the Reptile protocol in members and breakdown")
    args = parser.parse_args()
    parts = set(args.parts.split(","))
    summary = []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        if "presets" in parts:
            summary += presets(args.presets.split(","), tmp)
        if "members" in parts:
            summary += members([int(m) for m in args.members.split(",")], args.iters, tmp)
        if "breakdown" in parts:
            summary += breakdown(args.iters, tmp)
    print("\nsummary (one torch thread per worker)")
    print("\n".join(summary))


if __name__ == "__main__":
    main()

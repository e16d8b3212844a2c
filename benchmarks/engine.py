"""Engine benchmark: the batched engine against the plain reference loop, torch on 1 thread.

    python -m benchmarks.engine             # throughput and evaluation (~2 minutes)
    python -m benchmarks.engine --protocol  # + the Reptile protocol end to end (~5 minutes)

Prints one JSON object per measurement, then a summary with the ratios. Numbers are medians of
--repeats timings. A script, run by hand: timings belong in the README, not in unit tests.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

import torch

from reptile import reference
from reptile.evaluate import adaptation_mse
from reptile.meta import Member, MetaConfig, Reptile, meta_step_at, task_stream
from reptile.mlp import MLP
from reptile.tasks import SineFamily, make_generator, make_heldout

FAMILY = SineFamily()  # the Reptile protocol: 50-point grid
NET = MLP(64, 2, "tanh")
STEPS = 5  # inner steps per task: one epoch of 50 points in minibatches of 10
MEMBER = Member(seed=0, meta_step=0.1, meta_step_final=0.0, inner_lr=0.02)  # the protocol's
LR = torch.tensor([MEMBER.inner_lr])


def config(meta_batch: int, meta_iters: int = 30_000) -> MetaConfig:
    """The Reptile protocol's shared knobs at another meta-batch."""
    return MetaConfig(meta_batch=meta_batch, meta_iters=meta_iters, inner_steps=STEPS,
                      inner_batch=10, inner_optimizer="sgd", meta_optimizer="sgd",
                      tail="separate", terms=STEPS, combine="sum")


def emit(**row) -> dict:
    print(json.dumps(row), flush=True)
    return row


def median_time(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def engine_train(meta_batch: int, iters: int, repeats: int, compile: bool) -> dict:
    learner = Reptile(NET, NET.init(make_generator(0, "init"))[None], FAMILY,
                      config(meta_batch, 10**9), [MEMBER], compile=compile)
    for _ in range(10 if not compile else 3):  # warm-up (and the compile)
        learner.step()

    def run():
        for _ in range(iters):
            learner.step()

    seconds = median_time(run, repeats)
    return emit(impl="engine-compiled" if compile else "engine", what="train",
                meta_batch=meta_batch, task_steps_per_s=iters * meta_batch * STEPS / seconds)


def reference_train(meta_batch: int, iters: int, repeats: int) -> dict:
    model = reference.build_module(NET, NET.init(make_generator(0, "init")))
    stream = task_stream(FAMILY, config(meta_batch), 0)

    def run():
        for it in range(iters):
            reference.reptile_step(model, *stream(it), MEMBER.inner_lr, 0.1)

    seconds = median_time(run, repeats)
    return emit(impl="reference", what="train", meta_batch=meta_batch,
                task_steps_per_s=iters * meta_batch * STEPS / seconds)


def evaluation(ref_tasks: int, repeats: int) -> tuple[dict, dict]:
    phi = NET.init(make_generator(0, "init"))
    heldout = make_heldout(FAMILY, 1000, 10, 50, seed=0)
    engine = median_time(lambda: adaptation_mse(NET, phi[None], heldout, 32, LR), repeats)
    part = heldout.subset(slice(0, ref_tasks))
    model = reference.build_module(NET, phi)
    ref = median_time(lambda: reference.adaptation_mse(
        model, part.support_x, part.support_y, part.measure_x, part.measure_y, 32, 0.02), 1)
    return (
        emit(impl="engine", what="eval", tasks=1000, steps=32, seconds=engine),
        emit(impl="reference", what="eval", tasks=1000, steps=32,
             seconds=ref * 1000 / ref_tasks, measured_tasks=ref_tasks),
    )


def protocol(seed: int) -> tuple[dict, dict]:
    """The Reptile protocol end to end (30,000 serial outer steps), engine vs reference; both
    meta-weights evaluated on the same 1000 held-out tasks, 10 shots, 32 steps."""
    cfg, me = config(1), Member(seed, MEMBER.meta_step, MEMBER.meta_step_final, MEMBER.inner_lr)
    phi = NET.init(make_generator(seed, "init"))
    heldout = make_heldout(FAMILY, 1000, 10, 50, seed=0)
    rows = []
    t = time.perf_counter()
    learner = Reptile(NET, phi[None].clone(), FAMILY, cfg, [me], compile=True)
    for _ in range(cfg.meta_iters):
        learner.step()
    rows.append(("engine-compiled", time.perf_counter() - t, learner.phi[0]))
    t = time.perf_counter()
    model, stream = reference.build_module(NET, phi), task_stream(FAMILY, cfg, seed)
    for it in range(cfg.meta_iters):
        eps = meta_step_at(it, cfg.meta_iters, me.meta_step, me.meta_step_final)
        reference.reptile_step(model, *stream(it), me.inner_lr, eps)
    rows.append(("reference", time.perf_counter() - t, reference.flat_params(model)))
    out = []
    for impl, seconds, weights in rows:
        mse = adaptation_mse(NET, weights[None], heldout, 32, LR)[0, :, 32]
        out.append(emit(impl=impl, what="protocol", meta_iters=cfg.meta_iters, seconds=seconds,
                        mse32_mean=mse.mean().item(), mse32_sem=(mse.std() / 1000**0.5).item(),
                        mse32_median=mse.median().item()))
    return out[0], out[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3, help="timings per measurement")
    parser.add_argument("--ref-eval-tasks", type=int, default=200,
                        help="held-out tasks the slow reference evaluates (scaled to 1000)")
    parser.add_argument("--protocol", action="store_true",
                        help="also run the 30,000-step Reptile protocol with both")
    parser.add_argument("--no-compile", action="store_true", help="skip the compiled engine")
    args = parser.parse_args()
    torch.set_num_threads(1)
    ratios = []
    for mb in (1, 5, 25, 100):
        iters = max(3, 2000 // (mb * 5))
        ref = reference_train(mb, max(2, 1000 // (mb * 5)), args.repeats)
        eng = engine_train(mb, iters, args.repeats, compile=False)
        line = (f"train  meta_batch {mb:>3}: reference {ref['task_steps_per_s']:>8.0f}, engine "
                f"{eng['task_steps_per_s']:>8.0f} task-steps/s "
                f"({eng['task_steps_per_s'] / ref['task_steps_per_s']:.1f}x)")
        if not args.no_compile:
            comp = engine_train(mb, iters, args.repeats, compile=True)
            line += (f", compiled {comp['task_steps_per_s']:>8.0f} "
                     f"({comp['task_steps_per_s'] / ref['task_steps_per_s']:.1f}x)")
        ratios.append(line)
    eng, ref = evaluation(args.ref_eval_tasks, args.repeats)
    ratios.append(f"eval   1000 tasks x 32 steps: reference {ref['seconds']:.1f} s, engine "
                  f"{eng['seconds']:.2f} s ({ref['seconds'] / eng['seconds']:.0f}x)")
    if args.protocol:
        eng, ref = protocol(seed=0)
        ratios.append(
            f"Reptile protocol, 30,000 serial steps: reference {ref['seconds']:.0f} s, engine "
            f"(compiled) {eng['seconds']:.0f} s ({ref['seconds'] / eng['seconds']:.1f}x); MSE "
            f"after 32 steps {ref['mse32_mean']:.3f} +- {ref['mse32_sem']:.3f} vs "
            f"{eng['mse32_mean']:.3f} +- {eng['mse32_sem']:.3f}")
    print("\nsummary (torch threads = 1)")
    print("\n".join(ratios))


if __name__ == "__main__":
    main()

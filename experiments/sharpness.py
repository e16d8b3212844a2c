"""python -m experiments.sharpness RUN_DIR...: why does test-time adaptation diverge on a task?

For each finished run, rebuilds its held-out tasks (the run's own config) and measures, for every
task, the largest eigenvalue of the Hessian of its support loss at the meta-weights and after
each of the first --steps SGD steps of the run's evaluation (reptile/sharpness.py). SGD at eval.lr
is unstable along any direction whose eigenvalue exceeds 2 / eval.lr. Writes sharpness.csv into
the run directory (one row per K, task and step) and prints one summary line per run and K.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd
import torch
from omegaconf import OmegaConf

import rundir
from reptile.inner import trajectory
from reptile.mlp import MLP
from reptile.params import copies
from reptile.sharpness import top_eigenvalue
from rundir.derived import register_resolvers

from . import build
from .schema import Schema


def run_sharpness(run: Path, steps: int, iters: int) -> tuple[pd.DataFrame, float]:
    """Rows (shots, task, step, top_eigenvalue) for every K the run was evaluated with, and the
    step size of its evaluation."""
    for name in (rundir.WEIGHTS, rundir.CONFIG):
        if not (run / name).is_file():
            raise ValueError(f"{run / name}: missing; sharpness needs a finished run directory")
    register_resolvers()  # the saved config's derived defaults
    # a run written before a knob existed ran with that knob's default
    cfg = OmegaConf.merge(OmegaConf.structured(Schema), OmegaConf.load(run / rundir.CONFIG))
    weights = rundir.load_torch(run / rundir.WEIGHTS)
    net, e = MLP(**weights["model"]), cfg.eval
    phi = weights["phi"].double()
    rows = []
    for shots in [e.shots, *e.extra_shots]:
        held = build.heldout(cfg, "cpu", shots)
        x, y = held.support_x.double(), held.support_y.double()
        gen = torch.Generator().manual_seed(shots)  # the power iterations' start
        lr = torch.full((len(held),), e.lr, dtype=phi.dtype)
        for step, W in trajectory(net, copies(phi[None], len(held)), x, y, steps, lr,
                                  e.optimizer):
            lam = top_eigenvalue(net, W, x, y, iters, gen)
            rows += [{"shots": shots, "task": i, "step": step, "top_eigenvalue": v}
                     for i, v in enumerate(lam.tolist())]
    return pd.DataFrame(rows), e.lr


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("runs", nargs="+", type=Path, help="finished run directories")
    p.add_argument("--steps", type=int, default=3, help="SGD steps to follow (default 3)")
    p.add_argument("--iters", type=int, default=100, help="power iterations (default 100)")
    args = p.parse_args(argv)
    torch.set_num_threads(1)
    for run in args.runs:
        try:
            table, lr = run_sharpness(run, args.steps, args.iters)
        except ValueError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        rundir.write_csv(run / rundir.SHARPNESS, table)
        limit = 2 / lr
        for shots, part in table.groupby("shots", sort=False):
            at_phi = part.loc[part["step"] == 0, "top_eigenvalue"]
            over = (part.groupby("task")["top_eigenvalue"].max() > limit).sum()
            # the lower middle value: the eigenvalue of an actual task
            median = at_phi.quantile(0.5, interpolation="lower")
            print(f"{run}  K={shots}: top eigenvalue at the meta-weights median {median:.0f}, "
                  f"max {at_phi.max():.0f} (2/lr = {limit:.0f}); tasks above 2/lr within "
                  f"{args.steps} steps: {over} of {len(at_phi)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

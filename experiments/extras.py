"""The optional files of a run directory (docs/run-directory.md), each behind a knob:

- snapshots.csv (eval.snapshot_every > 0): the fit of held-out task 0 after each k in
  eval.predict_ks, saved every snapshot_every outer iterations during meta-training, for figures
  that show meta-learning progress (the seed post's panel grid);
- eval_K{K}.csv and eval_tasks_K{K}.csv (eval.extra_shots): the final evaluation repeated on the
  same held-out tasks with K support points instead of eval.shots (the MAML paper's K = 5, 10, 20).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import torch

from reptile.evaluate import adaptation_mse, adapted_predictions, signal_power, summarize
from reptile.mlp import MLP
from reptile.tasks import HeldOut, SineFamily, make_heldout, sine

from . import rundir


class Snapshots:
    """Predictions on one held-out task at selected outer iterations. The records travel in
    the checkpoint, so a resumed run writes the same file as an uninterrupted one."""

    def __init__(self, net: MLP, task: HeldOut, x_range, points: int, ks, lr: float,
                 optimizer: str):
        self.net, self.task, self.ks = net, task, list(ks)
        self.lr, self.optimizer = lr, optimizer
        self.x = torch.linspace(*x_range, points).unsqueeze(-1)
        self.y_true = sine(self.x[None], task.amplitude.cpu(), task.phase.cpu())[0, :, 0]
        self.records: list[dict] = []  # {"iteration": i, "y_pred": [len(ks), G]}

    def take(self, iteration: int, phi: torch.Tensor) -> None:
        pred = adapted_predictions(self.net, phi, self.task, self.ks, self.x, self.lr,
                                   self.optimizer)
        self.records.append({"iteration": iteration, "y_pred": pred[:, 0]})

    def write(self, out: Path) -> None:
        frames = [
            pd.DataFrame({"iteration": r["iteration"], "task": 0, "k": k,
                          "x": self.x[:, 0].numpy(), "y_true": self.y_true.numpy(),
                          "y_pred": r["y_pred"][i].numpy()})
            for r in self.records for i, k in enumerate(self.ks)
        ]
        rundir.write_csv(out / "snapshots.csv", pd.concat(frames, ignore_index=True))


def evaluate_extra_shots(net: MLP, phi: torch.Tensor, family: SineFamily, e, out: Path,
                         device: torch.device) -> None:
    """eval_K{K}.csv and eval_tasks_K{K}.csv for each K in e.extra_shots. The held-out seed is
    the same, so the tasks (amplitude, phase) are those of eval.csv; only the support differs."""
    for shots in e.extra_shots:
        heldout = make_heldout(family, e.n_tasks, shots, e.grid_points, e.seed).to(device)
        mse = adaptation_mse(net, phi, heldout, e.steps, e.lr, e.optimizer)
        write_evaluation(out, f"_K{shots}", heldout, mse)


def write_evaluation(out: Path, suffix: str, heldout: HeldOut, mse: torch.Tensor) -> list[dict]:
    """eval{suffix}.csv (one row per k) and eval_tasks{suffix}.csv (one row per task) from the
    [N, K + 1] MSE matrix of an evaluation; returns the rows of eval{suffix}.csv."""
    rows = summarize(mse, signal_power(heldout))
    rundir.write_csv(out / f"eval{suffix}.csv", rows)
    rundir.write_csv(out / f"eval_tasks{suffix}.csv", task_table(heldout, mse))
    return rows


def task_table(heldout: HeldOut, mse: torch.Tensor) -> pd.DataFrame:
    """eval_tasks.csv: one row per held-out task, its parameters and its MSE after every k."""
    tasks = pd.DataFrame({"task": range(len(heldout)),
                          "amplitude": heldout.amplitude.cpu().numpy(),
                          "phase": heldout.phase.cpu().numpy()})
    per_k = pd.DataFrame(mse.numpy(), columns=[f"mse_k{k}" for k in range(mse.shape[1])])
    return pd.concat([tasks, per_k], axis=1)

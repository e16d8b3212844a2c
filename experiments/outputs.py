"""The tables a finished run writes (docs/run-directory.md), from the engine's tensors:

- eval.csv / eval_tasks.csv (and eval_init.csv, eval_init_tasks.csv, eval_K{K}.csv,
  eval_tasks_K{K}.csv): the held-out MSE after k = 0..K adaptation steps, per k and per task;
- predictions.csv and support.csv: fits on a dense grid for a few held-out tasks;
- snapshots.csv (eval.snapshot_every > 0): held-out task 0's fit at selected outer iterations,
  for figures of meta-learning progress (the seed post's panel grid);
- weights.pt: the meta-weights.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import torch

import rundir
from reptile.evaluate import adapted_predictions, per_k_stats, signal_power
from reptile.mlp import MLP
from reptile.tasks import HeldOut, sine


def write_evaluation(out: Path, heldout: HeldOut, mse: torch.Tensor,
                     shots: int | None = None, init: bool = False) -> list[dict]:
    """eval.csv (one row per k) and eval_tasks.csv (one row per task) from the [N, K + 1] MSE
    matrix of an evaluation, their _K{shots} twins for an extra K, or eval_init.csv and
    eval_init_tasks.csv for the initial weights (init); returns the per-k rows."""
    rows = per_k_stats(mse, signal_power(heldout))
    per_k, per_task = ((rundir.EVAL_INIT, rundir.EVAL_INIT_TASKS) if init else
                       (rundir.eval_file(shots), rundir.eval_tasks_file(shots)))
    rundir.write_csv(out / per_k, rows)
    rundir.write_csv(out / per_task, task_table(heldout, mse))
    return rows


def task_table(heldout: HeldOut, mse: torch.Tensor) -> pd.DataFrame:
    """eval_tasks.csv: one row per held-out task, its parameters and its MSE after every k."""
    task, amplitude, phase = rundir.TASK_COLUMNS
    tasks = pd.DataFrame({task: range(len(heldout)),
                          amplitude: heldout.amplitude.cpu().numpy(),
                          phase: heldout.phase.cpu().numpy()})
    per_k = pd.DataFrame(mse.numpy(),
                         columns=[rundir.task_mse_column(k) for k in range(mse.shape[1])])
    return pd.concat([tasks, per_k], axis=1)


def write_predictions(out: Path, net: MLP, weights: dict[str, torch.Tensor], tasks: HeldOut,
                      x_range, points: int, ks: list[int], lr: torch.Tensor,
                      optimizer: str) -> None:
    """predictions.csv: each of `weights` ({"init": phi0, "meta": phi}, each [1, D]) adapted to
    each task at step size lr [1], its prediction on `points` x over x_range after every k in
    ks; support.csv: the points."""
    x = torch.linspace(*x_range, points).unsqueeze(-1)
    truth = sine(x.expand(len(tasks), -1, -1), tasks.amplitude.cpu(), tasks.phase.cpu())[..., 0]
    phi = torch.cat(list(weights.values()))
    pred = adapted_predictions(net, phi, tasks, ks, x, lr.expand(len(phi)), optimizer)
    frames = []
    for w, name in enumerate(weights):  # pred [weights, len(ks), N, G]
        for i, k in enumerate(ks):
            for task in range(len(tasks)):
                frames.append(pd.DataFrame({
                    "weights": name, "task": task, "k": k, "x": x[:, 0].numpy(),
                    "y_true": truth[task].numpy(), "y_pred": pred[w, i, task].numpy(),
                }))
    rundir.write_csv(out / rundir.PREDICTIONS, pd.concat(frames, ignore_index=True))
    support = [
        pd.DataFrame({"task": task, "x": tasks.support_x[task, :, 0].cpu().numpy(),
                      "y": tasks.support_y[task, :, 0].cpu().numpy()})
        for task in range(len(tasks))
    ]
    rundir.write_csv(out / rundir.SUPPORT, pd.concat(support, ignore_index=True))


def save_weights(out: Path, phi: torch.Tensor, model: dict) -> None:
    """weights.pt: the meta-weights and the network they belong to (width, depth,
    activation). phi is copied: saved as a row of a population's [P, D], torch would write
    every member's weights into the file."""
    rundir.save_torch(out / rundir.WEIGHTS,
                      {"format": rundir.FORMAT, "phi": phi.cpu().clone(), "model": model})


class Snapshots:
    """Predictions on one held-out task at selected outer iterations. The records travel in
    the checkpoint, so a resumed run writes the same file as an uninterrupted one."""

    def __init__(self, net: MLP, task: HeldOut, x_range, points: int, ks, lr: float,
                 optimizer: str):
        self.net, self.task, self.ks = net, task, list(ks)
        self.lr = torch.tensor([lr], device=task.support_x.device)
        self.optimizer = optimizer
        self.x = torch.linspace(*x_range, points).unsqueeze(-1)
        self.y_true = sine(self.x[None], task.amplitude.cpu(), task.phase.cpu())[0, :, 0]
        self.records: list[dict] = []  # {"iteration": i, "y_pred": [len(ks), G]}

    def take(self, iteration: int, phi: torch.Tensor) -> None:
        """The fit of the weights phi [1, D] at this outer iteration."""
        pred = adapted_predictions(self.net, phi, self.task, self.ks, self.x, self.lr,
                                   self.optimizer)  # [1, len(ks), 1, G]
        self.records.append({"iteration": iteration, "y_pred": pred[0, :, 0]})

    def write(self, out: Path) -> None:
        frames = [
            pd.DataFrame({"iteration": r["iteration"], "task": 0, "k": k,
                          "x": self.x[:, 0].numpy(), "y_true": self.y_true.numpy(),
                          "y_pred": r["y_pred"][i].numpy()})
            for r in self.records for i, k in enumerate(self.ks)
        ]
        rundir.write_csv(out / rundir.SNAPSHOTS, pd.concat(frames, ignore_index=True))

"""Combinations of the inner steps' gradients: the Reptile paper's section 6.2, batched.

Each task has k = inner_steps minibatches. The inner loop steps from phi on the first i - 1 of
them (i = algo.terms <= k), g_j being the gradient it uses at step j (at W_{j-1}); g_i is the
gradient at W_{i-1} on the i-th, taken from the tail (algo.tail): shared, the next minibatch of
the inner loop's own cycle through the task's points; separate, a minibatch held apart from
them (episodes.py). The meta-gradient of a member is the mean over its tasks of

    sum:   g_1 + ... + g_i
    last:  g_i

and the outer step is eps * alpha along it (alpha = inner_lr), with the meta-optimiser (SGD:
phi <- phi - eps * alpha * mean C). That is the paper's scale: with plain SGD inner steps
phi - W_i = alpha (g_1 + ... + g_i), so

    sum, shared tail, i = k:   Reptile with k inner steps, phi + eps (mean W_k - phi), and with
                               i < k Reptile truncated after i steps;
    last, shared tail:         first-order MAML with i - 1 inner steps whose query is the next
                               minibatch of the cycle (the paper's shared tail), the update being
                               eps times the last inner step's change, as the paper's code does;
    last, separate tail:       the same with a held-apart query (separate tail);
    i = 1:                     g_1, the gradient at phi: joint training.

With inner Adam the combination takes the raw gradients g_j, not Adam's steps, so the identity
with Reptile holds for SGD inner steps only. Only the first i minibatches are trained on: the
later ones would change nothing.
"""

from __future__ import annotations

from functools import partial

from .episodes import SupportQueryStream, split
from .maml import fomaml_gradient
from .meta import MetaLearner
from .tasks import TaskStream


class Combo(MetaLearner):
    """The gradient combination of the module docstring (algo=combo: algo.terms, algo.combine,
    algo.tail). The loss is that of the i-th minibatch, at W_{i-1}."""

    def stream(self, seed: int) -> TaskStream:
        """k minibatches per task: k - 1 from the inner loop's cycle, the k-th the tail."""
        cfg = self.cfg
        return SupportQueryStream(self.family, seed, cfg.meta_batch, cfg.inner_steps - 1,
                                  cfg.inner_batch, cfg.tail)

    def update(self, xb, yb, eps):
        i = self.cfg.terms
        (sx, sy), tail = split(xb, yb)
        support = (sx[:, : i - 1], sy[:, : i - 1])
        if self.cfg.tail == "shared":  # the cycle's i-th minibatch
            tail = (xb[:, i - 1], yb[:, i - 1])
        adapt = partial(self.adapt, lr=self.task_lr())
        loss, grad = fomaml_gradient(self.net, self.phi, support, tail, adapt,
                                     with_steps=self.cfg.combine == "sum")
        return loss, self.optimizer.step(self.phi, self.inner_lr[:, None] * grad, eps)

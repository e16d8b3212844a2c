"""The "pretrained on all tasks" baseline of the MAML paper: one network trained jointly on the
pooled task stream by ordinary minibatch SGD or Adam, with no inner loop. At evaluation it is
fine-tuned on each held-out task exactly as the meta-learned initialisations are (eval.lr)."""

from __future__ import annotations

from .meta import MetaLearner
from .params import copies, member_mean


class Pretrain(MetaLearner):
    """Each iteration pools every point of its n tasks (k minibatches of m points each) and
    takes one meta-optimiser step on their mean squared error at phi. The loss is that MSE."""

    def update(self, xb, yb, lr):
        # per-task gradients of per-task MSE; every task has k*m points, so their mean over a
        # member's tasks is the gradient of its pooled MSE
        W = copies(self.phi, self.cfg.meta_batch)
        loss, grad = self.net.loss_and_grad(W, xb.flatten(1, 2), yb.flatten(1, 2))
        return loss, self.optimizer.step(self.phi, member_mean(grad, len(self.phi)), lr)

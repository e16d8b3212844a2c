"""The "pretrained on all tasks" baseline of the MAML paper: one network trained jointly on the
pooled task stream by ordinary minibatch SGD or Adam, with no inner loop. At evaluation it is
fine-tuned on each held-out task exactly as the meta-learned initialisations are (eval.lr)."""

from __future__ import annotations

from .meta import MetaLearner


class Pretrain(MetaLearner):
    """Each iteration pools every point of its n tasks (k minibatches of m points each) and
    takes one meta-optimiser step on their mean squared error at phi. The loss is that MSE."""

    def update(self, xb, yb, lr):
        n = xb.shape[0]
        # per-task gradients of per-task MSE; every task has k*m points, so their mean is the
        # gradient of the pooled MSE
        loss, grad = self.net.loss_and_grad(self.phi.expand(n, -1), xb.flatten(1, 2),
                                            yb.flatten(1, 2))
        return loss, self.optimizer.step(self.phi, grad.mean(0), lr)

"""A functional MLP 1 -> width^depth -> 1 whose parameters are one flat vector.

The meta-weights phi are a vector [D]; the weights being adapted on n tasks are a matrix W [n, D],
one row per task (a population of independent runs folds into the same leading dimension). Flat
vectors make the Reptile update one line of arithmetic and every optimiser step one tensor op;
``MLP.views`` lays the layers over the vector without copying: w_l [n, in, out], b_l [n, out], and
a layer is x @ w + b for x [n, P, in].

The forward pass is differentiable by autograd (MAML needs that). For the first-order inner loop,
``loss_and_grad`` computes the same gradient by hand with a handful of batched matmuls: for
networks this small, autograd's per-op bookkeeping costs more than the arithmetic (README's
speed section has the measurements).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property

import torch

from .names import INITS


def _tanh(x: torch.Tensor) -> torch.Tensor:
    """tanh(x) = 2 sigmoid(2x) - 1: on CPUs torch's sigmoid kernel is several times faster than
    its tanh (benchmarks/engine.py), and tanh is most of the arithmetic of these small networks.
    Absolute error below 1e-7 (float32). In place where no gradient flows through it (the
    hand-written backward needs only the output; autograd, for MAML, needs the sigmoid's)."""
    if x.requires_grad:
        return torch.sigmoid(2 * x) * 2 - 1
    return x.mul(2).sigmoid_().mul_(2).sub_(1)


# activation -> (function, backprop through it given the upstream gradient and its output)
ACTIVATIONS = {
    "tanh": (_tanh, lambda g, a: torch.addcmul(g, g * a, a, value=-1)),  # g (1 - a^2)
    "relu": (torch.relu, lambda g, a: g * (a > 0)),
    "sigmoid": (torch.sigmoid, lambda g, a: g * a * (1 - a)),
}



@dataclass(frozen=True)
class MLP:
    width: int = 64
    depth: int = 2  # hidden layers
    activation: str = "tanh"

    @cached_property
    def shapes(self) -> dict[str, tuple[int, ...]]:
        """Name -> shape of each parameter, in the order they sit in the flat vector."""
        sizes = [1] + [self.width] * self.depth + [1]
        shapes = {}
        for layer, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:])):
            shapes[f"w{layer}"] = (fan_in, fan_out)
            shapes[f"b{layer}"] = (fan_out,)
        return shapes

    @property
    def size(self) -> int:
        return sum(math.prod(s) for s in self.shapes.values())

    @property
    def n_layers(self) -> int:
        return self.depth + 1

    def init(
        self, gen: torch.Generator, scheme: str = "uniform", std: float = 0.01
    ) -> torch.Tensor:
        """Initial weights, flat [D].

        uniform: PyTorch's nn.Linear default, w, b ~ U(-1/sqrt(fan_in), 1/sqrt(fan_in)).
        normal: w ~ N(0, std^2) truncated at 2 std, b = 0; the MAML reference code's
        initialisation (std 0.01), which starts every network as a near-zero function.
        """
        if scheme not in INITS:
            raise ValueError(f"init scheme must be one of {', '.join(INITS)}, not {scheme!r}")
        parts = []
        for name, shape in self.shapes.items():
            fan_in = self.shapes["w" + name[1:]][0]
            if scheme == "uniform":
                bound = 1 / math.sqrt(fan_in)
                part = (torch.rand(shape, generator=gen) * 2 - 1) * bound
            elif name[0] == "w":
                part = torch.nn.init.trunc_normal_(
                    torch.empty(shape), std=std, a=-2 * std, b=2 * std, generator=gen)
            else:
                part = torch.zeros(shape)
            parts.append(part.flatten())
        return torch.cat(parts)

    def views(self, flat: torch.Tensor) -> dict[str, torch.Tensor]:
        """The parameters as named views [..., *shape] of a flat [..., D] tensor (no copy)."""
        out, offset = {}, 0
        for name, shape in self.shapes.items():
            n = math.prod(shape)
            out[name] = flat[..., offset : offset + n].unflatten(-1, shape)
            offset += n
        return out

    def layers(self, W: torch.Tensor) -> list[tuple[torch.Tensor, torch.Tensor]]:
        """(w_l [n, in, out], b_l [n, 1, out]) per layer: views of W, valid while W is updated
        in place, so an inner loop makes them once."""
        p = self.views(W)
        return [(p[f"w{i}"], p[f"b{i}"].unsqueeze(-2)) for i in range(self.n_layers)]

    def forward(self, W: torch.Tensor, x: torch.Tensor, layers=None) -> torch.Tensor:
        """Predictions [n, P, 1] of the n networks W [n, D] at inputs x [n, P, 1]."""
        return self._outputs(layers or self.layers(W), x)[-1]

    def _outputs(self, layers, x: torch.Tensor) -> list[torch.Tensor]:
        """Every layer's output, input first: what the backward pass needs."""
        act = ACTIVATIONS[self.activation][0]
        outs = [x]
        for i, (w, b) in enumerate(layers):
            if i:
                outs[-1] = act(outs[-1])
            outs.append(_affine(outs[-1], w, b))
        return outs

    def loss_and_grads(
        self, layers, x: torch.Tensor, y: torch.Tensor, with_loss: bool = True
    ) -> tuple[torch.Tensor | None, list[torch.Tensor]]:
        """Per-network MSE [n] (None unless with_loss) on (x, y) [n, P, 1], and its gradient
        with respect to each network's own weights, one tensor per view of `layers`
        (self.layers(W)): [grad w0, grad b0, grad w1, ...], shaped like those views."""
        backprop = ACTIVATIONS[self.activation][1]
        outs = self._outputs(layers, x)
        err = outs[-1] - y
        g = err * (2.0 / y.shape[1])  # d mse / d prediction
        grads = []  # last layer first: b, then w
        for i in reversed(range(self.n_layers)):
            grads += [g.sum(1, keepdim=True), _outer_sum(outs[i], g)]
            if i:
                g = backprop(_matmul(g, layers[i][0].transpose(1, 2)), outs[i])
        return (err.pow(2).mean((1, 2)) if with_loss else None), grads[::-1]

    def loss_and_grad(
        self, W: torch.Tensor, x: torch.Tensor, y: torch.Tensor, with_loss: bool = True
    ) -> tuple[torch.Tensor | None, torch.Tensor]:
        """As loss_and_grads, with the gradient flat [n, D] in the layout of W."""
        loss, grads = self.loss_and_grads(self.layers(W), x, y, with_loss)
        return loss, flat(grads)


# Batched matrix products of the shapes this network has. Where an inner or outer dimension is
# 1 (the input layer, the output layer), a product is a broadcast and a sum: several times faster
# than a batched matmul of that degenerate shape.
def _matmul(a: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
    """a [n, P, i] @ w [n, i, o]."""
    if a.shape[-1] == 1:
        return a * w
    if w.shape[-1] == 1:
        return (a * w.transpose(1, 2)).sum(-1, keepdim=True)
    return torch.bmm(a, w)


def _affine(a: torch.Tensor, w: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """a @ w + b, for b [n, 1, o]."""
    if a.shape[-1] == 1:
        return torch.addcmul(b, a, w)
    if w.shape[-1] == 1:
        return _matmul(a, w) + b
    return torch.baddbmm(b, a, w)


def _outer_sum(a: torch.Tensor, g: torch.Tensor) -> torch.Tensor:
    """a^T @ g summed over the P points: a [n, P, i], g [n, P, o] -> [n, i, o]."""
    if g.shape[-1] == 1:
        return (a * g).sum(1).unsqueeze(-1)
    return torch.bmm(a.transpose(1, 2), g)


def flat(grads: list[torch.Tensor]) -> torch.Tensor:
    """Per-layer gradients (from loss_and_grads) as one [n, D] tensor in the layout of W."""
    return torch.cat([g.flatten(1) for g in grads], 1)


def mse(pred: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Per-network mean squared error: [n, P, 1] -> [n]."""
    return (pred - y).pow(2).mean((1, 2))

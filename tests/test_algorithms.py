"""MAML, FOMAML and the pretrained baseline: their gradients, their shared runner and evaluation,
and exact resumption of an Adam meta-optimiser."""

from __future__ import annotations

import io
import json
import subprocess
from functools import partial

import pandas as pd
import pytest
import torch

from reptile.algorithms import LEARNERS, make_learner
from reptile.episodes import SupportQueryStream, split
from reptile.evaluate import adaptation_mse
from reptile.inner import adapt
from reptile.maml import fomaml_gradient, maml_gradient
from reptile.meta import task_stream
from reptile.meta_optimizer import MetaOptimizer
from reptile.mlp import MLP, mse
from reptile.params import copies
from reptile.tasks import SineFamily, make_generator, make_heldout
from tests.helpers.app import ROOT, TINY, app_command, env, run_app
from tests.helpers.config import lr, member, meta_config

FAMILY = SineFamily()
MAML_FAMILY = SineFamily(phase=(0.0, torch.pi), n_points=10, grid=False)


def _episode(net, n=2, k=2, m=5, dtype=torch.float64):
    """phi, support and query of n tasks of the MAML family, in dtype."""
    phi = net.init(make_generator(0, "init")).to(dtype)[None]
    stream = SupportQueryStream(MAML_FAMILY, 0, meta_batch=n, steps=k, batch=m)
    xb, yb = (t.to(dtype) for t in stream(0))
    return phi, *split(xb, yb)


def _adapted_query_loss(net, phi, support, query, rate):
    """The MAML objective, by the hand-written first-order inner loop (no autograd)."""
    n = support[0].shape[0]
    W = copies(phi, n)
    adapt(net, W, *support, lr(rate, n).to(phi.dtype))
    return mse(net.forward(W, query[0]), query[1]).mean()


@pytest.mark.parametrize("activation", ["tanh", "relu"])
def test_maml_meta_gradient_matches_central_differences(activation):
    net = MLP(width=4, depth=2, activation=activation)
    phi, support, query = _episode(net, k=3)
    rate = 0.1  # large enough for the second-order term to matter
    rates = lr(rate, 2).double()
    _, grad = maml_gradient(net, phi, support, query, rates)
    h = 1e-6
    numeric = torch.empty_like(phi)
    for i in range(phi.shape[1]):
        d = torch.zeros_like(phi)
        d[0, i] = h
        numeric[0, i] = (_adapted_query_loss(net, phi + d, support, query, rate)
                         - _adapted_query_loss(net, phi - d, support, query, rate)) / (2 * h)
    torch.testing.assert_close(grad, numeric, rtol=1e-5, atol=1e-8)
    first_order = fomaml_gradient(net, phi, support, query, partial(adapt, net, lr=rates))[1]
    assert (grad - first_order).abs().max() > 1e-4  # the second-order term is really there


@pytest.mark.parametrize("steps,rate", [(0, 0.1), (3, 0.0)], ids=["zero-steps", "zero-step-size"])
def test_fomaml_and_maml_coincide_when_the_inner_loop_is_the_identity(steps, rate):
    net = MLP(width=8)
    phi, (sx, sy), query = _episode(net, k=3)
    support = (sx[:, :steps], sy[:, :steps])
    rates = lr(rate, 2).double()
    loss_m, maml = maml_gradient(net, phi, support, query, rates)
    loss_f, fomaml = fomaml_gradient(net, phi, support, query, partial(adapt, net, lr=rates))
    torch.testing.assert_close(maml, fomaml, rtol=1e-10, atol=1e-12)
    torch.testing.assert_close(loss_m, loss_f, rtol=1e-10, atol=1e-12)


def test_separate_tail_query_is_held_apart_from_the_support():
    cfg = meta_config(meta_batch=4, inner_steps=5, inner_batch=10, tail="separate")
    # the grid family: a task is its 50 grid points; 10 are the query, the support cycles
    # through the other 40 (5 minibatches: one pass of 4 and a reshuffled fifth)
    xb, _ = task_stream(FAMILY, cfg, 0, query=True)(3)
    assert xb.shape == (4, 6, 10, 1)
    for task in xb[..., 0]:
        support, query = task[:5], task[5]
        assert not torch.isin(query, support).any()
        assert len(set(support[:4].flatten().tolist())) == 40  # one pass over the pool
        assert set(support[4].tolist()) <= set(support[:4].flatten().tolist())
    # x drawn per task: the support is the plain stream's, the query fresh draws
    plain, episodes = task_stream(MAML_FAMILY, cfg, 0), task_stream(MAML_FAMILY, cfg, 0, True)
    (xb, yb), (ex, ey) = plain(3), episodes(3)
    assert torch.equal(ex[:, :5], xb) and torch.equal(ey[:, :5], yb)
    assert not torch.isin(ex[:, 5], ex[:, :5]).any()


@pytest.mark.parametrize("family,steps,batch", [(FAMILY, 5, 10), (MAML_FAMILY, 4, 5)],
                         ids=["grid", "x-per-task"])
def test_shared_tail_query_continues_the_inner_cycle(family, steps, batch):
    """The query is the next minibatch of the cycle through the task's points; here the
    support has used every point, so the query starts the next pass and shares its points."""
    cfg = meta_config(meta_batch=3, inner_steps=steps, inner_batch=batch, tail="shared")
    xb, yb = task_stream(family, cfg, 0, query=True)(0)
    for x, y in zip(xb[..., 0], yb[..., 0]):
        points = set(x[:steps].flatten().tolist())
        assert len(points) == family.n_points
        assert set(x[steps].tolist()) <= points  # the query's points are support points
        pairs = dict(zip(x.flatten().tolist(), y.flatten().tolist()))
        assert len(pairs) == len(points)  # one task: one y per x


def test_pretrain_gradient_is_that_of_the_pooled_mse():
    net = MLP(width=8)
    cfg = meta_config(meta_batch=3, inner_steps=2)
    me = member(meta_step=0.01, meta_step_final=0.01)
    learner = make_learner("pretrain", net, net.init(make_generator(0, "init"))[None], FAMILY,
                           cfg, [me])
    xb, yb = learner.tasks(0)
    phi = learner.phi.clone().requires_grad_()
    pooled = mse(net.forward(phi.expand(3, -1), xb.flatten(1, 2)), yb.flatten(1, 2)).mean()
    pooled.backward()
    learner.step()
    torch.testing.assert_close(learner.phi, phi.detach() - 0.01 * phi.grad, rtol=1e-5, atol=1e-7)


def test_meta_adam_matches_torch_adam():
    gen = torch.Generator().manual_seed(0)
    phi = torch.randn(1, 6, dtype=torch.float64, generator=gen)
    ours, theirs = MetaOptimizer("adam"), torch.nn.Parameter(phi.clone())
    torch_adam = torch.optim.Adam([theirs], lr=0.01)
    for _ in range(5):
        grad = torch.randn(1, 6, dtype=torch.float64, generator=gen)
        phi = ours.step(phi, grad, torch.tensor([0.01], dtype=torch.float64))
        theirs.grad = grad.clone()
        torch_adam.step()
    torch.testing.assert_close(phi, theirs.detach(), rtol=1e-12, atol=1e-14)


MEMBERS = [member(seed=0, meta_step=1e-2), member(seed=1, meta_step=3e-2, inner_lr=0.01),
           member(seed=2, meta_step=1e-2, meta_step_final=5e-3, inner_lr=0.03)]


@pytest.mark.parametrize("algo", list(LEARNERS))
def test_checkpoint_resume_with_adam_meta_optimizer_is_exact(algo):
    net = MLP(width=8)
    cfg = meta_config(meta_batch=3, meta_iters=10, inner_steps=2, meta_optimizer="adam")
    phi0 = net.init(make_generator(0, "init"))[None].expand(3, -1)
    whole = make_learner(algo, net, phi0.clone(), FAMILY, cfg, MEMBERS)
    first = make_learner(algo, net, phi0.clone(), FAMILY, cfg, MEMBERS)
    for _ in range(10):
        whole.step()
    for _ in range(4):
        first.step()
    buffer = io.BytesIO()
    torch.save([first.member_state(p) for p in range(3)], buffer)
    buffer.seek(0)
    resumed = make_learner(algo, net, phi0.clone(), FAMILY, cfg, MEMBERS)
    resumed.load_member_states(torch.load(buffer, weights_only=True))
    for _ in range(6):
        resumed.step()
    assert resumed.iteration == 10 and torch.equal(resumed.phi, whole.phi)


@pytest.mark.parametrize("meta_optimizer", ["sgd", "adam"])
@pytest.mark.parametrize("algo", list(LEARNERS))
def test_a_population_trains_each_member_as_it_trains_alone(algo, meta_optimizer):
    """Members differ in seed, meta step, final meta step and inner step size; each row of the
    batched population equals that member trained on its own (the vectorised path against
    the plain one, per member)."""
    net = MLP(width=8)
    cfg = meta_config(meta_batch=2, meta_iters=8, inner_steps=2, meta_optimizer=meta_optimizer)
    phi0 = torch.stack([net.init(make_generator(m.seed, "init")) for m in MEMBERS])
    population = make_learner(algo, net, phi0.clone(), FAMILY, cfg, MEMBERS)
    losses = torch.stack([population.step() for _ in range(8)])
    for p, me in enumerate(MEMBERS):
        alone = make_learner(algo, net, phi0[p : p + 1].clone(), FAMILY, cfg, [me])
        alone_losses = torch.stack([alone.step() for _ in range(8)])
        torch.testing.assert_close(population.phi[p : p + 1], alone.phi, rtol=1e-5, atol=1e-7)
        torch.testing.assert_close(losses[:, p : p + 1], alone_losses, rtol=1e-5, atol=1e-7)
    assert not torch.allclose(population.phi[0], population.phi[1])


def test_a_member_leaves_and_the_others_go_on_unchanged():
    net = MLP(width=8)
    cfg = meta_config(meta_batch=2, meta_iters=6, inner_steps=2)
    phi0 = torch.stack([net.init(make_generator(m.seed, "init")) for m in MEMBERS])
    population = make_learner("reptile", net, phi0.clone(), FAMILY, cfg, MEMBERS)
    pair = make_learner("reptile", net, phi0[[0, 2]].clone(), FAMILY, cfg,
                        [MEMBERS[0], MEMBERS[2]])
    for it in range(6):
        if it == 3:
            population.select([0, 2])
        population.step(), pair.step()
    torch.testing.assert_close(population.phi, pair.phi, rtol=1e-6, atol=1e-8)


def test_each_member_is_evaluated_on_the_held_out_tasks_at_its_own_step_size():
    net = MLP(width=8)
    gen = make_generator(0, "init")
    phi = torch.stack([net.init(gen) for _ in range(3)])
    heldout = make_heldout(FAMILY, 7, 10, 50, seed=0)
    rates = torch.tensor([0.01, 0.02, 0.05])
    together = adaptation_mse(net, phi, heldout, steps=4, lr=rates, chunk=5)
    assert together.shape == (3, 7, 5)
    for p in range(3):
        alone = adaptation_mse(net, phi[p : p + 1], heldout, steps=4, lr=rates[p : p + 1])
        torch.testing.assert_close(together[p : p + 1], alone, rtol=1e-6, atol=1e-9)


RUN_FILES = {"run.json", "curve.csv", "eval.csv", "eval_tasks.csv", "predictions.csv",
             "support.csv", "weights.pt", "checkpoint.pt", "fit.png"}


@pytest.mark.parametrize("algo", list(LEARNERS))
def test_each_algorithm_trains_by_the_app_and_is_evaluated_by_the_shared_code(tmp_path, algo):
    out = tmp_path / algo
    proc = run_app(*TINY, f"algo={algo}", "algo.meta_optimizer=adam", "meta_step=0.001",
                   "meta_step_final=0.0", "eval.extra_shots=[5]", "eval.snapshot_every=20",
                   f"hydra.run.dir={out}")
    assert proc.returncode == 0, proc.stderr
    assert RUN_FILES | {"eval_K5.csv", "snapshots.csv"} <= {p.name for p in out.iterdir()}
    info = json.loads((out / "run.json").read_text())
    assert (info["status"], info["algo"], info["iteration"]) == ("done", algo, 40)
    # the run's evaluation is the shared one applied to its saved meta-weights
    phi = torch.load(out / "weights.pt", weights_only=True)["phi"]
    net = MLP(width=16)
    heldout = make_heldout(FAMILY, 20, 10, 50, seed=0)
    expected = adaptation_mse(net, phi[None], heldout, steps=8, lr=lr(0.02))[0]
    rows = (out / "eval_tasks.csv").read_text().splitlines()[1:]
    saved = torch.tensor([[float(v) for v in row.split(",")[3:]] for row in rows],
                         dtype=torch.float64)
    torch.testing.assert_close(saved, expected, rtol=1e-6, atol=1e-9)
    snapshots = (out / "snapshots.csv").read_text().splitlines()
    assert {line.split(",")[0] for line in snapshots[1:]} == {"0", "20", "40"}


def test_sharpness_of_a_finished_run(tmp_path):
    out = tmp_path / "maml"
    proc = run_app(*TINY, "algo=maml", "model.init=normal", "eval.extra_shots=[5]",
                   f"hydra.run.dir={out}")
    assert proc.returncode == 0, proc.stderr
    sharp = subprocess.run(app_command(str(out), "--steps", "1", "--iters", "300",
                                       module="experiments.sharpness"),
                           cwd=ROOT, env=env(), capture_output=True, text=True, timeout=300)
    assert sharp.returncode == 0, sharp.stderr
    assert sharp.stdout.count("top eigenvalue at the meta-weights") == 2  # K = 10 and K = 5
    table = pd.read_csv(out / "sharpness.csv")
    assert len(table) == 20 * 2 * 2  # tasks x K x steps 0..1
    # task 0 at the meta-weights: the exact top eigenvalue of its support-loss Hessian
    phi = torch.load(out / "weights.pt", weights_only=True)["phi"].double()
    support = pd.read_csv(out / "eval_tasks.csv").iloc[0]
    held = make_heldout(MAML_FAMILY, 20, 10, 50, seed=0)
    assert held.amplitude[0].item() == pytest.approx(support["amplitude"])
    x, y = held.support_x[0].double(), held.support_y[0].double()
    net = MLP(width=16)
    hessian = torch.func.hessian(lambda w: mse(net.forward(w[None], x[None]), y[None]).sum())
    exact = torch.linalg.eigvalsh(hessian(phi)).max().item()
    row = table.query("shots == 10 and task == 0 and step == 0")
    assert row["top_eigenvalue"].item() == pytest.approx(exact, rel=1e-3)
    missing = subprocess.run(app_command(str(tmp_path), module="experiments.sharpness"),
                             cwd=ROOT, env=env(), capture_output=True, text=True, timeout=60)
    assert missing.returncode == 2
    assert missing.stderr.strip() == (
        f"error: {tmp_path}/weights.pt: missing; sharpness needs a finished run directory")

"""The maths of the engine: the update rule, gradients, the batched path against a plain loop."""

import pytest
import torch
from torch import nn

from reptile import reference
from reptile.evaluate import adaptation_mse, adapted_predictions
from reptile.inner import adapt, trajectory
from reptile.meta import Reptile, meta_step_at, task_stream
from reptile.mlp import ACTIVATIONS, MLP, mse
from reptile.params import copies, reptile_update
from reptile.sharpness import largest_eigenvalue, top_eigenvalue
from reptile.tasks import SineFamily, make_generator, make_heldout, minibatch_indices
from tests.helpers.config import lr, member, meta_config

FAMILY = SineFamily()


def test_update_is_the_convex_combination():
    gen = torch.Generator().manual_seed(0)
    phi = torch.randn(1, 7, dtype=torch.float64, generator=gen)
    W = torch.randn(4, 7, dtype=torch.float64, generator=gen)
    for eps in (0.0, 0.1, 0.5, 1.0):
        expected = (1 - eps) * phi + eps * W.mean(0)
        got = reptile_update(phi, W, torch.tensor([eps], dtype=torch.float64))
        torch.testing.assert_close(got, expected, rtol=0, atol=1e-15)
    # exactly representable values: the two forms agree to the bit
    phi, W = torch.tensor([[1.0, -2.0]]), torch.tensor([[3.0, 0.0], [5.0, 4.0]])
    assert torch.equal(reptile_update(phi, W, torch.tensor([0.25])),
                       0.75 * phi + 0.25 * W.mean(0))


def test_update_of_each_member_uses_its_own_tasks_and_step():
    gen = torch.Generator().manual_seed(1)
    phi = torch.randn(3, 5, dtype=torch.float64, generator=gen)
    W = torch.randn(3 * 4, 5, dtype=torch.float64, generator=gen)  # 4 tasks per member
    eps = torch.tensor([0.1, 0.5, 1.0], dtype=torch.float64)
    got = reptile_update(phi, W, eps)
    for p in range(3):
        alone = reptile_update(phi[p : p + 1], W[4 * p : 4 * p + 4], eps[p : p + 1])
        assert torch.equal(got[p : p + 1], alone)


def test_update_uses_the_mean_not_the_sum():
    phi, W = torch.zeros(1, 3), torch.ones(10, 3)
    assert torch.allclose(reptile_update(phi, W, torch.tensor([0.1])), torch.full((1, 3), 0.1))


def test_schedule_endpoints():
    assert meta_step_at(0, 1000, 0.1, 0.0) == 0.1
    assert meta_step_at(1000, 1000, 0.1, 0.0) == 0.0
    assert meta_step_at(500, 1000, 0.3, 0.1) == pytest.approx(0.2)
    assert meta_step_at(999, 1000, 0.1, 0.0) > 0
    start, final = torch.tensor([0.1, 1.0]), torch.tensor([0.0, 0.5])  # per member
    torch.testing.assert_close(meta_step_at(250, 1000, start, final), torch.tensor([0.075, 0.875]))


@pytest.mark.parametrize("activation", list(ACTIVATIONS))
def test_gradient_matches_finite_differences(activation):
    net = MLP(width=5, depth=2, activation=activation)
    gen = make_generator(1, "init")
    W = torch.stack([net.init(gen) for _ in range(2)]).double()
    x = torch.linspace(-2, 2, 6, dtype=torch.float64).reshape(1, 6, 1).expand(2, -1, -1)
    y = torch.sin(x) * torch.tensor([1.0, 3.0], dtype=torch.float64)[:, None, None]
    _, grad = net.loss_and_grad(W, x, y)
    h = 1e-6
    for i in range(W.shape[1]):
        d = torch.zeros_like(W)
        d[:, i] = h
        numeric = (mse(net.forward(W + d, x), y) - mse(net.forward(W - d, x), y)) / (2 * h)
        torch.testing.assert_close(grad[:, i], numeric, rtol=1e-5, atol=1e-7)


def test_init_schemes():
    net = MLP(width=40)
    uniform = net.init(make_generator(0, "init"))
    normal = net.init(make_generator(0, "init"), "normal", std=0.01)
    assert torch.equal(normal, net.init(make_generator(0, "init"), "normal", std=0.01))
    p, q = net.views(uniform), net.views(normal)
    for name, shape in net.shapes.items():
        fan_in = net.shapes["w" + name[1:]][0]
        assert p[name].abs().max() <= fan_in**-0.5  # nn.Linear's bound
        if name[0] == "b":
            assert torch.equal(q[name], torch.zeros(shape))
        else:
            assert q[name].abs().max() <= 0.02 and q[name].std() > 0.005  # truncated at 2 std
    with pytest.raises(ValueError, match="init scheme must be one of uniform, normal"):
        net.init(make_generator(0, "init"), "xavier")


def test_gradient_matches_autograd_and_tasks_are_independent():
    net = MLP()
    W = copies(net.init(make_generator(0, "init"))[None], 3).requires_grad_()
    tasks = FAMILY.sample(3, make_generator(0, "train"))
    loss, grad = net.loss_and_grad(W.detach(), tasks.x, tasks.y)
    mse(net.forward(W, tasks.x), tasks.y).sum().backward()
    torch.testing.assert_close(grad, W.grad, rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(loss, mse(net.forward(W.detach(), tasks.x), tasks.y))


def test_minibatches_step_through_shuffled_epochs():
    idx = minibatch_indices(3, 50, steps=12, batch=10, gen=make_generator(0, "train"))
    assert idx.shape == (3, 12, 10)
    for task in idx:
        for epoch in (task[:5], task[5:10]):  # 5 minibatches of 10 = one pass over 50 points
            assert sorted(epoch.flatten().tolist()) == list(range(50))
    assert not torch.equal(idx[0], idx[1])  # each task its own shuffle


def test_task_stream_is_a_pure_function_of_seed_and_iteration():
    cfg = meta_config(meta_batch=3)
    a, b = task_stream(FAMILY, cfg, seed=0), task_stream(FAMILY, cfg, seed=0)
    late = a(2 * a.chunk + 5)  # jump across chunks first
    for i in range(a.chunk + 2):
        b(i)
    assert torch.equal(late[0], b(2 * a.chunk + 5)[0])
    assert torch.equal(a(1)[1], b(1)[1])
    assert not torch.equal(a(1)[0], task_stream(FAMILY, cfg, seed=1)(1)[0])


def test_heldout_set_is_fixed_and_independent_of_training_seed():
    h1 = make_heldout(FAMILY, 20, 10, 50, seed=0)
    h2 = make_heldout(FAMILY, 20, 10, 50, seed=0)
    assert torch.equal(h1.support_x, h2.support_x) and torch.equal(h1.amplitude, h2.amplitude)
    grid = FAMILY.grid_x()[:, 0]
    assert all(torch.isin(h1.support_x[i, :, 0], grid).all() for i in range(20))
    other = make_heldout(SineFamily(grid=False, n_points=10), 20, 5, 50, seed=0)
    assert other.support_x.shape == (20, 5, 1)


def test_query_measure_draws_k_fresh_points_per_task_after_the_support():
    maml = SineFamily(phase=(0.0, 3.14159), grid=False, n_points=10)
    grid = make_heldout(maml, 30, 5, 50, seed=0)
    query = make_heldout(maml, 30, 5, 50, seed=0, measure="query")
    for name in ("amplitude", "phase", "support_x", "support_y"):  # the same tasks and support
        assert torch.equal(getattr(grid, name), getattr(query, name)), name
    assert grid.measure_x.shape == (30, 50, 1) and query.measure_x.shape == (30, 5, 1)
    assert ((query.measure_x >= -5) & (query.measure_x <= 5)).all()
    assert not torch.isin(query.measure_x, query.support_x).any()  # fresh draws
    assert not torch.equal(query.measure_x[0], query.measure_x[1])  # each task its own
    torch.testing.assert_close(query.measure_y, query.amplitude[:, None, None]
                               * torch.sin(query.measure_x + query.phase[:, None, None]))
    # the MSE is measured on those points: before adapting, that of the initial prediction
    net = MLP(width=8)
    phi = net.init(make_generator(0, "init"))
    at0 = adaptation_mse(net, phi[None], query, steps=1, lr=lr(0.01))[0, :, 0]
    expected = mse(net.forward(copies(phi[None], 30), query.measure_x), query.measure_y)
    torch.testing.assert_close(at0, expected.double())
    with pytest.raises(ValueError, match="measure must be one of"):
        make_heldout(maml, 3, 5, 50, seed=0, measure="dense")


def test_uniform_support_on_a_grid_family():
    family = make_heldout(FAMILY, 20, 10, 50, seed=0)
    uniform = make_heldout(FAMILY, 20, 10, 50, seed=0, support="uniform")
    assert torch.equal(family.amplitude, uniform.amplitude)  # the same tasks ...
    assert torch.equal(family.measure_x, uniform.measure_x)  # ... measured on the same grid
    grid = FAMILY.grid_x()[:, 0]
    assert not torch.isin(uniform.support_x[..., 0], grid).any()  # off the grid
    assert ((uniform.support_x >= -5) & (uniform.support_x <= 5)).all()
    more = make_heldout(FAMILY, 4, 60, 50, seed=0, support="uniform")  # more than the grid has
    assert more.support_x.shape == (4, 60, 1)


def _reference_weights(net, phi, cfg, me, iters):
    model = reference.build_module(net, phi)
    stream = task_stream(FAMILY, cfg, me.seed)
    for it in range(iters):
        xb, yb = stream(it)
        eps = meta_step_at(it, cfg.meta_iters, me.meta_step, me.meta_step_final)
        reference.reptile_step(model, xb, yb, me.inner_lr, eps)
    return reference.flat_params(model)


@pytest.mark.parametrize("meta_batch", [1, 3])
def test_engine_matches_reference_loop_after_20_outer_steps(meta_batch):
    net = MLP()
    phi = net.init(make_generator(0, "init"))
    cfg, me = meta_config(meta_iters=20, meta_batch=meta_batch), member(seed=0)
    engine = Reptile(net, phi[None].clone(), FAMILY, cfg, [me])
    for _ in range(20):
        engine.step()
    expected = _reference_weights(net, phi, cfg, me, 20)
    assert (engine.phi[0] - expected).abs().max() < 1e-5
    assert (engine.phi[0] - phi).abs().max() > 1e-3  # it did move


def test_meta_batch_of_identical_tasks_equals_meta_batch_one():
    net = MLP()
    phi = net.init(make_generator(0, "init"))[None]
    xb, yb = task_stream(FAMILY, meta_config(meta_batch=1), 0)(0)
    results = []
    for n in (1, 4):
        W = copies(phi, n)
        adapt(net, W, xb.expand(n, -1, -1, -1), yb.expand(n, -1, -1, -1), lr(0.02, n))
        results.append(reptile_update(phi, W, torch.tensor([0.1])))
    torch.testing.assert_close(results[0], results[1], rtol=0, atol=1e-7)


@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
def test_each_row_adapts_at_its_own_step_size(optimizer):
    net = MLP(width=8)
    phi = net.init(make_generator(0, "init"))[None]
    xb, yb = task_stream(FAMILY, meta_config(meta_batch=3), 0)(0)
    rates = torch.tensor([0.005, 0.02, 0.05])
    W = copies(phi, 3)
    adapt(net, W, xb, yb, rates, optimizer)
    for i in range(3):
        alone = phi.clone()
        adapt(net, alone, xb[i : i + 1], yb[i : i + 1], rates[i : i + 1], optimizer)
        torch.testing.assert_close(W[i : i + 1], alone, rtol=0, atol=1e-6)


def test_inner_adam_matches_torch_adam_with_beta1_zero():
    net = MLP(width=8)
    phi = net.init(make_generator(0, "init"))
    xb, yb = task_stream(FAMILY, meta_config(meta_batch=1, inner_steps=6), 0)(0)
    W = copies(phi[None], 1)
    adapt(net, W, xb, yb, lr(0.01), optimizer="adam")
    model = reference.build_module(net, phi)
    opt = torch.optim.Adam(model.parameters(), lr=0.01, betas=(0.0, 0.999), eps=1e-8)
    for x, y in zip(xb[0], yb[0]):
        opt.zero_grad()
        nn.functional.mse_loss(model(x), y).backward()
        opt.step()
    torch.testing.assert_close(W[0], reference.flat_params(model), rtol=1e-4, atol=1e-6)


def test_evaluation_matches_reference_and_leaves_meta_weights_untouched():
    net = MLP()
    phi = net.init(make_generator(0, "init"))
    before = phi.clone()
    heldout = make_heldout(FAMILY, 7, 10, 50, seed=0)
    ours = adaptation_mse(net, phi[None], heldout, steps=8, lr=lr(0.02), chunk=3)[0]
    preds = adapted_predictions(net, phi[None], heldout, [0, 8], heldout.measure_x[0],
                                lr=lr(0.02))[0]
    assert torch.equal(phi, before)
    ref = reference.adaptation_mse(
        reference.build_module(net, phi), heldout.support_x, heldout.support_y,
        heldout.measure_x, heldout.measure_y, steps=8, lr=0.02,
    )
    torch.testing.assert_close(ours, ref, rtol=1e-4, atol=1e-6)
    assert (ours[:, 8] < ours[:, 0]).float().mean() > 0.5  # adaptation helps most tasks
    grid_mse = (preds[1] - heldout.measure_y[..., 0]).pow(2).mean(1).double()
    torch.testing.assert_close(grid_mse, ours[:, 8], rtol=1e-4, atol=1e-6)


def test_trajectory_yields_every_step_from_a_copy():
    net = MLP(width=4)
    W = copies(net.init(make_generator(0, "init"))[None], 2)
    before = W.clone()
    heldout = make_heldout(FAMILY, 2, 5, 20, seed=0)
    ks = [k for k, _ in trajectory(net, W, heldout.support_x, heldout.support_y, 3, lr(0.02, 2))]
    assert ks == [0, 1, 2, 3] and torch.equal(W, before)


@pytest.mark.slow
def test_compiled_inner_loop_matches_eager():
    net = MLP()
    phi = net.init(make_generator(0, "init"))
    cfg = meta_config(meta_iters=10, meta_batch=2)
    # two members with different step sizes: one compiled graph serves both (tensor inputs)
    members = [member(seed=0), member(seed=1, meta_step=0.3, inner_lr=0.01)]
    phis = torch.stack([phi, phi])
    eager = Reptile(net, phis.clone(), FAMILY, cfg, members)
    compiled = Reptile(net, phis.clone(), FAMILY, cfg, members, compile=True)
    for _ in range(10):
        eager.step(), compiled.step()
    torch.testing.assert_close(compiled.phi, eager.phi, rtol=1e-5, atol=1e-6)


def test_summary_statistics_and_blowups():
    from reptile.evaluate import per_k_stats

    mse = torch.tensor([[1.0, 0.5], [2.0, 30.0], [4.0, float("inf")], [3.0, 0.1]],
                       dtype=torch.float64)
    power = torch.tensor([1.0, 2.0, 1.0, 0.5], dtype=torch.float64)
    rows = per_k_stats(mse, power)
    assert [r["k"] for r in rows] == [0, 1]
    assert rows[0]["mse_mean"] == pytest.approx(2.5) and rows[0]["mse_median"] == 2.5
    assert rows[0]["mse_sem"] == pytest.approx(mse[:, 0].std().item() / 2)
    assert rows[0]["n_blowup"] == 0  # k = 0 is its own baseline
    assert rows[1]["n_blowup"] == 2  # 30 > 10 x max(2, 2) and the non-finite one
    assert rows[1]["n_tasks"] == 4


def test_sharpness_is_the_top_hessian_eigenvalue_of_each_task():
    net = MLP(width=4, activation="tanh")
    gen = torch.Generator().manual_seed(3)
    W = copies(net.init(gen).double()[None], 3)
    W += 0.5 * torch.randn(W.shape, generator=gen, dtype=W.dtype)
    x = torch.rand(3, 6, 1, generator=gen, dtype=W.dtype) * 10 - 5
    y = 3 * torch.sin(x)
    got = top_eigenvalue(net, W, x, y, iters=300, gen=gen)
    for i in range(3):
        def loss(w, xi=x[i : i + 1], yi=y[i : i + 1]):
            return mse(net.forward(w[None], xi), yi).sum()

        top = torch.linalg.eigvalsh(torch.func.hessian(loss)(W[i])).max()
        torch.testing.assert_close(got[i], top, rtol=1e-5, atol=0)


def test_largest_eigenvalue_when_the_largest_in_magnitude_is_negative():
    # diagonal operators; rows 0 and 2 have a negative eigenvalue largest in magnitude
    eig = torch.tensor([[-9, 1, 2], [-1, 0.5, 4], [-7, -3, -1]], dtype=torch.float64)
    got = largest_eigenvalue(lambda v: eig * v, torch.ones_like(eig), iters=500)
    torch.testing.assert_close(got, eig.max(1).values)


def test_population_stream_is_each_members_own_stream():
    from reptile.tasks import PopulationStream

    cfg = meta_config(meta_batch=3)
    streams = [task_stream(FAMILY, cfg, seed) for seed in (4, 7, 9)]
    together = PopulationStream([task_stream(FAMILY, cfg, seed) for seed in (4, 7, 9)])
    for it in (0, 1, streams[0].chunk - 1, streams[0].chunk, 3 * streams[0].chunk + 2):
        xb, yb = together(it)
        assert torch.equal(xb, torch.cat([s(it)[0] for s in streams]))
        assert torch.equal(yb, torch.cat([s(it)[1] for s in streams]))
    assert torch.equal(together.select([2])(5)[0], streams[2](5)[0])

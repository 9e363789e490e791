"""Logistic regression, toys and networks: constants and derivatives checked independently."""

import math

import numpy as np
import pytest
import scipy.optimize
import torch

from convcheck.objectives.networks import ACTIVATIONS
from convcheck.objectives import (MLP, Logistic, QuadraticNet, ScalarFactorisation, TwoLayerReLU, ntk_gram_infinite,
                                  prop5_data, relu_net)
from convcheck.objectives.base import Objective


def _gen(s=0):
    return torch.Generator().manual_seed(s)


@pytest.mark.parametrize("lam", [0.0, 0.1])
def test_logistic_real_data_solution_against_scipy(lam):
    lg = Logistic.anes96(lam=lam)
    assert lg.n == 944 and lg.dim == 10
    X, y = lg.X.numpy(), lg.y.numpy()

    def f(w):
        return np.mean(np.logaddexp(0, -y * (X @ w))) + 0.5 * lam * w @ w

    res = scipy.optimize.minimize(f, np.zeros(10), jac=lambda w: lg.grad(torch.tensor(w)[None])[0].numpy(),
                                  method="BFGS", options={"gtol": 1e-12, "maxiter": 10_000})
    assert np.allclose(res.x, lg.w_star.numpy(), atol=1e-6)
    assert res.fun == pytest.approx(lg.f_star, rel=1e-12)
    assert float(torch.linalg.vector_norm(lg.grad(lg.w_star[None]))) <= 1e-12
    H0 = torch.autograd.functional.hessian(lambda w: lg.loss(w[None]).sum(), torch.zeros(10, dtype=torch.float64))
    assert float(torch.linalg.eigvalsh(H0).max()) == pytest.approx(lg.L, rel=1e-12)  # attained at w = 0
    Hs = torch.autograd.functional.hessian(lambda w: lg.loss(w[None]).sum(), lg.w_star)
    ev = torch.linalg.eigvalsh(Hs)
    assert float(ev.max()) <= lg.L + 1e-12 and float(ev.min()) >= lam - 1e-12


def test_logistic_derivatives_and_batches():
    lg = Logistic.synthetic(40, 5, _gen(1), lam=0.05)
    w = torch.randn(3, 5, generator=_gen(2), dtype=torch.float64)
    wr = w.clone().requires_grad_(True)
    assert torch.allclose(lg.grad(w), torch.autograd.grad(lg.loss(wr).sum(), wr)[0], rtol=1e-12)
    v = torch.randn_like(w)
    assert torch.allclose(lg.hvp(w, v), Objective.hvp(lg, w, v), rtol=1e-10)
    idx = torch.tensor([[0, 5, 5], [1, 2, 3], [39, 0, 7]])
    per = lg.per_sample_grads(w)
    assert torch.allclose(lg.grad_batch(w, idx), torch.stack([per[s, idx[s]].mean(0) for s in range(3)]), rtol=1e-12)
    assert torch.allclose(per.mean(1), lg.grad(w), rtol=1e-12)
    loop = torch.stack([lg.loss(w[s:s + 1])[0] for s in range(3)])
    assert torch.equal(loop, lg.loss(w)) or torch.allclose(loop, lg.loss(w), rtol=1e-15)


def test_logistic_separable_data_fails_loudly():
    X = torch.tensor([[1.0, 0.0], [-1.0, 0.0]], dtype=torch.float64)
    with pytest.raises(RuntimeError, match="separable"):
        Logistic(X, torch.tensor([1.0, -1.0], dtype=torch.float64))
    with pytest.raises(ValueError, match="'lam' parameter must be a float in the range \\[0.0, inf\\). Got -1"):
        Logistic(X, torch.tensor([1.0, -1.0], dtype=torch.float64), lam=-1)


def test_scalar_factorisation_sharpness():
    f = ScalarFactorisation()
    w = torch.tensor([[2.0, 0.5], [1.0, 1.0], [4.0, 0.25]], dtype=torch.float64)
    assert torch.allclose(f.loss(w), torch.zeros(3, dtype=torch.float64))
    assert torch.allclose(f.hessian_top(w), (w * w).sum(-1), rtol=1e-12)
    x = torch.randn(4, 2, generator=_gen(3), dtype=torch.float64)
    H = torch.stack([torch.autograd.functional.hessian(lambda z: f.loss(z[None]).sum(), x[s]) for s in range(4)])
    assert torch.allclose(f.hessian(x), H, rtol=1e-12)
    assert torch.allclose(f.hvp(x, torch.ones_like(x)), Objective.hvp(f, x, torch.ones_like(x)), rtol=1e-12)


@pytest.mark.parametrize("activation", ["sigmoid", "tanh", "relu"])
def test_mlp_gradient_against_central_differences(activation):
    X = torch.randn(12, 3, generator=_gen(4), dtype=torch.float64)
    Y = torch.randn(12, 2, generator=_gen(5), dtype=torch.float64)
    m = MLP(X, Y, [3, 5, 4, 2], activation)
    w = m.init(2, _gen(6))
    g = m.grad(w)
    h = 1e-6
    for j in (0, 7, m.dim - 1):
        e = torch.zeros_like(w)
        e[:, j] = h
        fd = (m.loss(w + e) - m.loss(w - e)) / (2 * h)
        assert torch.allclose(g[:, j], fd, rtol=1e-6, atol=1e-9)
    loop = torch.cat([m.grad(w[s:s + 1]) for s in range(2)])
    assert torch.allclose(loop, g, rtol=1e-13)


@pytest.mark.parametrize("activation", sorted(ACTIVATIONS))
@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("outputs", [2, 1])
def test_mlp_analytic_backward_equals_autograd(activation, bias, outputs):
    """The hand-written backward (wide ReLU nets use it for speed) gives autograd's gradient, on the
    whole data and on a batch per seed; autograd stays the default, BP-1's reference. One output
    takes the broadcast outer product instead of a batched matmul."""
    X = torch.randn(12, 3, generator=_gen(7), dtype=torch.float64)
    Y = torch.randn(12, outputs, generator=_gen(8), dtype=torch.float64)
    auto = MLP(X, Y, [3, 5, 4, outputs], activation, bias=bias)
    hand = MLP(X, Y, [3, 5, 4, outputs], activation, bias=bias, backward="analytic")
    assert auto.backward == "autograd"
    w = auto.init(3, _gen(9)) + 0.1 * torch.randn(3, auto.dim, generator=_gen(10), dtype=torch.float64)
    idx = torch.randint(0, 12, (3, 5), generator=_gen(11))
    torch.testing.assert_close(hand.grad(w), auto.grad(w), rtol=1e-13, atol=1e-15)
    torch.testing.assert_close(hand.grad_batch(w, idx), auto.grad_batch(w, idx), rtol=1e-13, atol=1e-15)


def test_quadratic_net_global_value_and_gradient():
    g = _gen(7)
    d = 4
    X = torch.randn(30, d, generator=g, dtype=torch.float64)
    y = torch.randn(30, generator=g, dtype=torch.float64)
    v = torch.tensor([1.0] * d + [-1.0] * d, dtype=torch.float64)
    q = QuadraticNet(X, y, v)
    assert q.f_star_exact
    # independent: least squares over the full (non-symmetric) M, then symmetrised, by numpy
    A = np.einsum("ni,nj->nij", X.numpy(), X.numpy()).reshape(30, -1)
    m = np.linalg.lstsq(A, y.numpy(), rcond=None)[0]
    assert 0.5 * np.mean((A @ m - y.numpy()) ** 2) == pytest.approx(q.f_star, rel=1e-10)
    # a W realising M*: eigen-decompose M* = P diag(e) P^T, rows sqrt|e_i| p_i on matching signs of v
    e, P = torch.linalg.eigh(q.M_star)
    W = torch.zeros(2 * d, d, dtype=torch.float64)
    for i in range(d):
        W[i if e[i] > 0 else d + i] = torch.sqrt(e[i].abs()) * P[:, i]
    assert float(q.loss(W.reshape(1, -1))[0]) == pytest.approx(q.f_star, rel=1e-9)
    w = torch.randn(3, q.dim, generator=g, dtype=torch.float64)
    wr = w.clone().requires_grad_(True)
    assert torch.allclose(q.grad(w), torch.autograd.grad(q.loss(wr).sum(), wr)[0], rtol=1e-11)
    q_pos = QuadraticNet(X, y, torch.ones(2 * d, dtype=torch.float64))
    assert not q_pos.f_star_exact


@pytest.mark.parametrize("v", [[1.0, -1.0, 2.0, -0.5, 1.0], [1.0, 1.0, 1.0, 1.0, 1.0]])
def test_quadratic_net_closed_form_hessian_equals_autograd(v):
    g = _gen(12)
    X = torch.randn(9, 3, generator=g, dtype=torch.float64)
    q = QuadraticNet(X, torch.randn(9, generator=g, dtype=torch.float64), torch.tensor(v, dtype=torch.float64))
    w = torch.randn(4, q.dim, generator=g, dtype=torch.float64)
    H = q.hessian(w)
    for s in range(4):  # autograd's Hessian of the loss itself, row by row
        ref = torch.autograd.functional.hessian(lambda x: q.loss(x.unsqueeze(0)).sum(), w[s])
        torch.testing.assert_close(H[s], ref, rtol=1e-12, atol=1e-12)
    assert torch.equal(H, H.transpose(1, 2))


def test_prop5_data_and_infinite_gram():
    X = prop5_data(20, 6, _gen(8))
    assert torch.allclose(torch.linalg.vector_norm(X, dim=-1), torch.ones(20, dtype=torch.float64))
    assert torch.allclose(X[:, -1], torch.full((20,), 1 / math.sqrt(2), dtype=torch.float64))
    H = ntk_gram_infinite(X)
    # Monte-Carlo: H_ij = E_w[x_i^T x_j 1{w.x_i >= 0, w.x_j >= 0}], w ~ N(0, I)
    Wm = torch.randn(400_000, 6, generator=_gen(9), dtype=torch.float64)
    A = (X @ Wm.T >= 0).double()
    H_mc = (X @ X.T) * (A @ A.T) / Wm.shape[0]
    assert torch.allclose(H, H_mc, atol=5e-3)
    assert float(torch.linalg.eigvalsh(H).min()) > 0
    net = relu_net(X, torch.randn(20, generator=_gen(10), dtype=torch.float64), width=16, depth=3)
    assert net.layout.shapes == {"W1": (16, 6), "W2": (16, 16), "W3": (1, 16)}


@pytest.mark.parametrize("call, needle", [
    (lambda: relu_net(torch.ones(2, 3), torch.ones(2), width=0, depth=2), "'width' parameter must be an int in the range [1, inf). Got 0"),
    (lambda: MLP(torch.ones(2, 3), torch.ones(2), [3, 1], "softmax"), "'activation' parameter must be one of"),
    (lambda: prop5_data(5, 1, _gen()), "'d' parameter must be an int in the range [2, inf). Got 1"),
])
def test_network_bad_parameters(call, needle):
    with pytest.raises(ValueError) as err:
        call()
    assert needle in str(err.value)


@pytest.mark.parametrize("make", ["engel", "synthetic"])
def test_least_absolute_solution_is_optimal_and_subgradients_batch(make):
    """w* beats every nearby point (a sharp minimum), f* matches statsmodels' median regression,
    and mini-batch subgradients over all n indices equal the full subgradient."""
    from convcheck.objectives import LeastAbsolute

    g = torch.Generator().manual_seed(3)
    obj = LeastAbsolute.engel() if make == "engel" else LeastAbsolute.synthetic(120, 4, g)
    d = torch.randn(500, obj.dim, generator=g, dtype=torch.float64) * 1e-3
    assert bool((obj.loss(obj.w_star + d) >= obj.f_star - 1e-14).all())
    if make == "engel":
        from statsmodels.regression.quantile_regression import QuantReg

        fit = QuantReg(obj.y.numpy(), obj.X.numpy()).fit(q=0.5, max_iter=5000, p_tol=1e-10)
        f_sm = float(np.abs(obj.X.numpy() @ fit.params - obj.y.numpy()).mean())
        assert obj.f_star <= f_sm + 1e-12 and f_sm - obj.f_star < 1e-6
    w = torch.randn(3, obj.dim, generator=g, dtype=torch.float64)
    idx = torch.arange(obj.n).repeat(3, 1)
    torch.testing.assert_close(obj.grad_batch(w, idx), obj.grad(w))
    torch.testing.assert_close(obj.loss_batch(w, idx), obj.loss(w))
    assert obj.constants()["G"] > 0 and obj.L == float("inf")


def test_two_layer_relu_gradients_equal_autograd():
    """Du et al.'s net: the full gradient and the mini-batch one (scaled by n/b) are autograd's."""
    g = _gen(13)
    X = prop5_data(12, 5, g)
    net = TwoLayerReLU.random(X, torch.randn(12, generator=g, dtype=torch.float64), 64, g)
    w = net.init(3, g)
    idx = torch.randint(0, 12, (3, 4), generator=g)
    wr = w.clone().requires_grad_(True)
    torch.testing.assert_close(net.grad(w), torch.autograd.grad(net.loss(wr).sum(), wr)[0], rtol=1e-12, atol=1e-14)
    torch.testing.assert_close(net.grad_batch(w, idx), torch.autograd.grad(net.loss_batch(wr, idx).sum(), wr)[0],
                               rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("b", [1, 3])
def test_batched_combine_and_mean_equal_the_batched_matmul_bit_for_bit(b):
    """One sample (SGD) is combined by broadcasting instead of a K = 1 matmul: the same bits; the
    mean skips a division by 1 only."""
    from convcheck.objectives.base import batched_combine, batched_mean
    Xb = torch.randn(6, b, 7, generator=_gen(3), dtype=torch.float64)
    c = torch.randn(6, b, generator=_gen(4), dtype=torch.float64)
    ref = torch.bmm(c.unsqueeze(1), Xb).squeeze(1)
    assert torch.equal(batched_combine(Xb, c), ref)
    assert torch.equal(batched_mean(Xb, c), ref / b)


def test_the_delta_rule_can_itself_be_differentiated():
    """The analytic gradient writes into one flat tensor only outside autograd and torch.func: the
    Hessian from forward-mode differentiation of the delta rule, and a backward pass through it,
    still work and agree with double back-propagation through the loss."""
    X = torch.randn(10, 3, generator=_gen(21), dtype=torch.float64)
    Y = torch.randn(10, 1, generator=_gen(22), dtype=torch.float64)
    hand = MLP(X, Y, [3, 4, 1], "tanh", backward="analytic")
    w = hand.init(2, _gen(23))
    H = torch.func.vmap(torch.func.jacfwd(lambda x: hand.grad(x.unsqueeze(0))[0]))(w)  # (2, dim, dim)
    v = torch.randn(2, hand.dim, generator=_gen(24), dtype=torch.float64)
    torch.testing.assert_close(torch.einsum("sij,sj->si", H, v), hand.hvp(w, v), rtol=1e-10, atol=1e-12)
    wr = w.clone().requires_grad_(True)
    (back,) = torch.autograd.grad((hand.grad(wr) * v).sum(), wr)
    torch.testing.assert_close(back, hand.hvp(w, v), rtol=1e-10, atol=1e-12)
    assert torch.equal(hand.grad(wr).detach(), hand.grad(w))  # the two paths, the same bits


# --- WellsPlane: an L-smooth landscape with strict saddles (OP-7 as written) ------------------------

def test_wells_plane_certifies_global_L_and_strict_saddles():
    """The closed-form L bounds the exact Hessian at random points far and near; the gradient and
    Hessian agree with autograd; the critical points are 3 global minima, 3 saddles and a maximum,
    every non-minimum with a negative eigenvalue. A planted degenerate spectrum (a zero eigenvalue
    at a saddle) loses the "strict saddles" certificate."""
    import dataclasses

    from convcheck.objectives import WellsPlane

    obj = WellsPlane()
    w = torch.randn(2000, 2, generator=torch.Generator().manual_seed(0), dtype=torch.float64) * 3
    H = obj.hessian(w)
    assert torch.linalg.matrix_norm(H, ord=2).max() <= obj.L
    x = w[:5].clone().requires_grad_(True)
    g = torch.autograd.grad(obj.loss(x).sum(), x)[0]
    assert torch.allclose(g, obj.grad(w[:5]), rtol=1e-12, atol=1e-14)
    Ha = torch.autograd.functional.hessian(lambda v: obj.loss(v.reshape(1, 2)).sum(), w[0])
    assert torch.allclose(Ha, H[0], rtol=1e-10, atol=1e-12)
    lo = obj.spectra[:, 0]
    assert len(obj.points) == 7 and (lo > 0).sum() == 3 and (obj.spectra[:, 1] < 0).sum() == 1  # the maximum
    assert np.abs(obj.values[lo > 0] - obj.f_star).max() < 1e-12
    assert np.linalg.norm(obj._g(obj.points), axis=-1).max() < 1e-12 and np.linalg.norm(obj.points, axis=-1).max() < obj.B
    certs = {c.property: c for c in obj.certificates()}
    assert certs["L-smooth"].holds and certs["L-smooth"].value == obj.L and certs["strict saddles"].holds
    assert not certs["spurious local minimum"].holds
    planted = WellsPlane()
    planted.spectra = planted.spectra.copy()
    planted.spectra[np.flatnonzero(lo < 0)[0], 0] = 0.0
    assert not {c.property: c for c in planted.certificates()}["strict saddles"].holds
    with pytest.raises(ValueError, match="'wells' parameter"):
        WellsPlane(1)

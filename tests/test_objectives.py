"""Objectives: every constant checked independently of the code that computes it."""

import numpy as np
import pytest
import scipy.optimize
import torch

from convcheck.objectives import HuberWorstCase, Objective, LeastSquares, Quadratic, WithoutReplacement, WithReplacement, spectrum
from convcheck.optim import gradient_descent
from convcheck import engine


def _gen(seed=0):
    return torch.Generator().manual_seed(seed)


def _autograd_hessian(obj, w):
    return torch.autograd.functional.hessian(lambda x: obj.loss(x.unsqueeze(0)).sum(), w)


@pytest.mark.parametrize("zeros", [0, 3])
def test_quadratic_constants_against_autograd_hessian(zeros):
    q = Quadratic.random(8, _gen(), L=2.0, kappa=50.0, zeros=zeros)
    ev = torch.linalg.eigvalsh(_autograd_hessian(q, torch.zeros(8, dtype=torch.float64)))
    assert ev.max().item() == pytest.approx(q.L, rel=1e-12)
    assert q.mu == (0.0 if zeros else pytest.approx(2.0 / 50.0, rel=1e-12))
    assert int((ev.abs() < 1e-12).sum()) == zeros
    w = torch.randn(4, 8, generator=_gen(1), dtype=torch.float64)
    assert torch.allclose(q.loss(q.w_star.unsqueeze(0)), torch.tensor([q.f_star], dtype=torch.float64))
    # distance to the minimiser set: moving along null(A) does not change loss nor distance
    null = q.Q[:, -zeros:] @ torch.ones(zeros, dtype=torch.float64) if zeros else torch.zeros(8, dtype=torch.float64)
    assert torch.allclose(q.distance(q.w_star + null), torch.zeros(1, dtype=torch.float64), atol=1e-12)
    assert torch.allclose(q.gap(w), q.loss(w) - q.f_star, rtol=1e-12)


def test_gradients_and_hvp_against_autograd_and_central_differences():
    ls = LeastSquares.planted(30, 4, _gen(), kappa=5.0)
    for obj in (Quadratic.random(5, _gen(), kappa=10.0), ls, HuberWorstCase(5, d=3)):
        w = torch.randn(3, obj.dim, generator=_gen(2), dtype=torch.float64)
        wr = w.clone().requires_grad_(True)
        g_auto = torch.autograd.grad(obj.loss(wr).sum(), wr)[0]
        assert torch.allclose(obj.grad(w), g_auto, rtol=1e-10, atol=1e-12)
        h = 1e-6
        e0 = torch.zeros_like(w)
        e0[:, 0] = h
        fd = (obj.loss(w + e0) - obj.loss(w - e0)) / (2 * h)
        assert torch.allclose(obj.grad(w)[:, 0], fd, rtol=1e-6, atol=1e-8)
        if not isinstance(obj, HuberWorstCase):  # closed-form hvp against double backprop
            v = torch.randn_like(w)
            assert torch.allclose(obj.hvp(w, v), Objective.hvp(obj, w, v), rtol=1e-10, atol=1e-12)


def test_least_squares_solution_and_noise_against_scipy_and_numpy():
    ls = LeastSquares.planted(40, 6, _gen(3), L=1.0, kappa=8.0, noise=0.5)
    X, y = ls.X.numpy(), ls.y.numpy()
    res = scipy.optimize.minimize(lambda w: 0.5 * np.mean((X @ w - y) ** 2), np.zeros(6),
                                  jac=lambda w: X.T @ (X @ w - y) / 40, method="BFGS", options={"gtol": 1e-13})
    assert np.allclose(res.x, ls.w_star.numpy(), atol=1e-9)
    assert res.fun == pytest.approx(ls.f_star, rel=1e-12)
    ev = np.linalg.eigvalsh(X.T @ X / 40)
    assert ev[-1] == pytest.approx(ls.L, rel=1e-12) and ev[0] == pytest.approx(ls.mu, rel=1e-12)
    assert ev[-1] == pytest.approx(1.0, rel=1e-12) and ev[0] == pytest.approx(1 / 8, rel=1e-12)
    G = X * (X @ ls.w_star.numpy() - y)[:, None]
    assert np.abs(G.sum(0)).max() < 1e-10
    assert ls.sigma2_n == pytest.approx((G**2).sum() / 40, rel=1e-12)
    assert ls.sigma2_n1 == pytest.approx((G**2).sum() / 39, rel=1e-12)
    assert ls.L_max == pytest.approx((X**2).sum(1).max(), rel=1e-12)


def test_minibatch_gradient_is_mean_of_per_sample_gradients():
    ls = LeastSquares.planted(20, 3, _gen(4))
    w = torch.randn(2, 3, generator=_gen(5), dtype=torch.float64)
    idx = torch.tensor([[0, 3, 3], [19, 1, 2]])
    per = ls.per_sample_grads(w)
    expect = torch.stack([per[s, idx[s]].mean(0) for s in range(2)])
    assert torch.allclose(ls.grad_batch(w, idx), expect, rtol=1e-13)
    assert torch.allclose(per.mean(1), ls.grad(w), rtol=1e-10, atol=1e-13)


def test_sgd_stationary_gap_matches_simulation():
    """The exact floor from the second-moment recursion against a long SGD run (time x seed average)."""
    ls = LeastSquares.planted(50, 3, _gen(6), kappa=2.0)
    eta = 0.05
    S, T = 256, 4000
    w0 = ls.w_star.repeat(S, 1)
    tr = engine.run(ls, gradient_descent(eta), w0, T, checkpoints=np.arange(1000, T + 1, 5),
                    sampler=WithReplacement(50), generator=_gen(7))
    assert tr.metrics["gap"].mean() == pytest.approx(ls.sgd_stationary_gap(eta), rel=0.04)


@pytest.mark.parametrize("N", [1, 5, 20, 100])
def test_huber_worst_case_is_attained_exactly(N):
    h = HuberWorstCase(N, R=2.0, L=3.0, d=2)
    w0 = torch.tensor([[2.0, 0.0], [0.0, -2.0]], dtype=torch.float64)
    tr = engine.run(h, gradient_descent(1 / h.L), w0, N, checkpoints=[N])
    assert np.allclose(tr.metrics["gap"][:, -1], 3.0 * 4.0 / (4 * N + 2), rtol=1e-9, atol=0)


def test_huber_is_convex_and_L_smooth():
    h = HuberWorstCase(3, L=2.0)
    r = torch.linspace(-2, 2, 2001, dtype=torch.float64).unsqueeze(-1)
    g = h.grad(r).squeeze(-1)
    slopes = torch.diff(g) / torch.diff(r.squeeze(-1))
    assert slopes.min() >= -1e-12 and slopes.max() <= 2.0 + 1e-9


def test_samplers_partition_and_replacement():
    g = _gen(8)
    s = WithoutReplacement(12, 4)
    batches = torch.cat([s.draw(5, g, "cpu") for _ in range(3)], dim=1)
    assert all(sorted(row.tolist()) == list(range(12)) for row in batches)
    r = WithReplacement(12, 4).draw(1000, g, "cpu")
    assert r.min() >= 0 and r.max() < 12 and (r[:, :1] == r[:, 1:2]).any()


@pytest.mark.parametrize("call, needle", [
    (lambda: spectrum(5, kappa=0.5), "'kappa' parameter must be a float in the range [1.0, inf). Got 0.5"),
    (lambda: spectrum(0), "'d' parameter must be an int in the range [1, inf). Got 0"),
    (lambda: LeastSquares.planted(10, 20, _gen()), "'d' parameter must be an int in the range [1, 10]. Got 20"),
    (lambda: WithoutReplacement(10, 11), "'b' parameter must be an int in the range [1, 10]. Got 11"),
    (lambda: HuberWorstCase(0), "'N' parameter must be an int in the range [1, inf). Got 0"),
    (lambda: Quadratic(torch.tensor([1.0, -1.0])), "'eigenvalues' parameter must be in the range [0, inf)"),
])
def test_bad_parameters_raise_with_name_range_value(call, needle):
    with pytest.raises(ValueError) as err:
        call()
    assert needle in str(err.value)

"""convcheck.solvers.lbfgs_rows: many independent problems as rows of one batch."""

import numpy as np
import pytest
import scipy.optimize
import torch

from convcheck.solvers import lbfgs_rows


def _rosenbrock_rows(a):
    """Row s: (a_s - x)^2 + 100 (y - x^2)^2, minimum at (a_s, a_s^2): each row a different problem."""
    def loss_grad(w):
        x, y = w[:, 0], w[:, 1]
        aa = a[: w.shape[0]] if w.shape[0] == a.shape[0] else a
        f = (aa - x) ** 2 + 100 * (y - x * x) ** 2
        g = torch.stack([-2 * (aa - x) - 400 * x * (y - x * x), 200 * (y - x * x)], -1)
        return f, g
    return loss_grad


def test_every_row_reaches_its_own_minimum_as_scipy_does():
    a = torch.linspace(-1.5, 2.0, 8, dtype=torch.float64)
    w0 = torch.tensor([[-1.2, 1.0]], dtype=torch.float64).repeat(8, 1) + 0.1 * torch.randn(
        8, 2, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    res = lbfgs_rows(_rosenbrock_rows(a), w0)
    assert bool(res.converged.all()) and float(res.grad_inf.max()) <= 1e-11
    np.testing.assert_allclose(res.w.numpy(), torch.stack([a, a * a], -1).numpy(), atol=1e-8)
    for s in range(8):  # the same minimiser scipy's L-BFGS-B finds from the same start
        def fg(x, s=s):
            f, g = _rosenbrock_rows(a[s:s + 1])(torch.from_numpy(x).reshape(1, 2))
            return float(f[0]), g[0].numpy()
        ref = scipy.optimize.minimize(fg, w0[s].numpy(), jac=True, method="L-BFGS-B",
                                      options={"gtol": 1e-11, "ftol": 1e-300, "maxcor": 30})
        np.testing.assert_allclose(res.w[s].numpy(), ref.x, atol=1e-6)


def test_a_row_gives_the_same_bits_alone_or_in_the_batch():
    g = torch.Generator().manual_seed(1)
    A = torch.randn(5, 6, 6, generator=g, dtype=torch.float64)
    A = A @ A.transpose(1, 2) + 0.1 * torch.eye(6, dtype=torch.float64)  # five convex quadratics, one per row
    b = torch.randn(5, 6, generator=g, dtype=torch.float64)

    def quad(rows):
        def loss_grad(w):
            Aw = (A[rows] @ w.unsqueeze(-1)).squeeze(-1)
            return 0.5 * (w * Aw).sum(-1) - (b[rows] * w).sum(-1), Aw - b[rows]
        return loss_grad
    w0 = torch.zeros(5, 6, dtype=torch.float64)
    batch = lbfgs_rows(quad(slice(None)), w0)
    alone = lbfgs_rows(quad(slice(2, 3)), w0[2:3])
    assert torch.equal(batch.w[2], alone.w[0]) and int(batch.iterations[2]) == int(alone.iterations[0])
    # a minimiser found by comparing f values is known to about sqrt(eps) relative (f is flat there)
    np.testing.assert_allclose(batch.w.numpy(), torch.linalg.solve(A, b).numpy(), rtol=1e-6, atol=1e-6)


def test_subsets_evaluate_only_the_rows_still_searching_with_the_same_bits():
    """``subsets=True``: the solver passes the rows it evaluates; the result is the whole batch's,
    bit for bit, for fewer row evaluations (rows that have stopped, or already accepted a step, are
    left out)."""
    a = torch.linspace(-1.5, 2.0, 8, dtype=torch.float64)
    w0 = torch.tensor([[-1.2, 1.0]], dtype=torch.float64).repeat(8, 1) + 0.1 * torch.randn(
        8, 2, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    whole, evaluated, calls = _rosenbrock_rows(a), [], []

    def by_rows(w, rows):
        evaluated.append(int(rows.numel()))
        calls.append(w.shape[0] == rows.numel())
        return _rosenbrock_rows(a[rows])(w)
    full = lbfgs_rows(whole, w0)
    sub = lbfgs_rows(by_rows, w0, subsets=True)
    assert all(torch.equal(x, y) for x, y in zip(full, sub))
    assert all(calls) and sum(evaluated) < 8 * len(evaluated)


def test_a_wrong_gradient_is_not_reported_converged():
    """Planted: a gradient with the wrong sign makes every step an ascent direction; the line search
    finds no decrease and the rows stop unconverged, never 'converged' at a point that is not one."""
    a = torch.ones(3, dtype=torch.float64)
    right = _rosenbrock_rows(a)
    res = lbfgs_rows(lambda w: (right(w)[0], -right(w)[1]), torch.zeros(3, 2, dtype=torch.float64), maxiter=50)
    assert not bool(res.converged.any()) and float(res.grad_inf.min()) > 1e-3


def test_bad_arguments_name_the_parameter():
    with pytest.raises(ValueError, match="'memory' parameter"):
        lbfgs_rows(_rosenbrock_rows(torch.ones(1, dtype=torch.float64)), torch.zeros(1, 2, dtype=torch.float64), memory=0)

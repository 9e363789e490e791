"""Every optimizer: batched == per-seed reference (float64, 1e-12), decrease on a strongly
convex quadratic, torch.optim equivalences, delta-rule backprop, and bad hyperparameters.

The table OPTIMIZERS drives the generic tests: each row names the
batched factory and the per-seed reference it must reproduce.
"""

import math

import numpy as np
import pytest
import torch

from convcheck import engine
from convcheck.objectives import MLP, LeastSquares, Logistic, Quadratic, WithoutReplacement, WithReplacement
from convcheck.optim import (adagrad, adam, armijo, asam, backprop, delta_rule_gradient, dual_eps, from_torch, replay,
                             gradient_descent, halving, heavy_ball, nesterov, rmsprop, sam, steepest_descent, swp_eps,
                             wolfe)
from convcheck.stopping import Stopping
import reference_optim as ref
import _survey  # the survey suite's own variants (studies/survey/_survey.py)


def _gen(s=0):
    return torch.Generator().manual_seed(s)


OBJECTIVES = {
    "quadratic": lambda: Quadratic.random(6, _gen(1), L=1.0, kappa=10.0),
    "least_squares": lambda: LeastSquares.planted(30, 5, _gen(2), kappa=5.0),
    "logistic": lambda: Logistic.synthetic(40, 5, _gen(3), lam=0.1),
}

# name: (batched factory, reference(w, f, g, steps, obj), objectives it applies to)
OPTIMIZERS = {
    "gd": (lambda o: gradient_descent(0.5 / o.L), lambda w, f, g, n, o: ref.ref_gd(w, f, g, n, 0.5 / o.L)),
    "heavy_ball": (lambda o: heavy_ball(0.3 / o.L, 0.5), lambda w, f, g, n, o: ref.ref_heavy_ball(w, f, g, n, 0.3 / o.L, 0.5)),
    "nesterov": (lambda o: nesterov(0.3 / o.L, 0.5), lambda w, f, g, n, o: ref.ref_nesterov(w, f, g, n, 0.3 / o.L, 0.5)),
    "halving": (lambda o: halving(), lambda w, f, g, n, o: ref.ref_halving(w, f, g, n)),
    "armijo": (lambda o: armijo(), lambda w, f, g, n, o: ref.ref_armijo(w, f, g, n)),
    "wolfe": (lambda o: wolfe(), lambda w, f, g, n, o: ref.ref_wolfe(w, f, g, n)),
    "adagrad": (lambda o: adagrad(0.1), lambda w, f, g, n, o: ref.ref_adagrad(w, f, g, n, 0.1, 1e-10, False)),
    "adagrad-survey": (lambda o: _survey.adagrad_survey(0.1, eps=1e-8),
                       lambda w, f, g, n, o: ref.ref_adagrad(w, f, g, n, 0.1, 1e-8, True)),
    "rmsprop": (lambda o: rmsprop(0.01, 0.9), lambda w, f, g, n, o: ref.ref_rmsprop(w, f, g, n, 0.01, 0.9, 1e-8, False, False)),
    "rmsprop-survey": (lambda o: _survey.rmsprop_survey(0.01, 0.9),
                       lambda w, f, g, n, o: ref.ref_rmsprop(w, f, g, n, 0.01, 0.9, 1e-8, True, True)),
    "adam": (lambda o: adam(0.05), lambda w, f, g, n, o: ref.ref_adam(w, f, g, n, 0.05, 0.9, 0.999, 1e-8, False, False)),
    "adam-survey": (lambda o: _survey.adam_survey(0.05),
                    lambda w, f, g, n, o: ref.ref_adam(w, f, g, n, 0.05, 0.9, 0.999, 1e-8, True, True)),
    "sam-p2": (lambda o: sam(0.5 / o.L, rho=0.05), lambda w, f, g, n, o: ref.ref_sam(w, f, g, n, 0.5 / o.L, 0.05, 2.0)),
    "sam-p3": (lambda o: sam(0.5 / o.L, rho=0.05, p=3), lambda w, f, g, n, o: ref.ref_sam(w, f, g, n, 0.5 / o.L, 0.05, 3.0)),
    "sam-pinf": (lambda o: sam(0.5 / o.L, rho=0.05, p=math.inf),
                 lambda w, f, g, n, o: ref.ref_sam(w, f, g, n, 0.5 / o.L, 0.05, math.inf)),
    "sam-swp-beta1": (lambda o: sam(0.5 / o.L, rho=0.05, swp="coordinate", beta=1.0, generator=_gen(9)),
                      lambda w, f, g, n, o: ref.ref_sam(w, f, g, n, 0.5 / o.L, 0.05, 2.0)),
    "asam": (lambda o: asam(0.5 / o.L, rho=0.1), lambda w, f, g, n, o: ref.ref_asam(w, f, g, n, 0.5 / o.L, 0.1)),
}


def _single(obj):
    f = lambda w: obj.loss(w[None])[0]  # noqa: E731
    g = lambda w: obj.grad(w[None])[0]  # noqa: E731
    return f, g


@pytest.mark.parametrize("objective", sorted(OBJECTIVES))
@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_batched_equals_per_seed_reference(name, objective):
    obj = OBJECTIVES[objective]()
    make, reference = OPTIMIZERS[name]
    w0 = obj.w_star + torch.randn(3, obj.dim, generator=_gen(4), dtype=torch.float64)
    tr = engine.run(obj, make(obj), w0, 25, checkpoints=[25])
    f, g = _single(obj)
    for s in range(3):
        expect = reference(w0[s].clone(), f, g, 25, obj)
        torch.testing.assert_close(tr.final[s], expect, rtol=1e-12, atol=1e-13)


def test_steepest_descent_references():
    q = OBJECTIVES["quadratic"]()
    f, g = _single(q)
    w0 = q.w_star + torch.randn(3, q.dim, generator=_gen(5), dtype=torch.float64)
    exact = engine.run(q, steepest_descent("quadratic"), w0, 20, checkpoints=[20])
    numeric = engine.run(q, steepest_descent("numeric", iters=200), w0, 20, checkpoints=[20])
    for s in range(3):
        expect = ref.ref_steepest_quadratic(w0[s].clone(), f, g, 20, q.A)
        torch.testing.assert_close(exact.final[s], expect, rtol=1e-12, atol=1e-13)
        torch.testing.assert_close(numeric.final[s], expect, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("form", ["threshold", "fraction"])
def test_sds_equals_reference(form):
    ls = OBJECTIVES["least_squares"]()
    w0 = ls.w_star + torch.randn(2, ls.dim, generator=_gen(6), dtype=torch.float64)
    tr = engine.run(ls, sam(0.3, rho=0.1, sds=form, alpha=0.01, gamma=0.4), w0, 15, checkpoints=[15])
    f, g = _single(ls)
    psl = lambda w: ls.per_sample_losses(w[None])[0]  # noqa: E731
    psg = lambda w, i: ls.per_sample_grads(w[None])[0, i]  # noqa: E731
    for s in range(2):
        expect = ref.ref_sam_sds(w0[s].clone(), f, g, 15, 0.3, 0.1, psl, psg, form, alpha=0.01, gamma=0.4)
        torch.testing.assert_close(tr.final[s], expect, rtol=1e-12, atol=1e-13)


@pytest.mark.parametrize("name", sorted(OPTIMIZERS) + ["steepest", "sds"])
def test_each_optimizer_decreases_a_strongly_convex_quadratic(name):
    q = OBJECTIVES["quadratic"]()
    opt = {"steepest": steepest_descent(), "sds": sam(0.5, rho=0.05, sds="fraction")}.get(name)
    if opt is None:
        opt = OPTIMIZERS[name][0](q)
    if name == "sds":  # SDS needs per-sample losses: run it on least squares
        q = OBJECTIVES["least_squares"]()
    w0 = q.w_star + torch.randn(4, q.dim, generator=_gen(7), dtype=torch.float64)
    tr = engine.run(q, opt, w0, 200, checkpoints=[0, 200])
    assert np.all(tr.metrics["gap"][:, -1] < tr.metrics["gap"][:, 0])


@pytest.mark.parametrize("torch_cls, ours", [
    (lambda: (torch.optim.Adagrad, {"lr": 0.1}), lambda: adagrad(0.1)),
    (lambda: (torch.optim.RMSprop, {"lr": 0.01, "alpha": 0.9}), lambda: rmsprop(0.01, 0.9)),
    (lambda: (torch.optim.Adam, {"lr": 0.01, "betas": (0.8, 0.99)}), lambda: adam(0.01, 0.8, 0.99)),
    (lambda: (torch.optim.SGD, {"lr": 0.1}), lambda: gradient_descent(0.1)),
    (lambda: (torch.optim.SGD, {"lr": 0.1, "momentum": 0.7}), lambda: heavy_ball(0.1, 0.7)),
])
def test_standard_variants_equal_torch_optim(torch_cls, ours):
    """Fed the same 100 gradients from the same starts: every iterate equal to 1e-12 relative."""
    w0 = torch.randn(3, 5, generator=_gen(8), dtype=torch.float64)
    grads = torch.randn(100, 3, 5, generator=_gen(23), dtype=torch.float64)
    cls, hyper = torch_cls()
    a, b = replay(ours(), w0, grads), replay(from_torch(cls, **hyper), w0, grads)
    torch.testing.assert_close(a, b, rtol=1e-12, atol=1e-14)


def test_torch_adapter_same_trace_with_sampling():
    ls = OBJECTIVES["least_squares"]()
    w0 = torch.zeros(4, ls.dim, dtype=torch.float64)
    kw = dict(sampler=WithReplacement(30, 2))
    a = engine.run(ls, gradient_descent(0.05), w0, 50, generator=_gen(10), **kw)
    b = engine.run(ls, from_torch(torch.optim.SGD, lr=0.05), w0, 50, generator=_gen(10), **kw)
    np.testing.assert_allclose(a.metrics["gap"], b.metrics["gap"], rtol=1e-12)


def test_adam_without_bias_correction_differs_from_torch():
    w0 = torch.randn(2, 5, generator=_gen(11), dtype=torch.float64)
    grads = torch.randn(100, 2, 5, generator=_gen(24), dtype=torch.float64)
    a = replay(adam(0.01, bias_correction=False), w0, grads)
    b = replay(from_torch(torch.optim.Adam, lr=0.01), w0, grads)
    assert not torch.allclose(a, b, rtol=1e-6)


@pytest.mark.parametrize("activation", ["sigmoid", "tanh", "relu"])
@pytest.mark.parametrize("depth", [2, 3, 4])
def test_delta_rule_equals_autograd_and_central_differences(activation, depth):
    X = torch.randn(10, 3, generator=_gen(12), dtype=torch.float64)
    Y = torch.randn(10, 2, generator=_gen(13), dtype=torch.float64)
    m = MLP(X, Y, [3] + [5] * (depth - 1) + [2], activation)
    # small random biases: with zero biases a ReLU pre-activation can sit exactly on its kink,
    # where central differences average the two one-sided slopes
    w = m.init(3, _gen(14)) + 0.05 * torch.randn(3, m.dim, generator=_gen(22), dtype=torch.float64)
    ours = delta_rule_gradient(m, w)
    torch.testing.assert_close(ours, m.grad(w), rtol=1e-12, atol=1e-14)
    h = 1e-6
    for j in range(0, m.dim, max(1, m.dim // 7)):
        e = torch.zeros_like(w)
        e[:, j] = h
        torch.testing.assert_close(ours[:, j], (m.loss(w + e) - m.loss(w - e)) / (2 * h), rtol=1e-5, atol=1e-8)
    idx = torch.tensor([[0, 2, 4], [1, 1, 9], [3, 5, 7]])
    torch.testing.assert_close(delta_rule_gradient(m, w, idx), m.grad_batch(w, idx), rtol=1e-12, atol=1e-14)


def test_backprop_step_is_a_gd_step():
    X = torch.randn(8, 3, generator=_gen(15), dtype=torch.float64)
    m = MLP(X, torch.randn(8, generator=_gen(16), dtype=torch.float64), [3, 4, 1], "tanh")
    w0 = m.init(2, _gen(17))
    a = engine.run(m, backprop(0.1), w0, 1, checkpoints=[1])
    torch.testing.assert_close(a.final, w0 - 0.1 * m.grad(w0), rtol=1e-13, atol=1e-15)


def test_dual_norm_perturbation():
    g = torch.tensor([[3.0, -4.0, 0.0], [0.0, 0.0, 0.0], [1e200, 1.0, -1e200]], dtype=torch.float64)
    for p in (1.5, 2.0, 3.0, math.inf):
        eps = dual_eps(g, 0.1, p)
        assert torch.all(eps[1] == 0)  # zero-gradient guard
        q = 1.0 if math.isinf(p) else p / (p - 1)
        assert torch.isfinite(eps).all()
        np.testing.assert_allclose(torch.linalg.vector_norm(eps[[0, 2]], ord=p, dim=-1).numpy(), 0.1, rtol=1e-12)
        gn = g[0] / 4.0
        np.testing.assert_allclose(float(gn @ eps[0]), 0.1 * float(torch.linalg.vector_norm(gn, ord=q)), rtol=1e-12)


def test_swp_forms():
    g = torch.randn(20000, 6, generator=_gen(18), dtype=torch.float64) * 0 + torch.tensor([3.0, -1, 2, 0.5, -2, 1])
    eps_star = dual_eps(g[:1], 0.2)
    coord, _ = swp_eps(g, 0.2, 0.3, _gen(19), "coordinate")
    se = coord.std(0) / math.sqrt(g.shape[0])
    assert torch.all((coord.mean(0) - eps_star[0]).abs() < 4 * se)  # unbiased
    groups = torch.tensor([0, 0, 1, 1, 2, 2])
    tensor, mask = swp_eps(g, 0.2, 0.3, _gen(20), "tensor", groups)
    kept = mask.any(-1)
    np.testing.assert_allclose(torch.linalg.vector_norm(tensor[kept], dim=-1).numpy(), 0.2 / 0.3, rtol=1e-12)
    assert torch.any((tensor.mean(0) - eps_star[0]).abs() > 10 * se)  # biased


def test_stopping_criteria_recorded_per_seed():
    q = Quadratic.random(4, _gen(21), kappa=4.0)
    w0 = q.w_star + torch.tensor([[1.0] * 4, [1e-3] * 4], dtype=torch.float64)
    tr = engine.run(q, gradient_descent(0.5), w0, 500, stop=Stopping(grad_tol=1e-6))
    stopped = tr.info["stopped_at"]
    assert (tr.info["stop_code"] == 1).all() and stopped[1] < stopped[0] < 500
    assert np.linalg.norm(q.grad(tr.final).numpy(), axis=1).max() <= 1e-6
    tr = engine.run(q, gradient_descent(0.5), w0, 50, stop=Stopping(max_iter=7))
    assert (tr.info["stopped_at"] == 7).all() and (tr.info["stop_code"] == 4).all()


@pytest.mark.parametrize("call, needle", [
    (lambda: gradient_descent(0.0), "'lr' parameter must be a float in the range (0, inf). Got 0.0"),
    (lambda: heavy_ball(0.1, 1.0), "'alpha' parameter must be a float in the range [0.0, 1.0). Got 1.0"),
    (lambda: heavy_ball(0.1, -0.1), "'alpha' parameter must be a float in the range [0.0, 1.0). Got -0.1"),
    (lambda: sam(0.1, rho=-1.0), "'rho' parameter must be a float in the range [0.0, inf). Got -1.0"),
    (lambda: sam(0.1, p=1.0), "'p' parameter must be a float in the range (1, inf]. Got 1.0"),
    (lambda: sam(0.1, swp="coordinate", beta=0.0, generator=_gen()), "'beta' parameter must be a float in the range (0.0, 1.0]. Got 0.0"),
    (lambda: sam(0.1, swp="coordinate", beta=1.5, generator=_gen()), "'beta' parameter must be a float in the range (0.0, 1.0]. Got 1.5"),
    (lambda: adam(0.1, gamma1=1.0), "'gamma1' parameter must be a float in the range [0.0, 1.0). Got 1.0"),
    (lambda: WithoutReplacement(10, 20), "'b' parameter must be an int in the range [1, 10]. Got 20"),
    (lambda: Stopping(grad_tol=-1.0), "'grad_tol' parameter must be a float in the range [0.0, inf). Got -1.0"),
])
def test_bad_hyperparameters(call, needle):
    with pytest.raises(ValueError) as err:
        call()
    assert needle in str(err.value)

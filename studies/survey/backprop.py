"""BP-1 and BP-2: backpropagation by the delta rule (Sec. 3, Eqs. 10-20, Alg. 2).

Claims:
    BP-1 (Eqs. 10-17):
        the delta rule, ``delta_L = dE/da_L``, ``delta_l = (delta_{l+1} W_{l+1}) * s'(z_l)``,
        ``dE/dW_l = delta_l^T a_{l-1}``, computes the gradient of the loss.
    BP-2 (Alg. 2, Eqs. 18-20):
        one backpropagation step moves every weight by ``-eta dE/dW``: it is one gradient-descent
        step on all weights. As written: the survey calls the update Eq. (18), "by gradient
        descent", and line 10's unsuperscripted ``w_ji`` beside ``w^(k+1) := w^(k)`` reads as the
        weight of iteration k: every delta from the weights of iteration k, one simultaneous step.
        Reading "in place": Alg. 2's loop updates the layers from the last back while line 10's
        ``sum_j delta_j w_ji`` uses the already-updated weights of the layer above.
Kind:
    identity (both).
Objective:
    fully connected networks with sigmoid, tanh and ReLU activations, depth 2 to 4 (widths
    6), MSE on random regression data (n = 16, 4 inputs, 2 outputs), several seeds.
Optimizer:
    convcheck's delta-rule implementation (no autograd; ``gradient(mlp, w)`` may replace
    it) against torch.autograd and against central differences (h = 1e-6).
Fit:
    none: two computations of one number compared directly (largest relative error over seeds,
    coordinates and networks).
Verdict rule:
    BP-1 reproduced when the delta rule equals autograd to 1e-10 relative (max over seeds,
    coordinates and networks) and central differences to 1e-5; refuted otherwise, naming the
    network. BP-2, both readings (``check_property`` over the networks): reproduced when one step equals
    ``w - eta * autograd`` to SAME_ARITHMETIC_RTOL (1e-12) relative on every network and seed,
    refuted otherwise with the largest difference (relative, and divided by eta).
References:
    Rumelhart, Hinton & Williams (1986), Learning representations by back-propagating errors.
"""

from __future__ import annotations

import pandas as pd
import torch

from convcheck.stats import thresholds as th
from convcheck.objectives import MLP
from convcheck.optim import backprop_in_place_step, delta_rule_gradient
from convcheck.stats import check_property, relative_error
from convcheck.study import Claim, StudyResult

IN_PLACE = "in place: line 10 uses the weights already updated above"
CLAIMS = [
    Claim("BP-1", "Eqs. (10)-(17)", "the delta rule computes dE/dw", "identity"),
    Claim("BP-2", "Alg. 2, Eqs. (18)-(20)", "a backpropagation step is a gradient-descent step on all weights", "identity",
          readings=(IN_PLACE,)),
]

SCALES = {"tiny": {"seeds": 3}, "quick": {"seeds": 8}, "full": {"seeds": 64}}
# Tolerances (convcheck.stats.thresholds): delta rule vs autograd are two paths to one number; central
# differences carry truncation and cancellation error; one step computed two ways is the same arithmetic.
AUTOGRAD_RTOL, FD_RTOL, STEP_RTOL = th.IDENTITY_RTOL, th.FINITE_DIFFERENCE_RTOL, th.SAME_ARITHMETIC_RTOL

# What tests and users may pass besides a scale's config (convcheck.study): name -> what it is.
INJECTIONS = {
    'gradient': "gradient(mlp, w): the delta-rule gradient under test (default convcheck's)",
    'eta': 'the step of the one-step comparisons (BP-2)',
}


def run(ctx, *, gradient=None, eta: float = 0.1) -> StudyResult:
    gradient = gradient or delta_rule_gradient
    # two paths to one number: the same number of ulps in the run's dtype
    autograd_tol, step_tol = th.carried(AUTOGRAD_RTOL, ctx.dtype), th.carried(STEP_RTOL, ctx.dtype)
    tab = _compare(ctx, gradient, eta)
    a, c = tab.vs_autograd.max(), tab.vs_central_differences.max()
    bp1 = check_property((tab.vs_autograd <= autograd_tol) & (tab.vs_central_differences <= FD_RTOL), claim="BP-1",
                         what=f"delta rule = autograd (to {autograd_tol:g}) and = central differences (to {FD_RTOL:g}), "
                              f"{ctx.seeds} seeds per network",
                         labels=[f"{r.network}: {r.vs_autograd:.3g} vs autograd, {r.vs_central_differences:.3g} vs central "
                                 "differences" for r in tab.itertuples()],
                         detail=f"max relative error {a:.2g} vs autograd, {c:.2g} vs central differences over {len(tab)} networks",
                         statistic={"max_vs_autograd": a, "max_vs_central_differences": c}, seeds=ctx.seeds,
                         notes=[f"{r.network}: autograd {r.vs_autograd:.2g}, central differences {r.vs_central_differences:.2g}"
                                for r in tab.itertuples()])
    bp2 = check_property(tab.step_vs_gd <= step_tol, claim="BP-2", seeds=ctx.seeds,
                              what=f"one step with every delta from the weights of iteration k (Eq. 18) = one GD step with autograd gradients "
                                   f"(to {step_tol:g} relative)",
                              labels=[f"{r.network}: {r.step_vs_gd:.3g}" for r in tab.itertuples()],
                              detail=f"max relative difference {tab.step_vs_gd.max():.2g}",
                              statistic={"max_step_vs_gd": float(tab.step_vs_gd.max())})
    worst_alg2 = tab.loc[tab.alg2_vs_gd_over_eta.idxmax()]
    bp2_in_place = check_property(tab.alg2_vs_gd <= step_tol, claim="BP-2", seeds=ctx.seeds, reading=IN_PLACE,
                         what=f"one iteration of Alg. 2 in place (layers updated from the last back, line 10 using the "
                              f"updated weights above) = one GD step (to {step_tol:g} relative in w)",
                         labels=[f"{r.network}: {r.alg2_vs_gd:.3g}" for r in tab.itertuples()],
                         detail=f"differs by up to {tab.alg2_vs_gd.max():.3g} relative in w; the update itself by "
                                f"{worst_alg2.alg2_vs_gd_over_eta:.3g} relative ({worst_alg2.network}, eta = {eta:g})",
                         statistic={"max_step_vs_gd": float(tab.alg2_vs_gd.max()),
                                    "max_update_vs_gd": float(tab.alg2_vs_gd_over_eta.max()), "rtol": step_tol},
                         notes=[f"{r.network}: Alg. 2 update vs GD update {r.alg2_vs_gd_over_eta:.3g} relative"
                                for r in tab.itertuples()],
                         findings=["the hidden layers see W_{l+1} - eta dE/dW_{l+1} instead of W_{l+1}, so the update is off by "
                                   "O(eta^2), O(eta) relative: halving eta scales the relative difference of the update by "
                                   f"{float((tab.alg2_vs_gd_over_eta_half / tab.alg2_vs_gd_over_eta).median()):.3f} (median "
                                   "over networks); reading line 10 with the weights of iteration k (all deltas first, Eq. 18) "
                                   "gives the GD step exactly"])
    figures = [{"kind": "points", "table": "errors", "title": "Delta rule vs autograd: max relative error per network",
                "x": "depth", "y": "vs_autograd", "hue": "activation", "logy": True, "hlines": {"tolerance": autograd_tol}}]
    return StudyResult([bp1, bp2, bp2_in_place], {"errors": tab}, figures, {"n": 16, "inputs": 4, "outputs": 2, "width": 6})


def _compare(ctx, gradient, eta) -> pd.DataFrame:
    """Per network: the delta rule against autograd and central differences (BP-1), and one step
    three ways (delta rule, autograd, Alg. 2 in place) for BP-2, as relative errors."""
    gen = ctx.generator("data")
    X = torch.randn(16, 4, generator=gen, dtype=ctx.dtype, device=gen.device).to(ctx.device)
    Y = torch.randn(16, 2, generator=gen, dtype=ctx.dtype, device=gen.device).to(ctx.device)
    rows = []
    for act in ("sigmoid", "tanh", "relu"):
        for depth in (2, 3, 4):
            net = MLP(X, Y, [4] + [6] * (depth - 1) + [2], act)
            label = f"{act}, depth {depth}"
            # small random biases keep ReLU pre-activations off their kink, where central
            # differences average two one-sided slopes
            w = net.init(ctx.seeds, ctx.generator(label)) + 0.05 * ctx.normal((ctx.seeds, net.dim), label, "b")
            ours, auto = gradient(net, w), net.grad(w)
            # central differences are the reference: in float64 whatever the run's dtype
            net64, w64, h = MLP(X.double(), Y.double(), [4] + [6] * (depth - 1) + [2], act), w.double(), 1e-6
            E = torch.eye(net.dim, dtype=torch.float64, device=ctx.device) * h
            fd = torch.stack([(net64.loss(w64 + E[j]) - net64.loss(w64 - E[j])) / (2 * h) for j in range(net.dim)], -1)
            fd = fd.to(ctx.dtype)
            step_ours = w - eta * ours
            step_gd = w - eta * auto
            step_alg2 = backprop_in_place_step(net, w, eta)
            r = {"network": label, "activation": act, "depth": depth, "params": net.dim,
                 "vs_autograd": relative_error(ours, auto), "vs_central_differences": relative_error(ours, fd),
                 "step_vs_gd": relative_error(step_ours, step_gd), "alg2_vs_gd": relative_error(step_alg2, step_gd),
                 "alg2_vs_gd_over_eta": relative_error(step_alg2 - w, step_gd - w),
                 "alg2_vs_gd_over_eta_half": relative_error(backprop_in_place_step(net, w, eta / 2) - w, -eta / 2 * auto)}
            rows.append(r)
    return pd.DataFrame(rows)


if __name__ == "__main__":
    from convcheck.study import main

    main(__file__)

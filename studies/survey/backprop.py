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
    it) against torch.autograd and against central differences (h = 1e-6, in float64).
Fit:
    none: two computations of one number per network (all seeds and coordinates), their largest
    relative error ``max |a - b| / max |b|``.
Verdict rule:
    BP-1 declares ``AllOf``: per network, ``Identity("IDENTITY_RTOL")`` of the delta rule and autograd
    (round-off, carried to the run's dtype) and ``Identity("FINITE_DIFFERENCE_RTOL", carry=False)`` of
    the delta rule and central differences (their truncation error, not round-off); refuted on a
    network where either fails. BP-2, both readings, declare ``Identity("SAME_ARITHMETIC_RTOL")`` per
    network: one step (every delta from iteration k; Alg. 2 in place) against ``w - eta * autograd``.
Findings:
    how Alg. 2 in place departs from the GD step: O(eta^2) in w, O(eta) relative in the update.
References:
    Rumelhart, Hinton & Williams (1986), Learning representations by back-propagating errors.
"""

from __future__ import annotations

import pandas as pd
import torch

from convcheck.evidence import Computations
from convcheck.judgments import AllOf, Identity
from convcheck.objectives import MLP
from convcheck.optim import backprop_in_place_step, delta_rule_gradient
from convcheck.stats import relative_error, thresholds as th
from convcheck.study import Claim, StudyResult
from _survey_searches import SEARCHES

IN_PLACE = "in place: line 10 uses the weights already updated above"
ONE_STEP = Identity("SAME_ARITHMETIC_RTOL")  # one step computed two ways is the same arithmetic
CLAIMS = [
    Claim("BP-1", "Eqs. (10)-(17)", "the delta rule computes dE/dw", "identity",
          judgments=AllOf({"autograd": Identity("IDENTITY_RTOL"),
                           "central differences": Identity("FINITE_DIFFERENCE_RTOL", carry=False)}), assumes="none: an identity of two computations (the delta rule, autograd and central differences)", coverage="fully connected nets of depth 2-4 with sigmoid, tanh and ReLU, MSE"),
    Claim("BP-2", "Alg. 2, Eqs. (18)-(20)", "a backpropagation step is a gradient-descent step on all weights", "identity",
          readings=(IN_PLACE,), judgments={"as written": ONE_STEP, IN_PLACE: ONE_STEP},
          search={IN_PLACE: SEARCHES["BP-2 in place"]}, assumes="none: an identity of two computations (one backpropagation step and one GD step)"),
]

SCALES = {"tiny": {"seeds": 3}, "quick": {"seeds": 8}, "full": {"seeds": 64}}

# What tests and users may pass besides a scale's config (convcheck.study): name -> what it is.
INJECTIONS = {
    'gradient': "gradient(mlp, w): the delta-rule gradient under test (default convcheck's)",
    'eta': 'the step of the one-step comparisons (BP-2)',
}


def run(ctx, *, gradient=None, eta: float = 0.1) -> StudyResult:
    gradient = gradient or delta_rule_gradient
    gen = ctx.generator("data")
    X = torch.randn(16, 4, generator=gen, dtype=ctx.dtype, device=gen.device).to(ctx.device)
    Y = torch.randn(16, 2, generator=gen, dtype=ctx.dtype, device=gen.device).to(ctx.device)
    rows, bp1, bp2, in_place = [], {}, {}, {}
    for act in ("sigmoid", "tanh", "relu"):
        for depth in (2, 3, 4):
            sizes, label = [4] + [6] * (depth - 1) + [2], f"{act}, depth {depth}"
            net = MLP(X, Y, sizes, act)
            # small random biases keep ReLU pre-activations off their kink, where central
            # differences average two one-sided slopes
            w = net.init(ctx.seeds, ctx.generator(label)) + 0.05 * ctx.normal((ctx.seeds, net.dim), label, "b")
            ours, auto = gradient(net, w), net.grad(w)
            # central differences are the reference: in float64 whatever the run's dtype
            net64, w64, h = MLP(X.double(), Y.double(), sizes, act), w.double(), 1e-6
            E = torch.eye(net.dim, dtype=torch.float64, device=ctx.device) * h
            fd = torch.stack([(net64.loss(w64 + E[j]) - net64.loss(w64 - E[j])) / (2 * h) for j in range(net.dim)], -1)
            fd = fd.to(ctx.dtype)
            step_ours, step_gd, step_alg2 = w - eta * ours, w - eta * auto, backprop_in_place_step(net, w, eta)
            bp1[label] = {"autograd": Computations.on(net, ours, auto, what="the delta rule and autograd"),
                          "central differences": Computations.on(net, ours, fd, what="the delta rule and central differences")}
            bp2[label] = Computations.on(net, step_ours, step_gd, what="the step of Eq. (18) (every delta from iteration k) "
                                         "and GD's")
            in_place[label] = Computations.on(net, step_alg2, step_gd, what="Alg. 2's step in place (line 10 reading the "
                                              "updated weights above) and GD's")
            rows.append({"network": label, "activation": act, "depth": depth, "params": net.dim,
                         "vs_autograd": relative_error(ours, auto), "vs_central_differences": relative_error(ours, fd),
                         "step_vs_gd": relative_error(step_ours, step_gd), "alg2_vs_gd": relative_error(step_alg2, step_gd),
                         "alg2_vs_gd_over_eta": relative_error(step_alg2 - w, step_gd - w),
                         "alg2_vs_gd_over_eta_half": relative_error(backprop_in_place_step(net, w, eta / 2) - w, -eta / 2 * auto)})
    tab = pd.DataFrame(rows)
    worst = tab.loc[tab.alg2_vs_gd_over_eta.idxmax()]
    findings = {(("BP-2", IN_PLACE)): [
        f"the in-place step differs from GD's by up to {tab.alg2_vs_gd.max():.3g} relative in w, the update itself by "
        f"{worst.alg2_vs_gd_over_eta:.3g} relative ({worst.network}, eta = {eta:g})",
        "the hidden layers see W_{l+1} - eta dE/dW_{l+1} instead of W_{l+1}, so the update is off by O(eta^2), O(eta) "
        "relative: halving eta scales the relative difference of the update by "
        f"{float((tab.alg2_vs_gd_over_eta_half / tab.alg2_vs_gd_over_eta).median()):.3f} (median over networks); reading "
        "line 10 with the weights of iteration k (all deltas first, Eq. 18) gives the GD step exactly"]}
    figures = [{"kind": "points", "table": "errors", "title": "Delta rule vs autograd: max relative error per network",
                "x": "depth", "y": "vs_autograd", "hue": "activation", "logy": True,
                "hlines": {"tolerance (float64)": th.IDENTITY_RTOL}}]
    return StudyResult(evidence={"BP-1": bp1, "BP-2": bp2, ("BP-2", IN_PLACE): in_place}, findings=findings,
                       tables={"errors": tab}, figures=figures, setup={"n": 16, "inputs": 4, "outputs": 2, "width": 6})


if __name__ == "__main__":
    from convcheck.study import main

    main(__file__)

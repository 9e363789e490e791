"""SAM-8: adaptive sharpness is invariant to weight rescaling; plain sharpness is not (Eqs. 57-58).

Claims:
    With a normalisation operator satisfying ``T_{Aw}^{-1} A = T_w^{-1}`` (Eq. 57), the adaptive
    sharpness ``max_{||T_w^{-1} eps||_p <= rho} L(w + eps) - L(w)`` (Eq. 58) is unchanged by
    rescalings ``w -> A w`` that leave the network's function unchanged; SAM's sharpness
    (Eq. 51) is not.
Kind:
    identity.
Objective:
    ReLU MLPs with biases (sizes 4-12-12-1, MSE on random data, n = 32) and their
    function-preserving per-neuron rescalings: for each hidden neuron j, incoming weights and
    bias times ``a_j`` and outgoing weights times ``1/a_j``, with log-normal ``a_j``
    (sigma = 1).
Optimizer:
    sharpness at the first-order maximiser, for p = 2: SAM's ``eps = rho g/||g||`` and ASAM's
    ``eps = rho T^2 g / ||T g||`` with ``T_w = |w| + eta`` on a chosen set of parameters (1
    elsewhere). The adaptive perturbation under test is the one the method in role ``asam``
    (eta = 0; the library's: every parameter) visits in one step, observed where it takes the
    gradient, with each weight matrix and bias its own tensor (:mod:`convcheck.probes`);
    ``asam_eps_fn`` may replace it. The other variants (eta = 0.01, biases left out) are findings.
Fit:
    none: relative changes of the loss and of each sharpness under every rescaling and network.
Verdict rule:
    reproduced when the loss changes by <= INVARIANCE_RTOL (1e-12) relative under every rescaling (so they
    are function-preserving), ASAM's adaptive sharpness by <= IDENTITY_RTOL (1e-10) relative, and SAM's sharpness
    changes by more than 1% on the median rescaling; refuted when the adaptive sharpness
    changes by more than 1e-10 on some rescaling; inconclusive when the rescalings are no test
    (the loss changes, or SAM's sharpness does not): ``check_property`` with those as assumptions.
Findings:
    by how much SAM's sharpness changes; how the invariance breaks with eta > 0 or with the
    biases left out of T (the official code's defaults).
References:
    Kwon et al. (2021), ASAM: adaptive sharpness-aware minimization for scale-invariant
    learning of deep neural networks, ICML; Dinh et al. (2017), Sharp minima can generalize
    for deep nets, ICML.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch

from convcheck import probes
from convcheck.stats import check_property
from convcheck.stats import thresholds as th
from convcheck.objectives import MLP
from convcheck.optim import asam_eps, dual_eps
from convcheck.study import Claim, StudyResult

import _survey_tolerances as tol

CLAIMS = [Claim("SAM-8", "Eqs. (57)-(58)", "adaptive sharpness is invariant to function-preserving weight rescaling; "
                "plain sharpness is not", "identity", methods=("asam",))]
ROLES = ("asam",)  # the adaptive perturbation: the one the method in the role visits (convcheck.probes)

SCALES = {"tiny": {"seeds": 4, "rescalings": 4}, "quick": {"seeds": 16, "rescalings": 16}, "full": {"seeds": 64, "rescalings": 64}}
RHO = 0.05
# 16 tiny MLPs and per-rescaling sharpness: milliseconds on the CPU, launch-bound on a GPU.
DEVICE = "cpu"


def rescaling(net: MLP, a: dict[int, torch.Tensor]) -> torch.Tensor:
    """The diagonal of A (flat, (S, P)) for per-neuron factors ``a[l]: (S, width_l)`` of hidden layer l."""
    S = next(iter(a.values())).shape[0]
    first = next(iter(a.values()))
    parts = {k: torch.ones(S, *shape, dtype=first.dtype, device=first.device) for k, shape in net.layout.shapes.items()}
    for l, al in a.items():
        parts[f"W{l}"] = parts[f"W{l}"] * al.unsqueeze(-1)  # incoming weights of neuron j
        parts[f"b{l}"] = parts[f"b{l}"] * al                # its bias
        parts[f"W{l + 1}"] = parts[f"W{l + 1}"] / al.unsqueeze(-2)  # its outgoing weights
    return net.layout.flatten(parts)

# What tests and users may pass besides a scale's config (convcheck.study): name -> what it is.
INJECTIONS = {
    'asam_eps_fn': "asam_eps_fn(g, w, rho, mask): the adaptive perturbation under test (default ASAM's, eta = 0)",
}


def run(ctx, *, rescalings, asam_eps_fn=None) -> StudyResult:
    gen = ctx.generator("data")
    X = torch.randn(32, 4, generator=gen, dtype=ctx.dtype, device=gen.device)
    net = MLP(X, torch.randn(32, 1, generator=gen, dtype=ctx.dtype, device=gen.device), [4, 12, 12, 1], "relu")
    w = net.init(ctx.seeds, ctx.generator("w")) + 0.05 * torch.randn(ctx.seeds, net.dim, generator=ctx.generator("b"),
                                                                      dtype=ctx.dtype, device="cpu")
    all_params = torch.ones(net.dim, dtype=torch.bool, device=w.device)
    no_bias = net.layout.flatten({k: torch.full((1, *s), not k.startswith("b"), dtype=torch.bool, device=w.device)
                                  for k, s in net.layout.shapes.items()})[0]
    if asam_eps_fn is None:  # the method in role asam (eta = 0), observed where its step takes the gradient
        role, tensors = ctx.method("asam"), tuple(net.layout.sizes.values())  # one tensor per weight matrix and bias

        def asam_eps_fn(g, v, rho, mask):
            return probes.ascent_step(lambda: role(lr=0.01, rho=rho, eta=0.0, tensors=tensors), lambda rows: net, v,
                                      batched=role.target is None)

    def sharpness(v, kind):
        g = net.grad(v)
        if kind == "SAM":
            eps = dual_eps(g, RHO, 2.0)
        elif kind == "ASAM":
            eps = asam_eps_fn(g, v, RHO, all_params)
        elif kind == "ASAM, eta = 0.01":
            eps = asam_eps(g, v, RHO, 0.01, all_params)
        else:  # ASAM with the biases left out of T
            eps = asam_eps(g, v, RHO, 0.0, no_bias)
        return net.loss(v + eps) - net.loss(v)

    kinds = ("SAM", "ASAM", "ASAM, eta = 0.01", "ASAM, biases not normalised")
    base = {k: sharpness(w, k) for k in kinds}
    loss0 = net.loss(w)
    rows = []
    for r in range(rescalings):
        g = ctx.generator("a", r)
        a = {l: torch.exp(torch.randn(ctx.seeds, 12, generator=g, dtype=ctx.dtype, device=g.device)) for l in (1, 2)}
        wa = w * rescaling(net, a)
        loss_change = ((net.loss(wa) - loss0).abs() / loss0.abs()).numpy()
        for k in kinds:
            rows.append(pd.DataFrame({"rescaling": r, "seed": np.arange(ctx.seeds), "measure": k,
                                      "rel_change": ((sharpness(wa, k) - base[k]).abs() / base[k].abs()).numpy(),
                                      "loss_rel_change": loss_change}))
    tab = pd.concat(rows, ignore_index=True)
    worst = tab.groupby("measure").rel_change.max()
    median = tab.groupby("measure").rel_change.median()
    loss_worst = tab.loss_rel_change.max()
    inv_tol, id_tol = th.carried(th.INVARIANCE_RTOL, ctx.dtype), th.carried(th.IDENTITY_RTOL, ctx.dtype)
    asam_rows = tab[tab.measure == "ASAM"]
    # the rescalings are a test only if they preserve the loss and move plain sharpness: otherwise inconclusive
    v = check_property(asam_rows.rel_change <= id_tol, claim="SAM-8", seeds=ctx.seeds,
                       what=f"the adaptive sharpness of {ctx.label('asam')} (role asam, eta = 0) unchanged (to {id_tol:g} relative) under {rescalings} "
                            f"function-preserving rescalings x {ctx.seeds} networks",
                       labels=[f"rescaling {r.rescaling}, network {r.seed}: changed by {r.rel_change:.3g}"
                               for r in asam_rows.itertuples()],
                       assumptions={f"the rescalings preserve the loss (changed by up to {loss_worst:.3g} > {inv_tol:g})":
                                    loss_worst <= inv_tol,
                                    f"the rescalings move SAM's sharpness (median change {median['SAM']:.3g} <= "
                                    f"{tol.CHANGE_RTOL:g})": median["SAM"] > tol.CHANGE_RTOL},
                       detail=f"loss changed <= {loss_worst:.1e}, ASAM's adaptive sharpness <= {worst['ASAM']:.1e} (relative); "
                              f"SAM's sharpness changed by a median {median['SAM']:.0%} (max {worst['SAM']:.0%})",
                       statistic={"max_rel_change": worst.to_dict(), "median_rel_change": median.to_dict(),
                                  "loss_max_rel_change": loss_worst},
                       findings=[f"the invariance needs T_w = |w| on every parameter and no additive eta: with eta = 0.01 the "
                                 f"adaptive sharpness changes by a median {median['ASAM, eta = 0.01']:.1%}, with the biases left "
                                 f"out of T by {median['ASAM, biases not normalised']:.1%} (the ASAM code's defaults)"])
    figures = [{"kind": "points", "table": "changes", "title": "Relative change of sharpness under rescaling",
                "x": "measure", "y": "rel_change", "logy": True}]
    tab["rel_change"] = tab.rel_change.clip(lower=1e-17)  # exact zeros drawn at the bottom of the log axis
    return StudyResult([v], {"changes": tab}, figures, {"rho": RHO, "sizes": [4, 12, 12, 1]})


if __name__ == "__main__":
    from convcheck.study import main

    main(__file__)

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
    none: the loss and each sharpness of every network before and after every rescaling.
Verdict rule:
    declared: ``Given(Identity("IDENTITY_RTOL"), assumptions)``: ASAM's adaptive sharpness after each
    rescaling equals its value before (round-off, carried to the run's dtype); the rescalings are a
    test of the claim only if they preserve the loss (``Identity("INVARIANCE_RTOL")`` on the loss
    before and after) and move plain sharpness (``AtLeast(CHANGE_RTOL)`` on the median relative
    change of SAM's sharpness: "plain sharpness is not" invariant, shown by these rescalings), each
    judged on its own evidence; an assumption that fails makes the verdict inconclusive (a
    rescaling that changes the function, or one too weak to move plain sharpness, tests nothing).
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
from convcheck.evidence import Computations, Samples
from convcheck.judgments import AtLeast, Given, Identity
from convcheck.objectives import MLP
from convcheck.optim import asam_eps, dual_eps
from convcheck.study import Claim, StudyResult

import _survey_tolerances as tol

PRESERVE, MOVES = "the rescalings preserve the loss", "the rescalings move SAM's sharpness"
CLAIMS = [Claim("SAM-8", "Eqs. (57)-(58)", "adaptive sharpness is invariant to function-preserving weight rescaling; "
                "plain sharpness is not", "identity", methods=("asam",),
                judgments=Given(Identity("IDENTITY_RTOL"), {PRESERVE: Identity("INVARIANCE_RTOL"),
                                                            MOVES: AtLeast(tol.CHANGE_RTOL, rtol=None)},
                                measured="ASAM's adaptive sharpness"), assumes="none: an identity of two computations (the adaptive sharpness before and after a function-preserving rescaling)", coverage="ReLU MLPs with biases and per-neuron log-normal rescalings; p = 2 only")]
ROLES = ("asam",)  # the adaptive perturbation: the one the method in the role visits (convcheck.probes)

SCALES = {"tiny": {"seeds": 4, "rescalings": 4}, "quick": {"seeds": 16, "rescalings": 16}, "full": {"seeds": 64, "rescalings": 64}}
RHO = 0.05
# 16 tiny MLPs and per-rescaling sharpness: milliseconds on the CPU, launch-bound on a GPU.
DEVICE = "cpu"


def rescaling(net: MLP, a: dict[int, torch.Tensor]) -> torch.Tensor:
    """The diagonal of A (flat, (S, P)) for per-neuron factors ``a[l]: (S, width_l)`` of hidden layer l."""
    first = next(iter(a.values()))
    parts = {k: torch.ones(first.shape[0], *shape, dtype=first.dtype, device=first.device) for k, shape in net.layout.shapes.items()}
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
    net = MLP(torch.randn(32, 4, generator=gen, dtype=ctx.dtype, device=gen.device), torch.randn(32, 1, generator=gen, dtype=ctx.dtype, device=gen.device), [4, 12, 12, 1], "relu")
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
    base, loss0 = {k: sharpness(w, k) for k in kinds}, net.loss(w)
    rows, asam_after, loss_after = [], [], []
    for r in range(rescalings):
        g = ctx.generator("a", r)
        a = {l: torch.exp(torch.randn(ctx.seeds, 12, generator=g, dtype=ctx.dtype, device=g.device)) for l in (1, 2)}
        wa = w * rescaling(net, a)
        loss_after.append(net.loss(wa))
        loss_change = ((loss_after[-1] - loss0).abs() / loss0.abs()).numpy()
        for k in kinds:
            after = sharpness(wa, k)
            asam_after += [after] if k == "ASAM" else []
            rows.append(pd.DataFrame({"rescaling": r, "seed": np.arange(ctx.seeds), "measure": k,
                                      "rel_change": ((after - base[k]).abs() / base[k].abs()).numpy(),
                                      "loss_rel_change": loss_change}))
    tab = pd.concat(rows, ignore_index=True)
    worst, median = tab.groupby("measure").rel_change.max(), tab.groupby("measure").rel_change.median()
    before = lambda x: x.expand(rescalings, -1)  # (rescalings, networks): each network's value before any rescaling
    evidence = {f"ReLU MLP 4-12-12-1, {ctx.seeds} networks x {rescalings} rescalings": {
        "ASAM's adaptive sharpness": Computations.on(net, torch.stack(asam_after), before(base["ASAM"]), role="asam",
                                                     what=f"the adaptive sharpness of {ctx.label('asam')} (role asam, eta = 0) "
                                                          "after and before each rescaling"),
        PRESERVE: Computations.on(net, torch.stack(loss_after), before(loss0), what="the loss after and before each rescaling"),
        MOVES: Samples.on(net, np.array([median["SAM"]]), what="the median relative change of SAM's sharpness",
                          labels=[f"over {rescalings} rescalings x {ctx.seeds} networks"])}}
    findings = [f"loss changed by up to {tab.loss_rel_change.max():.1e}, ASAM's adaptive sharpness by up to {worst['ASAM']:.1e} "
                f"(relative); SAM's sharpness by a median {median['SAM']:.0%} (max {worst['SAM']:.0%})",
                f"the invariance needs T_w = |w| on every parameter and no additive eta: with eta = 0.01 the adaptive "
                f"sharpness changes by a median {median['ASAM, eta = 0.01']:.1%}, with the biases left out of T by "
                f"{median['ASAM, biases not normalised']:.1%} (the ASAM code's defaults)"]
    tab["rel_change"] = tab.rel_change.clip(lower=1e-17)  # exact zeros drawn at the bottom of the log axis
    return StudyResult(evidence={"SAM-8": evidence}, findings={"SAM-8": findings}, tables={"changes": tab}, figures=[
        {"kind": "points", "table": "changes", "title": "Relative change of sharpness under rescaling", "x": "measure",
         "y": "rel_change", "logy": True}], setup={"rho": RHO, "sizes": [4, 12, 12, 1]})


if __name__ == "__main__":
    from convcheck.study import main

    main(__file__)

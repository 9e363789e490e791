"""SAM-1, SAM-2, SAM-3, SAM-4, SAM-6: the perturbation of sharpness-aware minimisation.

Claims:
    SAM-1, Eq. (52): ``eps* = rho sign(g) |g|^(q-1) / ||g||_q^(q/p)`` solves the linearised inner
           maximisation ``max g^T eps`` over ``||eps||_p <= rho`` for p in (1, inf].
    SAM-2, Eq. (53): with p = 2 it is ``rho g / ||g||``.
    SAM-3, Eq. (51): as written, the identity L_SAM(w) = L(w) + sharpness(w), with
           L_SAM = max over the rho-ball of L(w + eps) and sharpness = max (L(w + eps) - L(w)).
           Supporting check (not in the survey): the first-order eps* is near-optimal for the
           true inner maximisation, the gap shrinking as O(rho^2).
    SAM-4, Eq. (54): as written, the term with d eps*/dw in the gradient of L(w + eps*(w)) is
           dropped because it "is small compared to the first term", at the rho used in practice
           (0.01 to 0.5).
    SAM-6, Eq. (55): SWP's ``eps_hat = m * eps* / beta``, m_i ~ Bernoulli(beta), is unbiased.
Kind:
    identity (SAM-1, SAM-2), bound (SAM-3), property (SAM-4), variance (SAM-6).
Objective:
    random gradient vectors (d = 8; SAM-1/2); a tanh MLP regression (n = 24, sizes 3-8-8-1) at
    random weights (SAM-3/4); a fixed gradient and many masks (SAM-6).
Optimizer:
    ``dual_eps`` (``eps_fn(g, rho, p)`` may replace it); scipy's SLSQP (p < inf) and linprog
    (p = inf) for the constrained maximisation; 400 steps of projected gradient ascent for the
    inner maximum; autograd through eps*(w) for the dropped term; ``swp_eps`` for the masks.
Fit:
    SAM-3: per seed, the slope of log(max - L(w + eps*)) against log rho over
    rho in [0.003, 0.1]; SAM-4: the ratio ||dropped|| / ||kept|| per seed at rho in
    {0.01, 0.05, 0.1, 0.2, 0.5}, and its slope in log rho (a finding).
Verdict rule:
    SAM-1/2 reproduced when the argmax matches the numerical one to 1e-6 relative and
    ``||eps*||_p = rho``, ``g^T eps* = rho ||g||_q`` to 1e-10. SAM-3: upper claim on the
    exponent: refuted when the 99.8% interval of the slope lies below 2 - 0.1; the identity
    (51) by ``check_identity`` on the projected-ascent maxima. SAM-4 reproduced when the ratio
    is at most SMALL_RATIO (0.1) at every practical rho on every seed, refuted otherwise with
    the smallest rho where it is not (``check_property``). SAM-6: a z-test per
    coordinate of mean(eps_hat) = eps*, Holm across coordinates at 0.002: reproduced when no
    coordinate is rejected and the standard errors resolve 1% of |eps*|.
References:
    Foret et al. (2021), Sharpness-aware minimization, ICLR; Du et al. (2022), Efficient
    sharpness-aware minimization, ICLR.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import scipy.optimize
import torch

from convcheck.objectives import MLP
from convcheck.optim import dual_eps, swp_eps
from convcheck.stats import check_exponent, check_identity, check_mean_vector, check_property, thresholds as th
from convcheck.study import Claim, StudyResult

import _survey_tolerances as tol

SAM3_RATE = "first-order eps* near-optimal: gap to the true maximum O(rho^2)"
CLAIMS = [
    Claim("SAM-1", "Eq. (52)", "eps* solves the linearised inner maximisation over ||eps||_p <= rho, p in (1, inf]", "identity"),
    Claim("SAM-2", "Eq. (53)", "p = 2: eps* = rho g / ||g||", "identity"),
    Claim("SAM-3", "Eq. (51)", "L_SAM(w) = L(w) + sharpness(w): empirical loss plus the maximal loss increase in the rho-ball",
          "identity", supporting=(SAM3_RATE,)),
    Claim("SAM-4", "Eq. (54)", "the d eps*/dw term of the SAM gradient is small compared to the first term and can be ignored",
          "property"),
    Claim("SAM-6", "Eq. (55)", "SWP is unbiased: E[eps_hat] = eps*", "variance"),
]

SCALES = {"tiny": {"seeds": 4, "draws": 60_000}, "quick": {"seeds": 16, "draws": 400_000},
          "full": {"seeds": 64, "draws": 4_000_000}}
PS = (1.5, 2.0, 3.0, math.inf)
RHOS = np.geomspace(0.003, 0.1, 6)
PRACTICE_RHOS = (0.01, 0.05, 0.1, 0.2, 0.5)  # "the rho used in practice" for SAM-4 (Foret et al. tune 0.01-0.5)
# SciPy solvers (SLSQP, linprog) per seed on 8-dimensional vectors: the study runs on the CPU.
DEVICE = "cpu"

# What tests and users may pass besides a scale's config (convcheck.study): name -> what it is.
INJECTIONS = {
    'eps_fn': 'eps_fn(g, rho, p): the perturbation under test (SAM-1 to SAM-4)',
    'swp_fn': "swp_fn(g, rho, beta, generator, form, groups): SWP's masked perturbation (SAM-6)",
    'sharpness_fn': "sharpness_fn(net, w, eps): Eq. (51)'s sharpness term (SAM-3)",
}


def run(ctx, *, draws, eps_fn=None, swp_fn=None, sharpness_fn=None) -> StudyResult:
    """``eps_fn(g, rho, p)``: the perturbation under test (SAM-1 to SAM-4); ``swp_fn``: SWP's masked
    perturbation (SAM-6); ``sharpness_fn(net, w, eps)``: Eq. (51)'s sharpness term (SAM-3)."""
    eps_fn = eps_fn or dual_eps
    parts = []
    if ctx.wants("SAM-1", "SAM-2"):
        v1, v2, tab1 = _dual_norm(ctx, eps_fn)
        parts.append(StudyResult([v1, v2], {"dual": tab1}, [], {"ps": [str(p) for p in PS]}))
    if ctx.wants("SAM-3", "SAM-4"):
        v3_written, v3, v4, tab3 = _inner_max(ctx, eps_fn, sharpness_fn or _sharpness)
        parts.append(StudyResult([v3_written, v3, v4], {"inner": tab3}, [
            {"kind": "points", "table": "inner", "title": "SAM-3: max over the rho-ball minus L(w + eps*), vs rho",
             "x": "rho", "y": "gap", "reference": {"rho^2 (scaled)": "rho2", "rho^3 (scaled)": "rho3"}, "logx": True,
             "logy": True},
            {"kind": "points", "table": "inner", "title": "SAM-4: ||dropped term|| / ||kept term|| vs rho", "x": "rho",
             "y": "dropped_ratio", "logx": True, "logy": True}]))
    if ctx.wants("SAM-6"):
        v6, tab6 = _swp(ctx, draws, swp_fn or swp_eps)
        parts.append(StudyResult([v6], {"swp": tab6}, [
            {"kind": "points", "table": "swp", "title": "SAM-6: mean eps_hat vs eps* per coordinate", "x": "eps_star",
             "y": "mean_eps_hat", "hue": "form", "reference": {"y = x": "eps_star"}}]))
    return StudyResult.merge(*parts)


def _numeric_argmax(g, rho, p):
    if math.isinf(p):
        res = scipy.optimize.linprog(-g, bounds=[(-rho, rho)] * g.size, method="highs")
        return res.x
    g = np.asarray(g, dtype=np.float64)  # SLSQP and linprog work in float64 whatever the run's dtype
    u = g / np.abs(g).max()  # normalised before any power (the optimum does not depend on scale)
    cons = {"type": "ineq", "fun": lambda e: 1.0 - np.sum(np.abs(e / rho) ** p),
            "jac": lambda e: -p * np.sign(e) * np.abs(e / rho) ** (p - 1) / rho}
    x0 = rho * u / np.linalg.norm(u, p)
    res = scipy.optimize.minimize(lambda e: -u @ e, x0, jac=lambda e: -u, constraints=[cons], method="SLSQP",
                                  options={"ftol": 1e-16, "maxiter": 1000})
    return res.x


def _dual_norm(ctx, eps_fn):
    rho = 0.05
    g = torch.randn(ctx.seeds, 8, generator=ctx.generator("g"), dtype=ctx.dtype, device="cpu") * torch.logspace(-2, 2, 8, dtype=ctx.dtype, device="cpu")
    rows = []
    for p in PS:
        eps = eps_fn(g, rho, p).numpy()
        q = 1.0 if math.isinf(p) else p / (p - 1)
        for s in range(ctx.seeds):
            gs = g[s].numpy()
            num = _numeric_argmax(gs, rho, p)
            rows.append({"p": str(p), "seed": s,
                         "argmax_rel_err": float(np.linalg.norm(num - eps[s]) / np.linalg.norm(eps[s])),
                         "norm_rel_err": abs(np.linalg.norm(eps[s], p) / rho - 1),
                         "value_rel_err": abs((gs / np.abs(gs).max()) @ eps[s] / (rho * np.linalg.norm(gs / np.abs(gs).max(), q)) - 1)})
    tab = pd.DataFrame(rows)
    worst = tab.groupby("p")[["argmax_rel_err", "norm_rel_err", "value_rel_err"]].max()
    id_tol = th.carried(th.IDENTITY_RTOL, ctx.dtype)
    holds = (worst.argmax_rel_err <= th.SOLVER_RTOL) & (worst.norm_rel_err <= id_tol) & (worst.value_rel_err <= id_tol)
    v1 = check_property(holds, labels=[f"p={p}: argmax error {r.argmax_rel_err:.2g}, norm error {r.norm_rel_err:.2g}, "
                                       f"value error {r.value_rel_err:.2g}" for p, r in worst.iterrows()],
                        what=f"Eq. (52)'s closed form is the numerical argmax (to the solver's {th.SOLVER_RTOL:g}) with "
                             f"||eps*||_p = rho and g^T eps* = rho ||g||_q (to {id_tol:g}), p in {{1.5, 2, 3, inf}}",
                        detail="max relative error of the argmax " + ", ".join(
                            f"{e:.1e} (p={p})" for p, e in worst.argmax_rel_err.items())
                               + f"; of the norm and value {max(worst.norm_rel_err.max(), worst.value_rel_err.max()):.1e}",
                        claim="SAM-1", statistic={"worst": worst.to_dict()}, seeds=ctx.seeds)
    e2 = eps_fn(g, rho, 2.0)
    direct = rho * g / torch.linalg.vector_norm(g, dim=-1, keepdim=True)
    v2 = check_identity(e2, direct, rtol=th.carried(th.EXACT_RTOL, ctx.dtype), claim="SAM-2", seeds=ctx.seeds,
                        what="Eq. (52) at p = 2 and rho g / ||g||")
    return v1, v2, tab


def _mlp(ctx):
    gen = ctx.generator("mlp")
    X = torch.randn(24, 3, generator=gen, dtype=ctx.dtype, device=gen.device)
    Y = torch.sin(X.sum(-1, keepdim=True))
    net = MLP(X, Y, [3, 8, 8, 1], "tanh")
    return net, net.init(ctx.seeds, ctx.generator("w"))


def _sharpness(net, w, eps):
    """Eq. (51)'s sharpness term at one perturbation: L(w + eps) - L(w)."""
    return net.loss(w + eps) - net.loss(w)


def _ascent_max(net, w, rho, eps_fn, sharpness_fn, steps=400):
    """max over ||eps|| <= rho of L(w + eps), and of the sharpness, by projected gradient ascent from eps*."""
    eps = eps_fn(net.grad(w), rho, 2.0)
    best = net.loss(w + eps)
    sharp = sharpness_fn(net, w, eps)
    lr = rho / 4
    for _ in range(steps):
        g = net.grad(w + eps)
        eps = eps + lr * g / torch.linalg.vector_norm(g, dim=-1, keepdim=True).clamp_min(1e-300)
        eps = eps * (rho / torch.linalg.vector_norm(eps, dim=-1, keepdim=True).clamp_min(rho))
        best = torch.maximum(best, net.loss(w + eps))
        sharp = torch.maximum(sharp, sharpness_fn(net, w, eps))  # Eq. (51)'s sharpness, maximised on its own
        lr *= 0.99
    return best, sharp


def _inner_max(ctx, eps_fn, sharpness_fn):
    net, w = _mlp(ctx)
    rows, sam_loss, identity_sides = [], [], []
    for rho in sorted(set(RHOS) | set(PRACTICE_RHOS)):
        eps = eps_fn(net.grad(w), rho, 2.0)
        first = net.loss(w + eps)
        best, sharp = _ascent_max(net, w, rho, eps_fn, sharpness_fn)
        identity_sides.append((best.numpy(), (net.loss(w) + sharp).numpy()))
        gap = (best - first).clamp_min(0)
        # SAM-4: gradient of L(w + eps*(w)) through eps*(w), minus the kept term
        with torch.enable_grad():
            wr = w.detach().requires_grad_(True)
            g = torch.autograd.grad(net.loss(wr).sum(), wr, create_graph=True)[0]
            full = torch.autograd.grad(net.loss(wr + eps_fn(g, rho, 2.0)).sum(), wr)[0]
        kept = net.grad(w + eps)
        ratio = torch.linalg.vector_norm(full - kept, dim=-1) / torch.linalg.vector_norm(kept, dim=-1)
        rows.append(pd.DataFrame({"rho": rho, "seed": np.arange(ctx.seeds), "gap": gap.numpy(),
                                  "sharpness_first_order": (first - net.loss(w)).numpy(), "dropped_ratio": ratio.numpy(),
                                  "in_rate_grid": bool(np.any(np.isclose(RHOS, rho))),
                                  "practice": bool(np.any(np.isclose(PRACTICE_RHOS, rho)))}))
    full_tab = pd.concat(rows, ignore_index=True)
    lhs = np.concatenate([a for a, _ in identity_sides])
    rhs = np.concatenate([b for _, b in identity_sides])
    v3_written = check_identity(lhs, rhs, what="max L(w + eps) over the rho-ball and L(w) + sharpness(w), each maximised "
                                f"by projected ascent, over {len(identity_sides)} rho x {ctx.seeds} seeds,", claim="SAM-3")
    practice = full_tab[full_tab.practice]
    worst_at = practice.groupby("rho").dropped_ratio.max()
    v4 = check_property(worst_at.to_numpy() <= tol.SMALL_RATIO, labels=[f"rho = {r:g}: max ratio {x:.3g}" for r, x in worst_at.items()],
                        what=f"||d eps*/dw term|| / ||first term|| <= {tol.SMALL_RATIO:g} on every seed", claim="SAM-4",
                        statistic={"max_ratio_by_rho": worst_at.to_dict()}, seeds=ctx.seeds)
    tab = full_tab[full_tab.in_rate_grid].reset_index(drop=True)
    G = tab.pivot(index="seed", columns="rho", values="gap").to_numpy()
    R = tab.pivot(index="seed", columns="rho", values="dropped_ratio").to_numpy()
    v3 = check_exponent(G, RHOS, 2.0, kind="at_least", what="gap to the true maximum", param_name="rho", claim="SAM-3",
                        reading=SAM3_RATE)
    s_mean = v3.statistic["exponent"]
    v3 = v3.restated(findings=[f"the measured exponent is {s_mean:.2f}: with the linear term maximised exactly, what is left "
                               "is the curvature's effect on the direction, third order in rho; relative to the first-order "
                               "sharpness rho ||g|| the gap is O(rho^2)"])
    growth = check_exponent(R, RHOS, 1.0, kind="at_least", what="||dropped|| / ||kept||", param_name="rho")
    m, lo = growth.statistic["exponent"], growth.statistic["exponent_ci998"][0]
    v4 = v4.restated(statistic={"slope": m, "slope_lower_998": lo}, findings=[
        f"||dropped|| / ||kept|| grows like rho^{m:.2f} (99.8% lower bound {lo:.2f}): the dropped term is second "
        "order in rho, not first: d eps*/dw = rho (I - g g^T/||g||^2) H / ||g||, and the projection annihilates "
        "the leading part g of grad L(w + eps*); median ratio " + ", ".join(
            f"{practice[np.isclose(practice.rho, r)].dropped_ratio.median():.3g} (rho={r:g})" for r in PRACTICE_RHOS)])
    scale3 = np.median(G[:, -1]) / RHOS[-1] ** 3
    tab["rho2"] = np.median(G[:, -1]) * (tab.rho / RHOS[-1]) ** 2
    tab["rho3"] = scale3 * tab.rho**3
    return v3_written, v3, v4, tab


def _swp(ctx, draws, swp_fn):
    g = torch.linspace(-2.0, 3.0, 10, dtype=ctx.dtype, device="cpu").reshape(1, -1)
    rho, beta = 0.1, 0.3
    eps_star = dual_eps(g, rho, 2.0)[0].numpy()
    rows, checks, kept_norm = [], {}, {}
    groups = torch.arange(10, device="cpu") // 2  # five "tensors" of two coordinates each, for the ESAM-code form
    for form in ("coordinate", "tensor"):
        total, total_sq, n_done, norms = np.zeros(10), np.zeros(10), 0, []
        gen = ctx.generator("swp", form)
        while n_done < draws:
            m = min(200_000, draws - n_done)
            e, mask = swp_fn(g.expand(m, -1), rho, beta, gen, form, groups)
            e = e.numpy()
            total += e.sum(0)
            total_sq += (e * e).sum(0)
            norms.append(np.linalg.norm(e[mask.any(-1).numpy()], axis=1))
            n_done += m
        kept_norm[form] = float(np.median(np.concatenate(norms)) / rho)
        checks[form] = c = check_mean_vector(total, total_sq, n_done, eps_star, what=f"the mean of {form} SWP's eps_hat",
                                             claim="SAM-6")
        rows.append(pd.DataFrame({"form": form, "coordinate": np.arange(10), "eps_star": eps_star,
                                  "mean_eps_hat": c.statistic["mean"], "se": c.statistic["se"], "z": c.statistic["z"]}))
    t_ = checks["tensor"].statistic
    results = {form: {k: v.statistic[k] for k in ("rejected", "max_abs_z", "p_holm_min", "resolution", "rel_bias")}
               | {"norm_kept_over_rho": kept_norm[form]} for form, v in checks.items()}
    # the coordinates' Holm-adjusted FAIL p-value enters the suite's multiplicity family
    v6 = checks["coordinate"].restated(statistic={"forms": results}, findings=[
        f"the ESAM code's per-tensor form with the norm renormalised over the kept tensors is biased: "
        f"{t_['rejected']}/10 coordinates rejected, relative bias of the mean {t_['rel_bias']:.1%}, and "
        f"||eps_hat|| = {kept_norm['tensor']:.4f} rho = rho / beta (1/beta = {1 / beta:.4f})"])
    return v6, pd.concat(rows, ignore_index=True)


if __name__ == "__main__":
    from convcheck.study import main

    main(__file__)

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
    random weights (SAM-3/4) and, for SAM-4, at points along a training run (Adam, lr 0.01,
    after 100, 300 and 1000 steps: where SAM is used); a fixed gradient and many masks (SAM-6).
Optimizer:
    ``dual_eps`` (``eps_fn(g, rho, p)`` may replace it); scipy's SLSQP (p < inf) and linprog
    (p = inf) for the constrained maximisation; 400 steps of projected gradient ascent for the
    inner maximum (SAM-3's two sides each by its own ascent on its own function);
    autograd through eps*(w) for the dropped term; ``swp_eps`` for the masks.
Fit:
    SAM-3: per seed, the slope of log(max - L(w + eps*)) against log rho over
    rho in [0.003, 0.1]; SAM-4: the ratio ||dropped|| / ||kept|| per seed at rho in
    {0.01, 0.05, 0.1, 0.2, 0.5}, at initialisation and along training (median over seeds per
    point and rho), and its slope in log rho (a finding).
Verdict rule:
    SAM-1/2 reproduced when the argmax matches the numerical one to 1e-6 relative and
    ``||eps*||_p = rho``, ``g^T eps* = rho ||g||_q`` to 1e-10. SAM-3: upper claim on the
    exponent: refuted when the 99.8% interval of the slope lies below 2 - 0.1; the identity
    (51) by ``check_identity`` on the two maxima, each from its own ascent, to round-off.
    SAM-4 (``check_property``): reproduced when the median ratio is at most SMALL_RATIO (0.1) at
    every point and practical rho; refuted where it is at least 1 (the dropped term as large as
    the kept one); undecided in between; the shares under the cut-offs 0.1, 0.5, 1 are reported. SAM-6: a z-test per
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

from convcheck import probes
from convcheck.objectives import MLP
from convcheck.optim import dual_eps, swp_eps
from convcheck.stats import check_exponent, check_identity, check_mean_vector, check_property, relative_error, thresholds as th
from convcheck.study import Claim, StudyResult

import _survey_tolerances as tol

SAM3_RATE = "first-order eps* near-optimal: gap to the true maximum O(rho^2)"
CLAIMS = [
    Claim("SAM-1", "Eq. (52)", "eps* solves the linearised inner maximisation over ||eps||_p <= rho, p in (1, inf]", "identity"),
    Claim("SAM-2", "Eq. (53)", "p = 2: eps* = rho g / ||g||", "identity", methods=("sam",)),
    Claim("SAM-3", "Eq. (51)", "L_SAM(w) = L(w) + sharpness(w): empirical loss plus the maximal loss increase in the rho-ball",
          "identity", supporting=(SAM3_RATE,)),
    Claim("SAM-4", "Eq. (54)", "the d eps*/dw term of the SAM gradient is small compared to the first term and can be ignored",
          "property"),
    Claim("SAM-6", "Eq. (55)", "SWP is unbiased: E[eps_hat] = eps*", "variance", methods=("swp",)),
]

ROLES = ("sam", "swp")  # SAM-2 and SAM-6: the perturbation the method in the role visits (convcheck.probes)
ROLE_CHUNK = 20_000  # draws per observed batch of a user's SWP
ROLE_ROWS = 16  # its instances (one per row, a fresh draw per step): a class may couple its parameters
SAM2_TENSORS = (3, 5)  # SAM-2's 8 coordinates as a model's two parameter tensors

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
        v3_written, v3, v4, tab3, ratios = _inner_max(ctx, eps_fn, sharpness_fn or _sharpness)
        parts.append(StudyResult([v3_written, v3, v4], {"inner": tab3, "sam4_ratios": ratios}, [
            {"kind": "points", "table": "inner", "title": "SAM-3: max over the rho-ball minus L(w + eps*), vs rho",
             "x": "rho", "y": "gap", "reference": {"rho^2 (scaled)": "rho2", "rho^3 (scaled)": "rho3"}, "logx": True,
             "logy": True},
            {"kind": "curves", "table": "sam4_ratios", "title": "SAM-4: ||dropped term|| / ||kept term|| vs rho, at "
             "initialisation and along training (steps of Adam)", "x": "rho", "y": "ratio", "hue": "trained_steps",
             "logx": True, "logy": True, "hlines": {"1: as large as the kept term": 1.0, "0.1": 0.1}}]))
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
    direct = rho * g / torch.linalg.vector_norm(g, dim=-1, keepdim=True)
    rtol = th.carried(th.EXACT_RTOL, ctx.dtype)
    # the method in role sam, observed: the point where its step takes the gradient, on f(w) = <g, w>
    sam = ctx.method("sam")
    w = 0.1 * ctx.normal(g.shape, "sam2-w").to(g)
    # each seed's 8 coordinates are two parameter tensors (3 + 5), as a model's layers are: a SAM that
    # normalises each tensor by its own norm is seen doing so (Eq. 53 takes ||g|| over all of w)
    visited = probes.ascent_step(lambda: sam(lr=0.01, rho=rho, tensors=SAM2_TENSORS),
                                 lambda rows: probes.Linear(g[rows]), w, batched=sam.target is None)
    v2 = check_identity(visited, direct, rtol=rtol, claim="SAM-2", seeds=ctx.seeds,
                        what=f"the perturbation {ctx.label('sam')} (role sam) takes, observed where it evaluates the "
                             f"gradient (each seed's parameters as tensors of {' + '.join(map(str, SAM2_TENSORS))}), and "
                             "rho g / ||g||",
                        findings=[f"Eq. (52)'s closed form at p = 2 and rho g / ||g|| agree to "
                                  f"{float(relative_error(eps_fn(g, rho, 2.0), direct)):.2g} relative"])
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


def _ascent_max(phi, start, rho, steps=400):
    """max of ``phi(eps)`` (per row) over ``||eps|| <= rho`` by projected gradient ascent (autograd
    gradients of phi) from ``start``, keeping the best value met. ``rho``: one radius, or one per
    row ``(N, 1)`` (every radius's ascents as rows of one batch: each row's arithmetic is its own)."""
    eps = start.clone()
    best = phi(eps).detach()
    rho = torch.as_tensor(rho, dtype=start.dtype, device=start.device)
    lr = rho / 4
    for _ in range(steps):
        with torch.enable_grad():
            e = eps.detach().requires_grad_(True)
            g = torch.autograd.grad(phi(e).sum(), e)[0]
        eps = eps + lr * g / torch.linalg.vector_norm(g, dim=-1, keepdim=True).clamp_min(1e-300)
        eps = eps * (rho / torch.maximum(torch.linalg.vector_norm(eps, dim=-1, keepdim=True), rho))
        best = torch.maximum(best, phi(eps).detach())
        lr = lr * 0.99
    return best


#: Where SAM-4's ratio is measured: at initialisation and along a training run (Adam, lr 0.01), the
#: points where SAM is used; the loss at each is reported.
TRAINED_AT = (0, 100, 300, 1000)
CUTOFFS = (0.1, 0.5, 1.0)  # "small compared to": the ratio under each cut-off is reported


def _inner_max(ctx, eps_fn, sharpness_fn):
    """SAM-3 and SAM-4 on a tanh MLP. SAM-3's two sides are two computations: L_SAM = max L(w + eps)
    by ascent on L, and L(w) + max sharpness(w, eps) by ascent on the sharpness (its own autograd
    gradients), each from the same starts (eps* and a random point of the sphere); they agree to
    round-off exactly when the sharpness is L(w + eps) - L(w) (a wrong one moves its own ascent
    and its value). SAM-4's ratio at initialisation and at points along training."""
    from convcheck import engine
    from convcheck.optim import adam

    net, w = _mlp(ctx)
    trained = engine.run(net, adam(0.01), w, TRAINED_AT[-1], checkpoints=list(TRAINED_AT), keep_iterates=True,
                         metrics=("gap",))
    points = {t: trained.iterates[:, k].contiguous() for k, t in enumerate(TRAINED_AT)}
    rows, identity_sides, ratio_rows = [], [], []
    rhos = sorted(set(RHOS) | set(PRACTICE_RHOS))
    # the same starts for both sides: eps* and a random point of the sphere, for every rho, as rows
    # of one batch (radius r, start kind, seed)
    eps_star, starts = {}, []
    for rho in rhos:
        eps_star[rho] = eps_fn(net.grad(w), rho, 2.0)
        u = ctx.normal(w.shape, "ascent-start", rho)
        starts += [eps_star[rho], rho * u / torch.linalg.vector_norm(u, dim=-1, keepdim=True)]
    starts, w_all = torch.cat(starts), w.repeat(2 * len(rhos), 1)
    radius = torch.tensor(rhos, dtype=w.dtype, device=w.device).repeat_interleave(2 * w.shape[0]).unsqueeze(-1)
    best_all = _ascent_max(lambda e: net.loss(w_all + e), starts, radius).reshape(len(rhos), 2, -1).amax(1)
    sharp_all = _ascent_max(lambda e: sharpness_fn(net, w_all, e), starts, radius).reshape(len(rhos), 2, -1).amax(1)
    for r, rho in enumerate(rhos):
        eps, best, sharp = eps_star[rho], best_all[r], sharp_all[r]
        first = net.loss(w + eps)
        identity_sides.append((best.numpy(), (net.loss(w) + sharp).numpy()))
        gap = (best - first).clamp_min(0)
        rows.append(pd.DataFrame({"rho": rho, "seed": np.arange(ctx.seeds), "gap": gap.numpy(),
                                  "sharpness_first_order": (first - net.loss(w)).numpy(),
                                  "dropped_ratio": _dropped_ratio(net, w, rho, eps_fn).numpy(),
                                  "in_rate_grid": bool(np.any(np.isclose(RHOS, rho))),
                                  "practice": bool(np.any(np.isclose(PRACTICE_RHOS, rho)))}))
        if np.any(np.isclose(PRACTICE_RHOS, rho)):
            for t, wt in points.items():
                ratio_rows.append(pd.DataFrame({"rho": rho, "trained_steps": t, "seed": np.arange(ctx.seeds),
                                                "loss": net.loss(wt).numpy(), "ratio": _dropped_ratio(net, wt, rho, eps_fn).numpy()}))
    full_tab = pd.concat(rows, ignore_index=True)
    ratios = pd.concat(ratio_rows, ignore_index=True)
    lhs = np.concatenate([a for a, _ in identity_sides])
    rhs = np.concatenate([b for _, b in identity_sides])
    v3_written = check_identity(lhs, rhs, what="max L(w + eps) over the rho-ball and L(w) + max sharpness(w), each "
                                "maximised by its own ascent (autograd on its own function, from eps* and from a random "
                                f"point of the sphere), over {len(identity_sides)} rho x {ctx.seeds} seeds,", claim="SAM-3")
    v4 = _small_compared_to(ratios, ctx.seeds)
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
        f"at initialisation ||dropped|| / ||kept|| grows like rho^{m:.2f} (99.8% lower bound {lo:.2f}): d eps*/dw = "
        "rho (I - g g^T/||g||^2) H / ||g||, so the dropped term scales with rho ||H|| / ||g||: it grows as training "
        "shrinks the gradient"])
    scale3 = np.median(G[:, -1]) / RHOS[-1] ** 3
    tab["rho2"] = np.median(G[:, -1]) * (tab.rho / RHOS[-1]) ** 2
    tab["rho3"] = scale3 * tab.rho**3
    return v3_written, v3, v4, tab, ratios


def _dropped_ratio(net, w, rho, eps_fn):
    """||gradient of L(w + eps*(w)) through eps*(w) - kept term|| / ||kept term||, per row (Eq. 54)."""
    with torch.enable_grad():
        wr = w.detach().requires_grad_(True)
        g = torch.autograd.grad(net.loss(wr).sum(), wr, create_graph=True)[0]
        full = torch.autograd.grad(net.loss(wr + eps_fn(g, rho, 2.0)).sum(), wr)[0]
    kept = net.grad(w + eps_fn(net.grad(w), rho, 2.0))
    return torch.linalg.vector_norm(full - kept, dim=-1) / torch.linalg.vector_norm(kept, dim=-1)


def _small_compared_to(ratios, seeds):
    """SAM-4 as written: per (point, rho) the median ratio over seeds; small (<= 0.1) everywhere:
    reproduced; at least as large as the kept term (>= 1) somewhere: refuted, there; else undecided."""
    med = ratios.groupby(["trained_steps", "rho"]).agg(ratio=("ratio", "median"), loss=("loss", "median")).reset_index()
    labels = [f"after {int(r.trained_steps)} training steps (median loss {r.loss:.2g}), rho = {r.rho:g}: median ratio "
              f"{r.ratio:.3g}" for r in med.itertuples()]
    share = ", ".join(f"{(med.ratio <= c).mean():.0%} of cells below {c:g}" for c in CUTOFFS)
    return check_property(med.ratio.to_numpy() <= tol.SMALL_RATIO, undecided=(med.ratio > tol.SMALL_RATIO) & (med.ratio < 1.0),
                          labels=labels, claim="SAM-4", seeds=seeds,
                          what="||d eps*/dw term|| / ||first term|| small (median over seeds <= "
                               f"{tol.SMALL_RATIO:g}) at initialisation and along training, rho in {list(PRACTICE_RHOS)}; a "
                               "cell where it is at least 1 refutes",
                          detail=f"cut-offs: {share}",
                          statistic={"median_ratio": {f"{int(r.trained_steps)}/{r.rho:g}": float(r.ratio) for r in med.itertuples()}},
                          findings=["median ratio by training steps (rows) and rho: " + "; ".join(
                              f"{int(t)} steps (loss {g.loss.iloc[0]:.2g}): " + ", ".join(f"{r.ratio:.3g} (rho={r.rho:g})"
                                                                                          for r in g.itertuples())
                              for t, g in med.groupby("trained_steps"))])


def _swp(ctx, draws, swp_fn):
    g = torch.linspace(-2.0, 3.0, 10, dtype=ctx.dtype, device="cpu").reshape(1, -1)
    rho, beta = 0.1, 0.3
    eps_star = dual_eps(g, rho, 2.0)[0].numpy()
    rows, checks, kept_norm = [], {}, {}
    groups = torch.arange(10, device="cpu") // 2  # five "tensors" of two coordinates each, for the ESAM-code form
    role = ctx.methods.get("swp") if swp_fn is swp_eps else None  # a user's SWP in the role (the claim's form)
    for form in ("coordinate", "tensor"):
        total, total_sq, n_done, norms = np.zeros(10), np.zeros(10), 0, []
        gen = ctx.generator("swp", form)
        observed = role is not None and form == "coordinate"
        while n_done < draws:
            m = min(ROLE_CHUNK if observed else 200_000, draws - n_done)
            if observed:  # the perturbations the class draws, an instance per row, a draw per step, seen at its closure
                e = probes.ascent_draws(lambda: role(lr=0.01, rho=rho, beta=beta, tensors=(2,) * 5, instances="per-seed"),
                                        probes.Linear(g), torch.zeros(ROLE_ROWS, 10, dtype=g.dtype),
                                        -(-m // ROLE_ROWS), seed=ctx.seed("swp-role", n_done)).reshape(-1, 10)[:m]
                mask = e != 0
            else:
                e, mask = swp_fn(g.expand(m, -1), rho, beta, gen, form, groups)
            e = e.numpy()
            total += e.sum(0)
            total_sq += (e * e).sum(0)
            norms.append(np.linalg.norm(e[mask.any(-1).numpy()], axis=1))
            n_done += m
        kept_norm[form] = float(np.median(np.concatenate(norms)) / rho)
        what = f"the mean of {form} SWP's eps_hat" if not observed else \
            f"the mean of the eps_hat {ctx.label('swp')} (role swp) draws, observed at its closure (10 coordinates as 5 tensors),"
        checks[form] = c = check_mean_vector(total, total_sq, n_done, eps_star, what=what, claim="SAM-6")
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

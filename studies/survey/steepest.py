"""GD-6: steepest descent takes the exact minimiser along -g (Eq. 9).

Claims:
    GD-6 (as written):
        Steepest descent picks ``eta_k = argmin_eta f(w_k - eta g_k)`` (Eq. 9). On a quadratic
        the minimiser is ``g^T g / g^T A g``.
    Supporting check (not in the survey):
        the error in f contracts per step by at most ``((kappa - 1)/(kappa + 1))^2``, attained on
        the two-dimensional instance ``1/2 (mu x1^2 + L x2^2)`` from ``x0 = (1/mu, 1/L)`` at every step.
Kind:
    identity (the claim); linear bound (the supporting check).
Objective:
    quadratics (d = 30, kappa in {10, 100}, random rotations) and the 2-D worst case.
Optimizer:
    steepest descent with the closed-form step, and with a numerical 1-D minimisation
    (batched golden section), which must agree with it (``numeric`` may replace the latter).
Fit:
    the per-step ratio ``(f_{k+1} - f*)/(f_k - f*)`` and the largest relative difference of the
    numerical and closed-form steps, over every seed and step.
Verdict rule:
    identity: closed-form and numerical steps agree at every step to the instrument's
    precision: STEP_RTOL = 1e-5 relative, or, where larger, 4x the resolution of a search that
    compares f values, ``sqrt(2 df / g'Ag) / eta*`` relative with ``df = eps (|f| + ||w|| ||grad f||)``
    the round-off of f at the line's minimiser (f is flat there, so values within df cannot be
    told apart): ~1e-7 in float64, ~1e-3 in float32, where a precision limit must not read as a
    counterexample.
    Bound (``check_property``): per-step ratio ``(f_{k+1} - f*)/(f_k - f*) <= ((kappa - 1)/(kappa + 1))^2 (1 + 1e-9)``
    on every seed and step; on the worst case the ratio equals the bound to 1e-9.
Certified:
    a supporting check, beside the verdict, never in its place:
    the worst ``f(w_N) - f*`` after N exact
    line-search steps from ``f(w_0) - f* <= 1`` over every quadratic with spectrum in [mu, L]
    and over every L-smooth mu-strongly convex function (PEPit, :mod:`convcheck.pep`), kappa in
    {10, 100}, against ``((kappa - 1)/(kappa + 1))^(2N)``; the table sets the worst measured
    per-step contraction beside it.
References:
    Chong & Zak (2004), An Introduction to Optimization, Sec. 8.3; de Klerk, Glineur &
    Taylor (2017), On the worst-case complexity of the gradient method with exact line
    search for smooth strongly convex functions, Optim. Lett. 11.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch

from convcheck.stats import check_property
from convcheck.stats import thresholds as th
from convcheck.objectives import Quadratic
from convcheck import engine, pep
from convcheck.optim import steepest_descent
from convcheck.stats import check_certified
from convcheck.study import Claim, StudyResult

RATE = "contraction ((kappa-1)/(kappa+1))^2 per step"
RATE_CERTIFIED = f"{RATE}, {pep.CERTIFIED}"
CLAIMS = [Claim("GD-6", "Eq. (9)", "steepest descent takes the exact minimising step along -g", "identity",
                supporting=(RATE, RATE_CERTIFIED))]

STEP_RTOL = th.LINE_SEARCH_RTOL  # a bounded Brent search vs the closed form

SCALES = {"tiny": {"seeds": 4, "steps": 15, "pep_horizons": (1,)}, "quick": {"seeds": 32, "steps": 40, "pep_horizons": (1, 2)},
          "full": {"seeds": 256, "steps": 100, "pep_horizons": (1, 2, 3)}}

# What tests and users may pass besides a scale's config (convcheck.study): name -> what it is.
INJECTIONS = {
    'numeric': 'the steepest-descent method with a numerical 1-D search under test',
    'pep_line_search': "pep_line_search(): the line search in PEPit's terms (convcheck.pep.exact_line_search), certified",
}


def _closed_form_step(q, w):
    """Eq. (9)'s minimiser on a quadratic: ``eta = g^T g / g^T A g`` (0 where g^T A g = 0)."""
    g = q.grad(w)
    gAg = (g * q.hvp(w, g)).sum(-1)
    return torch.where(gAg > 0, (g * g).sum(-1) / torch.where(gAg > 0, gAg, torch.ones_like(gAg)), torch.zeros_like(gAg))


def run(ctx, *, steps, pep_horizons=(1,), numeric=None, pep_line_search=pep.exact_line_search) -> StudyResult:
    numeric = numeric or steepest_descent("numeric", iters=120)
    rows, max_step_err, max_excess, max_resolution, max_ratio_excess = [], 0.0, 0.0, 0.0, -np.inf
    eps = torch.finfo(ctx.dtype).eps
    problems = {f"kappa={k:g}": Quadratic.random(30, ctx.generator("q", k), L=1.0, kappa=k, dtype=ctx.dtype,
                                                  device=ctx.device) for k in (10.0, 100.0)}
    worst = Quadratic(torch.tensor([0.1, 1.0], dtype=ctx.dtype, device="cpu"), rotate=False,
                      w_star=torch.zeros(2, dtype=ctx.dtype, device=ctx.device), dtype=ctx.dtype, device=ctx.device)
    problems["worst case (kappa=10)"] = worst
    tight = []
    for label, q in problems.items():
        kappa = q.L / q.mu
        bound = ((kappa - 1) / (kappa + 1)) ** 2
        if label.startswith("worst"):
            w = torch.tensor([[1 / q.mu, 1 / q.L]], dtype=ctx.dtype, device=ctx.device).repeat(ctx.seeds, 1)
        else:
            w = ctx.start_near(q.w_star, label)
        # the method under test (the numerical search) runs, every step recorded with its accepted step; the
        # closed form is evaluated at the same points afterwards
        tr = engine.run(q, numeric, w, steps, checkpoints=np.arange(steps + 1), keep_iterates=True, states=("eta",),
                        metrics=("gap",))
        for t in range(1, steps + 1):
            w, w_new = tr.iterates[:, t - 1].contiguous(), tr.iterates[:, t].contiguous()
            eta_numeric, eta_exact = torch.from_numpy(tr.states["eta"][:, t]).to(w), _closed_form_step(q, w)
            gap0, gap1 = q.gap(w), q.gap(w_new)
            live = gap0 > 1e3 * torch.finfo(w.dtype).eps * q.gap(w[:1]).max()  # stop before round-off
            ratio = torch.where(live, gap1 / torch.where(live, gap0, torch.ones_like(gap0)), torch.nan)
            step_err = ((eta_numeric - eta_exact).abs() / eta_exact.abs().clamp_min(1e-300))[live]
            g = q.grad(w)
            w_min = w - eta_exact.unsqueeze(-1) * g
            # f's round-off at a point stored to eps relative: eps (|f| + ||w|| ||grad f||)
            at_min = q.loss(w_min).abs() + torch.linalg.vector_norm(w_min, dim=-1) * torch.linalg.vector_norm(q.grad(w_min), dim=-1)
            resolution = (torch.sqrt(2 * eps * at_min / (g * q.hvp(w, g)).sum(-1).clamp_min(1e-300))
                          / eta_exact.abs().clamp_min(1e-300))[live]
            if step_err.numel():
                max_step_err = max(max_step_err, float(step_err.max()))
                max_resolution = max(max_resolution, float(resolution.max()))
                max_excess = max(max_excess, float((step_err / torch.clamp(4 * resolution, min=STEP_RTOL)).max()))
            r = ratio.cpu().numpy()
            if np.isfinite(r).any():
                max_ratio_excess = max(max_ratio_excess, float(np.nanmax(r / bound)) - 1)
                if label.startswith("worst"):
                    tight.append(float(np.nanmax(np.abs(r / bound - 1))))
            rows.append(pd.DataFrame({"problem": label, "step": t, "seed": np.arange(ctx.seeds), "ratio": r,
                                      "ratio_over_bound": r / bound, "eta": eta_exact.cpu().numpy(),
                                      "eta_numeric": eta_numeric.cpu().numpy(), "gap": gap1.cpu().numpy()}))
    tab = pd.concat(rows, ignore_index=True)
    tight_err = max(tight) if tight else float("nan")
    precision = [f"the search compares f values, so it resolves the minimiser to at most {max_resolution:.2g} relative "
                 f"in {str(ctx.dtype).replace('torch.', '')} (sqrt(2 df / g'Ag) / eta*, df the round-off of f at the minimiser); largest difference "
                 f"found {max_step_err:.2g}"]
    identity = check_property([max_excess <= 1.0], labels=[f"largest relative difference {max_step_err:.3g}, "
                                                            f"{max_excess:.3g}x the tolerance"],
                              what=f"the numerical minimiser along -g equals the closed-form step g'g / g'Ag (to {STEP_RTOL:g} "
                                   "relative, or 4x the search's resolution where larger) at every step and seed",
                              detail=f"max relative difference {max_step_err:.2g}", claim="GD-6", seeds=ctx.seeds,
                              window=[1, steps], findings=precision,
                              statistic={"max_step_rel_error": max_step_err, "rtol": STEP_RTOL,
                                         "search_resolution": max_resolution, "max_error_over_tolerance": max_excess})
    verdict = check_property([max_ratio_excess <= th.BOUND_RTOL, tight_err <= th.BOUND_RTOL],
                             labels=[f"a per-step contraction exceeds ((kappa-1)/(kappa+1))^2 by {max_ratio_excess:.3g} relative",
                                     f"the worst case misses the bound by {tight_err:.3g} relative"],
                             what="per-step contraction <= ((kappa-1)/(kappa+1))^2 on every seed, attained by the 2-D worst case",
                             detail=f"max ratio/bound - 1 = {max_ratio_excess:.2g}; the 2-D worst case attains it to {tight_err:.2g}",
                             claim="GD-6", reading=RATE, seeds=ctx.seeds, window=[1, steps],
                             statistic={"max_ratio_over_bound_minus_1": max_ratio_excess, "worst_case_rel_error": tight_err},
                             findings=["median per-step contraction / bound on random quadratics: " + ", ".join(
                                 f"{tab[tab.problem == k].ratio_over_bound.median():.3f} ({k})" for k in problems
                                 if not k.startswith("worst")) + " (the bound is a worst case over starting points)"])
    measured = {k: float(tab[tab.problem == lab].ratio.max()) for k in (10.0, 100.0)
                for lab in problems if lab.startswith(f"kappa={k:g}")}
    certified = _certified(pep_horizons, measured, pep_line_search)
    figures = [{"kind": "curves", "table": "steps", "title": "Per-step contraction of f - f* / ((kappa-1)/(kappa+1))^2",
                "x": "step", "y": "ratio_over_bound", "hue": "problem", "hlines": {"bound": 1.0}}]
    return StudyResult([identity, verdict, certified], {"steps": tab}, figures, {k: v.constants() for k, v in problems.items()})


def _certified(horizons, measured, line_search=pep.exact_line_search):
    """The supporting rate over whole classes: PEPit's worst case of N exact line-search steps."""
    cases = [(kind, kappa, N) for kind in ("quadratic", "smooth strongly convex") for kappa in (10.0, 100.0) for N in horizons]

    def label(kind, kappa, N):
        return f"{kind}, kappa={kappa:g}, N={N}"

    def cells():
        return {label(kind, kappa, N): (pep.worst_case(line_search(), pep.FunctionClass(kind, L=1.0, mu=1.0 / kappa),
                                                       N, initial="gap"), ((kappa - 1) / (kappa + 1)) ** (2 * N))
                for kind, kappa, N in cases}

    columns = {label(kind, kappa, N): {"worst measured per-step contraction": measured.get(kappa)} for kind, kappa, N in cases}
    return check_certified(cells, claim="GD-6", reading=RATE_CERTIFIED, columns=columns,
                           statistic={"instrument": pep.versions()})


if __name__ == "__main__":
    from convcheck.study import main

    main(__file__)

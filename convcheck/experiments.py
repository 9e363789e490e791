"""Experiment pieces that several studies share (each is generic: no survey text inside).

* :func:`survey_contraction`: does a constant-step stochastic method contract like a stated
  factor ``1 - mu/L`` (Eqs. 29 and 35 of the survey as written)? It checks the given runs and
  adds a run at ``eta = 1/L``, the one step where Bottou et al.'s ``1 - eta mu`` equals
  ``1 - mu/L``.
* :func:`convex_transient`: the O(1/t) transient of a constant-step stochastic method on a convex
  problem where it can show (Eqs. 27 and 34 of the survey).
"""

from __future__ import annotations

import numpy as np
import torch

from . import engine
from .claims import REFUTED, Verdict, combine
from .objectives import LeastSquares
from .stats import check_linear, check_rate, difference_scale

__all__ = ["survey_contraction", "convex_transient"]


def survey_contraction(ctx, problem, steps: np.ndarray, gaps: dict[str, np.ndarray], make_opt, sampler, claim: str,
                       study: str, **fields) -> Verdict:
    """Verdict on "the gap contracts like (1 - mu/L)^t with a constant step".

    ``gaps``: setting label -> (S, C) gap curves at ``steps`` from the study's own runs;
    ``make_opt(eta_rows)`` builds the method (as the study's); ``sampler`` draws the batches of
    the added run at ``eta = 1/L``. Each setting is a part (``check_linear``, upper claim, fitted
    before the floor); the parts are Holm-corrected by :func:`~convcheck.claims.combine`.
    """
    rho = 1 - problem.mu / problem.L
    parts = {k: check_linear(g, steps, rho, kind="upper", claim=claim, scale=difference_scale(problem.f_star, g))
             for k, g in gaps.items()}
    S = ctx.seeds
    T = int(np.ceil(200 * problem.L / problem.mu))
    w0 = problem.w_star + torch.randn(S, problem.dim, generator=ctx.generator("w0-1/L"), dtype=ctx.dtype, device="cpu").to(ctx.device)
    tr = engine.run(problem, make_opt(torch.full((S,), 1 / problem.L, dtype=ctx.dtype, device=ctx.device)), w0, T,
                    checkpoints=np.arange(T + 1), sampler=sampler, generator=ctx.generator("sampler-1/L"))
    parts["eta=1/L"] = check_linear(tr.metrics["gap"], tr.steps, rho, kind="upper", claim=claim,
                                    scale=difference_scale(problem.f_star, tr.metrics["gap"]))
    def fit(v):
        if v.diverged:
            return f"diverged on {v.diverged} of {v.seeds} seeds"
        rho_fit = v.statistic.get("rho_fit")
        return f"{rho_fit:.4f}" if isinstance(rho_fit, float) and np.isfinite(rho_fit) else f"{v.outcome} ({v.summary})"
    fits = ", ".join(f"{k}: {fit(v)}" for k, v in parts.items())
    verdict = combine(claim, study, parts, summary=f"contraction at least 1 - mu/L = {rho:g} per step at every eta: {fits}",
                      findings=[f"fitted contraction of the gap per step (claim: {rho:g}): {fits}; with a constant step the "
                                "transient contracts like (1 - eta mu)^2 per step, so 1 - mu/L could only be reached near "
                                "eta = 1/L, where the gradient noise is largest"], **fields)
    if verdict.outcome == REFUTED:
        verdict.summary = f"counterexample: the gap does not contract like (1 - mu/L)^t = {rho:g}^t: {fits}"
    return verdict


def convex_transient(ctx, make_opt, sampler, claim: str, steps: int):
    """The 1/t term of ``f - f* <= O(1/t + noise)`` with a constant step, where it can show.

    Noiseless least squares (n = 400, d = 100: no floor, the samples are interpolated) whose
    curvatures spread from 1/80 to 1, with equal error energy ``lambda_i e_i^2`` in every
    eigendirection: the modes still moving at step t are those with ``lambda < 1/(eta t)``, so the
    gap decays like ``1/(eta t)`` for ``1/(eta L) < t < 1/(eta mu)`` (two decades), geometrically
    after. Constant step ``1/max_i ||x_i||^2`` (stable for one sample). A smaller mu would leave
    a mode that has not moved by the horizon: a flat stretch that the rate check reads, rightly,
    as a stall. ``sampler`` draws the batches (its n must be 400). Returns the verdict of
    ``check_rate(gap, "1/t", "upper")`` and the curves.
    """
    ls = LeastSquares.planted(400, 100, ctx.generator("transient"), L=1.0, kappa=80.0, noise=0.0, dtype=ctx.dtype,
                              device=ctx.device)
    lam, Q = torch.linalg.eigh(ls.H)
    signs = torch.sign(torch.randn(ctx.seeds, ls.dim, generator=ctx.generator("transient-signs"), dtype=ctx.dtype, device="cpu"))
    w0 = ls.w_star + (signs.to(ctx.device) / torch.sqrt(lam * ls.dim)) @ Q.T
    eta = 1.0 / float((ls.X * ls.X).sum(-1).max())
    tr = engine.run(ls, make_opt(torch.full((ctx.seeds,), eta, dtype=ctx.dtype, device=ctx.device)), w0, steps,
                    checkpoints=engine.log_checkpoints(steps, 12), sampler=sampler, generator=ctx.generator("transient-sampler"))
    v = check_rate(tr.metrics["gap"], tr.steps, "1/t", "upper", claim=claim,
                   scale=difference_scale(ls.f_star, tr.metrics["gap"]))
    v.summary = f"eta = {eta:.3g}: {v.summary}"
    return v, tr.to_frame(seed=np.arange(ctx.seeds), setting=f"eta={eta:.3g}")

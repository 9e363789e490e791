"""Experiment pieces that several studies share (each is generic: no survey text inside).

* :func:`survey_contraction`: does a constant-step stochastic method contract like a stated
  factor ``1 - mu/L`` (Eqs. 29 and 35 of the survey as written)? It checks the given runs and
  adds a run at ``eta = 1/L``, the one step where Bottou et al.'s ``1 - eta mu`` equals
  ``1 - mu/L``.
"""

from __future__ import annotations

import numpy as np
import torch

from . import engine
from .claims import REFUTED, Verdict, combine
from .stats import check_linear, difference_scale

__all__ = ["survey_contraction"]


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
    w0 = problem.w_star + torch.randn(S, problem.dim, generator=ctx.generator("w0-1/L"), dtype=ctx.dtype).to(ctx.device)
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

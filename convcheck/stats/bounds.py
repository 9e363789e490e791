"""Bound claims with explicit constants: ``e_t <= B(t)`` (DESIGN.md, "stats").

Deterministic curves (no randomness in the run): the bound holds when
``max_{s,t} e_{s,t} / B(t) <= 1 + BOUND_RTOL`` on every seed; a larger ratio anywhere is a
counterexample, reported with its seed and step.

Stochastic curves: the claim is about ``E[e_t]``. A one-sided upper confidence bound on the
seed mean, simultaneous over the C checkpoints (Bonferroni: level ``1 - alpha / C`` at each),
must stay under ``B(t)`` for a PASS; a FAIL needs the simultaneous *lower* bound above
``B(t)`` at some checkpoint (a credible violation); otherwise inconclusive.

Either way the verdict reports the tightness ``max_t e_t / B(t)`` (on the seed mean for
stochastic curves): how close the bound is to what happens.
"""

from __future__ import annotations

import numpy as np
from scipy import stats as sps

from ..claims import INCONCLUSIVE, REFUTED, REPRODUCED, Verdict
from . import thresholds as th
from ._arrays import as_curves

__all__ = ["check_bound"]


def check_bound(errors, steps, bound, *, stochastic: bool = False, claim: str = "", study: str = "",
                rtol: float | None = None) -> Verdict:
    """Check ``errors: (S, C) <= bound(steps)``.

    Args:
      bound: callable of the step array returning ``B(t)``, or an array of shape (C,).
        Checkpoints where ``B(t)`` is not finite and positive (e.g. t = 0 for C/t) are skipped.
      stochastic: treat seeds as draws of a random curve and test the seed mean.
    """
    E, t = as_curves(errors, steps)
    B = np.asarray(bound(t) if callable(bound) else bound, dtype=np.float64)
    if B.shape != t.shape:
        raise ValueError(f"The 'bound' parameter must give one value per checkpoint ({t.shape[0]}). Got shape {B.shape} instead.")
    use = np.isfinite(B) & (B > 0)
    E, t, B = E[:, use], t[use], B[use]
    finite_rows = np.isfinite(E).all(axis=1)
    diverged = int((~finite_rows).sum())
    rtol = th.BOUND_RTOL if rtol is None else rtol
    window = [int(t[0]), int(t[-1])] if t.size else None
    if t.size == 0 or finite_rows.sum() == 0:
        return Verdict(claim, study, INCONCLUSIVE, "no checkpoint where the bound is defined, or every seed diverged",
                       seeds=int(E.shape[0]), diverged=diverged)
    R = E[finite_rows] / B
    if not stochastic:
        s, c = np.unravel_index(np.argmax(R), R.shape)
        worst = float(R[s, c])
        stat = {"max_ratio": worst, "worst_step": int(t[c]), "worst_seed": int(np.flatnonzero(finite_rows)[s]),
                "ratio_mean_curve": R.mean(axis=0), "steps": t, "rtol": rtol}
        if diverged:
            outcome, summary = REFUTED, f"{diverged} seed(s) diverged, so the bound fails on them"
        elif worst <= 1 + rtol:
            outcome, summary = REPRODUCED, f"max gap/bound = {worst:.4g} <= 1 over {R.shape[0]} seeds x {t.size} checkpoints"
        else:
            outcome, summary = REFUTED, f"gap/bound = {worst:.4g} > 1 at step {int(t[c])} (seed {stat['worst_seed']})"
        return Verdict(claim, study, outcome, summary, statistic=stat, window=window, seeds=int(R.shape[0]), diverged=diverged)

    S = R.shape[0]
    if S < th.MIN_SEEDS:
        return Verdict(claim, study, INCONCLUSIVE, f"only {S} usable seeds (need >= {th.MIN_SEEDS})", seeds=S, diverged=diverged)
    Ef = E[finite_rows]
    mean, se = Ef.mean(axis=0), Ef.std(axis=0, ddof=1) / np.sqrt(S)
    C = t.size
    q_pass = sps.t.ppf(1 - th.ALPHA_PASS / C, S - 1)
    q_fail = sps.t.ppf(1 - th.ALPHA_FAIL / C, S - 1)
    ucb, lcb = mean + q_pass * se, mean - q_fail * se
    tight = float(np.max(mean / B))
    stat = {"tightness_mean": tight, "max_ucb_ratio": float(np.max(ucb / B)), "max_lcb_ratio": float(np.max(lcb / B)),
            "ratio_mean_curve": mean / B, "steps": t}
    if np.all(ucb <= B):
        outcome, summary = REPRODUCED, f"simultaneous 90% upper bound on the mean stays under the bound (tightness {tight:.3g})"
    elif np.any(lcb > B):
        c = int(np.argmax(lcb / B))
        outcome, summary = REFUTED, f"mean exceeds the bound at step {int(t[c])}: simultaneous 99.8% lower bound / bound = {lcb[c] / B[c]:.3g}"
    else:
        outcome, summary = INCONCLUSIVE, f"upper confidence bound crosses the bound but the mean is not credibly above it (tightness {tight:.3g})"
    return Verdict(claim, study, outcome, summary, statistic=stat, window=window, seeds=S, diverged=diverged)

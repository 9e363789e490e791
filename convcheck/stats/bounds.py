"""Bound claims with explicit constants: ``e_t <= B(t)``.

Deterministic curves (no randomness in the run): the bound holds when
``max_{s,t} e_{s,t} / B(t) <= 1 + BOUND_RTOL`` on every seed; a larger ratio anywhere is a
counterexample, reported with its seed and step.

Stochastic curves: the claim is about ``E[e_t]``. A one-sided upper confidence bound on the
seed mean, simultaneous over the C checkpoints (Bonferroni: level ``1 - alpha / C`` at each),
must stay under ``B(t)`` for a PASS; a FAIL needs the simultaneous *lower* bound above
``B(t)`` at some checkpoint (a credible violation); otherwise inconclusive.

A diverged seed (:mod:`.seeds`) exceeds every bound: deterministic or stochastic, the claim
is refuted on it, and the verdict says how many seeds diverged and when. Seeds that agree to
round-off are one deterministic curve, checked pointwise.

Either way the verdict reports the tightness ``max_t e_t / B(t)`` (on the seed mean for
stochastic curves): how close the bound is to what happens.
"""

from __future__ import annotations

import numpy as np
from scipy import stats as sps

from ..claims import INCONCLUSIVE, REFUTED, REPRODUCED, Test, Verdict
from . import thresholds as th
from ._record import records_levels
from ._arrays import as_curves
from .seeds import audit, deterministic_label, eps_of

__all__ = ["check_bound"]


@records_levels
def check_bound(errors, steps, bound, *, stochastic: bool = False, claim: str = "", study: str = "",
                rtol: float | None = None, levels: th.Levels | None = None) -> Verdict:
    """Check ``errors: (S, C) <= bound(steps)``.

    Args:
      bound: a callable of the step array returning ``B(t)``, a formula in t such as
        ``"4/t"`` (:mod:`convcheck.stats.expressions`), or an array of shape (C,).
        Checkpoints where ``B(t)`` is not finite and positive (e.g. t = 0 for C/t) are skipped.
      stochastic: treat seeds as draws of a random curve and test the seed mean (unless they
        agree to round-off: then the one curve is checked pointwise).
      rtol: round-off allowance on the ratio for pointwise checks (default ``BOUND_RTOL``).
      levels: the FAIL and PASS levels of the stochastic test (:class:`~.thresholds.Levels`; None: nominal).
    """
    eps = eps_of(errors)
    E, t = as_curves(errors, steps)
    if isinstance(bound, str):
        from .expressions import function_of_t

        bound = function_of_t(bound, "bound")
    B = np.asarray(bound(t) if callable(bound) else bound, dtype=np.float64)
    if B.shape != t.shape:
        raise ValueError(f"The 'bound' parameter must give one value per checkpoint ({t.shape[0]}). Got shape {B.shape} instead.")
    use = np.isfinite(B) & (B > 0)
    E, t, B = E[:, use], t[use], B[use]
    rtol = th.BOUND_RTOL if rtol is None else rtol
    window = [int(t[0]), int(t[-1])] if t.size else None
    if t.size == 0:
        return Verdict(claim, study, INCONCLUSIVE, "no checkpoint where the bound is defined", seeds=int(E.shape[0]))
    seeds = audit(E, t, eps=eps, deterministic=None if stochastic else True)
    base = seeds.statistic()
    if seeds.n_diverged:  # a diverged seed exceeds every bound (seeds.py)
        return Verdict(claim, study, REFUTED, f"{seeds.note()}, so the bound fails on them", statistic=base, window=window,
                       seeds=seeds.n, diverged=seeds.n_diverged, notes=[seeds.note()])
    R = E / B
    if not stochastic or seeds.deterministic:
        s, c = np.unravel_index(np.argmax(R), R.shape)
        worst = float(R[s, c])
        stat = {**base, "max_ratio": worst, "worst_step": int(t[c]), "worst_seed": int(s),
                "ratio_mean_curve": R.mean(axis=0), "steps": t, "rtol": rtol}
        label = f"{deterministic_label(seeds.n)}: " if stochastic else ""
        if worst <= 1 + rtol:
            outcome, summary = REPRODUCED, f"{label}max gap/bound = {worst:.4g} <= 1 over {R.shape[0]} seeds x {t.size} checkpoints"
        else:
            outcome, summary = REFUTED, f"{label}gap/bound = {worst:.4g} > 1 at step {int(t[c])} (seed {int(s)})"
        return Verdict(claim, study, outcome, summary, statistic=stat, window=window, seeds=seeds.n)

    S = R.shape[0]
    if S < th.MIN_SEEDS:
        return Verdict(claim, study, INCONCLUSIVE, f"only {S} seeds (need >= {th.MIN_SEEDS})", statistic=base, seeds=S)
    mean, se = E.mean(axis=0), E.std(axis=0, ddof=1) / np.sqrt(S)
    C = t.size
    q_pass = sps.t.ppf(1 - levels.pass_ / C, S - 1)
    q_fail = sps.t.ppf(1 - levels.fail / C, S - 1)
    ucb, lcb = mean + q_pass * se, mean - q_fail * se
    tight = float(np.max(mean / B))
    # p-value of the FAIL test (H0: mean <= B at every checkpoint): the smallest one-sided
    # p-value over checkpoints, Bonferroni over the C of them (the same correction as q_fail).
    with np.errstate(divide="ignore", invalid="ignore"):
        tstat = np.where(se > 0, (mean - B) / se, np.where(mean > B, np.inf, -np.inf))
    p_fail = float(min(1.0, C * np.min(sps.t.sf(tstat, S - 1))))
    stat = {**base, "tightness_mean": tight, "max_ucb_ratio": float(np.max(ucb / B)), "max_lcb_ratio": float(np.max(lcb / B)),
            "ratio_mean_curve": mean / B, "steps": t}
    if np.all(ucb <= B):
        outcome, summary = REPRODUCED, f"simultaneous 90% upper bound on the mean stays under the bound (tightness {tight:.3g})"
    elif np.any(lcb > B):
        c = int(np.argmax(lcb / B))
        outcome, summary = REFUTED, f"mean exceeds the bound at step {int(t[c])}: simultaneous 99.8% lower bound / bound = {lcb[c] / B[c]:.3g}"
    else:
        outcome, summary = INCONCLUSIVE, f"upper confidence bound crosses the bound but the mean is not credibly above it (tightness {tight:.3g})"
    return Verdict(claim, study, outcome, summary, statistic=stat, window=window, seeds=S, test=Test(p_fail=p_fail))

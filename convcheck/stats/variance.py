"""Variance claims: a measured expectation against candidate formulas.

Exact enumeration (every batch of a small data set, :func:`check_exact`) gives the
expectation itself; it matches a formula when equal to ``rtol`` (round-off). Monte-Carlo
draws (:func:`check_mean`) give a t-interval on the mean; the interval of the ratio
``mean / formula`` is reported for every candidate, with which ones it contains (at 99.8%)
and which it excludes, so a study can say which reading of sigma^2 makes a formula exact.

A non-finite expectation or draw (a computation that diverged) refutes: every formula here is
finite. Draws that agree to round-off are one deterministic value, compared with the formula
at ``IDENTITY_RTOL``. ``test.p_fail`` (the two-sided p-value of "mean = formula") enters the
multiplicity family.
"""

from __future__ import annotations

import numpy as np
from scipy import stats as sps

from ..claims import INCONCLUSIVE, REFUTED, REPRODUCED, Test, Verdict
from . import thresholds as th
from ._record import records_levels
from ._arrays import as_numpy
from .intervals import t_interval
from .seeds import audit, deterministic_label

__all__ = ["check_exact", "check_mean", "check_mean_vector"]


@records_levels
def check_exact(value: float, candidates: dict[str, float], claimed: str, *, rtol: float | None = None,
                claim: str = "", study: str = "", levels: th.Levels | None = None) -> Verdict:
    """An exactly enumerated expectation against formulas; ``claimed`` names the one the claim states.

    ``rtol`` defaults to ``IDENTITY_RTOL`` (an enumeration and a formula are two paths to one number).
    Exact: ``levels`` are recorded in the verdict, and decide nothing.
    """
    rtol = th.IDENTITY_RTOL if rtol is None else float(rtol)
    if not np.isfinite(value):
        return Verdict(claim, study, REFUTED, f"the enumerated expectation is {value} (the computation diverged)",
                       statistic={"value": value})
    ratios = {k: float(value / v) for k, v in candidates.items()}
    matches = [k for k, r in ratios.items() if abs(r - 1) <= rtol]
    outcome = REPRODUCED if claimed in matches else REFUTED
    summary = (f"exact expectation {value:.10g}; ratio to {claimed} = {ratios[claimed]:.12f}; "
               f"exact for: {', '.join(matches) or 'none'}")
    return Verdict(claim, study, outcome, summary, statistic={"value": value, "ratios": ratios, "matches": matches, "rtol": rtol})


@records_levels
def check_mean(samples, candidates: dict[str, float], claimed: str, *, claim: str = "", study: str = "",
               levels: th.Levels | None = None) -> Verdict:
    """Monte-Carlo draws ``samples: (N,)`` of a quantity whose mean a formula predicts.

    Refuted when the 99.8% interval of ``mean / claimed`` excludes 1 (the formula is off by
    more than sampling error); reproduced when it contains 1 and the 90% interval is narrower
    than ``2 * DELTA_RELATIVE`` (precise enough to mean something); inconclusive otherwise.
    ``levels``: the FAIL and PASS levels (:class:`~.thresholds.Levels`; None: nominal).
    """
    x = as_numpy(samples).reshape(-1)
    seeds = audit(x)
    if seeds.n_diverged:
        return Verdict(claim, study, REFUTED, f"{seeds.note().replace('seeds', 'draws', 1)}: the mean is not finite",
                       statistic=seeds.statistic(), seeds=seeds.n, diverged=seeds.n_diverged)
    c = candidates[claimed]
    if seeds.deterministic:
        m = float(x[0])
        ratios = {k: m / v for k, v in candidates.items()}
        contains = [k for k, r in ratios.items() if abs(r - 1) <= th.IDENTITY_RTOL]
        outcome = REPRODUCED if claimed in contains else REFUTED
        return Verdict(claim, study, outcome, f"{deterministic_label(seeds.n).replace('seeds', 'draws')}: value {m:.6g}; "
                       f"ratio to {claimed} = {m / c:.6f}", statistic={"mean": m, "ratios": ratios, "contains": contains,
                                                                       "deterministic": True}, seeds=seeds.n)
    if x.size < th.MIN_SEEDS:
        return Verdict(claim, study, INCONCLUSIVE, f"only {x.size} draws", seeds=int(x.size))
    m, lo, hi = t_interval(x, 1 - levels.fail)
    _, lo90, hi90 = t_interval(x, 1 - levels.pass_)
    se = float(x.std(ddof=1) / np.sqrt(x.size))
    p_fail = float(2 * sps.t.sf(abs(m - c) / se, x.size - 1))
    ci = {k: [lo / v, hi / v] for k, v in candidates.items()}
    contains = [k for k, (a, b) in ci.items() if a <= 1 <= b]
    if not (lo / c <= 1 <= hi / c):
        outcome = REFUTED
    elif (hi90 - lo90) / c <= 2 * th.DELTA_RELATIVE:
        outcome = REPRODUCED
    else:
        outcome = INCONCLUSIVE
    summary = (f"mean {m:.6g} over {x.size} draws; ratio to {claimed} = {m / c:.4f} "
               f"(99.8% CI [{lo / c:.4f}, {hi / c:.4f}]); consistent with: {', '.join(contains) or 'none'}")
    return Verdict(claim, study, outcome, summary, statistic={"mean": m, "ratio_ci998": ci, "contains": contains,
                                                              "excludes": [k for k in ci if k not in contains]},
                   interval=[lo / c, hi / c], seeds=int(x.size), test=Test(p_fail=p_fail))


@records_levels
def check_mean_vector(total, total_sq, n: int, target, *, what: str = "the mean", claim: str = "", study: str = "",
                      levels: th.Levels | None = None, **fields) -> Verdict:
    """Monte-Carlo mean of a vector against a target, coordinate by coordinate, from running sums
    over ``n`` draws (``total``, ``total_sq``: sums of the draws and of their squares, shape (d,)).

    Each coordinate's z-test (the draws are many: normal), Holm-corrected over the coordinates at
    ``ALPHA_FAIL``: refuted when any coordinate is rejected; otherwise reproduced when every
    standard error is below ``MC_RESOLUTION`` of the target's size (precise enough to mean
    something), inconclusive when not. The claim's FAIL p-value is the smallest Holm-adjusted one.
    ``levels``: the FAIL level (the ``ALPHA_FAIL`` above; None: nominal)."""
    from .multiple import holm

    total, total_sq, target = (np.asarray(a, dtype=float).reshape(-1) for a in (total, total_sq, target))
    if not (total.shape == total_sq.shape == target.shape):
        raise ValueError(f"The 'total', 'total_sq' and 'target' parameters must have one shape. Got {total.shape}, "
                         f"{total_sq.shape} and {target.shape} instead.")
    if n < th.MIN_SEEDS:
        raise ValueError(f"The 'n' parameter must be an int in the range [{th.MIN_SEEDS}, inf). Got {n!r} instead.")
    mean = total / n
    se = np.sqrt(np.maximum(total_sq / n - mean**2, 0) / (n - 1))
    z = (mean - target) / np.where(se > 0, se, 1.0)
    p = 2 * sps.norm.sf(np.abs(z))
    p_holm = holm(p)
    rejected = p_holm <= levels.fail
    resolution = float(np.max(se / np.abs(target)))
    stat = {"rejected": int(rejected.sum()), "max_abs_z": float(np.abs(z).max()), "p_holm_min": float(p_holm.min()),
            "resolution": resolution, "rel_bias": float(np.linalg.norm(mean - target) / np.linalg.norm(target)),
            "mean": mean, "se": se, "z": z, **dict(fields.pop("statistic", {}))}
    d = total.size
    if rejected.any():
        outcome = REFUTED
        summary = (f"{what} differs from the target on {int(rejected.sum())} of {d} coordinates (max |z| = "
                   f"{stat['max_abs_z']:.1f}, Holm at {levels.fail})")
    elif resolution > th.MC_RESOLUTION:
        outcome, summary = INCONCLUSIVE, f"too few draws: standard error up to {resolution:.1%} of the target"
    else:
        outcome = REPRODUCED
        summary = (f"{what} = the target on all {d} coordinates (max |z| = {stat['max_abs_z']:.2f}, Holm at {levels.fail}; "
                   f"standard errors <= {resolution:.2%} of it, {n} draws)")
    return Verdict(claim, study, outcome, summary, statistic=stat, seeds=int(n), test=Test(p_fail=float(p_holm.min())),
                   **fields)

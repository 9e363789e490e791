"""Variance claims: a measured expectation against candidate formulas.

Exact enumeration (every batch of a small data set, :func:`check_exact`) gives the
expectation itself; it matches a formula when equal to ``rtol`` (round-off). Monte-Carlo
draws (:func:`check_mean`) give a t-interval on the mean; the interval of the ratio
``mean / formula`` is reported for every candidate, with which ones it contains (at 99.8%)
and which it excludes, so a study can say which reading of sigma^2 makes a formula exact.
"""

from __future__ import annotations

import numpy as np

from ..claims import INCONCLUSIVE, REFUTED, REPRODUCED, Verdict
from . import thresholds as th
from ._arrays import as_numpy
from .intervals import t_interval

__all__ = ["check_exact", "check_mean"]


def check_exact(value: float, candidates: dict[str, float], claimed: str, *, rtol: float = 1e-10,
                claim: str = "", study: str = "") -> Verdict:
    """An exactly enumerated expectation against formulas; ``claimed`` names the one the claim states."""
    ratios = {k: float(value / v) for k, v in candidates.items()}
    matches = [k for k, r in ratios.items() if abs(r - 1) <= rtol]
    outcome = REPRODUCED if claimed in matches else REFUTED
    summary = (f"exact expectation {value:.10g}; ratio to {claimed} = {ratios[claimed]:.12f}; "
               f"exact for: {', '.join(matches) or 'none'}")
    return Verdict(claim, study, outcome, summary, statistic={"value": value, "ratios": ratios, "matches": matches})


def check_mean(samples, candidates: dict[str, float], claimed: str, *, claim: str = "", study: str = "") -> Verdict:
    """Monte-Carlo draws ``samples: (N,)`` of a quantity whose mean a formula predicts.

    Refuted when the 99.8% interval of ``mean / claimed`` excludes 1 (the formula is off by
    more than sampling error); reproduced when it contains 1 and the 90% interval is narrower
    than ``2 * DELTA_RELATIVE`` (precise enough to mean something); inconclusive otherwise.
    """
    x = as_numpy(samples).reshape(-1)
    x = x[np.isfinite(x)]
    if x.size < th.MIN_SEEDS:
        return Verdict(claim, study, INCONCLUSIVE, f"only {x.size} draws", seeds=int(x.size))
    m, lo, hi = t_interval(x, 1 - th.ALPHA_FAIL)
    _, lo90, hi90 = t_interval(x, 1 - th.ALPHA_PASS)
    ci = {k: [lo / v, hi / v] for k, v in candidates.items()}
    contains = [k for k, (a, b) in ci.items() if a <= 1 <= b]
    c = candidates[claimed]
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
                   interval=[lo / c, hi / c], seeds=int(x.size))

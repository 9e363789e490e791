"""t-intervals over seeds and the three-way equivalence decision.

The seed is the statistical unit: each seed contributes one number (a slope, a log
ratio), and the interval is the Student-t interval of their mean with S - 1 degrees of
freedom. The decision against a margin ``[target - delta, target + delta]``:

* reproduced   when the (1 - ALPHA_PASS) interval lies inside the margin,
* refuted      when the (1 - ALPHA_FAIL) interval lies entirely outside it,
* inconclusive otherwise (the data cannot tell at these seeds).

For one-sided (upper-bound, "O") claims only an excess above the margin refutes, and
anything below ``target + delta`` is consistent.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats as sps

from ..claims import INCONCLUSIVE, REFUTED, REPRODUCED
from . import thresholds as th

__all__ = ["t_interval", "Equivalence", "equivalence"]


def t_interval(x, level: float) -> tuple[float, float, float]:
    """(mean, low, high) of the two-sided ``level`` t-interval of the mean of ``x``."""
    x = np.asarray(x, dtype=np.float64)
    x = x[np.isfinite(x)]
    m = float(x.mean())
    if x.size < 2:
        return m, -np.inf, np.inf
    se = float(x.std(ddof=1) / np.sqrt(x.size))
    q = float(sps.t.ppf(0.5 + level / 2, x.size - 1))
    return m, m - q * se, m + q * se


@dataclass
class Equivalence:
    outcome: str
    estimate: float
    pass_interval: tuple[float, float]
    fail_interval: tuple[float, float]
    n: int
    p_fail: float  # p-value of "the true value is inside the margin" (for Holm across a run)
    reason: str


def equivalence(x, target: float, delta: float, *, sided: str = "two") -> Equivalence:
    """Decide whether the mean of the per-seed values ``x`` equals ``target`` within ``delta``.

    ``sided="two"``: Theta-type claims; ``sided="upper"``: the mean may be anything below
    ``target + delta`` (an O-type claim where larger values are worse).
    """
    x = np.asarray(x, dtype=np.float64)
    x = x[np.isfinite(x)]
    n = int(x.size)
    if n < th.MIN_SEEDS:
        return Equivalence(INCONCLUSIVE, float(np.mean(x)) if n else np.nan, (np.nan, np.nan), (np.nan, np.nan), n,
                           1.0, f"only {n} usable seeds (need >= {th.MIN_SEEDS})")
    m, lo90, hi90 = t_interval(x, 1 - th.ALPHA_PASS)
    _, lo_f, hi_f = t_interval(x, 1 - th.ALPHA_FAIL)
    lo_m, hi_m = target - delta, target + delta
    se = float(x.std(ddof=1) / np.sqrt(n))
    # p-value of the FAIL test: H0 "mean within the margin", one-sided toward the observed side.
    if se == 0:
        p_up = p_lo = 0.0 if (m > hi_m or m < lo_m) else 1.0
    else:
        p_up = float(sps.t.sf((m - hi_m) / se, n - 1))
        p_lo = float(sps.t.cdf((m - lo_m) / se, n - 1))
    if sided == "upper":
        inside = hi90 <= hi_m
        outside = lo_f > hi_m
        p = p_up
    else:
        inside = lo90 >= lo_m and hi90 <= hi_m
        outside = lo_f > hi_m or hi_f < lo_m
        p = min(p_up, p_lo)
    if inside:
        outcome, reason = REPRODUCED, f"90% interval [{lo90:.3g}, {hi90:.3g}] inside the margin"
    elif outside:
        outcome, reason = REFUTED, f"99.8% interval [{lo_f:.3g}, {hi_f:.3g}] outside the margin"
    else:
        outcome, reason = INCONCLUSIVE, f"90% interval [{lo90:.3g}, {hi90:.3g}] straddles the margin"
    margin = f"[-inf, {hi_m:.3g}]" if sided == "upper" else f"[{lo_m:.3g}, {hi_m:.3g}]"
    return Equivalence(outcome, m, (lo90, hi90), (lo_f, hi_f), n, p, f"{reason} {margin}")

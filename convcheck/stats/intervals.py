"""t-intervals over seeds and the three-way equivalence decision.

The seed is the statistical unit: each seed contributes one number (a slope, a log
ratio), and the interval is the Student-t interval of their mean with S - 1 degrees of
freedom. The decision against a margin ``[target - delta, target + delta]``:

* reproduced   when the (1 - ALPHA_PASS) interval lies inside the margin,
* refuted      when the (1 - ALPHA_FAIL) interval lies entirely outside it,
* inconclusive otherwise (the data cannot tell at these seeds).

For one-sided (upper-bound, "O") claims only an excess above the margin refutes, and
anything below ``target + delta`` is consistent.

When every value agrees to round-off (the seeds ran the same arithmetic on the same
numbers), the input is one number, not a sample: the decision compares that number with the
margin, says "deterministic", quotes no interval and carries no p-value (there is no sampling
error to correct for).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats as sps

from ..claims import INCONCLUSIVE, REFUTED, REPRODUCED
from . import thresholds as th
from .seeds import deterministic_label, values_agree

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
    p_fail: float | None  # p-value of "the true value is inside the margin"; None when deterministic
    reason: str
    deterministic: bool = False


def equivalence(x, target: float, delta: float, *, sided: str = "two", alpha_fail: float | None = None,
                deterministic: bool | None = None) -> Equivalence:
    """Decide whether the mean of the per-seed values ``x`` equals ``target`` within ``delta``.

    ``sided="two"``: Theta-type claims; ``sided="upper"``: the mean may be anything below
    ``target + delta`` (an O-type claim where larger values are worse). ``alpha_fail``: the FAIL
    level (default ``ALPHA_FAIL``; smaller when several FAIL tests share one claim).
    ``deterministic``: None detects values that agree to round-off; True/False overrides.
    Non-finite values are the caller's business (:func:`convcheck.stats.seeds.worst`): here they
    are dropped.
    """
    if sided not in ("two", "upper"):
        raise ValueError(f"The 'sided' parameter must be one of ['two', 'upper']. Got {sided!r} instead.")
    alpha_fail = th.ALPHA_FAIL if alpha_fail is None else float(alpha_fail)
    x = np.asarray(x, dtype=np.float64)
    x = x[np.isfinite(x)]
    n = int(x.size)
    lo_m, hi_m = target - delta, target + delta
    margin = f"[-inf, {hi_m:.3g}]" if sided == "upper" else f"[{lo_m:.3g}, {hi_m:.3g}]"
    if deterministic is None:  # agreement relative to the values, or to the margin when they are near 0
        deterministic = values_agree(x, delta)
    if n >= 2 and np.ptp(x) == 0:  # identical values (seeds that met in the window): no spread to test
        deterministic = True
    if deterministic and n >= 1:
        m = float(x[0])
        inside = m <= hi_m if sided == "upper" else lo_m <= m <= hi_m
        outcome = REPRODUCED if inside else REFUTED
        reason = f"{deterministic_label(n)}: value {m:.4g} {'inside' if inside else 'outside'} the margin {margin}"
        return Equivalence(outcome, m, (m, m), (m, m), n, None, reason, True)
    if n < th.MIN_SEEDS:
        return Equivalence(INCONCLUSIVE, float(np.mean(x)) if n else np.nan, (np.nan, np.nan), (np.nan, np.nan), n,
                           1.0, f"only {n} usable seeds (need >= {th.MIN_SEEDS})")
    m, lo90, hi90 = t_interval(x, 1 - th.ALPHA_PASS)
    _, lo_f, hi_f = t_interval(x, 1 - alpha_fail)
    se = float(x.std(ddof=1) / np.sqrt(n))
    # p-value of the FAIL test: H0 "mean within the margin", one-sided toward the observed side.
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
    level = f"{100 * (1 - alpha_fail):.4g}%"
    if inside:
        outcome, reason = REPRODUCED, f"90% interval [{lo90:.3g}, {hi90:.3g}] inside the margin"
    elif outside:
        outcome, reason = REFUTED, f"{level} interval [{lo_f:.3g}, {hi_f:.3g}] outside the margin"
    else:
        outcome, reason = INCONCLUSIVE, f"90% interval [{lo90:.3g}, {hi90:.3g}] straddles the margin"
    return Equivalence(outcome, m, (lo90, hi90), (lo_f, hi_f), n, p, f"{reason} {margin}")

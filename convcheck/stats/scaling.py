"""Scaling claims: a quantity grows or shrinks like a power of a parameter, ``y ~ c x^k``.

:func:`check_exponent`: per seed, the least-squares slope of ``log y`` against ``log x`` over
the parameter grid (the seed is the unit, as for rates); the claim on the exponent ``k`` is an
equivalence test on those slopes with the margin ``DELTA_EXPONENT``:

* ``kind="theta"``: the slope equals ``k`` within the margin (two-sided);
* ``kind="at_least"``: ``y = O(x^k)`` as ``x -> 0``: only a slope credibly *below* ``k`` refutes
  (a steeper decay is fine);
* ``kind="at_most"``: only a slope credibly *above* ``k`` refutes.

A zero value has no logarithm: the seed's slope is not finite and the seed is left out (the
count of seeds used is reported). Floors against a parameter (:mod:`.floors`) are the same fit
with a relative margin and an intercept test.
"""

from __future__ import annotations

import numpy as np

from ..claims import Test, Verdict
from . import thresholds as th
from ._record import records_levels
from ._arrays import as_numpy
from .intervals import equivalence, price_fields, price_sentence, t_interval

__all__ = ["log_log_slopes", "check_exponent", "check_per_seed"]

KINDS = ("theta", "at_least", "at_most")


def log_log_slopes(values, params) -> np.ndarray:
    """Per-row least-squares slope of ``log values`` against ``log params``: ``(S, K), (K,) -> (S,)``
    (``-inf``/``nan`` where a row holds a zero or a non-finite value)."""
    Y, x = as_numpy(values), as_numpy(params)
    if Y.ndim != 2 or x.ndim != 1 or Y.shape[1] != x.shape[0] or x.shape[0] < 2:
        raise ValueError(f"The 'values' and 'params' parameters must have shapes (seeds, K) and (K,) with K >= 2. "
                         f"Got {Y.shape} and {x.shape} instead.")
    if np.any(x <= 0):
        raise ValueError(f"The 'params' parameter must be in the range (0, inf). Got {x.tolist()} instead.")
    lx = np.log(x) - np.log(x).mean()
    with np.errstate(divide="ignore", invalid="ignore"):
        return (np.log(Y) - np.log(Y).mean(1, keepdims=True)) @ lx / (lx @ lx)


@records_levels
def check_exponent(values, params, exponent: float, *, kind: str = "theta", what: str = "y", param_name: str = "x",
                   claim: str = "", study: str = "", levels: th.Levels | None = None, **fields) -> Verdict:
    """Does ``values (S, K)`` scale like ``params (K,) ** exponent``? See the module note for
    ``kind``. The statistic holds the mean exponent, its 90% and 99.8% intervals, the per-seed
    slopes; its test record the FAIL p-value (``levels``: the FAIL and PASS levels, None: nominal)."""
    if kind not in KINDS:
        raise ValueError(f"The 'kind' parameter must be one of {list(KINDS)}. Got {kind!r} instead.")
    slopes = log_log_slopes(values, params)
    k = float(exponent)
    # one-sided kinds test the shortfall (or excess) against the upper margin
    if kind == "at_least":
        eq = equivalence(k - slopes, 0.0, th.DELTA_EXPONENT, sided="upper", levels=levels)
        est, ci = k - eq.estimate, (k - eq.pass_interval[1], k - eq.pass_interval[0])
    elif kind == "at_most":
        eq = equivalence(slopes - k, 0.0, th.DELTA_EXPONENT, sided="upper", levels=levels)
        est, ci = k + eq.estimate, (k + eq.pass_interval[0], k + eq.pass_interval[1])
    else:
        eq = equivalence(slopes, k, th.DELTA_EXPONENT, levels=levels)
        est, ci = eq.estimate, eq.pass_interval
    _, lo998, hi998 = t_interval(slopes, 1 - levels.fail)
    claimed = {"theta": f"{param_name}^{k:g}", "at_least": f"at least {param_name}^{k:g}",
               "at_most": f"at most {param_name}^{k:g}"}[kind]
    summary = (f"{what} scales like {param_name}^{est:.2f} (90% CI [{ci[0]:.2f}, {ci[1]:.2f}]); claim: {claimed}")
    finite = int(np.isfinite(slopes).sum())
    Y = as_numpy(values)
    broken = ~np.isfinite(Y).all(axis=1)  # a value that blew up: a diverged seed
    zero = np.isfinite(Y).all(axis=1) & (Y <= 0).any(axis=1)  # a value at or below round-off: no logarithm
    left_out = ([f"{int(zero.sum())} of {Y.shape[0]} seeds have a {what} of 0 (below round-off) at some {param_name} and "
                 f"{int(broken.sum())} a non-finite one: their slopes are undefined and left out ({finite} used)"]
                if zero.any() or broken.any() else [])
    statistic = {"exponent": est, "exponent_ci90": list(ci), "exponent_ci998": [lo998, hi998],
                 "per_seed": slopes, "left_out": int(Y.shape[0] - finite), **dict(fields.pop("statistic", {}))}
    if eq.seeds_to_decide:
        summary += f"; {price_sentence(eq.seeds_to_decide, eq.toward)}"
    return Verdict(claim, study, eq.outcome, summary + (f"; {left_out[0]}" if left_out else ""), statistic=statistic,
                   seeds=finite, diverged=int(broken.sum()), notes=[eq.reason, *fields.pop("notes", ())],
                   test=Test(p_fail=eq.p_fail, **price_fields(eq.seeds_to_decide, eq.toward)), **fields)


@records_levels
def check_per_seed(values, target: float, *, margin: float, sided: str = "two", what: str, claim: str = "",
                   study: str = "", levels: th.Levels | None = None, **fields) -> Verdict:
    """One number per seed (a fitted slope, a log cost ratio) against a claimed ``target``: the
    equivalence test of :func:`~convcheck.stats.intervals.equivalence` with ``margin``
    (``sided="upper"``: only an excess above ``target + margin`` refutes). Non-finite values are
    left out (the count used is reported). ``levels``: the FAIL and PASS levels (None: nominal)."""
    x = as_numpy(values).reshape(-1)
    eq = equivalence(x, float(target), float(margin), sided=sided, levels=levels)
    summary = f"{what}: {eq.estimate:.3f} on {eq.n} seeds ({eq.reason})"
    if eq.seeds_to_decide:
        summary += f"; {price_sentence(eq.seeds_to_decide, eq.toward)}"
    statistic = {"estimate": eq.estimate, "ci90": list(eq.pass_interval), **dict(fields.pop("statistic", {}))}
    return Verdict(claim, study, eq.outcome, summary, statistic=statistic, seeds=int(eq.n),
                   interval=None if eq.deterministic else list(eq.pass_interval),
                   test=Test(p_fail=eq.p_fail, **price_fields(eq.seeds_to_decide, eq.toward)), **fields)

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

import functools
from dataclasses import dataclass

import numpy as np
from scipy import stats as sps

from ..claims import INCONCLUSIVE, REFUTED, REPRODUCED
from . import thresholds as th
from .seeds import deterministic_label, values_agree

__all__ = ["t_interval", "Equivalence", "equivalence", "seeds_to_decide", "smallest_seeds", "price_of", "price_fields",
           "price_sentence"]


#: ``trim="auto"``: the trimming used when the per-seed values' tails are heavy (below).
AUTO_TRIM = 0.2


@functools.lru_cache(maxsize=None)
def _gaussian_tail_ratio(n: int) -> float:
    """The 95% quantile of ``sd / (1.4826 MAD)`` in Gaussian samples of size n (20,000 samples
    from a fixed generator: the same number on every machine)."""
    z = np.random.default_rng(20261206).standard_normal((20_000, n))
    mad = 1.4826 * np.median(np.abs(z - np.median(z, axis=1, keepdims=True)), axis=1)
    return float(np.quantile(z.std(axis=1, ddof=1) / mad, 0.95))


def resolve_trim(x: np.ndarray, trim) -> float:
    """The trimming for ``x``: a number as given; ``"auto"`` (Hogg's adaptive estimation, Hogg
    1974) trims :data:`AUTO_TRIM` when the sample's tail weight ``sd / (1.4826 MAD)`` exceeds
    what 95% of Gaussian samples of its size show, else 0. The ratio does not depend on the
    values' location, so choosing by it keeps the level of the test of the location (checked
    by the calibration tests); Gaussian seeds keep the plain mean and its full efficiency."""
    if trim != "auto":
        return float(trim)
    n = x.size
    if n < 8:
        return 0.0
    mad = 1.4826 * float(np.median(np.abs(x - np.median(x))))
    sd = float(x.std(ddof=1))
    if mad == 0:
        return AUTO_TRIM if sd > 0 else 0.0
    return AUTO_TRIM if sd / mad > _gaussian_tail_ratio(n) else 0.0


def _location(x: np.ndarray, trim: float) -> tuple[float, float, int]:
    """(estimate, standard error, degrees of freedom) of the mean of ``x``, or with ``trim`` > 0
    of its ``trim``-trimmed mean (Tukey & McLaughlin 1963; Wilcox 2012, Sec. 4.4): the mean of the
    middle h = n - 2g values (g = floor(trim n)), standard error ``s_w / ((h/n) sqrt(n))`` from the
    variance of the g-winsorized sample, h - 1 degrees of freedom. One seed far out (a heavy-tailed
    excursion) moves the trimmed mean by at most one rank and does not inflate its standard error."""
    n = x.size
    g = int(np.floor(trim * n))
    if g == 0:
        return float(x.mean()), float(x.std(ddof=1) / np.sqrt(n)), n - 1
    xs = np.sort(x)
    h = n - 2 * g
    wins = np.clip(xs, xs[g], xs[n - g - 1])
    return float(xs[g:n - g].mean()), float(wins.std(ddof=1) / ((h / n) * np.sqrt(n))), h - 1


def t_interval(x, level: float, trim: float = 0.0) -> tuple[float, float, float]:
    """(mean, low, high) of the two-sided ``level`` t-interval of the mean of ``x`` (of its
    ``trim``-trimmed mean when ``trim`` > 0, see :func:`_location`)."""
    x = np.asarray(x, dtype=np.float64)
    x = x[np.isfinite(x)]
    if x.size < 2:
        return float(x.mean()), -np.inf, np.inf
    m, se, df = _location(x, trim)
    q = float(sps.t.ppf(0.5 + level / 2, df))
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
    # inconclusive only: the seeds at which the interval would clear the margin if the estimate and
    # the per-seed spread stayed as observed, and which way ("reproduce" or "refute"); None when
    # seeds cannot settle it (the estimate sits on the margin's edge)
    seeds_to_decide: int | None = None
    toward: str | None = None


#: The largest seed count a price is quoted for; beyond it "more than" this.
MAX_PRICED_SEEDS = 1_000_000


def seeds_to_decide(estimate: float, se: float, n: int, lo_m: float, hi_m: float, *, sided: str,
                    alpha_fail: float, trim: float = 0.0, levels: th.Levels | None = None) -> tuple[int | None, str | None]:
    """The smallest seed count n' > n at which the interval of an estimate that stays at
    ``estimate`` with per-seed spread ``se sqrt(n)`` clears the margin ``[lo_m, hi_m]`` (the 90%
    interval inside it, or the ``1 - alpha_fail`` interval outside it), and the direction. The
    price of a decision under the observed variance: a planning figure, not a promise (the next
    seeds move the estimate too). ``(None, None)`` when the estimate sits on the margin's edge.
    ``alpha_fail`` is a share of the FAIL level of ``levels`` (None: nominal); the price is quoted at
    the nominal levels, that share scaled back to them (:meth:`~.thresholds.Levels.nominal`)."""
    levels = th.Levels.of(levels)
    inside = estimate <= hi_m if sided == "upper" else lo_m <= estimate <= hi_m
    room = (hi_m - estimate if sided == "upper" else min(hi_m - estimate, estimate - lo_m)) if inside else \
        (estimate - hi_m if estimate > hi_m else lo_m - estimate)
    if not (room > 0 and se > 0 and np.isfinite(se)):
        return None, None
    level = 1 - th.NOMINAL.pass_ / 2 if inside else 1 - levels.nominal(alpha_fail, "fail") / 2
    return smallest_seeds(room, se * np.sqrt(n), level, n, trim), "reproduce" if inside else "refute"


def smallest_seeds(room: float, spread: float, level: float, n: int, trim: float = 0.0) -> int:
    """The smallest n' > n whose t-quantile at ``level`` times ``spread / sqrt(n')`` fits in
    ``room`` (capped at :data:`MAX_PRICED_SEEDS`): a geometric grid, then every count between the
    last grid point that does not clear and the first that does (two vectorised quantile calls)."""
    def clears(m: np.ndarray) -> np.ndarray:
        df = np.maximum(1, m - 1 - 2 * np.floor(trim * m))
        return sps.t.ppf(level, df) * spread / np.sqrt(m) <= room

    grid = np.unique(np.geomspace(n + 1, MAX_PRICED_SEEDS, 256).astype(np.int64))
    ok = clears(grid)
    if not ok.any():
        return MAX_PRICED_SEEDS
    j = int(np.argmax(ok))
    span = np.arange((grid[j - 1] if j > 0 else n) + 1, grid[j] + 1)
    return int(span[np.argmax(clears(span))])


def price_of(parts, *, refute_any: bool) -> tuple[int | None, str | None, str]:
    """The seeds that would settle a verdict decided by several parts, each given as
    ``(outcome, seeds_to_decide, toward)``: ``refute_any`` (Theta, and the parts of a claim: one
    refuting part refutes; reproduced needs all) or not (O, and the measures of one word: refuted
    and reproduced both need every part). Returns the count, the direction and a sentence; None
    and the reason when more seeds would not settle it (parts pointing different ways, or an
    estimate on the margin's edge or a part without a price)."""
    way = {REPRODUCED: "reproduce", REFUTED: "refute"}
    dirs = [way.get(outcome, toward) for outcome, _, toward in parts]
    undecided = [(n, toward) for outcome, n, toward in parts if outcome == INCONCLUSIVE]
    if not undecided:
        return None, None, ""
    if any(d is None for d in dirs) or not all(n for n, _ in undecided):
        return None, None, "more seeds would not settle it: an estimate sits on the margin's edge"
    if refute_any and "refute" in dirs:
        if REFUTED in [outcome for outcome, _, _ in parts]:
            return None, None, ""
        n = min(n for n, toward in undecided if toward == "refute")
        return n, "refute", price_sentence(n, "refute")
    if len(set(dirs)) > 1:
        return None, None, "more seeds would not settle it: its parts point different ways (a longer horizon might)"
    n = max(n for n, _ in undecided)
    return n, dirs[0], price_sentence(n, dirs[0])


def price_fields(n: int | None, toward: str | None) -> dict:
    """A price as the fields of a verdict's test record (:class:`~convcheck.claims.Test`; none when
    there is no price)."""
    return {"seeds_to_decide": n, "decide_toward": toward} if n else {}


def price_sentence(n: int, toward: str) -> str:
    """'about N seeds would refute it at the observed mean and spread' (the one wording)."""
    more = "more than " if n >= MAX_PRICED_SEEDS else "about "
    return f"{more}{n} seeds would {toward} it at the observed mean and spread"


def equivalence(x, target: float, delta: float, *, sided: str = "two", alpha_fail: float | None = None,
                deterministic: bool | None = None, trim: float = 0.0, levels: th.Levels | None = None) -> Equivalence:
    """Decide whether the mean of the per-seed values ``x`` equals ``target`` within ``delta``.

    ``sided="two"``: Theta-type claims; ``sided="upper"``: the mean may be anything below
    ``target + delta`` (an O-type claim where larger values are worse). ``levels``: the FAIL and
    PASS levels (:class:`~.thresholds.Levels`; None: the nominal ``ALPHA_FAIL``/``ALPHA_PASS``).
    ``alpha_fail``: the FAIL test's share of them (default the whole FAIL level; smaller when
    several FAIL tests share one claim).
    ``deterministic``: None detects values that agree to round-off; True/False overrides.
    ``trim``: test the ``trim``-trimmed mean instead of the mean (robust to a few seeds far out);
    ``"auto"`` trims only when the values' tails are heavier than Gaussian (:func:`resolve_trim`).
    Non-finite values are the caller's business (:func:`convcheck.stats.seeds.worst`): here they
    are dropped.
    """
    if sided not in ("two", "upper"):
        raise ValueError(f"The 'sided' parameter must be one of ['two', 'upper']. Got {sided!r} instead.")
    levels = th.Levels.of(levels)
    alpha_fail = levels.fail if alpha_fail is None else float(alpha_fail)
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
    trim = resolve_trim(x, trim)
    if trim and _location(x, trim)[1] == 0:  # the middle seeds agree exactly: the winsorized spread says nothing
        trim = 0.0
    m, se, df = _location(x, trim)
    q90, q_f = (float(sps.t.ppf(0.5 + level / 2, df)) for level in (1 - levels.pass_, 1 - alpha_fail))
    lo90, hi90, lo_f, hi_f = m - q90 * se, m + q90 * se, m - q_f * se, m + q_f * se
    # p-value of the FAIL test: H0 "mean within the margin", one-sided toward the observed side.
    p_up = float(sps.t.sf((m - hi_m) / se, df))
    p_lo = float(sps.t.cdf((m - lo_m) / se, df))
    if sided == "upper":
        inside = hi90 <= hi_m
        outside = lo_f > hi_m
        p = p_up
    else:
        inside = lo90 >= lo_m and hi90 <= hi_m
        outside = lo_f > hi_m or hi_f < lo_m
        p = min(p_up, p_lo)
    level = f"{100 * (1 - alpha_fail):.4g}%"
    if trim:
        margin += f" ({100 * trim:g}%-trimmed mean: the seeds' values have heavy tails)"
    if inside:
        outcome, reason = REPRODUCED, f"90% interval [{lo90:.3g}, {hi90:.3g}] inside the margin"
    elif outside:
        outcome, reason = REFUTED, f"{level} interval [{lo_f:.3g}, {hi_f:.3g}] outside the margin"
    else:
        outcome, reason = INCONCLUSIVE, f"90% interval [{lo90:.3g}, {hi90:.3g}] straddles the margin"
    need, toward = (seeds_to_decide(m, se, n, lo_m, hi_m, sided=sided, alpha_fail=alpha_fail, trim=trim, levels=levels)
                    if outcome == INCONCLUSIVE else (None, None))
    return Equivalence(outcome, m, (lo90, hi90), (lo_f, hi_f), n, p, f"{reason} {margin}", seeds_to_decide=need,
                       toward=toward)

"""Comparative claims: method A beats method B on a measure, paired across seeds.

Each seed runs both methods (same data, same start), so the per-seed difference
``d_s = b_s - a_s`` (for "A smaller than B") removes the seed-to-seed variation. With the
t-interval of the mean difference: reproduced when the 90% interval lies above ``margin``,
refuted when the 99.8% interval lies below 0 (B credibly better), inconclusive otherwise.
Working on logs (``log=True``) turns "A is smaller" into "A is smaller by a factor".

Seeds (:mod:`.seeds`): a non-finite value (a diverged run) is the worst value on that seed,
so a method that diverges loses the comparison there: where only A diverged the pair counts
against A, where only B did it counts for A, and where both did it is a tie. With any such
pair the mean difference is infinite, so the verdict is decided by those pairs (A diverged
on some seed and B never: "A smaller" is refuted) and says so. Differences that agree to
round-off on every seed are one deterministic number, compared with the margin directly; a
deterministic difference within round-off of zero (relative to the values compared) is a tie,
never a win or a loss.
The FAIL test's one-sided p-value (``test.p_fail``, H0: A at least as good as B) enters the
multiplicity family.
"""

from __future__ import annotations

import numpy as np
from scipy import stats as sps

from ..claims import INCONCLUSIVE, REFUTED, REPRODUCED, Test, Verdict
from . import thresholds as th
from ._record import records_levels
from ._arrays import as_numpy
from .intervals import price_fields, price_sentence, smallest_seeds, t_interval
from .seeds import audit, deterministic_label, values_agree, worst

__all__ = ["check_paired", "check_spread"]


def _log(x: np.ndarray, name: str) -> np.ndarray:
    """log of non-negative values; infinities (the worst-value policy) stay as they are."""
    fin = np.isfinite(x)
    if np.any(x[fin] < 0):
        raise ValueError(f"The {name!r} parameter must be non-negative with log=True. Got {float(x[fin].min()):g} instead.")
    out = x.copy()
    with np.errstate(divide="ignore"):  # an exact zero is a legitimate -inf
        out[fin] = np.log(x[fin])
    return out


@records_levels
def check_paired(a, b, *, smaller: bool = True, log: bool = False, margin: float = 0.0, measure: str = "measure",
                 names=("A", "B"), claim: str = "", study: str = "", levels: th.Levels | None = None) -> Verdict:
    """Is ``a`` (per seed) smaller (``smaller=True``) or larger than ``b``?

    Non-finite values are a diverged run, the worst value for that method (+inf when smaller
    is better, -inf when larger is); exact zeros under ``log=True`` are a legitimate -inf
    (the best value when smaller is better). ``levels``: the FAIL and PASS levels (None: nominal).
    """
    a, b = as_numpy(a).reshape(-1), as_numpy(b).reshape(-1)
    if a.shape != b.shape:
        raise ValueError(f"The 'a' and 'b' parameters must have one value per seed each. Got {a.shape} and {b.shape} instead.")
    bad_a, bad_b = audit(a), audit(b)
    a, b = worst(a, higher_is_worse=smaller), worst(b, higher_is_worse=smaller)
    if log:
        a, b = _log(a, "a"), _log(b, "b")
    with np.errstate(invalid="ignore"):
        d = (b - a) if smaller else (a - b)
    d = np.where(np.isnan(d), 0.0, d)  # both at the same infinity: a tie
    rel = "smaller" if smaller else "larger"
    unit = "log " if log else ""
    n = int(d.size)
    diverged = bad_a.n_diverged + bad_b.n_diverged
    notes = [x for x in (bad_a.note().replace("seeds", f"seeds of {names[0]}", 1),
                         bad_b.note().replace("seeds", f"seeds of {names[1]}", 1)) if x]
    stat = {"wins": float(np.mean(d > 0)), "log": log, "n_diverged_a": bad_a.n_diverged, "n_diverged_b": bad_b.n_diverged}
    if np.isinf(d).any():
        lost, won = int((d == -np.inf).sum()), int((d == np.inf).sum())
        outcome = REFUTED if lost else REPRODUCED
        summary = (f"{names[0]} {rel} than {names[1]} on {measure}: {names[0]} is infinitely worse on {lost} and infinitely "
                   f"better on {won} of {n} seeds (diverged or exact-zero runs), so the mean difference is "
                   f"{'-inf' if lost else '+inf'}")
        if lost and won:
            outcome, summary = INCONCLUSIVE, summary.replace(f"so the mean difference is -inf", "so the mean difference is undefined")
        return Verdict(claim, study, outcome, summary, statistic={**stat, "mean_difference": float(np.mean(d)) if not (lost and won) else float("nan")},
                       seeds=n, diverged=diverged, notes=notes)
    det = values_agree(d, 1.0)
    if det or n == 1:
        m = float(d[0])
        scale = max(float(np.abs(a).max()), float(np.abs(b).max()), 1.0)
        tie = abs(m) <= th.DETERMINISTIC_FACTOR * np.finfo(np.float64).eps * scale
        outcome = INCONCLUSIVE if tie else REPRODUCED if m > margin else REFUTED if m < 0 else INCONCLUSIVE
        summary = (f"{deterministic_label(n)}: {names[0]} {rel} than {names[1]} on {measure}: paired {unit}difference {m:.4g}"
                   + (" (equal to round-off: a tie)" if tie else ""))
        return Verdict(claim, study, outcome, summary, statistic={**stat, "mean_difference": m, "deterministic": True},
                       seeds=n, diverged=diverged, notes=notes)
    if n < th.MIN_SEEDS:
        return Verdict(claim, study, INCONCLUSIVE, f"only {n} paired seeds", seeds=n, statistic=stat)
    m, lo90, hi90 = t_interval(d, 1 - levels.pass_)
    _, lo, hi = t_interval(d, 1 - levels.fail)
    se = float(d.std(ddof=1) / np.sqrt(n))
    p_fail = float(sps.t.cdf(m / se, n - 1))  # H0: mean difference >= 0 (A no worse than B)
    if lo90 > margin:
        outcome = REPRODUCED
    elif hi < 0:
        outcome = REFUTED
    else:
        outcome = INCONCLUSIVE
    summary = (f"{names[0]} {rel} than {names[1]} on {measure}: mean paired {unit}difference {m:.4g}, "
               f"90% CI [{lo90:.4g}, {hi90:.4g}] over {n} seeds")
    price = {}
    if outcome == INCONCLUSIVE and (m > margin or m < 0) and se > 0:  # between 0 and the margin no seed count decides
        toward = "reproduce" if m > margin else "refute"
        need = smallest_seeds(m - margin if m > margin else -m, se * np.sqrt(n),
                              1 - th.NOMINAL.pass_ / 2 if m > margin else 1 - th.NOMINAL.fail / 2, n)
        price = price_fields(need, toward)
        summary += f"; {price_sentence(need, toward)}"
    return Verdict(claim, study, outcome, summary, statistic={**stat, "mean_difference": m, "ci90": [lo90, hi90],
                                                              "ci_fail": [lo, hi]},
                   interval=[lo90, hi90], seeds=n, diverged=diverged, notes=notes, test=Test(p_fail=p_fail, **price))


@records_levels
def check_spread(a, b, *, log: bool = False, measure: str = "measure", names=("A", "B"), claim: str = "",
                 study: str = "", levels: th.Levels | None = None) -> Verdict:
    """Is the spread across seeds of ``a`` smaller than that of ``b``? (independent samples)

    The F-test of the ratio of variances ``var(a) / var(b)`` (normal samples; on logs with
    ``log=True``): reproduced when its 90% interval lies below 1, refuted when its 99.8%
    interval lies above 1, inconclusive otherwise; ``test.p_fail`` is the one-sided p-value of
    H0 "var(a) <= var(b)". A non-finite value (a diverged run) is an unbounded spread: in ``a``
    it refutes, in ``b`` alone it reproduces. ``levels``: the FAIL and PASS levels (None: nominal).
    """
    a, b = as_numpy(a).reshape(-1), as_numpy(b).reshape(-1)
    if log:
        with np.errstate(divide="ignore", invalid="ignore"):
            a, b = np.log(a), np.log(b)
    bad_a, bad_b = int((~np.isfinite(a)).sum()), int((~np.isfinite(b)).sum())
    rel = f"{names[0]}'s spread over seeds smaller than {names[1]}'s on {'log ' if log else ''}{measure}"
    stat = {"n_diverged_a": bad_a, "n_diverged_b": bad_b}
    if bad_a or bad_b:
        outcome = REFUTED if bad_a else REPRODUCED
        return Verdict(claim, study, outcome, f"{rel}: non-finite values on {bad_a} seeds of {names[0]} and {bad_b} of "
                       f"{names[1]} (unbounded spread)", statistic=stat, seeds=int(a.size), diverged=bad_a + bad_b)
    if min(a.size, b.size) < th.MIN_SEEDS:
        return Verdict(claim, study, INCONCLUSIVE, f"only {a.size} and {b.size} seeds", seeds=int(min(a.size, b.size)))
    va, vb = float(a.var(ddof=1)), float(b.var(ddof=1))
    if vb == 0 or va == 0:
        outcome = REPRODUCED if va < vb else REFUTED if va > vb else INCONCLUSIVE
        return Verdict(claim, study, outcome, f"{rel}: variances {va:.3g} and {vb:.3g} (one is exactly 0)",
                       statistic={**stat, "var_a": va, "var_b": vb}, seeds=int(a.size))
    ratio, da, db = va / vb, a.size - 1, b.size - 1
    ci90 = [ratio / sps.f.ppf(1 - levels.pass_ / 2, da, db), ratio / sps.f.ppf(levels.pass_ / 2, da, db)]
    cif = [ratio / sps.f.ppf(1 - levels.fail / 2, da, db), ratio / sps.f.ppf(levels.fail / 2, da, db)]
    p_fail = float(sps.f.sf(ratio, da, db))  # H0: var(a) <= var(b)
    outcome = REPRODUCED if ci90[1] < 1 else REFUTED if cif[0] > 1 else INCONCLUSIVE
    summary = f"{rel}: variance ratio {ratio:.3g}, 90% CI [{ci90[0]:.3g}, {ci90[1]:.3g}] ({a.size} and {b.size} seeds)"
    price = {}
    if outcome == INCONCLUSIVE and ratio != 1:
        toward = "reproduce" if ratio < 1 else "refute"
        need = _spread_seeds(ratio, toward, a.size)
        price = price_fields(need, toward)
        summary += f"; {price_sentence(need, toward)} (seeds per side)"
    return Verdict(claim, study, outcome, summary, statistic={**stat, "var_ratio": ratio, "ci90": ci90, "ci_fail": cif,
                                                              "sd_a": va**0.5, "sd_b": vb**0.5},
                   interval=ci90, seeds=int(min(a.size, b.size)), test=Test(p_fail=p_fail, **price))


def _spread_seeds(ratio: float, toward: str, n: int) -> int:
    """The seeds per side at which the F interval of an unchanged variance ratio clears 1: the 90%
    upper end below 1 (reproduce) or the 99.8% lower end above 1 (refute), at the single-look levels."""
    from .intervals import MAX_PRICED_SEEDS

    m = np.unique(np.geomspace(n + 1, MAX_PRICED_SEEDS, 512).astype(np.int64))
    if toward == "reproduce":
        ok = ratio * sps.f.ppf(1 - th.NOMINAL.pass_ / 2, m - 1, m - 1) < 1
    else:
        ok = ratio / sps.f.ppf(1 - th.NOMINAL.fail / 2, m - 1, m - 1) > 1
    return int(m[np.argmax(ok)]) if ok.any() else MAX_PRICED_SEEDS

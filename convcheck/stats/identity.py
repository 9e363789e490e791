"""Identity and property claims: the two kinds settled by one computation, not a sample.

* :func:`check_identity`: two computations of the same quantity (a closed form and a
  numerical answer, a batched update and its reference, the delta rule and autograd) must
  agree to a relative tolerance from :mod:`.thresholds`. The statistic is the largest
  relative error ``max |a - b| / max(|b|, tiny)`` over all entries; a non-finite entry in
  either refutes (a diverged computation agrees with nothing).
* :func:`check_property`: a structural fact checked on every instance (a seed, a setting, an
  initialisation): reproduced when it holds on all of them, refuted with the first
  counterexample otherwise.

Neither carries a p-value: there is no sampling error, so they stay out of the multiplicity
family, and their verdicts are deterministic by construction.
"""

from __future__ import annotations

import numpy as np

from ..claims import INCONCLUSIVE, REFUTED, REPRODUCED, Verdict
from . import thresholds as th
from ._arrays import as_numpy
from ._record import records_levels
from .seeds import eps_of

__all__ = ["check_identity", "check_property", "check_runs_finite", "failure_rate_bound", "failure_rate_words", "relative_error"]


def relative_error(a, b) -> float:
    """``max |a - b| / max |b|`` over all entries (inf when either has a non-finite entry)."""
    a, b = as_numpy(a), as_numpy(b)
    if a.shape != b.shape:
        raise ValueError(f"The 'a' and 'b' parameters must have the same shape. Got {a.shape} and {b.shape} instead.")
    if not (np.isfinite(a).all() and np.isfinite(b).all()):
        return float("inf")
    scale = max(float(np.abs(b).max()) if b.size else 0.0, np.finfo(np.float64).tiny)
    return float(np.abs(a - b).max() / scale) if a.size else 0.0


@records_levels
def check_identity(a, b, *, rtol: float | None = None, what: str = "the two computations", claim: str = "",
                   study: str = "", resolution=None, levels: th.Levels | None = None, **fields) -> Verdict:
    """Do ``a`` and ``b`` agree to ``rtol`` relative? The default is ``IDENTITY_RTOL`` carried to the
    coarser of the two inputs' dtypes (the same number of ulps: float32 values get 2^29 times
    float64's tolerance), so a computation run in float32 is not refuted on float64's round-off.

    ``resolution``: the instrument's own relative resolution per entry (shape of ``a``), where it
    is coarser than round-off (a numerical search that compares function values resolves its
    minimiser only to ``sqrt(eps)``): each entry is then judged entry-wise, ``|a - b| / |b| <=
    max(rtol, RESOLUTION_FACTOR * resolution)``, and the statistic quotes the largest error over
    its tolerance. Deterministic: ``levels`` are recorded in the verdict, and decide nothing."""
    if rtol is None:
        coarse = max(eps_of(a), eps_of(b))
        rtol = th.IDENTITY_RTOL * max(1.0, coarse / float(np.finfo(np.float64).eps))
    rtol = float(rtol)
    if not rtol > 0:
        raise ValueError(f"The 'rtol' parameter must be a float in the range (0, inf). Got {rtol!r} instead.")
    if resolution is not None:
        return _check_resolved(a, b, rtol, resolution, what, claim, study, fields)
    err = relative_error(a, b)
    ok = err <= rtol
    summary = f"{what} agree to {err:.2g} relative (tolerance {rtol:g})" if ok else \
        f"{what} differ by {err:.3g} relative (> tolerance {rtol:g})" + _lower_precision(err, rtol)
    statistic = {"max_rel_err": err, "rtol": rtol, **dict(fields.pop("statistic", {}))}
    return Verdict(claim, study, REPRODUCED if ok else REFUTED, summary, statistic=statistic, **fields)


def _check_resolved(a, b, rtol, resolution, what, claim, study, fields) -> Verdict:
    """check_identity entry-wise, against the larger of ``rtol`` and the instrument's resolution."""
    a, b, res = as_numpy(a).reshape(-1), as_numpy(b).reshape(-1), as_numpy(resolution).reshape(-1)
    if not (a.shape == b.shape == res.shape):
        raise ValueError(f"The 'a', 'b' and 'resolution' parameters must have the same shape. Got {a.shape}, {b.shape} "
                         f"and {res.shape} instead.")
    with np.errstate(divide="ignore", invalid="ignore"):
        err = np.abs(a - b) / np.maximum(np.abs(b), np.finfo(np.float64).tiny)
    err = np.where(np.isfinite(a) & np.isfinite(b), err, np.inf)
    allowed = np.maximum(rtol, th.RESOLUTION_FACTOR * res)
    over = err / allowed
    k = int(np.argmax(over)) if over.size else 0
    worst, ok = (float(over[k]), bool(over[k] <= 1.0)) if over.size else (0.0, True)
    largest = float(err.max()) if err.size else 0.0
    summary = (f"{what} agree entry-wise within max({rtol:g}, {th.RESOLUTION_FACTOR:g} x the instrument's resolution): "
               f"largest relative difference {largest:.2g}, {worst:.3g}x its tolerance") if ok else (
               f"{what} differ by {float(err[k]):.3g} relative at entry {k}, {worst:.3g}x its tolerance "
               f"(max({rtol:g}, {th.RESOLUTION_FACTOR:g} x resolution {float(res[k]):.2g}))")
    statistic = {"max_rel_err": largest, "rtol": rtol, "max_resolution": float(res.max()) if res.size else 0.0,
                 "max_error_over_tolerance": worst, **dict(fields.pop("statistic", {}))}
    return Verdict(claim, study, REPRODUCED if ok else REFUTED, summary, statistic=statistic, **fields)


def _lower_precision(err: float, rtol: float) -> str:
    """Words for a gap that float32's round-off explains (at most ``ROUNDOFF_FACTOR`` float32 ulps,
    relative, the round-off of a sum of up to a thousand terms): a method that keeps part of its
    computation in float32 misses a float64 identity by that much. Empty for a larger gap."""
    level = th.ROUNDOFF_FACTOR * float(np.finfo(np.float32).eps)
    if np.isfinite(err) and rtol < err <= level:
        return f"; the gap is within float32 round-off ({level:.2g}): part of one computation may run in float32"
    return ""


def failure_rate_bound(failures: int, n: int, level: float = 0.95) -> tuple[float, float]:
    """For a "for every start" statement tried on ``n`` random draws with ``failures`` failing:
    the one-sided Clopper-Pearson upper bound on the failure rate at ``level``, and the rate that
    ``n`` draws would find with probability ``level`` (``1 - (1 - level)^(1/n)``): a search of
    n = 299 finds a 1% failure rate with 95% probability."""
    from statsmodels.stats.proportion import proportion_confint

    n, failures = int(n), int(failures)
    if n < 1 or not 0 <= failures <= n:
        raise ValueError(f"The 'failures' and 'n' parameters must satisfy 0 <= failures <= n, n >= 1. Got {failures} and {n} instead.")
    upper = 1.0 if failures == n else float(proportion_confint(failures, n, alpha=2 * (1 - level), method="beta")[1])
    return upper, float(1 - (1 - level) ** (1 / n))


@records_levels
def check_property(holds, *, what: str, labels=None, undecided=None, assumptions: dict | None = None,
                   detail: str = "", claim: str = "", study: str = "", sampled: bool = False,
                   levels: th.Levels | None = None, **fields) -> Verdict:
    """Does ``what`` hold on every instance? ``holds``: booleans, one per instance; ``labels``
    name the instances (default: their indices) so a counterexample can be quoted.

    ``undecided``: booleans, the instances where the fact could not be decided (a run still
    moving at the end of its budget): they neither hold nor fail. Refuted when a decided
    instance fails; otherwise inconclusive when any is undecided; reproduced when all hold.
    ``assumptions``: ``{name: bool}``, what the claim assumes of the instance; one that does not
    hold makes the verdict inconclusive (the instance is no test of the claim), whatever ``holds``
    says. ``detail`` (the numbers behind the fact) is appended to the summary. ``sampled``: the
    instances are random draws (starts, seeds) from a "for every" statement's range, so holding
    on all of them bounds the failure rate but does not prove it zero: the summary and statistic
    quote the Clopper-Pearson 95% upper bound of the rate and the rate the search would have
    found with probability 95% (:func:`failure_rate_bound`)."""
    h = np.asarray(holds, dtype=bool).reshape(-1)
    if h.size == 0:
        raise ValueError("The 'holds' parameter must have at least one instance. Got none instead.")
    labels = [str(i) for i in range(h.size)] if labels is None else [str(x) for x in labels]
    if len(labels) != h.size:
        raise ValueError(f"The 'labels' parameter must name every instance ({h.size}). Got {len(labels)} instead.")
    u = np.zeros(h.size, dtype=bool) if undecided is None else np.asarray(undecided, dtype=bool).reshape(-1)
    if u.size != h.size:
        raise ValueError(f"The 'undecided' parameter must have one entry per instance ({h.size}). Got {u.size} instead.")
    unmet = [name for name, ok in (assumptions or {}).items() if not ok]
    failed = [lab for lab, ok, und in zip(labels, h, u) if not ok and not und]
    open_ = [lab for lab, und in zip(labels, u) if und]
    tail = f"; {detail}" if detail else ""
    if unmet:
        outcome = INCONCLUSIVE
        summary = f"{what}: not a test of the claim, its assumption does not hold: {', '.join(unmet)}"
    elif failed:
        outcome = REFUTED
        summary = f"{what}: fails on {len(failed)} of {h.size} instances (first: {failed[0]})"
    elif open_:
        outcome = INCONCLUSIVE
        summary = f"{what}: holds on {h.size - len(open_)} of {h.size} instances, undecided on {len(open_)} (first: {open_[0]})"
    else:
        outcome, summary = REPRODUCED, f"{what}: holds on all {h.size} instances"
    statistic = {"holds": int((h & ~u).sum()), "instances": int(h.size), "failed": failed[:20], "undecided": open_[:20],
                 "assumptions_unmet": unmet, **dict(fields.pop("statistic", {}))}
    if sampled:
        words, bound = failure_rate_words(len(failed), int((~u).sum()))
        statistic.update(bound)
        tail += f"; {words}"
    return Verdict(claim, study, outcome, summary + tail, statistic=statistic, **fields)


def failure_rate_words(failures: int, decided: int, unit: str = "random draws", what: str = "failure rate") -> tuple[str, dict]:
    """The sentence and statistic a "for every run/start/seed" verdict quotes: ``failures`` of
    ``decided`` units failed. With none failing, the one-sided Clopper-Pearson 95% upper bound on
    the rate and the rate that many draws would have found with probability 95%
    (:func:`failure_rate_bound`); with some failing, how common failures are: the rate between its
    one-sided 95% lower and upper bounds. With no decided unit the bound is 1 (nothing is known)."""
    upper, detectable = failure_rate_bound(failures, decided) if decided else (1.0, 1.0)
    stat = {"failure_rate_upper95": upper, "detectable_rate95": detectable, "failure_rate_n": int(decided)}
    if failures and decided:
        from statsmodels.stats.proportion import proportion_confint

        lower = float(proportion_confint(int(failures), int(decided), alpha=0.1, method="beta")[0])
        return (f"{failures} failures in {decided} {unit}: {what} between {lower:.2%} and {upper:.2%} (Clopper-Pearson, "
                "95% each side)", {**stat, "failure_rate_lower95": lower})
    return (f"{failures} failures in {decided} {unit}: {what} below {upper:.2%} (Clopper-Pearson, 95%); a rate of "
            f"{detectable:.2%} would have been found with probability 95%", stat)


@records_levels
def check_runs_finite(diverged, diverged_at=None, *, what: str, claim: str = "", study: str = "",
                      levels: th.Levels | None = None, **fields) -> Verdict:
    """Did every run stay finite? ``diverged``: (S,) booleans (a Trace's ``diverged``), with the
    step each was first recorded at (``diverged_at``). A diverged run refutes a claim that its
    method converges there (the one divergence rule: divergence is the worst outcome).
    ``levels`` are recorded in the verdict, and decide nothing."""
    d = np.asarray(diverged, dtype=bool).reshape(-1)
    at = None if diverged_at is None else np.asarray(diverged_at).reshape(-1)
    if at is not None and at.size != d.size:
        raise ValueError(f"The 'diverged_at' parameter must have one entry per run ({d.size}). Got {at.size} instead.")
    n = int(d.sum())
    first = f" (first recorded at step {int(at[d].min())})" if n and at is not None else ""
    summary = f"{what}: {n} of {d.size} seeds diverged{first}" if n else f"{what}: no seed diverged ({d.size} seeds)"
    # "every run stays finite" is read from the runs made: quote the divergence rate they bound
    words, bound = failure_rate_words(n, int(d.size), "runs", "divergence rate")
    return Verdict(claim, study, REFUTED if n else REPRODUCED, f"{summary}; {words}", seeds=int(d.size), diverged=n,
                   statistic={"diverged": n, **bound, **dict(fields.pop("statistic", {}))}, **fields)

"""Linear-rate claims: geometric decay ``e_t <= C rho^t`` with a stated contraction rho.

Per seed, the decay rate ``lambda_s = -slope`` of ``log e_t`` against t (OLS) over the
pre-floor window (:func:`linear_window`: above round-off, and before the seed median comes
within a factor 3 of its tail level; a stochastic floor or round-off ends geometric decay). The claim's rate is ``lambda_c = -log(rho_c)``; the
statistic is the ratio ``lambda_s / lambda_c`` (1 when the fitted contraction equals the
claimed one), with a t-interval over seeds and the margin ``DELTA_RELATIVE``:

* ``kind="upper"`` (contraction at least as fast as claimed): refuted when the 99.8%
  interval of the ratio lies below ``1 - delta``; reproduced when the 90% lower end is above it;
* ``kind="theta"`` (the stated factor is the actual one): the two-sided equivalence.

Working on rates rather than on rho itself keeps the margin meaningful when rho is close
to 1 (0.999 and 0.99 differ by 1% in rho, by 10x in rate).
"""

from __future__ import annotations

import numpy as np

from ..claims import INCONCLUSIVE, REFUTED, Test, Verdict
from . import thresholds as th
from ._record import records_levels
from ._arrays import as_curves, as_numpy
from .intervals import equivalence
from .seeds import audit, deterministic_label, eps_of, roundoff_limit

__all__ = ["check_linear", "linear_window"]


def linear_window(E: np.ndarray, t: np.ndarray, limit: float = 0.0) -> tuple[int, int]:
    """Indices ``[0, i1]`` of the geometric phase: the seed median above the round-off level
    ``limit``, and before it comes within ``FLOOR_FACTOR`` of its tail level (the mean of the
    median over the last tenth of the run), so a stochastic floor is not read as slow decay."""
    med = np.median(E, axis=0)
    ok = med > limit
    stop = np.flatnonzero(~ok)
    i1 = int(stop[0] - 1) if stop.size else med.size - 1
    tail = med[(t >= t[-1] - 0.1 * (t[-1] - t[0])) & ok]
    if tail.size and i1 == med.size - 1:  # the run ends above round-off: it may end on a floor
        near = np.flatnonzero(med[: i1 + 1] <= th.FLOOR_FACTOR * tail.mean())
        if near.size and near[0] < i1:
            i1 = int(near[0])
    return 0, max(i1, 0)


def _masked_slopes(x: np.ndarray, Y: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """OLS slope of each row of Y against x over that row's masked points (NaN with < 2 points)."""
    w = mask.astype(np.float64)
    n = w.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        xm = (w * x).sum(axis=1) / n
        ym = (w * np.where(mask, Y, 0.0)).sum(axis=1) / n
        xc = (x[None, :] - xm[:, None]) * w
        return np.where(n >= 2, (xc * (np.where(mask, Y, 0.0) - ym[:, None])).sum(axis=1) / (xc * xc).sum(axis=1), np.nan)


@records_levels
def check_linear(errors, steps, rho: float, kind: str = "upper", *, window=None, scale: float | None = None,
                 deterministic: bool | None = None, claim: str = "", study: str = "",
                 levels: th.Levels | None = None) -> Verdict:
    """Fit per-seed contraction factors of ``errors: (S, C)`` and hold them to ``rho``.

    A diverged seed refutes (it does not contract at all); values at or below round-off
    (``scale`` as in :func:`~convcheck.stats.check_rate`) end each seed's own fit, so a seed
    that reached exactly 0 is fitted on its decay, never counted as diverged. ``levels``: the FAIL
    and PASS levels (:class:`~.thresholds.Levels`; None: nominal).
    """
    if not 0 < rho < 1:
        raise ValueError(f"The 'rho' parameter must be a float in the range (0, 1). Got {rho!r} instead.")
    if kind not in ("theta", "upper"):
        raise ValueError(f"The 'kind' parameter must be one of ['theta', 'upper']. Got {kind!r} instead.")
    eps = eps_of(errors)
    if deterministic is None and np.ndim(as_numpy(errors)) == 1:
        deterministic = True
    E, t = as_curves(errors, steps)
    seeds = audit(E, t, eps=eps, deterministic=deterministic)
    base = {"rho_claimed": rho, **seeds.statistic()}
    if seeds.n_diverged:
        return Verdict(claim, study, REFUTED, f"{seeds.note()}: no contraction on them", statistic=base,
                       seeds=seeds.n, diverged=seeds.n_diverged, notes=[seeds.note()])
    if seeds.deterministic:
        E = E[:1]
    elif E.shape[0] < th.MIN_SEEDS:
        return Verdict(claim, study, INCONCLUSIVE, f"only {E.shape[0]} seeds (need >= {th.MIN_SEEDS})", statistic=base,
                       seeds=int(E.shape[0]))
    limit = roundoff_limit(float(np.max(np.abs(E))) if scale is None else scale, eps)
    i0, i1 = linear_window(E, t, limit)
    if window is not None:  # a given window is still cut at round-off and at a floor
        sel = np.flatnonzero((t >= window[0]) & (t <= min(window[1], t[i1])))
        i0, i1 = (int(sel[0]), int(sel[-1])) if sel.size else (0, 0)
    if i1 - i0 < 2:
        return Verdict(claim, study, INCONCLUSIVE, "fewer than 3 checkpoints before round-off or a floor", statistic=base,
                       seeds=seeds.n)
    tw = t[i0:i1 + 1]
    Ew = E[:, i0:i1 + 1]
    # Each seed up to its own round-off: the leading run of checkpoints above the limit.
    mask = np.cumprod(Ew > limit, axis=1).astype(bool)
    lam = -_masked_slopes(tw, np.log(np.maximum(Ew, np.finfo(np.float64).tiny)), mask)
    short = ~np.isfinite(lam)  # at round-off within one checkpoint: faster than the grid resolves
    notes = []
    if short.any():
        notes.append(f"{int(short.sum())} seeds reached round-off within the first checkpoint of the window and are not fitted")
    lam_c = -np.log(rho)
    ratio = lam[~short] / lam_c
    det = seeds.deterministic
    if kind == "upper":
        # only a slower decay refutes: test 1 - ratio against the upper margin
        eq = equivalence(1.0 - ratio, 0.0, th.DELTA_RELATIVE, sided="upper", deterministic=det, levels=levels)
        est, ci90, cif = 1 - eq.estimate, (1 - eq.pass_interval[1], 1 - eq.pass_interval[0]), \
            (1 - eq.fail_interval[1], 1 - eq.fail_interval[0])
    else:
        eq = equivalence(ratio, 1.0, th.DELTA_RELATIVE, deterministic=det, levels=levels)
        est, ci90, cif = eq.estimate, eq.pass_interval, eq.fail_interval
    rho_fit = float(np.exp(-np.mean(lam[~short]))) if (~short).any() else float("nan")
    if det:
        summary = f"{deterministic_label(seeds.n)}: fitted contraction {rho_fit:.6g} per step vs claimed {rho:.6g}: rate ratio {est:.3f}"
    else:
        summary = (f"fitted contraction {rho_fit:.6g} per step vs claimed {rho:.6g}: rate ratio {est:.3f}, "
                   f"90% CI [{ci90[0]:.3f}, {ci90[1]:.3f}]")
    stat = {**base, "rho_fit": rho_fit, "rate_ratio": est, "per_seed_rho": np.exp(-lam),
            "roundoff_limit": limit}
    if not det:
        stat.update(ratio_ci90=ci90, ratio_ci_fail=cif)
    return Verdict(claim, study, eq.outcome, summary, statistic=stat, interval=None if det else list(ci90),
                   window=[float(tw[0]), float(tw[-1])], seeds=seeds.n, diverged=0, notes=[eq.reason, *notes],
                   test=Test(p_fail=eq.p_fail))

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

import warnings

import numpy as np

from ..claims import INCONCLUSIVE, Verdict
from . import thresholds as th
from ._arrays import as_curves
from .intervals import equivalence

__all__ = ["check_linear", "linear_window", "FLOOR_FACTOR"]

#: The geometric phase ends where the median curve comes within this factor of its tail level.
FLOOR_FACTOR = 3.0


def linear_window(E: np.ndarray, t: np.ndarray) -> tuple[int, int]:
    """Indices ``[0, i1]`` of the geometric phase: above round-off, and before the seed
    median comes within ``FLOOR_FACTOR`` of its tail level (the mean of the median over the
    last tenth of the run), so a stochastic floor is not read as slow decay."""
    with warnings.catch_warnings():  # all-NaN checkpoints (every seed diverged) are simply invalid
        warnings.simplefilter("ignore", RuntimeWarning)
        med = np.nanmedian(E, axis=0)
    ok = np.isfinite(med) & (med > th.ROUNDOFF_FACTOR * np.finfo(float).eps * med[0])
    stop = np.flatnonzero(~ok)
    i1 = int(stop[0] - 1) if stop.size else med.size - 1
    tail = med[(t >= t[-1] - 0.1 * (t[-1] - t[0])) & ok]
    if tail.size and i1 == med.size - 1:  # the run ends above round-off: it may end on a floor
        near = np.flatnonzero(med[: i1 + 1] <= FLOOR_FACTOR * tail.mean())
        if near.size and near[0] < i1:
            i1 = int(near[0])
    return 0, max(i1, 0)


def check_linear(errors, steps, rho: float, kind: str = "upper", *, window=None, claim: str = "",
                 study: str = "") -> Verdict:
    """Fit per-seed contraction factors of ``errors: (S, C)`` and hold them to ``rho``."""
    if not 0 < rho < 1:
        raise ValueError(f"The 'rho' parameter must be a float in the range (0, 1). Got {rho!r} instead.")
    if kind not in ("theta", "upper"):
        raise ValueError(f"The 'kind' parameter must be one of ['theta', 'upper']. Got {kind!r} instead.")
    E, t = as_curves(errors, steps)
    finite = np.all(np.isfinite(E) & (E > 0), axis=1)
    diverged = int((~finite).sum())
    E = E[finite]
    if E.shape[0] < th.MIN_SEEDS:
        return Verdict(claim, study, INCONCLUSIVE, f"only {E.shape[0]} usable seeds (need >= {th.MIN_SEEDS})",
                       seeds=int(E.shape[0]), diverged=diverged)
    i0, i1 = linear_window(E, t)
    if window is not None:  # a given window is still cut at round-off and at a floor
        sel = np.flatnonzero((t >= window[0]) & (t <= min(window[1], t[i1])))
        i0, i1 = (int(sel[0]), int(sel[-1])) if sel.size else (0, 0)
    if i1 - i0 < 2:
        return Verdict(claim, study, INCONCLUSIVE, "fewer than 3 checkpoints before round-off or a floor",
                       seeds=int(E.shape[0]), diverged=diverged)
    tw = t[i0:i1 + 1]
    L = np.log(E[:, i0:i1 + 1])
    tc = tw - tw.mean()
    lam = -((L - L.mean(axis=1, keepdims=True)) @ tc) / (tc @ tc)
    lam_c = -np.log(rho)
    ratio = lam / lam_c
    if kind == "upper":
        # only a slower decay refutes: test 1 - ratio against the upper margin
        eq = equivalence(1.0 - ratio, 0.0, th.DELTA_RELATIVE, sided="upper")
        est, ci90, ci998 = 1 - eq.estimate, (1 - eq.pass_interval[1], 1 - eq.pass_interval[0]), \
            (1 - eq.fail_interval[1], 1 - eq.fail_interval[0])
    else:
        eq = equivalence(ratio, 1.0, th.DELTA_RELATIVE)
        est, ci90, ci998 = eq.estimate, eq.pass_interval, eq.fail_interval
    rho_fit = float(np.exp(-np.mean(lam)))
    summary = (f"fitted contraction {rho_fit:.6g} per step vs claimed {rho:.6g}: rate ratio {est:.3f}, "
               f"90% CI [{ci90[0]:.3f}, {ci90[1]:.3f}]")
    stat = {"rho_fit": rho_fit, "rho_claimed": rho, "rate_ratio": est, "ratio_ci90": ci90, "ratio_ci998": ci998,
            "p_fail": eq.p_fail, "per_seed_rho": np.exp(-lam)}
    return Verdict(claim, study, eq.outcome, summary, statistic=stat, interval=list(ci90),
                   window=[float(tw[0]), float(tw[-1])], seeds=int(E.shape[0]), diverged=diverged, notes=[eq.reason])

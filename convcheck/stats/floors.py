"""Floor claims: a curve settles at a plateau whose height scales with a parameter.

Two steps, both with the seed as the unit (floors need burn-in, and a fitted
``a t^-p + c`` invents floors on 1/log t curves, so neither is used):

1. :func:`tail_floor`: on the tail window ``[t0, T]`` the per-seed time average is the
   floor estimate; the window is split into two halves of equal length and the per-seed
   ``log(mean_early / mean_late)`` must be 0 within ``DELTA_STATIONARY`` (an equivalence
   test): a tail that still decays is *not settled*, and its floor is not read.
2. :func:`check_floor`: per seed, the slope of log floor against log parameter (eta, or
   1/b) by least squares; the claim "floor proportional to the parameter" is the
   equivalence of that slope with 1 within ``DELTA_RELATIVE``. The intercept test of
   ``floor = c0 + c1 * parameter`` (per-seed OLS, t-interval on c0 relative to the mean
   floor) is reported alongside: proportionality means c0 = 0.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..claims import INCONCLUSIVE, REFUTED, REPRODUCED, Test, Verdict
from . import thresholds as th
from ._record import records_levels
from ._arrays import as_curves, as_numpy
from .intervals import Equivalence, equivalence, t_interval
from .scaling import log_log_slopes
from .seeds import audit

__all__ = ["TailFloor", "tail_floor", "check_floor", "check_floors"]


@dataclass
class TailFloor:
    floors: np.ndarray          # (S,) per-seed time average over the tail window
    stationarity: Equivalence   # log(mean_early / mean_late) against 0
    window: tuple[int, int]

    @property
    def settled(self) -> bool:
        return self.stationarity.outcome == REPRODUCED


def _time_average(E: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Trapezoid time average of each row over the checkpoints ``t`` (uneven spacing allowed)."""
    if t.size == 1:
        return E[:, 0]
    return np.trapezoid(E, t, axis=1) / (t[-1] - t[0])


def tail_floor(errors, steps, t0: float | None = None, *, levels: th.Levels | None = None) -> TailFloor:
    """Per-seed floor over ``[t0, T]`` (default ``t0 = T / 10``) and its stationarity test (at ``levels``,
    None: nominal)."""
    E, t = as_curves(errors, steps)
    T = t[-1]
    t0 = T / 10 if t0 is None else float(t0)
    tail = t >= t0
    # Equal lengths, not a geometric split: stationary SGD gaps are heavy-tailed, so the
    # time average over a shorter window is biased low and a geometric split (short early
    # half) reads a settled tail as rising.
    mid = (t0 + T) / 2
    early, late = tail & (t <= mid), tail & (t >= mid)
    if early.sum() < 2 or late.sum() < 2:
        raise ValueError(f"The 'steps' parameter must put at least 2 checkpoints in each half of the tail [{t0:g}, {T:g}].")
    floors = _time_average(E[:, tail], t[tail])
    seeds = audit(E[:, tail], t[tail])
    if seeds.n_diverged:  # an infinite tail has no floor: not settled, and the floors say so (inf)
        floors = np.where(seeds.diverged, np.inf, floors)
        return TailFloor(floors, Equivalence(INCONCLUSIVE, np.nan, (np.nan, np.nan), (np.nan, np.nan), seeds.n, None,
                                             f"not settled: {seeds.note()}"), (int(t0), int(T)))
    ratio = np.log(_time_average(E[:, early], t[early]) / _time_average(E[:, late], t[late]))
    return TailFloor(floors, equivalence(ratio, 0.0, th.DELTA_STATIONARY, levels=levels), (int(t0), int(T)))


@records_levels
def check_floor(floors, params, *, slope: float = 1.0, kind: str = "theta", claim: str = "", study: str = "",
                param_name: str = "eta", levels: th.Levels | None = None) -> Verdict:
    """Floors ``(S, K)`` at parameter values ``(K,)``: is floor proportional to param**slope?

    ``kind="theta"``: the fitted slope equals ``slope`` within the margin (two-sided).
    ``kind="upper"``: the floor is O(param**slope) as param -> 0, so only a slope credibly below
    ``slope`` (floors shrinking more slowly than claimed) refutes; a steeper one is fine.

    A non-finite floor (a diverged seed) refutes; a floor at or below zero makes the check
    inconclusive (no log scale); floors that agree to round-off over seeds are deterministic.
    ``levels``: the FAIL and PASS levels (:class:`~.thresholds.Levels`; None: nominal).
    """
    F, p = as_numpy(floors), as_numpy(params)
    if F.ndim != 2 or p.ndim != 1 or F.shape[1] != p.shape[0] or p.shape[0] < 2:
        raise ValueError(f"The 'floors' and 'params' parameters must have shapes (seeds, K) and (K,) with K >= 2. Got {F.shape} and {p.shape} instead.")
    if np.any(p <= 0):
        raise ValueError(f"The 'params' parameter must be in the range (0, inf). Got {p.tolist()} instead.")
    seeds = audit(F)
    if seeds.n_diverged:
        bad = np.flatnonzero(~np.isfinite(F).all(axis=0))
        note = f"{seeds.n_diverged} of {seeds.n} seeds have no finite floor (at {param_name} = {', '.join(f'{p[k]:g}' for k in bad)})"
        return Verdict(claim, study, REFUTED, f"{note}: diverged, so the floor is not proportional to {param_name}",
                       statistic=seeds.statistic(), seeds=seeds.n, diverged=seeds.n_diverged, notes=[note])
    if np.any(F <= 0):
        return Verdict(claim, study, INCONCLUSIVE, f"{int((F <= 0).any(axis=1).sum())} seeds have a floor <= 0: "
                       "no log scale to fit on", seeds=seeds.n)
    slopes = log_log_slopes(F, p)
    if kind not in ("theta", "upper"):
        raise ValueError(f"The 'kind' parameter must be one of ['theta', 'upper']. Got {kind!r} instead.")
    if kind == "upper":  # only a shallower slope refutes: test (slope - fitted) against the upper margin
        eq = equivalence(slope - slopes, 0.0, th.DELTA_RELATIVE * abs(slope), sided="upper",
                         deterministic=seeds.deterministic or None, levels=levels)
        eq.estimate = slope - eq.estimate
        eq.pass_interval = (slope - eq.pass_interval[1], slope - eq.pass_interval[0])
        eq.fail_interval = (slope - eq.fail_interval[1], slope - eq.fail_interval[0])
    else:
        eq = equivalence(slopes, slope, th.DELTA_RELATIVE * abs(slope), deterministic=seeds.deterministic or None,
                         levels=levels)
    # Intercept test of floor = c0 + c1 * param, per seed, c0 relative to the mean floor.
    Xd = np.column_stack([np.ones_like(p), p])
    coef = np.linalg.lstsq(Xd, F.T, rcond=None)[0]  # (2, S)
    c0_rel = coef[0] / F.mean(axis=1)
    c0m, c0lo, c0hi = t_interval(c0_rel, 1 - levels.pass_) if c0_rel.size else (np.nan,) * 3
    stat = {"slope": eq.estimate, "slope_ci90": eq.pass_interval, "slope_ci_fail": eq.fail_interval,
            "params": p, "floor_mean": F.mean(axis=0) if F.size else [], "per_seed_slopes": slopes,
            "intercept_rel": c0m, "intercept_rel_ci90": [c0lo, c0hi]}
    ci = "" if eq.deterministic else f", 90% CI [{eq.pass_interval[0]:.3f}, {eq.pass_interval[1]:.3f}]"
    summary = (("deterministic: " if eq.deterministic else "") + f"log floor vs log {param_name}: slope {eq.estimate:.3f}{ci} "
               f"vs claimed {slope:g} " + (f"+- {th.DELTA_RELATIVE * abs(slope):.2g}" if kind == "theta" else
                                          f"or steeper (O: at least {slope - th.DELTA_RELATIVE * abs(slope):.2g})"))
    notes = [eq.reason, f"intercept of floor = c0 + c1*{param_name}, relative to the mean floor: {c0m:.3g} (90% CI [{c0lo:.3g}, {c0hi:.3g}])"]
    return Verdict(claim, study, eq.outcome, summary, statistic=stat, interval=None if eq.deterministic else list(eq.pass_interval),
                   seeds=int(F.shape[0]), diverged=0, notes=notes, test=Test(p_fail=eq.p_fail))


@records_levels
def check_floors(curves, steps, params, *, slope: float = 1.0, kind: str = "theta", claim: str = "", study: str = "",
                 param_name: str = "eta", what: str = "", levels: th.Levels | None = None) -> tuple[Verdict, list[TailFloor]]:
    """Floors over a parameter grid: ``curves[k]`` is the ``(S, C)`` error curve at ``params[k]``.

    One rule (the module note): divergence at any parameter refutes, an unsettled tail makes it
    inconclusive, else :func:`check_floor` with ``slope``/``kind`` decides. ``what`` names the
    curve in the summary (e.g. ``"f - f*"``). Returns the verdict and the tails (their floors)."""
    p = as_numpy(params)
    if len(curves) != p.shape[0]:
        raise ValueError(f"The 'curves' parameter must hold one curve per value of 'params' ({p.shape[0]}). "
                         f"Got {len(curves)} instead.")
    tails = [tail_floor(c, steps, levels=levels) for c in curves]
    F = np.stack([t.floors for t in tails], axis=1)
    floor = check_floor(F, p, slope=slope, kind=kind, claim=claim, study=study, param_name=param_name, levels=levels)
    stationarity = [f"{param_name}={v:g}: tail stationarity {t.stationarity.reason}" for v, t in zip(p, tails)]
    unsettled = [f"{param_name}={v:g} ({t.stationarity.reason})" for v, t in zip(p, tails) if not t.settled]
    head = f"{what}: " if what else ""
    window = (int(tails[0].window[0]), int(tails[0].window[1]))
    if floor.outcome != REFUTED or not floor.diverged:  # divergence refutes; otherwise an unsettled tail is not read
        if unsettled:
            # the slope fitted on unsettled floors is kept as a number (not read as evidence)
            floor = Verdict(claim, study, INCONCLUSIVE, "tail not settled at " + "; ".join(unsettled), seeds=int(F.shape[0]),
                            statistic={**floor.statistic,
                                       "unsettled": [float(v) for v, t in zip(p, tails) if not t.settled]},
                            notes=floor.notes, diverged=floor.diverged)
    return floor.restated(prefix=head, notes=stationarity, window=window), tails

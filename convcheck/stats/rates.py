"""Rate claims: ``e_t = Theta(r(t))`` or ``O(r(t))``, tested on the normalised curve.

Method (the seed is the unit; free-exponent fits misread log factors, so they are not used):

1. ``z_{s,t} = log(e_{s,t} / r(t))`` on the checkpoints. If the claim holds, z has no
   trend in log t; a slope ``b`` means ``e_t ~ r(t) t^b``.
2. Seeds (:mod:`.seeds`): a diverged seed fails the rate, so any diverged seed refutes the
   claim, with how many and when. Seeds that agree to round-off are one deterministic curve.
3. Window: from the end of the burn-in to the last checkpoint above round-off. Round-off is
   ``ROUNDOFF_FACTOR * eps(dtype) * scale``, with ``scale`` the magnitude of the quantity as
   computed (``|f*| + gap`` for a gap; by default the largest error). Nothing above
   round-off is cut: a curve that stops decaying (a stall, a floor) keeps the stretch where it
   stopped inside the window, where it counts against the claim. The burn-in ends at the
   first checkpoint t0 after which no half-decade slope of z is credibly (``BURN_IN_SE``
   standard errors over seeds) off its slope over the window's last decade by more than
   ``BURN_IN_FACTOR * delta``; if that leaves too short a window, the window keeps
   ``MIN_DECADES`` and the verdict notes that the burn-in was not clearly over. Transients
   change the local slope by far more than that within half a decade; the slowly varying
   factors of the claimed rates (log t, log log t) change it by less than 0.2 per half decade
   for t >= 10, so they are fitted, not cut away. The window must span ``MIN_DECADES``.
4. Two slopes per seed of z against log t: over the whole window, and over its end segment
   (the last half of the window in log t, at least ``END_DECADES``), each with a Student-t
   interval over seeds. The slope is least squares'; the interval is that of the mean, or of
   the 20%-trimmed mean when the seeds' slopes have heavier tails than Gaussian ones
   (:func:`~.intervals.resolve_trim`). Chosen by calibration (``tests/test_stats_robust.py``):
   on log-scale noise with Student-t (df 2, 1.5), spiked and Cauchy innovations, 16 seeds,
   1/sqrt(t) data against O(1/t) are refuted in 96-100% of replications (the plain mean:
   77-99%) with no false refutation, and on Gaussian noise the power is unchanged. Theil-Sen
   slopes (``slope="theil-sen"``) gain as much on heavy tails but read a stall over the last
   half decade as outliers: refuted under O in 2% of replications instead of 76%.

   * **Theta**: the decay must go on at the claimed rate through the end of the window.
     Reproduced when both 90% intervals lie in ``[-delta, delta]``; refuted when either
     interval at ``1 - ALPHA_FAIL / 2`` (Bonferroni over the two tests) lies outside.
   * **O** (upper): only *sustained* growth of e/r refutes: refuted when both the whole-window
     and the end-segment intervals at ``1 - ALPHA_FAIL`` lie above ``+delta`` (the rise
     goes on to the horizon); reproduced when both 90% upper ends are below ``+delta``. A
     normalised curve that rises but decelerates toward a constant (a true O-claim seen
     before its asymptote) is inconclusive, and so is one that stops decaying only at the
     end.
5. The slope of the log seed-mean curve, with a bootstrap interval over seeds, is reported;
   a disagreement with the per-seed slope beyond delta/2 is noted (a mean dominated by a
   few seeds, or seeds on different regimes).
"""

from __future__ import annotations

import dataclasses
import re
from typing import Callable

import numpy as np

from ..claims import INCONCLUSIVE, REFUTED, REPRODUCED, Test, Verdict
from . import thresholds as th
from ._record import records_levels
from ._arrays import as_curves, as_numpy
from .intervals import equivalence, price_fields, price_of
from .seeds import audit, deterministic_label, eps_of, roundoff_limit

__all__ = ["RATES", "rate_function", "choose_window", "check_rate"]

RATES: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "1/t": lambda t: 1.0 / t,
    "1/sqrt(t)": lambda t: 1.0 / np.sqrt(t),
    "log(t)/sqrt(t)": lambda t: np.log(t) / np.sqrt(t),
    "1/log(t)": lambda t: 1.0 / np.log(t),
}
_POWER = re.compile(r"^t\^\(?-?(?P<p>[0-9.]+)\)?$")


def rate_function(rate) -> tuple[str, Callable[[np.ndarray], np.ndarray]]:
    """``(name, r)`` for a rate name (``"1/t"``, ``"1/sqrt(t)"``, ``"log(t)/sqrt(t)"``,
    ``"1/log(t)"``, ``"t^-p"``), any formula in t (:mod:`convcheck.stats.expressions`) or a
    callable of t."""
    if callable(rate):
        return getattr(rate, "__name__", "r(t)"), rate
    if rate in RATES:
        return rate, RATES[rate]
    m = _POWER.match(str(rate).replace(" ", ""))
    if m:
        p = float(m.group("p"))
        return f"t^-{p:g}", lambda t: np.asarray(t, dtype=float) ** (-p)
    from .expressions import function_of_t

    fn = function_of_t(rate, "rate")
    return fn.__name__, fn


def _ols_slope(x: np.ndarray, Y: np.ndarray) -> np.ndarray:
    """Slopes of each row of Y (..., n) against x (n,)."""
    xc = x - x.mean()
    return (Y - Y.mean(axis=-1, keepdims=True)) @ xc / (xc @ xc)


def _theil_sen_slope(x: np.ndarray, Y: np.ndarray) -> np.ndarray:
    """Theil-Sen slopes of each row of Y (..., n) against x (n,): the median of the slopes
    between every pair of checkpoints. A spike at one checkpoint moves it by one rank among
    n(n-1)/2 pairwise slopes, where it moves a least-squares slope in proportion to its size."""
    i, j = np.triu_indices(x.size, k=1)
    keep = x[j] != x[i]
    i, j = i[keep], j[keep]
    return np.median((Y[..., j] - Y[..., i]) / (x[j] - x[i]), axis=-1)


#: Per-seed slope estimators of check_rate (see the module note): name -> slopes(x, Y).
SLOPES = {"ols": _ols_slope, "theil-sen": _theil_sen_slope}


def choose_window(E: np.ndarray, t: np.ndarray, r: np.ndarray, delta: float = th.DELTA_EXPONENT,
                  limit: float = 0.0) -> tuple[int, int, str]:
    """Indices ``[i0, i1]`` (inclusive) of the fitting window, and a message: the reason
    the window is unusable (it starts with "window" or "fewer") or a note on the burn-in.

    ``E``: (S, C) finite curves; ``t``: (C,) steps; ``r``: (C,) rate values; ``limit``: the
    round-off level (checkpoints where the seed median is at or below it end the window).
    """
    valid = np.isfinite(r) & (r > 0) & (t > 0)
    med = np.median(E, axis=0)
    valid &= med > limit
    idx = np.flatnonzero(valid)
    if idx.size < 3:
        return 0, -1, "fewer than 3 checkpoints above round-off where the rate is defined"
    # Keep the leading run of valid checkpoints (a curve that hits round-off stays there).
    stop = np.flatnonzero(np.diff(idx) > 1)
    idx = idx[: stop[0] + 1] if stop.size else idx
    lt = np.log(t[idx])
    i1 = idx.size - 1
    half = np.log(10) / 2
    # Burn-in: the first start from which no half-decade slope is credibly off the slope over
    # the window's last decade by more than BURN_IN_FACTOR * delta. Every later segment is
    # checked, not only the first: a hump in z has slopes near zero at its top.
    tol = th.BURN_IN_FACTOR * delta
    Z = np.log(np.maximum(E[:, idx], limit if limit > 0 else np.finfo(np.float64).tiny)) - np.log(r[idx])
    j = np.searchsorted(lt, lt[i1] - np.log(10))
    i0 = 0
    if Z.shape[0] >= 2 and i1 - j >= 2:
        final = _ols_slope(lt[j:i1 + 1], Z[:, j:i1 + 1])
        off = np.zeros(i1 + 1, dtype=bool)
        for i in range(i1 + 1):
            k = np.searchsorted(lt, lt[i] + half, side="right") - 1
            if k - i >= 2 and k <= i1:
                diff = _ols_slope(lt[i:k + 1], Z[:, i:k + 1]) - final
                off[i] = abs(diff.mean()) - th.BURN_IN_SE * diff.std(ddof=1) / np.sqrt(diff.size) > tol
        bad = np.flatnonzero(off)
        i0 = int(bad[-1] + 1) if bad.size else 0
    note = ""
    latest = np.searchsorted(lt, lt[i1] - np.log(10) * th.MIN_DECADES, side="right") - 1
    if i0 > latest >= 0:
        note = f"burn-in not clearly over: half-decade slopes still differ from the final slope by more than {tol:g} after t = {t[idx[latest]]:g}"
        i0 = int(latest)
    decades = (lt[i1] - lt[min(i0, i1)]) / np.log(10)
    reason = "" if decades >= th.MIN_DECADES - 1e-9 else f"window [{t[idx[min(i0, i1)]]:g}, {t[idx[i1]]:g}] spans {decades:.2f} decades (need {th.MIN_DECADES:g})"
    return int(idx[min(i0, i1)]), int(idx[i1]), reason or note


def _horizon(base: dict, start) -> tuple[dict, float]:
    """The price from the curve: the horizon that gives a window from ``start`` its MIN_DECADES."""
    horizon = float(start) * 10 ** th.MIN_DECADES
    return {**base, "horizon_to_decide": horizon}, horizon


def _end_segment(t: np.ndarray, i0: int, i1: int) -> int:
    """First index of the end segment: the window's last half in log t, and at least its last
    END_DECADES (and 3 checkpoints)."""
    span = max(th.END_DECADES * np.log(10), 0.5 * np.log(t[i1] / t[i0]))
    k = int(np.searchsorted(t, t[i1] * np.exp(-span), side="left"))
    return max(i0, min(k, i1 - 2))


def _verdict_summary(kind: str, name: str, whole, end, delta: float) -> str:
    word = {"theta": "Theta", "upper": "O", "lower": "Omega"}[kind]
    def part(label, eq):
        if eq.deterministic:
            return f"{label} {eq.estimate:.3f}"
        return f"{label} {eq.estimate:.3f} (90% CI [{eq.pass_interval[0]:.3f}, {eq.pass_interval[1]:.3f}])"
    return (f"slope of log(e/r) vs log t: {part('window', whole)}, {part('end segment', end)}, "
            f"against {word}({name}) with margin {delta:g}")


def _mirror(e, delta: float):
    """An equivalence test run on negated slopes, reported in the slopes' own sign."""
    if e.deterministic:
        reason = f"{e.reason.split(':')[0]}: value {-e.estimate:.4g} {'inside' if e.outcome == REPRODUCED else 'outside'} the margin [{-delta:.3g}, inf]"
    else:
        lo, hi = -e.pass_interval[1], -e.pass_interval[0]
        word = {REPRODUCED: "inside", REFUTED: "outside", INCONCLUSIVE: "straddles"}[e.outcome]
        reason = f"90% interval [{lo:.3g}, {hi:.3g}] {word} the margin [{-delta:.3g}, inf]"
    return dataclasses.replace(e, estimate=-e.estimate, pass_interval=(-e.pass_interval[1], -e.pass_interval[0]),
                               fail_interval=(-e.fail_interval[1], -e.fail_interval[0]), reason=reason)


@records_levels
def check_rate(errors, steps, rate, kind: str, *, delta: float | None = None, window=None, scale: float | None = None,
               deterministic: bool | None = None, claim: str = "", study: str = "", seed: int = 0,
               slope: str = "ols", trim="auto", levels: th.Levels | None = None) -> Verdict:
    """Test ``errors: (S, C)`` at ``steps: (C,)`` against the rate ``r(t)``.

    Args:
      rate: a name from :data:`RATES`, ``"t^-p"``, or a callable of t.
      kind: ``"theta"`` (the curve decays like r(t), two-sided), ``"upper"`` (O: it decays
        at least that fast; only sustained slower decay refutes) or ``"lower"`` (Omega: it
        decays no faster; only sustained faster decay refutes). No default: the claim says.
      window: ``(t_start, t_end)`` to override the automatic window.
      scale: magnitude of the quantity as computed (``|f*| + gap`` when e is a gap ``f - f*``),
        for the round-off level; default: the largest error.
      deterministic: None detects seeds that agree to round-off; a 1-D ``errors`` is one
        deterministic curve.
      slope: the per-seed slope estimator, ``"ols"`` (default) or ``"theil-sen"`` (:data:`SLOPES`).
      trim: the interval over seeds: ``"auto"`` (default: a 20%-trimmed mean when the per-seed
        slopes' tails are heavier than Gaussian, else the mean), or a fixed fraction.
      levels: the FAIL and PASS levels (:class:`~.thresholds.Levels`; None: nominal).
    """
    if slope not in SLOPES:
        raise ValueError(f"The 'slope' parameter must be one of {list(SLOPES)}. Got {slope!r} instead.")
    if kind not in ("theta", "upper", "lower"):
        raise ValueError(f"The 'kind' parameter must be one of ['theta', 'upper', 'lower']. Got {kind!r} instead.")
    delta = th.DELTA_EXPONENT if delta is None else float(delta)
    name, r_fn = rate_function(rate)
    eps = eps_of(errors)
    if deterministic is None and np.ndim(as_numpy(errors)) == 1:
        deterministic = True
    E, t = as_curves(errors, steps)
    with np.errstate(divide="ignore", invalid="ignore"):
        r = np.asarray(r_fn(t.astype(float)), dtype=float)
    seeds = audit(E, t, eps=eps, deterministic=deterministic)
    base = {"rate": name, "kind": kind, **seeds.statistic()}
    if seeds.n_diverged:  # a diverged seed fails the rate (seeds.py): the worst outcome, not a dropped row
        return Verdict(claim, study, REFUTED, f"{seeds.note()}: the rate fails on them", statistic=base,
                       seeds=seeds.n, diverged=seeds.n_diverged, notes=[seeds.note()])
    if seeds.deterministic:
        E = E[:1]
    elif E.shape[0] < th.MIN_SEEDS:
        return Verdict(claim, study, INCONCLUSIVE, f"only {E.shape[0]} seeds (need >= {th.MIN_SEEDS}) and they do not agree "
                       "to round-off", statistic=base, seeds=int(E.shape[0]))
    scale = float(np.max(np.abs(E))) if scale is None else float(scale)
    limit = roundoff_limit(scale, eps)
    burn_note = ""
    if window is None:
        i0, i1, reason = choose_window(E, t, r, delta, limit)
        if reason and not reason.startswith(("window", "fewer")):
            burn_note, reason = reason, ""
    else:
        sel = np.flatnonzero((t >= window[0]) & (t <= window[1]) & np.isfinite(r) & (r > 0))
        i0, i1 = (int(sel[0]), int(sel[-1])) if sel.size else (0, -1)
        reason = "" if sel.size >= 3 and np.log10(t[i1] / t[i0]) >= th.MIN_DECADES - 1e-9 else \
            f"the given window spans less than {th.MIN_DECADES:g} decades"
        if reason and np.isfinite(window[0]) and window[0] > 0:
            base, horizon = _horizon(base, window[0])
            reason += f" (it starts at t = {float(window[0]):.3g}; a horizon of t = {horizon:.3g} would decide)"
    if reason or i1 <= i0:
        if reason.startswith("window") and i1 > i0 and t[i0] > 0:
            base, horizon = _horizon(base, t[i0])
            reason += (f"; a horizon of t = {horizon:.3g} (if the curve stays above round-off) would give the window "
                       f"{th.MIN_DECADES:g} decades")
        return Verdict(claim, study, INCONCLUSIVE, reason or "no usable window", seeds=seeds.n, statistic=base)
    w = slice(i0, i1 + 1)
    k = _end_segment(t, i0, i1)
    lt, lt_end = np.log(t[w]), np.log(t[k:i1 + 1])
    # Values at or below round-off (a seed that reached 0) count as the round-off level:
    # "at least this small", never a dropped seed.
    Z = np.log(np.maximum(E, limit if limit > 0 else np.finfo(np.float64).tiny)) - np.log(np.where(r > 0, r, np.nan))
    slopes, slopes_end = SLOPES[slope](lt, Z[:, w]), SLOPES[slope](lt_end, Z[:, k:i1 + 1])
    det = seeds.deterministic
    sided = "two" if kind == "theta" else "upper"
    # Theta: refuted if EITHER test fails, so each gets ALPHA_FAIL / 2 (Bonferroni). O (and
    # Omega, its mirror: the slopes' sign flipped): refuted only if BOTH fail (sustained growth,
    # or sustained decay), which keeps the level at ALPHA_FAIL.
    alpha = levels.fail / 2 if kind == "theta" else levels.fail
    sign = -1.0 if kind == "lower" else 1.0
    whole = equivalence(sign * slopes, 0.0, delta, sided=sided, alpha_fail=alpha, deterministic=det, trim=trim, levels=levels)
    end = equivalence(sign * slopes_end, 0.0, delta, sided=sided, alpha_fail=alpha, deterministic=det, trim=trim, levels=levels)
    if sign < 0:  # report the slopes as measured, against the margin [-delta, inf)
        whole, end = (_mirror(e, delta) for e in (whole, end))
    outcomes = (whole.outcome, end.outcome)
    # a part whose per-seed slopes coincide is decided exactly: p = 0 if it fails, 1 if not
    p_whole, p_end = (e.p_fail if e.p_fail is not None else float(e.outcome != REFUTED) for e in (whole, end))
    if kind == "theta":
        outcome = REFUTED if REFUTED in outcomes else REPRODUCED if outcomes == (REPRODUCED, REPRODUCED) else INCONCLUSIVE
        p_fail = None if det else min(1.0, 2 * min(p_whole, p_end))
    else:
        outcome = REFUTED if outcomes == (REFUTED, REFUTED) else REPRODUCED if outcomes == (REPRODUCED, REPRODUCED) else INCONCLUSIVE
        p_fail = None if det else max(p_whole, p_end)
    need, toward, price = (price_of([(e.outcome, e.seeds_to_decide, e.toward) for e in (whole, end)], refute_any=kind == "theta")
                           if outcome == INCONCLUSIVE and not det else (None, None, ""))
    notes = [f"whole window: {whole.reason}", f"end segment t in [{t[k]:g}, {t[i1]:g}]: {end.reason}",
             f"window t in [{t[i0]:g}, {t[i1]:g}] ({np.log10(t[i1] / t[i0]):.2f} decades, {i1 - i0 + 1} checkpoints)"]
    if kind == "upper" and outcome == INCONCLUSIVE and whole.estimate > delta and end.estimate < whole.estimate:
        notes.append(f"the normalised curve rises over the window (slope {whole.estimate:.3f}) but decelerates "
                     f"(end segment {end.estimate:.3f}): not sustained growth, so not evidence against an O-claim")
    if kind == "upper" and outcome == INCONCLUSIVE and end.estimate > delta >= whole.estimate:
        notes.append(f"the curve stops decaying at the rate by the end (end-segment slope {end.estimate:.3f})")
    if burn_note:
        notes.append(burn_note)
    stat = {**base, "slope": whole.estimate, "slope_end": end.estimate, "delta": delta,
            "per_seed_slopes": slopes, "z_mean": Z[:, w].mean(axis=0), "t_window": t[w], "t_end": [float(t[k]), float(t[i1])],
            "roundoff_limit": limit}
    interval = None
    if not det:
        stat.update(slope_ci90=whole.pass_interval, slope_ci_fail=whole.fail_interval, slope_end_ci90=end.pass_interval)
        interval = list(whole.pass_interval)
        # Slope of the log seed-mean curve, with a bootstrap over seeds.
        rng = np.random.default_rng(seed)
        Ew = E[:, w]
        boot = rng.integers(0, Ew.shape[0], size=(th.N_BOOTSTRAP, Ew.shape[0]))
        with np.errstate(invalid="ignore", divide="ignore"):  # a mean curve at or below 0 has no log: NaN, reported as such
            mean_slope = float(_ols_slope(lt, np.log(Ew.mean(axis=0)) - np.log(r[w])))
            boot_slopes = _ols_slope(lt, np.log(Ew[boot].mean(axis=1)) - np.log(r[w]))
        stat.update(mean_curve_slope=mean_slope, mean_curve_ci90=[float(np.quantile(boot_slopes, 0.05)),
                                                                   float(np.quantile(boot_slopes, 0.95))])
        if abs(mean_slope - whole.estimate) > delta / 2:
            notes.append(f"warning: the seed-mean curve's slope {mean_slope:.3f} differs from the per-seed slope "
                         f"{whole.estimate:.3f} by more than delta/2")
    summary = (deterministic_label(seeds.n) + ": " if det else "") + _verdict_summary(kind, name, whole, end, delta)
    if price:
        summary += f"; {price}"
    return Verdict(claim, study, outcome, summary, statistic=stat, interval=interval,
                   window=[float(t[i0]), float(t[i1])], seeds=seeds.n, diverged=0, notes=notes,
                   test=Test(p_fail=p_fail, **price_fields(need, toward)))

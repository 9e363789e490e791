"""Rate claims: ``e_t = Theta(r(t))`` or ``O(r(t))``, tested on the normalised curve.

Method (the seed is the unit; CLAIMS.md explains why free-exponent fits are not used):

1. ``z_{s,t} = log(e_{s,t} / r(t))`` on the checkpoints. If the claim holds, z has no
   trend in log t; a slope ``b`` means ``e_t ~ r(t) t^b``.
2. Window: from the end of the burn-in to the last checkpoint above round-off and before a
   floor. The burn-in ends at the first checkpoint t0 after which no half-decade slope of z
   is credibly (two standard errors over seeds) off its slope over the window's last decade
   by more than ``BURN_IN_FACTOR * delta``; if that leaves too short a window, the window
   keeps MIN_DECADES and the verdict notes that the burn-in was not clearly over.
   Transients (exponential start-up, a plateau before the decay) change the local slope by
   far more than that within half a decade; the slowly varying factors of the claimed
   rates (log t, log log t) change it by less than 0.2 per half decade for t >= 10, so
   they are fitted, not cut away. The end is the last checkpoint where the seed median of e is
   above ``ROUNDOFF_FACTOR * eps`` times its first value and, for decaying rates, where e
   still decays (a flat stretch while r(t) keeps falling by more than delta per decade is a
   floor; floors are separate claims). The window must span ``MIN_DECADES`` decades, else
   the verdict is inconclusive with that reason.
3. Per seed, the OLS slope of z against log t over the window; Student-t interval over
   seeds. Theta claims: reproduced when the 90% interval lies in ``[-delta, delta]``,
   refuted when the 99.8% interval lies outside. O claims: only slower decay refutes:
   refuted when the 99.8% interval lies above ``+delta``, reproduced when the 90% upper end
   is below it.
4. The slope of the log seed-mean curve, with a bootstrap interval over seeds, is reported;
   a disagreement with the per-seed slope beyond delta/2 is noted (a mean dominated by a
   few seeds, or seeds on different regimes).
"""

from __future__ import annotations

import re
import warnings
from typing import Callable

import numpy as np

from ..claims import INCONCLUSIVE, Verdict
from . import thresholds as th
from ._arrays import as_curves
from .intervals import equivalence

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
    ``"1/log(t)"``, ``"t^-p"``) or a callable of t."""
    if callable(rate):
        return getattr(rate, "__name__", "r(t)"), rate
    if rate in RATES:
        return rate, RATES[rate]
    m = _POWER.match(str(rate).replace(" ", ""))
    if m:
        p = float(m.group("p"))
        return f"t^-{p:g}", lambda t: np.asarray(t, dtype=float) ** (-p)
    raise ValueError(f"The 'rate' parameter must be one of {sorted(RATES) + ['t^-p']} or a callable. Got {rate!r} instead.")


def _ols_slope(x: np.ndarray, Y: np.ndarray) -> np.ndarray:
    """Slopes of each row of Y (..., n) against x (n,)."""
    xc = x - x.mean()
    return (Y - Y.mean(axis=-1, keepdims=True)) @ xc / (xc @ xc)


def choose_window(E: np.ndarray, t: np.ndarray, r: np.ndarray, delta: float = th.DELTA_EXPONENT,
                  cut_floor: bool = True) -> tuple[int, int, str]:
    """Indices ``[i0, i1]`` (inclusive) of the fitting window, and a message: the reason
    the window is unusable (it starts with "window") or a note on the burn-in.

    ``E``: (S, C) positive curves; ``t``: (C,) steps; ``r``: (C,) rate values.
    """
    valid = np.isfinite(r) & (r > 0) & (t > 0)
    with warnings.catch_warnings():  # checkpoints where every seed is 0 or NaN are simply invalid
        warnings.simplefilter("ignore", RuntimeWarning)
        med = np.nanmedian(np.where(E > 0, E, np.nan), axis=0)
    first = med[np.flatnonzero(valid & np.isfinite(med))[0]] if np.any(valid & np.isfinite(med)) else np.nan
    valid &= np.isfinite(med) & (med > th.ROUNDOFF_FACTOR * np.finfo(float).eps * first)
    idx = np.flatnonzero(valid)
    if idx.size < 3:
        return 0, -1, "fewer than 3 checkpoints above round-off where the rate is defined"
    # Keep the leading run of valid checkpoints (a curve that hits round-off stays there).
    stop = np.flatnonzero(np.diff(idx) > 1)
    idx = idx[: stop[0] + 1] if stop.size else idx
    lt = np.log(t[idx])
    le, lr = np.log(med[idx]), np.log(r[idx])
    # Floor: the curve is flat (|slope| < delta/2 per unit log t) over the last half decade
    # while the rate still falls faster than delta: end the window before it.
    i1 = idx.size - 1
    half = np.log(10) / 2
    for j in range(idx.size - 1 if cut_floor else 0, 0, -1):
        k = np.searchsorted(lt, lt[j] - half)
        if k >= j:
            break
        se, sr = _ols_slope(lt[k:j + 1], le[k:j + 1]), _ols_slope(lt[k:j + 1], lr[k:j + 1])
        if abs(se) < delta / 2 and sr < -delta:
            i1 = k
        else:
            break
    # Burn-in: the first start from which no half-decade slope is credibly off the slope over
    # the window's last decade by more than BURN_IN_FACTOR * delta (credibly: by more than
    # two standard errors over seeds, so noise alone does not eat the window). Every later
    # segment is checked, not only the first: a hump in z has slopes near zero at its top.
    tol = th.BURN_IN_FACTOR * delta
    Z = np.log(np.where(E[:, idx] > 0, E[:, idx], np.nan)) - np.log(r[idx])
    Z = Z[np.all(np.isfinite(Z[:, : i1 + 1]), axis=1), : i1 + 1]
    j = np.searchsorted(lt, lt[i1] - np.log(10))
    if Z.shape[0] >= 2 and i1 - j >= 2:
        final = _ols_slope(lt[j:i1 + 1], Z[:, j:i1 + 1])
        off = np.zeros(i1 + 1, dtype=bool)
        for i in range(i1 + 1):
            k = np.searchsorted(lt, lt[i] + half, side="right") - 1
            if k - i >= 2 and k <= i1:
                diff = _ols_slope(lt[i:k + 1], Z[:, i:k + 1]) - final
                off[i] = abs(diff.mean()) - 2 * diff.std(ddof=1) / np.sqrt(diff.size) > tol
        bad = np.flatnonzero(off)
        i0 = int(bad[-1] + 1) if bad.size else 0
    else:
        i0 = 0
    note = ""
    latest = np.searchsorted(lt, lt[i1] - np.log(10) * th.MIN_DECADES, side="right") - 1
    if i0 > latest >= 0:
        note = f"burn-in not clearly over: half-decade slopes still differ from the final slope by more than {tol:g} after t = {t[idx[latest]]:g}"
        i0 = int(latest)
    decades = (lt[i1] - lt[min(i0, i1)]) / np.log(10)
    reason = "" if decades >= th.MIN_DECADES - 1e-9 else f"window [{t[idx[min(i0, i1)]]:g}, {t[idx[i1]]:g}] spans {decades:.2f} decades (need {th.MIN_DECADES:g})"
    return int(idx[min(i0, i1)]), int(idx[i1]), reason or note


def check_rate(errors, steps, rate, kind: str = "theta", *, delta: float | None = None, window=None,
               claim: str = "", study: str = "", n_boot: int = 400, seed: int = 0) -> Verdict:
    """Test ``errors: (S, C)`` at ``steps: (C,)`` against the rate ``r(t)``.

    Args:
      rate: a name from :data:`RATES`, ``"t^-p"``, or a callable of t.
      kind: ``"theta"`` (two-sided) or ``"upper"`` (O: faster decay is fine).
      window: ``(t_start, t_end)`` to override the automatic window.
    """
    if kind not in ("theta", "upper"):
        raise ValueError(f"The 'kind' parameter must be one of ['theta', 'upper']. Got {kind!r} instead.")
    delta = th.DELTA_EXPONENT if delta is None else float(delta)
    name, r_fn = rate_function(rate)
    E, t = as_curves(errors, steps)
    with np.errstate(divide="ignore", invalid="ignore"):
        r = np.asarray(r_fn(t.astype(float)), dtype=float)
    finite = np.all(np.isfinite(E) | (t <= 0), axis=1)  # diverged seeds have NaN after divergence
    diverged = int((~finite).sum())
    E = E[finite]
    if E.shape[0] < th.MIN_SEEDS:
        return Verdict(claim, study, INCONCLUSIVE, f"only {E.shape[0]} usable seeds (need >= {th.MIN_SEEDS}); {diverged} diverged",
                       seeds=int(E.shape[0]), diverged=diverged)
    burn_note = ""
    if window is None:
        i0, i1, reason = choose_window(E, t, r, delta, cut_floor=(kind == "theta"))
        if reason and not reason.startswith(("window", "fewer")):
            burn_note, reason = reason, ""
    else:
        sel = np.flatnonzero((t >= window[0]) & (t <= window[1]) & np.isfinite(r) & (r > 0))
        i0, i1 = (int(sel[0]), int(sel[-1])) if sel.size else (0, -1)
        reason = "" if sel.size >= 3 and np.log10(t[i1] / t[i0]) >= th.MIN_DECADES - 1e-9 else \
            f"the given window spans less than {th.MIN_DECADES:g} decades"
    if reason or i1 <= i0:
        return Verdict(claim, study, INCONCLUSIVE, reason or "no usable window", seeds=int(E.shape[0]), diverged=diverged,
                       statistic={"rate": name})
    w = slice(i0, i1 + 1)
    lt = np.log(t[w])
    with np.errstate(divide="ignore", invalid="ignore"):
        Z = np.log(E[:, w]) - np.log(r[w])
    ok = np.all(np.isfinite(Z), axis=1)
    slopes = _ols_slope(lt, Z[ok])
    eq = equivalence(slopes, 0.0, delta, sided="two" if kind == "theta" else "upper")

    # Slope of the log seed-mean curve, with a bootstrap over seeds.
    rng = np.random.default_rng(seed)
    Eo = E[ok][:, w]
    mean_slope = float(_ols_slope(lt, np.log(Eo.mean(axis=0)) - np.log(r[w])))
    boot = rng.integers(0, Eo.shape[0], size=(n_boot, Eo.shape[0]))
    boot_slopes = _ols_slope(lt, np.log(Eo[boot].mean(axis=1)) - np.log(r[w]))
    mean_ci = [float(np.quantile(boot_slopes, 0.05)), float(np.quantile(boot_slopes, 0.95))]
    notes = [eq.reason, f"window t in [{t[i0]:g}, {t[i1]:g}] ({np.log10(t[i1] / t[i0]):.2f} decades, {i1 - i0 + 1} checkpoints)"]
    if burn_note:
        notes.append(burn_note)
    if abs(mean_slope - eq.estimate) > delta / 2:
        notes.append(f"warning: the seed-mean curve's slope {mean_slope:.3f} differs from the per-seed slope "
                     f"{eq.estimate:.3f} by more than delta/2")
    word = "Theta" if kind == "theta" else "O"
    summary = (f"slope of log(e/r) vs log t = {eq.estimate:.3f}, 90% CI [{eq.pass_interval[0]:.3f}, "
               f"{eq.pass_interval[1]:.3f}] against {word}({name}) with margin {delta:g}")
    stat = {"rate": name, "kind": kind, "slope": eq.estimate, "slope_ci90": eq.pass_interval, "slope_ci998": eq.fail_interval,
            "p_fail": eq.p_fail, "delta": delta, "mean_curve_slope": mean_slope, "mean_curve_ci90": mean_ci,
            "per_seed_slopes": slopes, "z_mean": np.nanmean(Z[ok], axis=0), "t_window": t[w]}
    return Verdict(claim, study, eq.outcome, summary, statistic=stat, interval=list(eq.pass_interval),
                   window=[float(t[i0]), float(t[i1])], seeds=int(ok.sum()), diverged=diverged + int((~ok).sum()), notes=notes)

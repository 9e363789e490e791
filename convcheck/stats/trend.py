"""The overall direction of a curve: a measure for statements such as "the overall pattern of
f is decreasing" that allow ups and downs along the way.

:func:`rank_trend`: per row, Spearman's rank correlation of the values with the step (scipy):
-1 for a curve that only falls, +1 for one that only rises, near 0 for no trend. A constant
row has no ranks to correlate and gets 0; a row with a non-finite value (a diverged run) NaN.
All rows at once: Spearman's coefficient is Pearson's correlation of the average ranks, which
is what scipy.stats.spearmanr computes row by row (a test compares the two).
"""

from __future__ import annotations

import numpy as np
from scipy import stats as sps

from ._arrays import as_numpy

__all__ = ["rank_trend"]


def rank_trend(values, steps) -> np.ndarray:
    """``(S, C)`` curves at ``(C,)`` steps -> ``(S,)`` rank correlations with the step."""
    E, t = as_numpy(values), as_numpy(steps)
    if E.ndim != 2 or t.ndim != 1 or E.shape[1] != t.shape[0]:
        raise ValueError(f"The 'values' and 'steps' parameters must have shapes (S, C) and (C,). Got {E.shape} and "
                         f"{t.shape} instead.")
    out = np.full(E.shape[0], np.nan)
    ok = np.isfinite(E).all(axis=1)
    flat = ok & (np.ptp(np.where(ok[:, None], E, 0.0), axis=1) == 0)
    live = ok & ~flat
    if live.any():  # Spearman = Pearson's correlation of the ranks (average ranks for ties), all rows at once
        r = sps.rankdata(E[live], axis=1)
        rt = sps.rankdata(t)
        r, rt = r - r.mean(axis=1, keepdims=True), rt - rt.mean()
        out[live] = (r @ rt) / (np.linalg.norm(r, axis=1) * np.linalg.norm(rt))
    out[flat] = 0.0
    return out

"""Comparative claims: method A beats method B on a measure, paired across seeds.

Each seed runs both methods (same data, same start), so the per-seed difference
``d_s = b_s - a_s`` (for "A smaller than B") removes the seed-to-seed variation. With the
t-interval of the mean difference: reproduced when the 90% interval lies above ``margin``,
refuted when the 99.8% interval lies below 0 (B credibly better), inconclusive otherwise.
Working on logs (``log=True``) turns "A is smaller" into "A is smaller by a factor".
"""

from __future__ import annotations

import numpy as np

from ..claims import INCONCLUSIVE, REFUTED, REPRODUCED, Verdict
from . import thresholds as th
from ._arrays import as_numpy
from .intervals import t_interval

__all__ = ["check_paired"]


def check_paired(a, b, *, smaller: bool = True, log: bool = False, margin: float = 0.0, measure: str = "measure",
                 names=("A", "B"), claim: str = "", study: str = "") -> Verdict:
    """Is ``a`` (per seed) smaller (``smaller=True``) or larger than ``b``?"""
    a, b = as_numpy(a).reshape(-1), as_numpy(b).reshape(-1)
    if a.shape != b.shape:
        raise ValueError(f"The 'a' and 'b' parameters must have one value per seed each. Got {a.shape} and {b.shape} instead.")
    with np.errstate(divide="ignore", invalid="ignore"):  # inf or NaN pairs are dropped below
        if log:
            a, b = np.log(a), np.log(b)
        d = (b - a) if smaller else (a - b)
    ok = np.isfinite(d)
    d = d[ok]
    if d.size < th.MIN_SEEDS:
        return Verdict(claim, study, INCONCLUSIVE, f"only {d.size} paired seeds", seeds=int(d.size))
    m, lo90, hi90 = t_interval(d, 1 - th.ALPHA_PASS)
    _, lo, hi = t_interval(d, 1 - th.ALPHA_FAIL)
    if lo90 > margin:
        outcome = REPRODUCED
    elif hi < 0:
        outcome = REFUTED
    else:
        outcome = INCONCLUSIVE
    rel = "smaller" if smaller else "larger"
    unit = "log " if log else ""
    summary = (f"{names[0]} {rel} than {names[1]} on {measure}: mean paired {unit}difference {m:.4g}, "
               f"90% CI [{lo90:.4g}, {hi90:.4g}] over {d.size} seeds")
    return Verdict(claim, study, outcome, summary, statistic={"mean_difference": m, "ci90": [lo90, hi90], "ci998": [lo, hi],
                                                              "wins": float(np.mean(d > 0)), "log": log},
                   interval=[lo90, hi90], seeds=int(d.size), diverged=int((~ok).sum()))

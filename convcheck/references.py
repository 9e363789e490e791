"""Reference rates with closed forms and their sources, for studies to hold curves against.

All GD bounds are in units of ``L R^2`` (``R = ||w_0 - w*||``) as functions of the number of
steps done, ``k``.

=====================  =============================  =======================================
function               value                          source
=====================  =============================  =======================================
:func:`prop1_bound`    ``2 / k``                      survey, Prop. 1 / Eq. (24) (k = t + 1)
:func:`gd_classic`     ``1 / (2k)``                   textbook bound for step 1/L
                                                      (Beck 2017, First-Order Methods in
                                                      Optimization, Thm. 10.21)
:func:`gd_tight`       ``1 / (4 k h + 2)``, h <= 1    Drori & Teboulle 2014, Thm. 3.1-3.2:
                                                      tight, attained by the Huber-type case
=====================  =============================  =======================================
"""

from __future__ import annotations

import numpy as np

__all__ = ["prop1_bound", "gd_classic", "gd_tight"]


def prop1_bound(k):
    """Survey Eq. (24): ``f(w_k) - f* <= 2 L R^2 / k`` after k = t + 1 steps."""
    return 2.0 / np.asarray(k, dtype=float)


def gd_classic(k):
    """Classic bound for GD with step 1/L on L-smooth convex f: ``L R^2 / (2k)``."""
    return 1.0 / (2.0 * np.asarray(k, dtype=float))


def gd_tight(k, h: float = 1.0):
    """Tight worst case of GD with step h/L, 0 < h <= 1: ``L R^2 / (4 k h + 2)``."""
    return 1.0 / (4.0 * np.asarray(k, dtype=float) * h + 2.0)

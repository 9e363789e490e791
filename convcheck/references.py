"""Reference rates with closed forms and their sources, for studies to hold curves against.

======================  =================================================  ===============================
function                value after N steps                                source (tight instance)
======================  =================================================  ===============================
:func:`gd_classic`      ``L R^2 / (2N)``                                   Beck (2017), First-Order Methods
                                                                           in Optimization, Thm. 10.21
:func:`gd_tight`        ``L R^2 / (4 N h + 2)``, step h/L, 0 < h <= 1      Drori & Teboulle (2014), Thm.
                                                                           3.1-3.2 (Huber-type function)
======================  =================================================  ===============================

Both are returned in units of ``L R^2`` (``R = ||w_0 - w*||``) as functions of the number of
steps done.
"""

from __future__ import annotations

import numpy as np

__all__ = ["gd_classic", "gd_tight"]


def gd_classic(k):
    """Classic bound for GD with step 1/L on L-smooth convex f: ``L R^2 / (2k)``."""
    return 1.0 / (2.0 * np.asarray(k, dtype=float))


def gd_tight(k, h: float = 1.0):
    """Tight worst case of GD with step h/L, 0 < h <= 1: ``L R^2 / (4 k h + 2)``."""
    return 1.0 / (4.0 * np.asarray(k, dtype=float) * h + 2.0)


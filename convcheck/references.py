"""Reference rates with closed forms and their sources, for studies to hold curves against.

======================  =================================================  ===============================
function                value after N steps                                source (tight instance)
======================  =================================================  ===============================
:func:`gd_classic`      ``L R^2 / (2N)``                                   Beck (2017), First-Order Methods
                                                                           in Optimization, Thm. 10.21
:func:`gd_tight`        ``L R^2 / (4 N h + 2)``, step h/L, 0 < h <= 1      Drori & Teboulle (2014), Thm.
                                                                           3.1-3.2 (Huber-type function)
:func:`exact_ls_tight`  ``((L - mu)/(L + mu))^(2N) (f(x0) - f*)``          de Klerk, Glineur & Taylor
                                                                           (2017), Thm. 1.2
                                                                           (1/2 (mu x1^2 + L x2^2) from
                                                                           x0 = (1/mu, 1/L))
:func:`gd_distance`     ``max((1 - h)^2, (1 - h mu/L)^2)^N R^2``           standard; tight on a quadratic
                                                                           with eigenvalues {mu, L}
======================  =================================================  ===============================

GD bounds are returned in units of ``L R^2`` (``R = ||w_0 - w*||``) as functions of the
number of steps done; the others as factors multiplying the initial quantity.
"""

from __future__ import annotations

import numpy as np

__all__ = ["gd_classic", "gd_tight", "exact_ls_tight", "gd_distance"]


def gd_classic(k):
    """Classic bound for GD with step 1/L on L-smooth convex f: ``L R^2 / (2k)``."""
    return 1.0 / (2.0 * np.asarray(k, dtype=float))


def gd_tight(k, h: float = 1.0):
    """Tight worst case of GD with step h/L, 0 < h <= 1: ``L R^2 / (4 k h + 2)``."""
    return 1.0 / (4.0 * np.asarray(k, dtype=float) * h + 2.0)


def exact_ls_tight(k, L: float, mu: float):
    """Exact line search on L-smooth mu-strongly convex f: factor ``((L-mu)/(L+mu))^(2k)`` on f(x0) - f*."""
    return ((L - mu) / (L + mu)) ** (2 * np.asarray(k, dtype=float))


def gd_distance(k, h: float, mu_over_L: float):
    """GD with step h/L on L-smooth mu-strongly convex f: factor on ``||x0 - x*||^2``."""
    return max((1 - h) ** 2, (1 - h * mu_over_L) ** 2) ** np.asarray(k, dtype=float)

"""The Huber-type worst case of gradient descent (Drori & Teboulle 2014, Thm. 3.2).

For a horizon N, radius R, smoothness L and step h/L (0 < h <= 1; h = 1 by default), with
``a = R / (2Nh + 1)``::

    phi(r) = L a r - L a^2 / 2   if r >= a,      phi(r) = L r^2 / 2   otherwise,
    f(w) = phi(||w||),  w* = 0, f* = 0.

Started at ``||w0|| = R``, GD with step ``h/L`` moves by exactly ``h a`` per step while it
stays on the linear part, so after N steps ``||w_N|| = R (Nh + 1)/(2Nh + 1)`` and

    f(w_N) - f* = L R^2 / (4Nh + 2),

the tight worst case of GD with step h/L over L-smooth convex functions. The function is
worst-case only at its own N: GD reaches the quadratic region later for larger N.
"""

from __future__ import annotations

import torch

from .._validation import check_int, check_real
from .base import Objective

__all__ = ["HuberWorstCase"]


class HuberWorstCase(Objective):
    """``f(w) = phi(||w||)`` on R^d, worst case for GD with step h/L at horizon ``N``."""

    name = "huber_worst_case"

    def __init__(self, N: int, R: float = 1.0, L: float = 1.0, d: int = 1, h: float = 1.0, dtype=torch.float64,
                 device="cpu"):
        self.N = check_int("N", N, 1)
        self.R = check_real("R", R, 0, None, low_open=True)
        self.L = check_real("L", L, 0, None, low_open=True)
        self.h = check_real("h", h, 0, 1, low_open=True)
        self.dim = check_int("d", d, 1)
        self.a = self.R / (2 * self.N * self.h + 1)
        self.mu = 0.0
        self.f_star = 0.0
        self.w_star = torch.zeros(self.dim, dtype=dtype, device=device)

    def tight_value(self) -> float:
        """The value GD with step h/L attains after N steps from ``||w0|| = R``."""
        return self.L * self.R**2 / (4 * self.N * self.h + 2)

    def loss(self, w):
        r = torch.linalg.vector_norm(w, dim=-1)
        return torch.where(r >= self.a, self.L * self.a * r - 0.5 * self.L * self.a**2, 0.5 * self.L * r * r)

    def grad(self, w):
        r = torch.linalg.vector_norm(w, dim=-1, keepdim=True)
        return torch.where(r >= self.a, self.L * self.a * w / r.clamp_min(torch.finfo(w.dtype).tiny), self.L * w)

    def certificates(self):
        """phi is convex and nondecreasing with phi'' in [0, L], so f = phi(||w||) is convex and
        L-smooth on all of R^d (a composition with the norm, in closed form)."""
        from ..hypotheses import Certificate

        return [Certificate("bounded below", True, "f >= 0 = f(0)", 0.0),
                Certificate("convex", True, "phi convex and nondecreasing on [0, inf), composed with the norm"),
                Certificate("L-smooth", True, "the Huber profile's curvature is L inside the ball of radius a and "
                            "L a / ||w|| <= L outside: L on the whole space", self.L),
                Certificate("mu-strongly convex", False, "linear growth outside the ball of radius a")]

    def constants(self):
        return {**super().constants(), "N": self.N, "R": self.R, "h": self.h, "tight_value": self.tight_value()}

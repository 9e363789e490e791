"""Small non-convex toys whose answers are known in closed form.

:class:`ScalarFactorisation` (a sharpness toy for SAM, Sec. 7)::

    f(u, v) = 1/2 (u v - 1)^2,   minimisers: the hyperbola u v = 1,  f* = 0.

Its Hessian is ``[[v^2, 2uv - 1], [2uv - 1, u^2]]``; on the minimisers it is
``[[v^2, 1], [1, u^2]]`` with eigenvalues 0 and ``u^2 + v^2``: the sharpness of a minimum is
``u^2 + v^2 >= 2``, smallest at the balanced points (1, 1) and (-1, -1). It is not globally
L-smooth (``L = inf``); :meth:`hessian_top` gives the local curvature.
"""

from __future__ import annotations

import math

import torch

from .base import Objective

__all__ = ["ScalarFactorisation", "Saddle"]


class ScalarFactorisation(Objective):
    name = "scalar_factorisation"

    def __init__(self, dtype=torch.float64, device="cpu"):
        self.dim = 2
        self.L = math.inf
        self.mu = 0.0
        self.f_star = 0.0
        self.w_star = torch.ones(2, dtype=dtype, device=device)  # one minimiser (the flattest)

    def loss(self, w):
        r = w[:, 0] * w[:, 1] - 1
        return 0.5 * r * r

    def grad(self, w):
        r = (w[:, 0] * w[:, 1] - 1).unsqueeze(-1)
        return r * w.flip(-1)

    def hessian(self, w):
        """(S, 2, 2) closed-form Hessian."""
        u, v = w[:, 0], w[:, 1]
        off = 2 * u * v - 1
        return torch.stack([torch.stack([v * v, off], -1), torch.stack([off, u * u], -1)], -2)

    def hessian_top(self, w):
        """Largest Hessian eigenvalue per seed, shape (S,)."""
        return torch.linalg.eigvalsh(self.hessian(w))[:, -1]

    def hvp(self, w, v):
        return (self.hessian(w) @ v.unsqueeze(-1)).squeeze(-1)

    def distance(self, w):
        """First-order distance to the hyperbola, ``|uv - 1| / ||grad(uv)||``."""
        return (w[:, 0] * w[:, 1] - 1).abs() / torch.linalg.vector_norm(w, dim=-1).clamp_min(1e-300)


class Saddle(Objective):
    """``f(x, y) = 1/2 x^2 - 1/2 y^2 + 1/4 y^4``: a strict saddle at the origin
    (Hessian diag(1, -1)), minima at ``(0, +-1)`` with ``f* = -1/4``. GD started on the
    x-axis (y = 0) converges to the saddle: the gradient-norm criterion of Sec. 2.2 then stops
    at a point that is not a minimum."""

    name = "saddle"

    def __init__(self, dtype=torch.float64, device="cpu"):
        self.dim = 2
        self.L = math.inf  # 3 y^2 - 1 is unbounded; L = 2 on |y| <= 1
        self.mu = 0.0
        self.f_star = -0.25
        self.w_star = torch.tensor([0.0, 1.0], dtype=dtype, device=device)

    def loss(self, w):
        x, y = w[:, 0], w[:, 1]
        return 0.5 * x * x - 0.5 * y * y + 0.25 * y**4

    def grad(self, w):
        x, y = w[:, 0], w[:, 1]
        return torch.stack([x, y**3 - y], -1)

    def hessian(self, w):
        y = w[:, 1]
        z = torch.zeros_like(y)
        return torch.stack([torch.stack([torch.ones_like(y), z], -1), torch.stack([z, 3 * y * y - 1], -1)], -2)

    def hvp(self, w, v):
        return (self.hessian(w) @ v.unsqueeze(-1)).squeeze(-1)

    def distance(self, w):
        """Distance to the nearer minimum (0, +-1)."""
        return torch.minimum(torch.linalg.vector_norm(w - self.w_star, dim=-1),
                             torch.linalg.vector_norm(w + self.w_star, dim=-1))

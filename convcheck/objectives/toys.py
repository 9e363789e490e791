"""Small non-convex toys whose answers are known in closed form.

:class:`Rosenbrock`: the curved valley ``(1 - x)^2 + 100 (y - x^2)^2``, f* = 0 at (1, 1).
:class:`TiltedDoubleWell`: a one-dimensional finite sum with a spurious local minimum,
``f_i(w) = (w^2 - 1)^2 + tilt w + xi_i w`` with ``sum_i xi_i = 0`` (the xi_i are gradient noise
that averages out): f has a global minimum near -1 and a spurious one near +1, both exact
(roots of the cubic ``4 w^3 - 4 w + tilt = 0``).

:class:`ScalarFactorisation` (a sharpness toy for SAM, Sec. 7)::

    f(u, v) = 1/2 (u v - 1)^2,   minimisers: the hyperbola u v = 1,  f* = 0.

Its Hessian is ``[[v^2, 2uv - 1], [2uv - 1, u^2]]``; on the minimisers it is
``[[v^2, 1], [1, u^2]]`` with eigenvalues 0 and ``u^2 + v^2``: the sharpness of a minimum is
``u^2 + v^2 >= 2``, smallest at the balanced points (1, 1) and (-1, -1). It is not globally
L-smooth (``L = inf``); :meth:`hessian_top` gives the local curvature.
"""

from __future__ import annotations

import math

import numpy as np

import torch

from .base import FiniteSum, Objective

__all__ = ["ScalarFactorisation", "Saddle", "Rosenbrock", "TiltedDoubleWell"]


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


class Rosenbrock(Objective):
    """``f(x, y) = (1 - x)^2 + 100 (y - x^2)^2``: a narrow curved valley, f* = 0 at (1, 1);
    not globally L-smooth (the curvature grows with x^2)."""

    name = "rosenbrock"

    def __init__(self, dtype=torch.float64, device="cpu"):
        self.dim = 2
        self.L = math.inf
        self.mu = 0.0
        self.f_star = 0.0
        self.w_star = torch.ones(2, dtype=dtype, device=device)

    def loss(self, w):
        x, y = w[:, 0], w[:, 1]
        return (1 - x) ** 2 + 100 * (y - x * x) ** 2

    def grad(self, w):
        x, y = w[:, 0], w[:, 1]
        return torch.stack([-2 * (1 - x) - 400 * x * (y - x * x), 200 * (y - x * x)], -1)


class TiltedDoubleWell(FiniteSum):
    """``f(w) = (w^2 - 1)^2 + tilt w`` as the mean of n summands ``f(w) + xi_i w`` (sum xi = 0).

    Critical points: the roots of ``4 w^3 - 4 w + tilt``; for 0 < tilt < 8/(3 sqrt 3) there
    are three: the global minimum (near -1), a local maximum and a spurious local minimum
    (near +1), computed to round-off. ``sigma2`` is the per-sample gradient variance
    ``mean(xi^2)`` (the same at every w)."""

    name = "tilted_double_well"

    def __init__(self, n: int, generator: torch.Generator, *, tilt: float = 0.3, noise: float = 1.0,
                 dtype=torch.float64, device="cpu"):
        self.n, self.dim, self.tilt = int(n), 1, float(tilt)
        xi = torch.randn(self.n, generator=generator, dtype=dtype, device=generator.device)
        self.xi = ((xi - xi.mean()) * noise).to(device)
        roots = np.sort(np.roots([4.0, 0.0, -4.0, self.tilt]).real)
        f = (roots**2 - 1) ** 2 + self.tilt * roots
        self.w_global, self.w_local = float(roots[0]), float(roots[2])
        self.f_star, self.f_local = float(f[0]), float(f[2])
        self.w_star = torch.tensor([self.w_global], dtype=dtype, device=device)
        self.L, self.mu = math.inf, 0.0
        self.sigma2 = float((self.xi**2).mean())

    def loss(self, w):
        return ((w[:, 0] ** 2 - 1) ** 2 + self.tilt * w[:, 0])

    def grad(self, w):
        return 4 * w**3 - 4 * w + self.tilt

    def grad_batch(self, w, idx):
        return self.grad(w) + self.xi[idx].mean(-1, keepdim=True)

    def loss_batch(self, w, idx):
        return self.loss(w) + self.xi[idx].mean(-1) * w[:, 0]

"""Small non-convex toys whose answers are known in closed form.

:class:`Rosenbrock`: the curved valley ``(1 - x)^2 + 100 (y - x^2)^2``, f* = 0 at (1, 1).

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

from ..hypotheses import Certificate
from .base import FiniteSum, Objective

__all__ = ["ScalarFactorisation", "Saddle", "Rosenbrock", "TwoWells"]


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

    def certificates(self):
        """Closed form: the Hessian at (0, 0) is [[0, -1], [-1, 0]] (eigenvalue -1); at (u, v) it
        grows with u^2 + v^2 (no global L)."""
        return [Certificate("bounded below", True, "a square, f* = 0 on u v = 1", 0.0),
                Certificate("non-convex", True, "witness: the Hessian at (0, 0) has eigenvalue -1", -1.0),
                Certificate("L-smooth", False, "the Hessian grows like u^2 + v^2")]

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

    def certificates(self):
        """Closed form: the Hessian [[2 - 400 (y - 3 x^2), -400 x], [-400 x, 200]] is indefinite at
        (0, 1) (entry -398) and grows with x^2 (no global L)."""
        return [Certificate("bounded below", True, "a sum of squares, f* = 0 at (1, 1)", 0.0),
                Certificate("non-convex", True, "witness: d^2f/dx^2 = -398 at (0, 1)", -398.0),
                Certificate("L-smooth", False, "the Hessian's entries grow like x^2")]


class TwoWells(FiniteSum):
    """A smooth non-convex finite sum inside Prop. 2's hypotheses, with a spurious local minimum::

        f(w) = eps sqrt(1 + w^2) - a_1 exp(-(w + m)^2 / (2 s^2)) - a_2 exp(-(w - m)^2 / (2 s^2)),
        f_i(w) = f(w) + z_i w,   sum_i z_i = 0.

    Two Gaussian wells on a gently rising floor: the deeper one (a_1, near -m) holds the global
    minimum, the shallower one (a_2, near +m) a spurious local minimum. Unlike a polynomial double
    well it is L-smooth and has bounded gradients on the whole line, with bounds in closed form:
    ``|f''| <= eps + (a_1 + a_2) / s^2`` (``sup |1 - x^2| e^{-x^2/2} = 1``) and
    ``|f'| <= eps + (a_1 + a_2) e^{-1/2} / s`` (``sup |x| e^{-x^2/2} = e^{-1/2}``); so every f_i is
    L-smooth with the same L, and ``E_i (f_i')^2 = f'^2 + mean z^2`` is bounded everywhere. The
    critical points are found to round-off (a fine grid, then Newton's method in float64).
    """

    name = "two_wells"

    def __init__(self, n: int, generator: torch.Generator, *, eps: float = 0.2, a=(1.5, 1.0), m: float = 2.0,
                 s: float = 0.7, noise: float = 0.5, dtype=torch.float64, device="cpu"):
        self.n, self.dim = int(n), 1
        self.eps, self.a, self.m, self.s = float(eps), tuple(float(x) for x in a), float(m), float(s)
        z = torch.randn(self.n, generator=generator, dtype=torch.float64, device=generator.device).cpu()
        self.z = ((z - z.mean()) * noise).to(dtype=dtype, device=device)
        self.sigma2 = float((self.z.double() ** 2).mean())
        self.L = self.eps + sum(self.a) / self.s**2
        self.G = self.eps + sum(self.a) * math.exp(-0.5) / self.s
        crit = self._critical_points()
        vals = self._f(crit)
        order = np.argsort(vals)
        curv = self._f2(crit)
        minima = [c for c in crit[order] if self._f2(np.array([c]))[0] > 0]
        self.w_global, self.w_local = float(minima[0]), float(minima[1])
        self.f_star, self.f_local = float(self._f(np.array([self.w_global]))[0]), float(self._f(np.array([self.w_local]))[0])
        self.w_max = float(crit[np.argmin(curv)])
        self.w_star = torch.tensor([self.w_global], dtype=dtype, device=device)
        self.mu = 0.0
        # the two wells as one axis of size 2 (depths a_k, centres -m and +m): each evaluation a dozen
        # kernels instead of two dozen, the sum over wells the same two additions as a loop's
        self._depth = torch.tensor(self.a, dtype=dtype, device=device)
        self._centre = torch.tensor([-self.m, self.m], dtype=dtype, device=device)

    # float64 numpy versions for the landscape (critical points, certificates)
    def _terms(self, w):
        return [(ak, sign * self.m) for ak, sign in zip(self.a, (-1.0, 1.0))]

    def _f(self, w):
        return self.eps * np.sqrt(1 + w * w) - sum(ak * np.exp(-(w - c) ** 2 / (2 * self.s**2)) for ak, c in self._terms(w))

    def _f1(self, w):
        return self.eps * w / np.sqrt(1 + w * w) + sum(ak * (w - c) / self.s**2 * np.exp(-(w - c) ** 2 / (2 * self.s**2))
                                                       for ak, c in self._terms(w))

    def _f2(self, w):
        return self.eps / (1 + w * w) ** 1.5 + sum(ak / self.s**2 * (1 - (w - c) ** 2 / self.s**2)
                                                   * np.exp(-(w - c) ** 2 / (2 * self.s**2)) for ak, c in self._terms(w))

    def _critical_points(self):
        grid = np.linspace(-self.m - 8 * self.s, self.m + 8 * self.s, 20001)
        g = self._f1(grid)
        out = []
        for i in np.flatnonzero(np.sign(g[:-1]) != np.sign(g[1:])):
            w = grid[i]
            for _ in range(50):
                w = w - self._f1(w) / self._f2(w)
            out.append(w)
        return np.array(out)

    def loss(self, w):
        x = w[:, 0]
        return self.eps * torch.sqrt(1 + x * x) - (self._depth * torch.exp(-(w - self._centre) ** 2 / (2 * self.s**2))).sum(-1)

    def grad(self, w):
        d = w - self._centre  # (S, 2): w against each well's centre
        return self.eps * w / torch.sqrt(1 + w * w) + (self._depth * d / self.s**2
                                                       * torch.exp(-d ** 2 / (2 * self.s**2))).sum(-1, keepdim=True)

    def grad_batch(self, w, idx):
        return self.grad(w) + self.z[idx].mean(-1, keepdim=True)

    def loss_batch(self, w, idx):
        return self.loss(w) + self.z[idx].mean(-1) * w[:, 0]

    def distance(self, w):
        return (w[:, 0] - self.w_global).abs()

    def certificates(self):
        """Closed-form bounds valid on the whole line, and the landscape's critical points."""
        f2_max, f1_loc = float(self._f2(np.array([self.w_max]))[0]), float(self._f1(np.array([self.w_local]))[0])
        f2_loc = float(self._f2(np.array([self.w_local]))[0])
        return [Certificate("finite sum", True, f"n = {self.n} summands f + z_i w, sum z_i = 0"),
                Certificate("bounded below", True, f"f >= -(a_1 + a_2) everywhere; f* = {self.f_star:.6f} at "
                            f"w = {self.w_global:.6f}", self.f_star),
                Certificate("L-smooth", True, "|f''| <= eps + (a_1 + a_2)/s^2 on the whole line (closed form)", self.L),
                Certificate("each f_i L-smooth", True, "every f_i has f's Hessian (z_i w is linear)", self.L),
                Certificate("bounded stochastic gradients", True, "E_i (f'(w) + z_i)^2 <= (eps + (a_1 + a_2) e^{-1/2}/s)^2 "
                            "+ mean z^2 on the whole line", self.G**2 + self.sigma2),
                Certificate("convex", False, f"f''({self.w_max:.4f}) = {f2_max:.4f} < 0"),
                Certificate("non-convex", True, f"witness: f''({self.w_max:.4f}) = {f2_max:.4f} at the barrier", f2_max),
                Certificate("spurious local minimum", f2_loc > 0 and abs(f1_loc) < 1e-12 and self.f_local > self.f_star,
                            f"w = {self.w_local:.6f}: |f'| = {abs(f1_loc):.1e}, f'' = {f2_loc:.3f} > 0, f - f* = "
                            f"{self.f_local - self.f_star:.4f}", self.f_local - self.f_star)]

    def constants(self):
        return {**super().constants(), "f_local": self.f_local, "w_local": self.w_local, "sigma2": self.sigma2,
                "barrier": float(self._f(np.array([self.w_max]))[0])}

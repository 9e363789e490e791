"""A function of a class through given points: smooth (strongly) convex interpolation, built.

Points ``(x_i, g_i, f_i)`` are *interpolable* by an L-smooth mu-strongly convex function
(``0 <= mu < L``) exactly when, for every pair i, j (the interpolation theorem of performance estimation),

    f_i >= f_j + <g_j, x_i - x_j> + 1/(2 (1 - mu/L)) * ( ||g_i - g_j||^2 / L + mu ||x_i - x_j||^2
                                                          - 2 mu/L <g_j - g_i, x_j - x_i> ),

and the proof is constructive. With ``L' = L - mu``, ``h_i = g_i - mu x_i`` and
``c_i = f_i - mu ||x_i||^2 / 2 - ||h_i||^2 / (2 L')``, ``z_i = x_i - h_i / L'``::

    f(x) = mu ||x||^2 / 2 + min_{lambda in simplex} [ L'/2 ||x - sum_i lambda_i z_i||^2 + sum_i lambda_i c_i ].

The bracket is the Moreau envelope (parameter 1/L') of the convex polyhedral function
``phi(z) = min { sum lambda_i c_i : sum lambda_i z_i = z, lambda in simplex }`` (the convex hull of
the points (z_i, c_i)): whatever the data, ``f`` is L-smooth and mu-strongly convex on all of
R^d, with ``grad f(x) = mu x + L' (x - z(x))``, ``z(x) = sum_i lambda_i(x) z_i`` at the minimising
lambda. Where the data satisfy the conditions above, ``f(x_i) = f_i`` and ``grad f(x_i) = g_i``;
where they satisfy them only up to a solver's residuals, ``f`` passes near the data, and the
residuals are measured (:meth:`Interpolant.residuals`), never assumed.

The minimum over the simplex is computed exactly: an optimal lambda has at most d + 1 nonzero
entries (a basic solution of the linear program in lambda that fixes ``z(x)``) on affinely
independent ``z_i``, where it is the minimiser over their affine hull, a linear function of x. So
every such support's candidate is precomputed as a matrix, and at each x the feasible candidate
(lambda >= -1e-12) of least value is the minimum: exact to round-off, batched over seeds, no
iterative solver inside a run.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import torch

from .._validation import check_real
from ..hypotheses import Certificate
from ..objectives.base import Objective

__all__ = ["Interpolant", "interpolation_slack", "MAX_SUPPORTS"]

#: Most candidate supports an interpolant precomputes (sum of C(n, m) for m <= d + 1).
MAX_SUPPORTS = 200_000
#: A support's candidate is feasible when its smallest weight is at least this (round-off of a
#: small linear solve: the candidates of two supports that share a face agree there).
_FEASIBLE = -1e-12


def interpolation_slack(x, g, f, L: float, mu: float = 0.0) -> np.ndarray:
    """``(n, n)``: the left side minus the right side of the interpolation condition above for every
    ordered pair (i, j) (>= 0 where it holds; the diagonal is 0)."""
    x, g, f = (np.asarray(a, dtype=np.float64) for a in (x, g, f))
    dx = x[:, None, :] - x[None, :, :]  # x_i - x_j
    dg = g[:, None, :] - g[None, :, :]  # g_i - g_j
    lin = f[None, :] + np.einsum("jd,ijd->ij", g, dx)
    quad = (np.sum(dg * dg, -1) / L + mu * np.sum(dx * dx, -1) - 2 * mu / L * np.sum(dg * dx, -1)) / (2 * (1 - mu / L))
    return f[:, None] - lin - quad


class Interpolant(Objective):
    """The L-smooth mu-strongly convex function through ``(x_i, g_i, f_i)`` (module docstring).

    Args:
      x, g: ``(n, d)`` points and gradients; f: ``(n,)`` values.
      L, mu: the class (``0 <= mu < L``).
      minimiser: the row of ``x`` where ``g = 0`` (``w*``); ``f_star = f(w*)`` is evaluated on the
        built function and its gradient there is certified (:meth:`residuals`).
      name: what the function is (the search that found it).
    """

    name = "interpolant"

    def __init__(self, x, g, f, L: float, mu: float = 0.0, *, minimiser: int = 0, name: str = "interpolant",
                 dtype=torch.float64, device="cpu"):
        self.L = check_real("L", L, 0, None, low_open=True)
        self.mu = check_real("mu", mu, 0, self.L, high_open=True)
        x, g, f = (np.asarray(a, dtype=np.float64) for a in (x, g, f))
        if x.ndim != 2 or g.shape != x.shape or f.shape != (x.shape[0],):
            raise ValueError(f"The 'x', 'g' and 'f' parameters must have shapes (n, d), (n, d) and (n,). "
                             f"Got {x.shape}, {g.shape} and {f.shape} instead.")
        n, d = x.shape
        if not 0 <= minimiser < n:
            raise ValueError(f"The 'minimiser' parameter must be a row index in [0, {n - 1}]. Got {minimiser!r} instead.")
        self.x, self.g, self.f, self.name, self.dim = x, g, f, name, d
        Lp = self.L - self.mu
        h = g - self.mu * x
        z = x - h / Lp
        c = f - 0.5 * self.mu * np.sum(x * x, 1) - np.sum(h * h, 1) / (2 * Lp)
        supports = [s for m in range(1, min(n, d + 1) + 1) for s in itertools.combinations(range(n), m)]
        if len(supports) > MAX_SUPPORTS:
            raise ValueError(f"The points must span few enough dimensions that the supports (sum of C(n, m), m <= d + 1) "
                             f"number at most {MAX_SUPPORTS}. Got {len(supports)} (n = {n}, d = {d}) instead.")
        self._tables = self._supports(supports, z, c, Lp, dtype, device)
        self._Lp = Lp
        self.w_star = torch.as_tensor(x[minimiser], dtype=dtype, device=device)
        self.f_star = float(self.loss(self.w_star.unsqueeze(0))[0])

    @staticmethod
    def _supports(supports, z, c, Lp, dtype, device):
        """Per support: lambda(x) = A x + b on the affine hull, and z(x) = P x + q, c.lambda = r.x + s."""
        d = z.shape[1]
        mmax = max(len(s) for s in supports)
        A, b, P, q, r, s_ = [], [], [], [], [], []
        for sup in supports:
            m = len(sup)
            Z, cs = z[list(sup)], c[list(sup)]
            K = np.zeros((m + 1, m + 1))
            K[:m, :m], K[:m, m], K[m, :m] = Lp * Z @ Z.T, 1.0, 1.0
            if np.linalg.cond(K) > 1e12:  # affinely dependent z_i: a smaller support covers it
                continue
            Kinv = np.linalg.inv(K)
            # K [lambda; nu] = [Lp Z x - c; 1]  =>  lambda = Kinv[:m, :m] (Lp Z x - c) + Kinv[:m, m]
            Ax = Kinv[:m, :m] @ (Lp * Z)
            bx = -Kinv[:m, :m] @ cs + Kinv[:m, m]
            Apad, bpad = np.zeros((mmax, d)), np.ones(mmax)
            Apad[:m], bpad[:m] = Ax, bx
            A.append(Apad), b.append(bpad), P.append(Z.T @ Ax), q.append(Z.T @ bx), r.append(cs @ Ax), s_.append(cs @ bx)
        t = {k: torch.as_tensor(np.asarray(v), dtype=dtype, device=device)
             for k, v in (("A", A), ("b", b), ("P", P), ("q", q), ("r", r), ("s", s_))}
        return t

    def _envelope(self, w):
        """(value of the bracket, z(w)) at ``w: (S, d)``."""
        T = self._tables
        lam = torch.einsum("kmd,sd->skm", T["A"], w) + T["b"]  # (S, M, m)
        zbar = torch.einsum("kij,sj->ski", T["P"], w) + T["q"]  # (S, M, d)
        val = 0.5 * self._Lp * ((w.unsqueeze(1) - zbar) ** 2).sum(-1) + w @ T["r"].T + T["s"]  # (S, M)
        val = torch.where(lam.amin(-1) >= _FEASIBLE, val, torch.full_like(val, math.inf))
        best, k = val.min(-1)
        return best, zbar[torch.arange(w.shape[0], device=w.device), k]

    def loss(self, w):
        best, _ = self._envelope(w)
        return 0.5 * self.mu * (w * w).sum(-1) + best

    def grad(self, w):
        _, z = self._envelope(w)
        return self.mu * w + self._Lp * (w - z)

    def residuals(self) -> dict:
        """How closely the built function passes through the data, and the data's own slack."""
        X = torch.as_tensor(self.x, dtype=self.w_star.dtype, device=self.w_star.device)
        fv = self.loss(X).cpu().numpy()
        gv = self.grad(X).cpu().numpy()
        scale_g = max(1.0, float(np.abs(self.g).max()))
        scale_f = max(1.0, float(np.abs(self.f).max()))
        slack = interpolation_slack(self.x, self.g, self.f, self.L, self.mu)
        return {"value": float(np.abs(fv - self.f).max()) / scale_f, "gradient": float(np.abs(gv - self.g).max()) / scale_g,
                "minimiser gradient": float(torch.linalg.vector_norm(self.grad(self.w_star.unsqueeze(0)))),
                "data slack": float(slack.min()) / scale_f}

    def check_class(self, generator: torch.Generator, pairs: int = 256, radius: float | None = None) -> float:
        """The smallest slack of the class's interpolation condition (scaled by the values' size)
        between the built function's values and gradients at ``pairs`` random point pairs around
        the data: a numerical check of what the construction proves (>= -round-off)."""
        X = torch.as_tensor(self.x, dtype=self.w_star.dtype, device=self.w_star.device)
        centre, spread = X.mean(0), (radius if radius is not None else 2.0 * float((X - X.mean(0)).abs().max()) + 1e-3)
        u = centre + spread * (2 * torch.rand(pairs, 2, self.dim, generator=generator, dtype=X.dtype, device=generator.device).to(X.device) - 1)
        pts = u.reshape(-1, self.dim)
        fv, gv = self.loss(pts).cpu().numpy(), self.grad(pts).cpu().numpy()
        p = pts.cpu().numpy()
        worst = math.inf
        for i in range(pairs):
            s = interpolation_slack(p[2 * i:2 * i + 2], gv[2 * i:2 * i + 2], fv[2 * i:2 * i + 2], self.L, self.mu)
            worst = min(worst, float(s[0, 1]), float(s[1, 0]))
        return worst / max(1.0, float(np.abs(fv).max()))

    def certificates(self):
        """By construction (module docstring): L-smooth and mu-strongly convex on all of R^d (a
        Moreau envelope of a convex function, plus mu ||x||^2 / 2); its minimiser certified by the
        gradient there; how closely it passes through the data, measured."""
        res = self.residuals()
        how = (f"by construction: mu ||x||^2/2 plus the Moreau envelope (parameter 1/(L - mu)) of the convex hull of "
               f"{self.x.shape[0]} points in R^{self.dim}; through the data to {res['gradient']:.2g} in the gradient, "
               f"{res['value']:.2g} in the value (relative)")
        out = [Certificate("L-smooth", True, how, self.L),
               Certificate("convex", True, how),
               Certificate("bounded below", True, f"f* = f(w*), ||grad f(w*)|| = {res['minimiser gradient']:.2g} "
                           "(a stationary point of a convex function is a minimiser)", self.f_star)]
        out.append(Certificate("mu-strongly convex", self.mu > 0, how if self.mu > 0 else "mu = 0: the envelope is "
                               "affine far from the data", self.mu))
        return out

    def constants(self):
        return {**super().constants(), "points": int(self.x.shape[0]), **{f"residual {k}": v for k, v in self.residuals().items()}}

"""Gaussian wells on a rising floor in the plane: an L-smooth landscape with strict saddles.

    f(w) = eps sqrt(1 + ||w||^2) - a sum_k exp(-||w - c_k||^2 / (2 s^2)),   w in R^2,

with ``K`` equal wells at the vertices of a regular polygon of radius ``m`` (centres
``c_k = m (cos(pi/2 + 2 pi k/K), sin(pi/2 + 2 pi k/K))``, one on the axis x = 0 and the others
mirror images about it). By the polygon's symmetry the K minima
have one value, so every local minimum is global; between neighbouring wells lie saddles and near
the centre a maximum, each with a negative Hessian eigenvalue.

Bounds on the whole plane, in closed form: the floor's Hessian is
``eps (I / sqrt(1 + r^2) - w w^T / (1 + r^2)^(3/2))`` (norm at most eps), and a well's is
``(a / s^2) e^(-rho^2/2) (I - x x^T / s^2)`` with ``x = w - c_k``, ``rho = ||x|| / s``, whose
eigenvalues ``(a/s^2) e^(-rho^2/2)`` and ``(a/s^2)(1 - rho^2) e^(-rho^2/2)`` are at most ``a/s^2``
in magnitude (``sup |1 - x^2| e^(-x^2/2) = 1``): so ``||Hess f|| <= L = eps + K a / s^2``
everywhere, and ``f >= -K a``.

No critical point lies outside the disc of radius ``B`` (:meth:`WellsPlane.box`): there the
floor's radial slope ``eps r / sqrt(1 + r^2)`` exceeds the wells' gradients, each at most
``(a/s) rho e^(-rho^2/2)`` with ``rho >= (r - m)/s >= 1`` (decreasing in rho beyond 1). Inside,
the critical points are found by Newton's method on the gradient (damped as Levenberg-Marquardt,
which converges to critical points of any index) from a grid of starts over the square
``[-B, B]^2``, merged where they agree to 1e-8, each with its exact Hessian spectrum.
"""

from __future__ import annotations

import math

import numpy as np
import torch

from ..hypotheses import Certificate
from .base import Objective

__all__ = ["WellsPlane"]


class WellsPlane(Objective):
    name = "wells_plane"

    def __init__(self, wells: int = 3, *, a: float = 0.5, m: float = 1.5, s: float = 0.6, eps: float = 0.1,
                 grid: int = 41, dtype=torch.float64, device="cpu"):
        if int(wells) < 2:
            raise ValueError(f"The 'wells' parameter must be at least 2. Got {wells!r} instead.")
        for name, v in (("a", a), ("m", m), ("s", s), ("eps", eps)):
            if not v > 0:
                raise ValueError(f"The '{name}' parameter must be positive. Got {v!r} instead.")
        self.dim, self.K = 2, int(wells)
        self.a, self.m, self.s, self.eps = float(a), float(m), float(s), float(eps)
        k = np.arange(self.K)
        theta = 2 * np.pi * np.where(k <= self.K / 2, k, k - self.K) / self.K  # in (-pi, pi]: mirror wells get -theta
        # c_k = m (cos(pi/2 + theta), sin(pi/2 + theta)) = m (-sin(theta), cos(theta)): mirror images about the
        # axis x = 0 to the bit (sin is odd), so the landscape is exactly symmetric there
        self.centres = self.m * np.stack([-np.sin(theta), np.cos(theta)], -1)  # (K, 2), float64
        self._c = torch.tensor(self.centres, dtype=dtype, device=device)
        self.L = self.eps + self.K * self.a / self.s**2
        self.B = self.box()
        pts = self._critical_points(int(grid))
        lam = np.linalg.eigvalsh(self._hess(pts))
        vals = self._f(pts)
        order = np.argsort(vals)
        self.points, self.spectra, self.values = pts[order], lam[order], vals[order]
        minima = self.spectra[:, 0] > 0
        self.f_star = float(self.values[minima].min())
        self.w_star = torch.tensor(self.points[minima][0], dtype=dtype, device=device)
        self.saddles = self.points[~minima]  # every critical point that is not a minimum (saddles and maxima)
        self.mu = 0.0

    # float64 numpy versions for the landscape (critical points, certificates)
    def _f(self, w):
        d = w[:, None, :] - self.centres[None]
        return self.eps * np.sqrt(1 + (w * w).sum(-1)) - self.a * np.exp(-(d * d).sum(-1) / (2 * self.s**2)).sum(-1)

    def _g(self, w):
        d = w[:, None, :] - self.centres[None]
        e = np.exp(-(d * d).sum(-1) / (2 * self.s**2))  # (N, K)
        return self.eps * w / np.sqrt(1 + (w * w).sum(-1, keepdims=True)) + self.a / self.s**2 * (e[..., None] * d).sum(1)

    def _hess(self, w):
        r2 = (w * w).sum(-1)
        eye = np.eye(2)
        H = self.eps * (eye / np.sqrt(1 + r2)[:, None, None] - w[:, :, None] * w[:, None, :] / (1 + r2)[:, None, None] ** 1.5)
        d = w[:, None, :] - self.centres[None]
        e = np.exp(-(d * d).sum(-1) / (2 * self.s**2))
        outer = d[..., :, None] * d[..., None, :] / self.s**2
        return H + self.a / self.s**2 * (e[..., None, None] * (eye - outer)).sum(1)

    def box(self) -> float:
        """The smallest radius B (on a grid of 1e-3 steps of s) beyond which no critical point lies:
        for r >= B, eps r / sqrt(1 + r^2) > K (a/s) rho e^(-rho^2/2) with rho = (r - m)/s >= 1."""
        r = self.m + self.s * np.arange(1.0, 50.0, 1e-3)
        rho = (r - self.m) / self.s
        ok = self.eps * r / np.sqrt(1 + r * r) > self.K * self.a / self.s * rho * np.exp(-rho * rho / 2)
        if not ok.any():
            raise ValueError("The floor's slope eps never exceeds the wells' gradients: no box holds every critical point.")
        return float(r[np.argmax(ok)])

    def _critical_points(self, grid: int) -> np.ndarray:
        x = np.linspace(-self.B, self.B, grid)
        w = np.stack(np.meshgrid(x, x), -1).reshape(-1, 2)
        mu = np.full(w.shape[0], 1e-3)
        g = self._g(w)
        gn = np.linalg.norm(g, axis=-1)
        for _ in range(200):
            H = self._hess(w)
            A = H @ H + mu[:, None, None] * np.eye(2)
            step = np.linalg.solve(A, (H @ g[..., None]))[..., 0]
            w_new = w - step
            g_new = self._g(w_new)
            gn_new = np.linalg.norm(g_new, axis=-1)
            ok = gn_new < gn
            w, g, gn = np.where(ok[:, None], w_new, w), np.where(ok[:, None], g_new, g), np.where(ok, gn_new, gn)
            mu = np.clip(np.where(ok, mu / 3, mu * 4), 1e-15, 1e12)
        found = w[gn < 1e-12]
        out = []
        for p in found:
            if all(np.linalg.norm(p - q) > 1e-8 for q in out):
                out.append(p)
        return np.array(out)

    def loss(self, w):
        d = w[:, None, :] - self._c
        return self.eps * torch.sqrt(1 + (w * w).sum(-1)) - self.a * torch.exp(-(d * d).sum(-1) / (2 * self.s**2)).sum(-1)

    def grad(self, w):
        d = w[:, None, :] - self._c
        e = torch.exp(-(d * d).sum(-1) / (2 * self.s**2))
        return self.eps * w / torch.sqrt(1 + (w * w).sum(-1, keepdim=True)) + self.a / self.s**2 * (e[..., None] * d).sum(1)

    def hessian(self, w: torch.Tensor) -> torch.Tensor:
        """The exact Hessians ``(S, 2, 2)`` at the rows of ``w``."""
        return torch.from_numpy(self._hess(w.detach().double().cpu().numpy())).to(w)

    def distance(self, w):
        """Distance to the nearest minimiser."""
        mins = torch.tensor(self.points[self.spectra[:, 0] > 0], dtype=w.dtype, device=w.device)
        return torch.cdist(w, mins).min(-1).values

    def certificates(self):
        lo = self.spectra[:, 0]
        minima, others = lo > 0, lo <= 0
        worst = float(lo[others].max()) if others.any() else float("nan")
        scale = float(np.abs(self.spectra).max())
        strict = bool(others.any()) and worst < -1e-8 * scale and bool((np.abs(self.spectra) > 1e-8 * scale).all())
        spread = float(self.values[minima].max() - self.f_star)
        where = (f"{len(self.points)} critical points: Newton's method on the gradient from a grid of starts over "
                 f"[-B, B]^2, B = {self.B:.4g}, outside which the floor's slope exceeds the wells' gradients (closed form)")
        return [Certificate("bounded below", True, f"f >= -K a = {-self.K * self.a:g} everywhere; f* = {self.f_star:.6f}, "
                            f"attained at {int(minima.sum())} minima (values within {spread:.1e})", self.f_star),
                Certificate("L-smooth", True, "||Hess f|| <= eps + K a / s^2 on the whole plane (closed form: the floor's "
                            "Hessian norm is at most eps, each well's at most a/s^2)", self.L),
                Certificate("convex", False, f"a critical point with Hessian eigenvalue {float(lo.min()):.4g} < 0"),
                Certificate("non-convex", True, f"witness: the smallest Hessian eigenvalue at a critical point is "
                            f"{float(lo.min()):.4g}", float(lo.min())),
                Certificate("strict saddles", strict, f"{where}: {int(others.sum())} are not minima, each with a Hessian "
                            f"eigenvalue at most {worst:.4g} < 0 (-1e-8 of the spectra's scale {scale:.3g}); every "
                            "critical point non-degenerate", worst),
                Certificate("spurious local minimum", False, f"{where}: the {int(minima.sum())} minima share the value f* "
                            f"to {spread:.1e} (the wells' symmetry)")]

    def constants(self):
        return {**super().constants(), "wells": self.K, "a": self.a, "m": self.m, "s": self.s, "eps": self.eps, "B": self.B,
                "critical_points": int(len(self.points)), "saddles": int(len(self.saddles))}

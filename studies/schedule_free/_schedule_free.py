"""The methods and instances of the schedule_free suite, as Defazio et al. (2024) state them.

* :class:`MaxCoordinate`: ``f(w) = G max_i |w_i - w*_i|`` on R^d, the worst case of Theorem 1 in
  dimension d = T: convex, G-Lipschitz (``||.||_inf <= ||.||_2``), non-smooth, f* = 0 at w*.
  From ``x_1 = w* + (D/sqrt(T)) (1, ..., 1)`` each gradient step moves one coordinate (the first
  of the largest: the subgradient ``G sign(v_i) e_i``), so after T - 1 steps of any method whose
  iterates stay in the span of its gradients one coordinate is untouched and
  ``f(x_T) - f* >= D G / sqrt(T)``: Theorem 1's bound, attained;
* :func:`least_absolute`: least absolute deviations (a finite sum of ``|x_i^T w - y_i|``), one sample
  per step drawn with replacement: the i.i.d. stochastic gradients of Theorem 1, each sample's
  loss ``max_i ||x_i||``-Lipschitz (certified from the data);
* :class:`MaxAffine`: the function of a certified worst case (PEPit's points ``x_i``, subgradients
  ``g_i``, values ``f_i``): ``f(w) = max_i (f_i + <g_i, w - x_i>)``, convex and G-Lipschitz by
  construction (the slopes scaled to norm <= G, the pieces lowered to be at most f* at w*);
* :func:`theorem1_step`: ``gamma = D / (G sqrt(T))``, Theorem 1's step for horizon T.
"""

from __future__ import annotations

import math

import numpy as np
import torch

from convcheck.hypotheses import Certificate
from convcheck.objectives import LeastAbsolute
from convcheck.objectives.base import Objective

from _schedule_free_tolerances import ACTIVE_RTOL


def theorem1_step(D: torch.Tensor, G: float, T: int) -> torch.Tensor:
    """gamma = D / (G sqrt(T)), one per seed (D: (S,))."""
    return D / (G * math.sqrt(T))


class MaxCoordinate(Objective):
    """``f(w) = G ||w - w*||_inf`` in dimension d."""

    name = "G max_i |w_i - w*_i|"

    def __init__(self, d: int, G: float = 1.0, dtype=torch.float64, device="cpu"):
        self.dim, self.G, self.L, self.mu, self.f_star = int(d), float(G), float("inf"), 0.0, 0.0
        self.w_star = torch.zeros(self.dim, dtype=dtype, device=device)

    def loss(self, w):
        return self.G * (w - self.w_star).abs().amax(-1)

    def grad(self, w):
        v = w - self.w_star
        i = v.abs().argmax(-1, keepdim=True)  # the first of the largest coordinates
        return torch.zeros_like(v).scatter_(-1, i, self.G * torch.sign(v.gather(-1, i)))

    def certificates(self):
        how = "G times a norm; ||.||_inf <= ||.||_2 (analytic)"
        return [Certificate("convex", True, "G times a norm of w - w* (analytic)"),
                Certificate("bounded gradients", True, f"every subgradient is G sign(v_i) e_i or a mean of them: norm <= G = "
                            f"{self.G:g} on R^d; {how}", self.G),
                Certificate("non-smooth", True, "the subgradient jumps where the largest coordinate changes"),
                Certificate("L-smooth", False, "the subgradient jumps where the largest coordinate changes"),
                Certificate("bounded below", True, "a norm: f >= 0 = f(w*)", 0.0)]

    def constants(self):
        return {**super().constants(), "G": self.G}


class LipschitzLeastAbsolute(LeastAbsolute):
    """Least absolute deviations with Theorem 1's hypothesis certified: every sample's loss
    ``|x_i^T w - y_i|`` is G-Lipschitz, its subgradients ``sign(r_i) x_i`` of norm at most
    ``G = max_i ||x_i||`` on R^d (computed from the data)."""

    def certificates(self):
        return [*super().certificates(), Certificate(
            "bounded gradients", True, f"every sample's subgradient sign(r_i) x_i has norm <= max_i ||x_i|| = {self.G:.6g} "
            "on R^d (from the data)", self.G)]


def least_absolute(n: int, d: int, generator: torch.Generator, dtype=torch.float64,
                   device="cpu") -> LipschitzLeastAbsolute:
    """A synthetic least-absolute-deviations problem (Gaussian design, Laplace noise), drawn on the CPU."""
    return LipschitzLeastAbsolute.synthetic(n, d, generator, dtype=dtype, device=device)


class MaxAffine(Objective):
    """``f(w) = max_i (f_i + <g_i, w - x_i>)`` through a worst case's points (``points`` of a
    :class:`convcheck.pep.WorstCase`, the minimiser first), started at its first iterate (:attr:`start`)."""

    def __init__(self, points: dict, G: float, name: str, dtype=torch.float64, device="cpu"):
        x, g, f = (np.array(points[k], dtype=np.float64) for k in ("x", "g", "f"))
        g[0] = 0.0  # the minimiser's piece is the constant f*
        g *= np.minimum(1.0, G * (1 - 1e-12) / np.maximum(np.linalg.norm(g, axis=1), 1e-300))[:, None]  # strictly <= G
        f = np.minimum(f, f[0] - np.einsum("id,id->i", g, x[0] - x))  # every piece <= f* at w*: w* a minimiser
        self.name, self.G, self.dim, self.L, self.mu = name, float(G), x.shape[1], float("inf"), 0.0
        self.A = torch.tensor(g, dtype=dtype, device=device)
        self.b = torch.tensor(f - np.einsum("id,id->i", g, x), dtype=dtype, device=device)
        self.anchors = torch.tensor(x, dtype=dtype, device=device)
        self.w_star = self.anchors[0]
        self.f_star = float(self.loss(self.w_star[None])[0])
        self.start = self.anchors[points["iterates"][0]]

    def loss(self, w):
        return (w @ self.A.T + self.b).amax(-1)

    def grad(self, w):
        v = w @ self.A.T + self.b
        top = v.amax(-1, keepdim=True)
        near = torch.where(v >= top - ACTIVE_RTOL * (1 + top.abs()), torch.cdist(w, self.anchors), torch.inf)
        return self.A[near.argmin(-1)]

    def certificates(self):
        norm = float(torch.linalg.vector_norm(self.A, dim=-1).max())
        return [Certificate("convex", True, f"a maximum of {self.A.shape[0]} affine functions (by construction)"),
                Certificate("bounded gradients", norm <= self.G, f"every piece's slope has norm <= {norm:.10g} (computed); "
                            f"the oracle hands out the slope of an active piece (within {ACTIVE_RTOL:g} of the maximum)",
                            norm),
                Certificate("non-smooth", True, "a maximum of affine pieces with different slopes"),
                Certificate("bounded below", True, "the minimiser's piece is the constant f*", self.f_star)]

    def constants(self):
        return {**super().constants(), "G": self.G}

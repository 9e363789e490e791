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
* :func:`theorem1_step`: ``gamma = D / (G sqrt(T))``, Theorem 1's step for horizon T.
"""

from __future__ import annotations

import math

import torch

from convcheck.hypotheses import Certificate
from convcheck.objectives import LeastAbsolute
from convcheck.objectives.base import Objective


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


def least_absolute(n: int, d: int, generator: torch.Generator, dtype=torch.float64) -> LipschitzLeastAbsolute:
    """A synthetic least-absolute-deviations problem (Gaussian design, Laplace noise)."""
    return LipschitzLeastAbsolute.synthetic(n, d, generator, dtype=dtype)

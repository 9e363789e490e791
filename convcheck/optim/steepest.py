"""Steepest descent with exact line search (Sec. 2.5, Eq. 9).

    eta_k = argmin_eta f(w_k - eta g_k),   w_{k+1} = w_k - eta_k g_k.

On a quadratic the minimiser is closed form, ``eta = g^T g / g^T A g`` (the Hessian enters
through a Hessian-vector product). Otherwise a batched golden-section search on
``[0, eta_max]``, with ``eta_max`` found by doubling until f stops decreasing; it assumes
f is unimodal along the ray, which holds for convex f.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import torch

from .._validation import check_choice, check_int
from .base import Optimizer

__all__ = ["SteepestState", "steepest_descent"]

_INV_PHI = (math.sqrt(5) - 1) / 2


class SteepestState(NamedTuple):
    eta: torch.Tensor  # (S,) the exact step of the last iteration


def _golden(phi, S, like, iters: int):
    """Minimise phi(eta) (batched, (S,) -> (S,)) over eta >= 0."""
    hi = torch.ones(S, dtype=like.dtype, device=like.device)
    f0 = phi(torch.zeros_like(hi))
    for _ in range(60):  # bracket: double while f still decreases at hi
        grow = phi(hi) < f0
        if not bool(grow.any()):
            break
        hi = torch.where(grow, 2 * hi, hi)
    lo = torch.zeros_like(hi)
    a, b = lo + (1 - _INV_PHI) * (hi - lo), lo + _INV_PHI * (hi - lo)
    fa, fb = phi(a), phi(b)
    for _ in range(iters):
        left = fa < fb  # minimum in [lo, b]
        hi = torch.where(left, b, hi)
        lo = torch.where(left, lo, a)
        a_new = torch.where(left, lo + (1 - _INV_PHI) * (hi - lo), b)
        b_new = torch.where(left, a, lo + _INV_PHI * (hi - lo))
        fa_new = torch.where(left, phi(a_new), fb)
        fb_new = torch.where(left, fa, phi(b_new))
        a, b, fa, fb = a_new, b_new, fa_new, fb_new
    return (lo + hi) / 2


def steepest_descent(method: str = "quadratic", iters: int = 100) -> Optimizer:
    """``method="quadratic"``: closed-form step via a Hessian-vector product;
    ``"numeric"``: golden-section search with ``iters`` iterations."""
    check_choice("method", method, ("quadratic", "numeric"))
    iters = check_int("iters", iters, 1)

    def init(params):
        return SteepestState(torch.zeros(params.shape[0], dtype=params.dtype, device=params.device))

    def update(params, state, oracle, t):
        g = oracle.grad(params)
        if method == "quadratic":
            gAg = (g * oracle.hvp(params, g)).sum(-1)
            gg = (g * g).sum(-1)
            eta = torch.where(gAg > 0, gg / torch.where(gAg > 0, gAg, torch.ones_like(gAg)), torch.zeros_like(gg))
        else:
            eta = _golden(lambda e: oracle.loss(params - e.unsqueeze(-1) * g), params.shape[0], params, iters)
        return params - eta.unsqueeze(-1) * g, SteepestState(eta)

    return Optimizer(f"steepest-{method}", init, update, {"method": method},
                     capturable=method == "quadratic")  # the 1-D search brackets on data

"""Gradient descent with line search (Sec. 2.3, Alg. 1, Eqs. 5-7), batched over seeds.

Each seed runs its own search; the searches are vectorised with masks (a seed whose step
is accepted stops shrinking while the others go on). The state records, per seed, the
accepted step and the number of halvings/backtracks of the last step, so studies can hold
them to the claims (accepted eta >= 1/(2L), at most ceil(log2 L) + 1 halvings).

* :func:`halving`: the survey's rule (Alg. 1): start at eta = 1, halve until Eq. (6),
  ``f(w - eta g) < f(w)``, holds. (Eq. 7's "eta < 1/L" is a sufficient condition for Eq.
  6, not what Alg. 1 tests.)
* :func:`armijo`: backtracking until the sufficient decrease (Armijo 1966)
  ``f(w - eta g) <= f(w) - c1 eta ||g||^2``.
* :func:`wolfe`: a step satisfying both weak Wolfe conditions (Wolfe 1969): sufficient
  decrease, and curvature ``-g(w - eta g)^T g >= -c2 ||g||^2``, found by bisection/
  expansion (Lewis & Overton 2013).
"""

from __future__ import annotations

from typing import NamedTuple

import torch

from .._validation import check_int, check_real
from .base import Optimizer

__all__ = ["LineSearchState", "halving", "armijo", "wolfe"]


class LineSearchState(NamedTuple):
    eta: torch.Tensor        # (S,) accepted step of the last iteration
    shrinks: torch.Tensor    # (S,) halvings / backtracks / bisections in the last iteration


def _sq(g):
    return (g * g).sum(-1)


def _start(eta0, like: torch.Tensor) -> torch.Tensor:
    """The first trial step per row: ``eta0`` a float, or an ``(S,)`` tensor (one per seed row,
    as the roles pass step sizes)."""
    if torch.is_tensor(eta0):
        return eta0.to(dtype=like.dtype, device=like.device).expand_as(like).clone()
    return torch.full_like(like, eta0)


def _check_eta0(eta0):
    if torch.is_tensor(eta0):
        if eta0.ndim > 1 or not bool((eta0 > 0).all()):
            raise ValueError(f"The 'eta0' parameter must be a float or an (S,) tensor in the range (0, inf). "
                             f"Got {eta0!r} instead.")
        return eta0
    return check_real("eta0", eta0, 0, None, low_open=True)


def _initial_state(eta0):
    def init(params):
        S = params.shape[0]
        return LineSearchState(_start(eta0, torch.zeros(S, dtype=params.dtype, device=params.device)),
                               torch.zeros(S, dtype=torch.long, device=params.device))

    return init


def _backtrack(condition, eta0, factor: float, max_iter: int, name: str, hyper: dict) -> Optimizer:
    init = _initial_state(eta0)

    def update(params, state, oracle, t):
        g = oracle.grad(params)
        f0 = oracle.loss(params)
        gg = _sq(g)
        eta = _start(eta0, f0)
        shrinks = torch.zeros_like(state.shrinks)
        done = gg == 0  # a stationary point: nothing to search
        for _ in range(max_iter):
            ok = condition(oracle.loss(params - eta.unsqueeze(-1) * g), f0, eta, gg)
            done = done | ok
            if bool(done.all()):
                break
            eta = torch.where(done, eta, eta * factor)
            shrinks = shrinks + (~done).long()
        eta = torch.where(done, eta, torch.zeros_like(eta))  # no acceptable step found: stay
        return params - eta.unsqueeze(-1) * g, LineSearchState(eta, shrinks)

    return Optimizer(name, init, update, hyper, capturable=False)  # its inner loop ends on data


def halving(eta0=1.0, max_halvings: int = 60) -> Optimizer:
    """Alg. 1: eta := eta0 (1 in the survey; a float or one per seed row), halve until
    ``f(w - eta g) < f(w)`` (Eq. 6)."""
    eta0 = _check_eta0(eta0)
    max_halvings = check_int("max_halvings", max_halvings, 1)
    return _backtrack(lambda f1, f0, eta, gg: f1 < f0, eta0, 0.5, max_halvings, "halving",
                      {"eta0": eta0})


def armijo(eta0=1.0, c1: float = 1e-4, factor: float = 0.5, max_iter: int = 60) -> Optimizer:
    """Backtracking until ``f(w - eta g) <= f(w) - c1 eta ||g||^2``."""
    eta0 = _check_eta0(eta0)
    c1 = check_real("c1", c1, 0, 1, low_open=True, high_open=True)
    factor = check_real("factor", factor, 0, 1, low_open=True, high_open=True)
    return _backtrack(lambda f1, f0, eta, gg: f1 <= f0 - c1 * eta * gg, eta0, factor, check_int("max_iter", max_iter, 1),
                      "armijo", {"eta0": eta0, "c1": c1, "factor": factor})


def wolfe(eta0=1.0, c1: float = 1e-4, c2: float = 0.9, max_iter: int = 60) -> Optimizer:
    """A step meeting the weak Wolfe conditions along ``-g``, by bisection and expansion."""
    eta0 = _check_eta0(eta0)
    c1 = check_real("c1", c1, 0, 1, low_open=True, high_open=True)
    c2 = check_real("c2", c2, c1, 1, low_open=True, high_open=True)
    max_iter = check_int("max_iter", max_iter, 1)

    init = _initial_state(eta0)

    def update(params, state, oracle, t):
        g = oracle.grad(params)
        f0 = oracle.loss(params)
        gg = _sq(g)
        lo = torch.zeros_like(f0)
        hi = torch.full_like(f0, float("inf"))
        eta = _start(eta0, f0)
        done = gg == 0
        iters = torch.zeros_like(state.shrinks)
        for _ in range(max_iter):
            w1 = params - eta.unsqueeze(-1) * g
            armijo_ok = oracle.loss(w1) <= f0 - c1 * eta * gg
            curv_ok = (oracle.grad(w1) * g).sum(-1) <= c2 * gg  # -grad(w1)^T(-g) >= -c2 ||g||^2
            ok = armijo_ok & curv_ok
            done = done | ok
            if bool(done.all()):
                break
            # too long (no sufficient decrease): shrink; too short (curvature fails): grow
            hi = torch.where(~done & ~armijo_ok, eta, hi)
            lo = torch.where(~done & armijo_ok & ~curv_ok, eta, lo)
            new = torch.where(torch.isinf(hi), 2 * eta, (lo + hi) / 2)
            eta = torch.where(done, eta, new)
            iters = iters + (~done).long()
        eta = torch.where(done, eta, torch.zeros_like(eta))
        return params - eta.unsqueeze(-1) * g, LineSearchState(eta, iters)

    return Optimizer("wolfe", init, update, {"eta0": eta0, "c1": c1, "c2": c2}, capturable=False)

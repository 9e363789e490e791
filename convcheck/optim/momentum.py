"""Momentum (Sec. 2.4, Eq. 8) and Nesterov's accelerated gradient.

Heavy ball, the survey's Eq. (8)::

    dw_k = alpha dw_{k-1} - eta_k grad f(w_k),     w_{k+1} = w_k + dw_k,   dw_{-1} = 0.

Nesterov (the standard companion; Sutskever et al. 2013's form): the gradient is taken at
the look-ahead point::

    dw_k = alpha dw_{k-1} - eta_k grad f(w_k + alpha dw_{k-1}),   w_{k+1} = w_k + dw_k.

Note: torch.optim.SGD's momentum keeps a buffer of gradients (``b = mu b + g``,
``w -= lr b``), which equals Eq. (8) with ``dw = -lr b`` for a constant step.

:func:`nesterov_sgd` is torch.optim.SGD's ``nesterov=True`` form (Bengio et al. 2013's
reformulation)::

    b_k = alpha b_{k-1} + grad f(w_k),     w_{k+1} = w_k - eta_k (grad f(w_k) + alpha b_k),

whose iterates are the look-ahead points ``w_k + alpha dw_{k-1}`` of the form above (for a
constant step): the same method seen at other points, so the role ``nesterov`` uses this form
to match torch.optim.SGD iterate by iterate.
"""

from __future__ import annotations

from typing import NamedTuple

import torch

from .._validation import check_real
from .base import Optimizer
from .schedules import Schedule, as_schedule, step_size

__all__ = ["MomentumState", "heavy_ball", "nesterov", "nesterov_sgd"]


class MomentumState(NamedTuple):
    delta: torch.Tensor  # (S, d) the previous change dw_{k-1}


def _momentum(lr: Schedule, alpha: float, lookahead: bool, name: str) -> Optimizer:
    schedule = as_schedule(lr)
    alpha = check_real("alpha", alpha, 0.0, 1.0, high_open=True)

    def init(params):
        return MomentumState(torch.zeros_like(params))

    def update(params, state, oracle, t):
        at = params + alpha * state.delta if lookahead else params
        delta = alpha * state.delta - step_size(schedule(t)) * oracle.grad(at)
        return params + delta, MomentumState(delta)

    return Optimizer(name, init, update, {"lr": lr, "alpha": alpha})


def heavy_ball(lr: Schedule, alpha: float = 0.9) -> Optimizer:
    """Gradient descent with momentum, Eq. (8)."""
    return _momentum(lr, alpha, False, "momentum")


def nesterov(lr: Schedule, alpha: float = 0.9) -> Optimizer:
    """Nesterov's accelerated gradient (gradient at the look-ahead point)."""
    return _momentum(lr, alpha, True, "nesterov")


def nesterov_sgd(lr: Schedule, alpha: float = 0.9) -> Optimizer:
    """Nesterov's momentum in torch.optim.SGD's form (``nesterov=True``): ``b = alpha b + g``,
    ``w -= lr (g + alpha b)``, with ``b`` starting at the first gradient as torch's buffer does."""
    schedule = as_schedule(lr)
    alpha = check_real("alpha", alpha, 0.0, 1.0, high_open=True)

    def init(params):
        return MomentumState(torch.zeros_like(params))

    def update(params, state, oracle, t):
        g = oracle.grad(params)
        b = alpha * state.delta + g  # the gradient buffer (delta holds b here); b_1 = g as b_0 = 0
        return params - step_size(schedule(t)) * (g + alpha * b), MomentumState(b)

    return Optimizer("nesterov (torch.optim.SGD's form)", init, update, {"lr": lr, "alpha": alpha})

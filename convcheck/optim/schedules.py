"""Step-size schedules of Sec. 4.1 and Prop. 2, as callables of the step number t >= 1.

========================  ======================  ===========================
schedule                  eta_t                   survey
========================  ======================  ===========================
:func:`constant`          eta                     Eq. (27), (29)
:func:`inverse_t`         c / t                   Eq. (25)
:func:`inverse_sqrt_t`    c / sqrt(t)             Eq. (26)
:func:`strongly_convex`   beta / (mu t)           Eq. (28) (beta = 1)
========================  ======================  ===========================

A step size may also be a tensor of shape ``(S,)`` (one value per row) or any callable.

``t`` is an int, or in a compiled run a float64 0-d tensor (:mod:`convcheck.compiling`): the
schedules here take either, and give the same value for both (``sqrt`` and ``/`` are correctly
rounded in Python and in torch alike; :func:`divide` keeps torch from computing ``c / t`` as
``c * (1 / t)``, which is what ``float / tensor`` does: one ulp off for 5,233 of t = 1..20,000 at c = 0.7).
"""

from __future__ import annotations

import math
from typing import Callable, Union

import torch

from .._validation import check_real

__all__ = ["Schedule", "as_schedule", "constant", "inverse_t", "inverse_sqrt_t", "strongly_convex", "step_size", "divide"]

Schedule = Union[float, torch.Tensor, Callable[[int], Union[float, torch.Tensor]]]


def divide(a, b):
    """``a / b``, correctly rounded whichever of the two is a tensor (``float / tensor`` in torch
    is ``float * reciprocal(tensor)``, two roundings)."""
    if isinstance(b, torch.Tensor) and not isinstance(a, torch.Tensor):
        a = torch.as_tensor(a, dtype=b.dtype, device=b.device)
    return a / b


def constant(eta: float) -> Callable[[int], float]:
    eta = check_real("eta", eta, 0, None, low_open=True)
    return lambda t: eta


def inverse_t(c: float = 1.0) -> Callable[[int], float]:
    c = check_real("c", c, 0, None, low_open=True)
    return lambda t: divide(c, t)


def inverse_sqrt_t(c: float = 1.0) -> Callable[[int], float]:
    c = check_real("c", c, 0, None, low_open=True)
    return lambda t: divide(c, torch.sqrt(t) if isinstance(t, torch.Tensor) else math.sqrt(t))


def strongly_convex(mu: float, beta: float = 1.0) -> Callable[[int], float]:
    mu = check_real("mu", mu, 0, None, low_open=True)
    beta = check_real("beta", beta, 0, None, low_open=True)
    return lambda t: divide(beta, mu * t)


def as_schedule(lr: Schedule, name: str = "lr") -> Callable[[int], float | torch.Tensor]:
    """Validate ``lr`` and return a callable of t. Tensors must be positive and 1-D."""
    if callable(lr):
        return lr
    if isinstance(lr, torch.Tensor):
        if lr.ndim != 1 or not bool((lr > 0).all()):
            raise ValueError(f"The {name!r} parameter must be a positive float or a 1-D tensor of values in (0, inf). Got {lr!r} instead.")
        return lambda t: lr
    value = check_real(name, lr, 0, None, low_open=True)
    return lambda t: value


def step_size(value: float | torch.Tensor) -> float | torch.Tensor:
    """Broadcast a step size against ``(S, d)`` parameters: ``(S,)`` tensors become ``(S, 1)``
    (a 0-d tensor, a scheduled step of a compiled run, stays 0-d: it takes the parameters' dtype)."""
    return value.unsqueeze(-1) if isinstance(value, torch.Tensor) and value.ndim == 1 else value

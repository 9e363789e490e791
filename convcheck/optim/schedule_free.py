"""Schedule-free SGD: momentum by interpolation, an average as the iterate.

Three sequences, from ``z_1 = x_1`` (the start)::

    y_t     = (1 - beta) z_t + beta x_t                  (the gradient is taken here)
    z_{t+1} = z_t - gamma_t grad f(y_t)                  (the base SGD step)
    x_{t+1} = (1 - c_{t+1}) x_t + c_{t+1} z_{t+1}        (the point evaluated)

The parameters the engine sees are ``x_t``: the average is the method's iterate, the point a
convergence statement about schedule-free SGD is about; ``y_t`` is only where the gradient is
taken, and ``z_t`` is state. ``beta`` lies in [0, 1]: ``beta = 0`` takes the gradient at ``z``
(SGD with a running average of its iterates), ``beta = 1`` at ``x`` (the gradient at the average).

Averaging weights (``weighting``):

* ``"uniform"``: ``c_{t+1} = 1 / (t + 1)``, so ``x_t = (z_1 + ... + z_t) / t``, the start included;
* ``"lr squared"``: ``c_{t+1} = gamma_t^2 / sum_{i <= t} gamma_i^2``, the weights proportional to
  the squared steps (what a warmup-weighted average uses). At a constant step it is
  ``c_{t+1} = 1/t``: ``c_2 = 1`` drops the start, ``x_t = (z_2 + ... + z_t) / (t - 1)``.

``gamma_t`` is ``lr``: a float, an ``(S,)`` tensor (one step per seed row) or a schedule of t.
"""

from __future__ import annotations

from typing import NamedTuple

import torch

from .._validation import check_real
from .base import Optimizer
from .schedules import Schedule, as_schedule, divide, step_size

__all__ = ["ScheduleFreeState", "schedule_free_sgd", "WEIGHTINGS"]

#: The averaging weights :func:`schedule_free_sgd` knows (see the module docstring).
WEIGHTINGS = ("uniform", "lr squared")


class ScheduleFreeState(NamedTuple):
    z: torch.Tensor  # (S, d) the base sequence z_t
    weights: torch.Tensor | float  # (S,) or scalar: sum_{i < t} gamma_i^2 ("lr squared"); unused for "uniform"


def schedule_free_sgd(lr: Schedule, beta: float = 0.9, weighting: str = "uniform") -> Optimizer:
    """Schedule-free SGD with step ``lr``, interpolation ``beta`` in [0, 1] and averaging ``weighting``
    (one of :data:`WEIGHTINGS`); the parameters are the average ``x_t``."""
    schedule = as_schedule(lr)
    beta = check_real("beta", beta, 0.0, 1.0)
    if weighting not in WEIGHTINGS:
        raise ValueError(f"The 'weighting' parameter must be one of {list(WEIGHTINGS)}. Got {weighting!r} instead.")

    def init(params):
        return ScheduleFreeState(params.clone(), 0.0)

    def update(params, state, oracle, t):
        x, z = params, state.z
        y = (1 - beta) * z + beta * x
        gamma = schedule(t)
        z = z - step_size(gamma) * oracle.grad(y)
        if weighting == "uniform":
            c, weights = divide(1.0, t + 1), state.weights
        else:
            weights = state.weights + gamma * gamma
            c = step_size(divide(gamma * gamma, weights))
        return (1 - c) * x + c * z, ScheduleFreeState(z, weights)

    return Optimizer("schedule-free sgd" + ("" if weighting == "uniform" else f" ({weighting} weights)"), init, update,
                     {"lr": lr, "beta": beta, "weighting": weighting})

"""Gradient descent and SGD (Sec. 2, Eq. 4; Sec. 4, Eq. 23; Sec. 5, Eq. 32).

    w_{t} = w_{t-1} - eta_t * g_t

with ``g_t`` the full gradient (GD, Eq. 4; ``eta = 1/L`` is Eq. 3's choice), a single
sample's gradient (SGD, Eq. 23) or a mini-batch mean (Eq. 32). The update is the same; the
engine's sampler decides which gradient the oracle returns.
"""

from __future__ import annotations

from .base import Optimizer
from .schedules import Schedule, as_schedule, step_size

__all__ = ["gradient_descent", "sgd"]


def gradient_descent(lr: Schedule) -> Optimizer:
    """GD with a fixed or scheduled step ``lr`` (float, (S,) tensor, or callable of t)."""
    schedule = as_schedule(lr)

    def init(params):
        return ()

    def update(params, state, oracle, t):
        # w + (-eta g) is w - eta g to the bit (IEEE subtraction is addition of the negation);
        # adding w in place into the fresh product saves a parameter-sized tensor per step
        step = oracle.grad(params) * -step_size(schedule(t))
        return (step.add_(params) if step.shape == params.shape else step + params), state

    return Optimizer("gd", init, update, {"lr": lr})


def sgd(lr: Schedule) -> Optimizer:
    """SGD (Eq. 23) / mini-batch SGD (Eq. 32): GD's update on the sampled gradient."""
    return gradient_descent(lr)._replace(name="sgd")

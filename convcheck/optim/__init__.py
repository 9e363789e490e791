"""Optimizers of the survey as pure batched updates (see :mod:`convcheck.optim.base`)."""

from .base import Optimizer, Oracle
from .gd import gradient_descent, sgd
from .schedules import as_schedule, constant, inverse_sqrt_t, inverse_t, strongly_convex

__all__ = ["Optimizer", "Oracle", "gradient_descent", "sgd", "as_schedule", "constant", "inverse_t",
           "inverse_sqrt_t", "strongly_convex"]

"""Optimizers of the survey as pure batched updates (see :mod:`convcheck.optim.base`).

=========================  ====================================================  ==========
factory                    algorithm                                             survey
=========================  ====================================================  ==========
gradient_descent, sgd      w -= eta g (full / sampled / mini-batch gradient)     Eqs. 3-4, 23, 32
halving, armijo, wolfe     GD with line search                                   Alg. 1, Eqs. 5-7
steepest_descent           exact line search along -g                            Eq. 9
heavy_ball, nesterov       momentum; Nesterov's look-ahead gradient              Eq. 8
nesterov_sgd               Nesterov in torch.optim.SGD's nesterov=True form      -
adagrad, rmsprop, adam     adaptive steps, per coordinate (standard)             Eqs. 38-47
adamw                      Adam with decoupled weight decay (torch's AdamW)      -
sam, asam                  sharpness-aware (SWP, SDS options)                    Eqs. 48-58
schedule_free_sgd          gradient at y = (1-beta) z + beta x; x averages z     -
backprop                   GD with delta-rule gradients (no autograd)            Alg. 2
from_torch                 any torch.optim class, all seeds in few instances     -
=========================  ====================================================  ==========
"""

from .adaptive import adagrad, adam, adamw, rmsprop
from .backprop import backprop, backprop_in_place_step, delta_rule_gradient
from .base import Optimizer, Oracle, replay
from .gd import gradient_descent, sgd
from .linesearch import armijo, halving, wolfe
from .momentum import heavy_ball, nesterov, nesterov_sgd
from .sam import asam, asam_eps, dual_eps, sam, swp_eps
from .schedule_free import schedule_free_sgd
from .schedules import as_schedule, constant, inverse_sqrt_t, inverse_t, strongly_convex
from .steepest import steepest_descent
from .torch_adapter import from_torch

__all__ = ["Optimizer", "Oracle", "replay", "gradient_descent", "sgd", "halving", "armijo", "wolfe", "steepest_descent",
           "heavy_ball", "nesterov", "nesterov_sgd", "adagrad", "rmsprop", "adam", "adamw", "sam", "asam", "dual_eps", "swp_eps", "asam_eps",
           "schedule_free_sgd", "backprop", "backprop_in_place_step", "delta_rule_gradient", "from_torch", "as_schedule", "constant", "inverse_t", "inverse_sqrt_t",
           "strongly_convex"]

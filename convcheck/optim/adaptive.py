"""AdaGrad, RMSProp and Adam as the standard algorithms (Duchi et al. 2011; Tieleman & Hinton
2012; Kingma & Ba 2015), each matching torch.optim.Adagrad / RMSprop / Adam to round-off.

=========  ==========================================  ==========================
name       second moment                               denominator
=========  ==========================================  ==========================
adagrad    ``G_j = sum_tau g_j^2`` per coordinate      ``sqrt(G_j) + eps``
rmsprop    ``v_j = gamma v_j + (1-gamma) g_j^2``       ``sqrt(v_j) + eps``
adam       per coordinate, bias-corrected              ``sqrt(v_hat_j) + eps``
=========  ==========================================  ==========================

``eps_inside=True`` puts eps inside the root instead (``sqrt(eps + v)``), as some papers write
it; a paper's own variant (one scalar v for all coordinates, another count of the bias
correction) is written in that paper's suite, beside its studies, with this module's
:class:`AdaptiveState` (e.g. ``studies/survey/_survey.py``).
"""

from __future__ import annotations

from typing import NamedTuple

import torch

from .._validation import check_real
from .base import Optimizer
from .schedules import Schedule, as_schedule, divide, step_size

__all__ = ["AdaptiveState", "adagrad", "rmsprop", "adam", "adamw"]


class AdaptiveState(NamedTuple):
    m: torch.Tensor  # (S, d) first moment (zeros where unused)
    v: torch.Tensor  # (S, d) per-coordinate second moment, or (S, 1) for a scalar v


def _denominator(v, eps, eps_inside):
    return torch.sqrt(v + eps) if eps_inside else torch.sqrt(v) + eps


def _zero_state(params):
    return AdaptiveState(torch.zeros_like(params), torch.zeros_like(params))


def adagrad(lr: Schedule = 0.01, eps: float = 1e-10, eps_inside: bool = False) -> Optimizer:
    """AdaGrad: ``w_j -= eta g_j / denom(G_j)``, ``G_j`` the running sum of squared gradients
    (including the current one), per coordinate."""
    schedule = as_schedule(lr)
    eps, inside = check_real("eps", eps, 0.0), bool(eps_inside)

    def update(params, state, oracle, t):
        g = oracle.grad(params)
        G = state.v + g * g
        return params - step_size(schedule(t)) * g / _denominator(G, eps, inside), AdaptiveState(state.m, G)

    return Optimizer("adagrad", _zero_state, update, {"lr": lr, "eps": eps, "eps_inside": inside})


def rmsprop(lr: Schedule = 0.01, gamma: float = 0.99, eps: float = 1e-8, eps_inside: bool = False,
            bias_correction: bool = False) -> Optimizer:
    """RMSProp: per-coordinate ``v_j = gamma v_j + (1 - gamma) g_j^2`` (torch.optim.RMSprop with
    ``alpha = gamma``). ``bias_correction=True`` divides v by ``1 - gamma^t`` (Adam's correction;
    then Adam with gamma1 = 0 is this method)."""
    schedule = as_schedule(lr)
    gamma = check_real("gamma", gamma, 0.0, 1.0, high_open=True)
    eps, inside = check_real("eps", eps, 0.0), bool(eps_inside)

    def update(params, state, oracle, t):
        g = oracle.grad(params)
        v = gamma * state.v + (1 - gamma) * (g * g)
        # Adam's operation order (see adam), so that Adam with gamma1 = 0 and this method agree to
        # round-off; written out here, not delegated to adam, so that an identity check between
        # them compares two independent implementations.
        if bias_correction:
            if inside:
                new = params - step_size(schedule(t)) * g / torch.sqrt(eps + v / (1 - gamma**t))
            else:
                new = params - step_size(schedule(t)) * (g / (torch.sqrt(v) / ((1 - gamma**t) ** 0.5) + eps))
            return new, AdaptiveState(state.m, v)
        return params - step_size(schedule(t)) * g / _denominator(v, eps, inside), AdaptiveState(state.m, v)

    return Optimizer("rmsprop", _zero_state, update,
                     {"lr": lr, "gamma": gamma, "eps": eps, "eps_inside": inside, "bias_correction": bias_correction})


def adam(lr: Schedule = 0.001, gamma1: float = 0.9, gamma2: float = 0.999, eps: float = 1e-8,
         eps_inside: bool = False, bias_correction: bool = True, weight_decay: float = 0.0) -> Optimizer:
    """Adam: per-coordinate moments (torch.optim.Adam with ``betas = (gamma1, gamma2)``); the
    t-th update (t = 1, 2, ...) divides by ``1 - gamma^t`` as Kingma & Ba do.

    ``weight_decay`` > 0 decays the weights *decoupled* from the gradient (Loshchilov & Hutter's
    AdamW, torch.optim.AdamW): ``w <- (1 - lr wd) w`` before Adam's step, the moments seeing the
    gradient alone; see :func:`adamw`."""
    schedule = as_schedule(lr)
    weight_decay = check_real("weight_decay", weight_decay, 0.0)
    gamma1 = check_real("gamma1", gamma1, 0.0, 1.0, high_open=True)
    gamma2 = check_real("gamma2", gamma2, 0.0, 1.0, high_open=True)
    eps, inside = check_real("eps", eps, 0.0), bool(eps_inside)

    def update(params, state, oracle, t):
        g = oracle.grad(params)
        if weight_decay:  # decoupled: the decay scales w, the moments below see g alone
            params = params * (1 - step_size(schedule(t)) * weight_decay)
        m = gamma1 * state.m + (1 - gamma1) * g
        v = gamma2 * state.v + (1 - gamma2) * (g * g)
        bc1 = 1 - gamma1**t if bias_correction else 1.0
        bc2 = 1 - gamma2**t if bias_correction else 1.0
        if inside:
            new = params - step_size(schedule(t)) * (m / bc1) / torch.sqrt(eps + v / bc2)
        else:  # torch.optim.Adam's operation order, for round-off agreement
            denom = torch.sqrt(v) / (bc2 ** 0.5) + eps
            new = params - step_size(divide(schedule(t), bc1)) * (m / denom)
        return new, AdaptiveState(m, v)

    return Optimizer("adamw" if weight_decay else "adam", _zero_state, update,
                     {"lr": lr, "gamma1": gamma1, "gamma2": gamma2, "eps": eps, "eps_inside": inside,
                      "bias_correction": bias_correction, "weight_decay": weight_decay})


def adamw(lr: Schedule = 0.001, gamma1: float = 0.9, gamma2: float = 0.999, eps: float = 1e-8,
          weight_decay: float = 0.01) -> Optimizer:
    """AdamW (Loshchilov & Hutter 2019; torch.optim.AdamW): Adam with decoupled weight decay,
    ``w <- (1 - lr wd) w - lr m_hat / (sqrt(v_hat) + eps)``. With ``weight_decay = 0`` it is Adam;
    torch.optim.Adam's own ``weight_decay`` is the coupled L2 penalty (``g + wd w`` enters the
    moments), a different method."""
    return adam(lr, gamma1, gamma2, eps, weight_decay=weight_decay)

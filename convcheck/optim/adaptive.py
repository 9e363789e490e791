"""AdaGrad, RMSProp and Adam (Sec. 6, Eqs. 38-47), each as the survey writes it and as
the standard algorithm (Duchi et al. 2011; Tieleman & Hinton 2012; Kingma & Ba 2015).

=====================  ==========================================  ===========================
name                   second moment                               denominator
=====================  ==========================================  ===========================
adagrad (standard)     ``G_j = sum_tau g_j^2`` per coordinate      ``sqrt(G_j) + eps``
adagrad-survey         same, Eq. (39)                              ``sqrt(eps + G_j)``
rmsprop (standard)     ``v_j = gamma v_j + (1-gamma) g_j^2``       ``sqrt(v_j) + eps``
rmsprop-survey         scalar ``v = gamma v + (1-gamma)||g||^2``   ``sqrt(eps + v)``, Eq. (42)
adam (standard)        per coordinate, bias-corrected              ``sqrt(v_hat_j) + eps``
adam-survey            scalar ``v`` from ``||g||^2``, Eq. (44)     ``sqrt(eps + v_hat)``, Eq. (47)
=====================  ==========================================  ===========================

``eps_inside`` chooses the eps placement for any of them (True: ``sqrt(eps + v)`` as in the
survey; False: ``sqrt(v) + eps`` as torch.optim); the standard variants default to False so
that they match torch.optim.Adagrad / RMSprop / Adam to round-off.

Notes on the survey's text:

* Eq. (40) writes the update of coordinate j with ``grad f_j(w_j)``; read as the j-th
  coordinate of the sampled gradient, as Eqs. (38)-(39) define it.
* Eqs. (41) and (44) keep one scalar v for all coordinates: one step size for the whole
  vector, not a per-coordinate one. Both variants exist here so the difference can be
  measured.
* Eqs. (45)-(46) divide by ``1 - gamma^k`` with k starting at 0, a division by zero at the
  first step. By default the k-th update (k = 1, 2, ...) uses ``1 - gamma^k``, as Kingma & Ba
  do; ``first_k=0`` is the survey's count as written (its first step is not finite).
"""

from __future__ import annotations

from typing import NamedTuple

import torch

from .._validation import check_choice, check_real
from .base import Optimizer
from .schedules import Schedule, as_schedule, divide, step_size

__all__ = ["AdaptiveState", "adagrad", "rmsprop", "adam"]


class AdaptiveState(NamedTuple):
    m: torch.Tensor  # (S, d) first moment (zeros where unused)
    v: torch.Tensor  # (S, d) per-coordinate second moment, or (S, 1) for the survey's scalar v


def _denominator(v, eps, eps_inside):
    return torch.sqrt(v + eps) if eps_inside else torch.sqrt(v) + eps


def _initial_state(scalar_v: bool):
    """Zero moments; v is (S, 1) for the survey's scalar form, (S, d) otherwise."""
    def init(params):
        return AdaptiveState(torch.zeros_like(params), torch.zeros_like(params[:, :1] if scalar_v else params))

    return init


def _variant(variant, eps, eps_inside):
    """Validated ``(eps, survey, inside)``: the survey's variants put eps inside the root by default."""
    survey = check_choice("variant", variant, ("standard", "survey")) == "survey"
    return check_real("eps", eps, 0.0), survey, survey if eps_inside is None else bool(eps_inside)


def adagrad(lr: Schedule = 0.01, eps: float = 1e-10, variant: str = "standard", eps_inside: bool | None = None) -> Optimizer:
    """AdaGrad: ``w_j -= eta g_j / denom(G_j)``, ``G_j`` the running sum of squared gradients
    (including the current one, Eq. 39). Both variants are per coordinate; they differ in
    the eps placement only (the survey's Eq. 39 puts eps inside the square root)."""
    schedule = as_schedule(lr)
    eps, _, inside = _variant(variant, eps, eps_inside)

    def init(params):
        return AdaptiveState(torch.zeros_like(params), torch.zeros_like(params))

    def update(params, state, oracle, t):
        g = oracle.grad(params)
        G = state.v + g * g
        return params - step_size(schedule(t)) * g / _denominator(G, eps, inside), AdaptiveState(state.m, G)

    name = "adagrad" if variant == "standard" else "adagrad-survey"
    return Optimizer(name, init, update, {"lr": lr, "eps": eps, "eps_inside": inside})


def rmsprop(lr: Schedule = 0.01, gamma: float = 0.99, eps: float = 1e-8, variant: str = "standard",
            eps_inside: bool | None = None, bias_correction: bool = False) -> Optimizer:
    """RMSProp. Standard: per-coordinate ``v_j`` (torch.optim.RMSprop with ``alpha = gamma``);
    survey (Eqs. 41-42): one scalar ``v`` from ``||g||^2``. ``bias_correction=True`` divides v
    by ``1 - gamma^t`` (Adam's correction; then Adam with gamma1 = 0 is this method)."""
    schedule = as_schedule(lr)
    gamma = check_real("gamma", gamma, 0.0, 1.0, high_open=True)
    eps, survey, inside = _variant(variant, eps, eps_inside)

    init = _initial_state(survey)

    def update(params, state, oracle, t):
        g = oracle.grad(params)
        sq = (g * g).sum(-1, keepdim=True) if survey else g * g
        v = gamma * state.v + (1 - gamma) * sq
        # Adam's operation order (see adam), so that Adam with gamma1 = 0 and this method agree to
        # round-off; written out here, not delegated to adam, so that AD-3's identity check
        # compares two independent implementations.
        if bias_correction:
            if inside:
                new = params - step_size(schedule(t)) * g / torch.sqrt(eps + v / (1 - gamma**t))
            else:
                new = params - step_size(schedule(t)) * (g / (torch.sqrt(v) / ((1 - gamma**t) ** 0.5) + eps))
            return new, AdaptiveState(state.m, v)
        return params - step_size(schedule(t)) * g / _denominator(v, eps, inside), AdaptiveState(state.m, v)

    return Optimizer("rmsprop" if not survey else "rmsprop-survey", init, update,
                     {"lr": lr, "gamma": gamma, "eps": eps, "eps_inside": inside, "bias_correction": bias_correction})


def adam(lr: Schedule = 0.001, gamma1: float = 0.9, gamma2: float = 0.999, eps: float = 1e-8,
         variant: str = "standard", eps_inside: bool | None = None, bias_correction: bool = True,
         first_k: int = 1) -> Optimizer:
    """Adam (Eqs. 43-47). Standard: per-coordinate ``v_j`` (torch.optim.Adam with
    ``betas = (gamma1, gamma2)``); survey: scalar ``v`` from ``||g||^2``. The t-th update
    divides by ``1 - gamma^k`` with ``k = t - 1 + first_k``: ``first_k = 1`` as Kingma & Ba,
    ``first_k = 0`` as Eqs. (45)-(46) are written (see the module note)."""
    schedule = as_schedule(lr)
    gamma1 = check_real("gamma1", gamma1, 0.0, 1.0, high_open=True)
    gamma2 = check_real("gamma2", gamma2, 0.0, 1.0, high_open=True)
    eps, survey, inside = _variant(variant, eps, eps_inside)
    if first_k not in (0, 1):
        raise ValueError(f"The 'first_k' parameter must be one of [0, 1]. Got {first_k!r} instead.")

    init = _initial_state(survey)

    def update(params, state, oracle, t):
        g = oracle.grad(params)
        m = gamma1 * state.m + (1 - gamma1) * g
        sq = (g * g).sum(-1, keepdim=True) if survey else g * g
        v = gamma2 * state.v + (1 - gamma2) * sq
        k = t - 1 + first_k
        with torch.no_grad():  # 1 - gamma^0 = 0 with first_k = 0: a division by zero, as written
            bc1 = 1 - gamma1**k if bias_correction else 1.0
            bc2 = 1 - gamma2**k if bias_correction else 1.0
        if bias_correction and not isinstance(k, torch.Tensor) and k == 0:  # a tensor k gives 0 by itself
            bc1 = bc2 = torch.zeros((), dtype=params.dtype, device=params.device)
        if inside:
            new = params - step_size(schedule(t)) * (m / bc1) / torch.sqrt(eps + v / bc2)
        else:  # torch.optim.Adam's operation order, for round-off agreement
            denom = torch.sqrt(v) / (bc2 ** 0.5) + eps
            new = params - step_size(divide(schedule(t), bc1)) * (m / denom)
        return new, AdaptiveState(m, v)

    return Optimizer("adam" if not survey else "adam-survey", init, update,
                     {"lr": lr, "gamma1": gamma1, "gamma2": gamma2, "eps": eps, "eps_inside": inside,
                      "bias_correction": bias_correction, "first_k": first_k})

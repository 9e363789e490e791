"""Sharpness-aware minimisation and its efficient and adaptive variants (Sec. 7).

SAM (Eqs. 48-54), batched over seeds::

    g = grad L_B(w);   eps* = dual_eps(g, rho, p)                         (Eq. 52; p = 2: Eq. 53)
    w <- w - eta grad L_B(w + eps*)                                       (Eq. 54, d eps*/dw dropped)

with, for 1/p + 1/q = 1, ``eps* = rho sign(g) |g|^(q-1) / ||g||_q^(q/p)`` (p = inf:
``rho sign(g)``). The expression is homogeneous of degree 0 in g, so g is first divided by
``max |g|`` (no overflow for large q). A zero gradient gives eps* = 0. The perturbed point
is a new tensor: w itself is never modified, so nothing is "restored by subtraction".

ESAM's stochastic weight perturbation (SWP, Eq. 55), two named forms:

* ``"coordinate"`` (the survey's Eq. 55): ``eps_hat = m * eps* / beta``, m_i ~ Bernoulli(beta)
  per coordinate, eps* from the full gradient and its full norm: ``E[eps_hat] = eps*``.
* ``"tensor"`` (ESAM authors' code): whole tensors kept with probability beta, and eps
  renormalised over the kept ones, ``eps_hat = (rho / beta) g_kept / ||g_kept||``: biased,
  with ``||eps_hat|| = rho / beta`` whenever something is kept.

ESAM's sharpness-sensitive data selection (SDS, Eq. 56), two named forms: per-sample
sharpness ``s_i = l_i(w + eps*) - l_i(w)``; ``"threshold"`` (the survey): keep ``s_i > alpha``;
``"fraction"`` (ESAM): keep the top ``ceil(gamma b)``. The second gradient uses the kept
samples only.

ASAM (Eqs. 57-58), p = 2: ``T_w = |w| + eta_T`` on the parameters in ``mask`` (1 elsewhere),
``eps = rho T_w^2 g / ||T_w g||``. With ``eta_T = 0`` on every parameter the adaptive
sharpness is exactly invariant to positive per-coordinate rescalings ``w -> A w``.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import torch

from .. import compiling
from .._runtime import upload
from .._validation import check_choice, check_real
from .base import Optimizer
from .schedules import Schedule, as_schedule, step_size

__all__ = ["dual_eps", "swp_eps", "asam_eps", "sam", "asam", "SAMState"]


class SAMState(NamedTuple):
    eps_norm: torch.Tensor   # (S,) ||eps|| of the last step
    kept: torch.Tensor       # (S,) fraction of coordinates (SWP) or samples (SDS) kept


def _check_p(p):
    if isinstance(p, bool) or not isinstance(p, (int, float)) or not (p > 1):
        raise ValueError(f"The 'p' parameter must be a float in the range (1, inf]. Got {p!r} instead.")
    return float(p)


def dual_eps(g: torch.Tensor, rho: float, p: float = 2.0) -> torch.Tensor:
    """Eq. (52): the maximiser of ``g^T eps`` over ``||eps||_p <= rho``, per row of ``g: (S, d)``."""
    p = _check_p(p)
    scale = g.abs().amax(-1, keepdim=True)
    zero = scale == 0
    u = g / torch.where(zero, torch.ones_like(scale), scale)
    if math.isinf(p):
        eps = rho * torch.sign(u)
    else:
        q = p / (p - 1)
        a = u.abs() ** (q - 1)
        eps = rho * torch.sign(u) * a / (a ** (p)).sum(-1, keepdim=True) ** (1 / p)  # ||a||_p = ||u||_q^(q/p)
    return torch.where(zero, torch.zeros_like(eps), eps)


def _uniform(generator, S: int, n: int, like: torch.Tensor) -> torch.Tensor:
    """``(S, n)`` uniforms on ``like``'s device and dtype: from a :class:`UniformBlocks` (drawn
    ahead in blocks), or drawn now from a ``torch.Generator``."""
    if isinstance(generator, UniformBlocks):
        return generator.next(S, n, like)
    return torch.rand(S, n, generator=generator, dtype=like.dtype, device=generator.device).to(like.device)


class UniformBlocks:
    """A generator's uniforms drawn ``block`` numbers at a time and moved to the device once per
    block: the same bits as one ``torch.rand(S, n)`` per step (a CPU generator fills in order),
    without a small host-to-device copy every step. The generator must serve this stream alone."""

    def __init__(self, generator: torch.Generator, block: int = 1 << 20):
        self.generator, self.block, self._buf, self._pos = generator, block, None, 0

    @compiling.host_side  # a compiled step calls it eagerly: its position is host state, not a constant
    def next(self, S: int, n: int, like: torch.Tensor) -> torch.Tensor:
        buf = self._buf
        if buf is None or self._pos == buf.shape[0] or buf.shape[1:] != (S, n) or buf.dtype != like.dtype \
                or buf.device != like.device:
            K = max(1, self.block // (S * n))
            buf = self._buf = upload(torch.rand(K, S, n, generator=self.generator, dtype=like.dtype,
                                                device=self.generator.device), like.device)
            self._pos = 0
        self._pos += 1
        return buf[self._pos - 1]


def swp_eps(g: torch.Tensor, rho: float, beta: float, generator: torch.Generator, form: str = "coordinate",
            groups: torch.Tensor | None = None, n_groups: int | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """SWP perturbation (p = 2) and the kept-coordinate mask. ``groups: (d,)`` long labels the
    tensor of each coordinate (for ``form="tensor"``; default: one tensor per coordinate);
    ``n_groups`` (``groups.max() + 1``) given by a caller in a loop spares a host read per call.
    ``generator`` may be a :class:`UniformBlocks` (the masks' uniforms drawn ahead in blocks)."""
    check_choice("form", form, ("coordinate", "tensor"))
    beta = check_real("beta", beta, 0.0, 1.0, low_open=True)
    S, d = g.shape
    if form == "coordinate":
        mask = _uniform(generator, S, d, g) < beta
        return mask * dual_eps(g, rho, 2.0) / beta, mask
    if n_groups is None:
        n_groups = d if groups is None else int(groups.max()) + 1
    groups = torch.arange(d, device=g.device) if groups is None else groups.to(g.device)
    keep = _uniform(generator, S, n_groups, g) < beta
    mask = keep[:, groups]
    kept = g * mask
    return (rho / beta) * dual_eps(kept, 1.0, 2.0), mask


def asam_eps(g: torch.Tensor, w: torch.Tensor, rho: float, eta_t: float = 0.0, mask: torch.Tensor | None = None) -> torch.Tensor:
    """ASAM's perturbation for p = 2: ``rho T^2 g / ||T g||``, ``T = |w| + eta_t`` on ``mask``."""
    T = w.abs() + eta_t
    if mask is not None:
        T = torch.where(mask.to(w.device), T, torch.ones_like(T))
    Tg = T * g
    norm = torch.linalg.vector_norm(Tg, dim=-1, keepdim=True)
    return torch.where(norm > 0, rho * T * Tg / torch.where(norm > 0, norm, torch.ones_like(norm)), torch.zeros_like(g))


def _init(params):
    S = params.shape[0]
    return SAMState(torch.zeros(S, dtype=params.dtype, device=params.device),
                    torch.ones(S, dtype=params.dtype, device=params.device))


def sam(lr: Schedule, rho: float = 0.05, p: float = 2.0, *, swp: str | None = None, beta: float = 0.5,
        sds: str | None = None, alpha: float = 0.0, gamma: float = 0.5, generator: torch.Generator | None = None,
        groups: torch.Tensor | None = None) -> Optimizer:
    """SAM with optional SWP (``swp="coordinate" | "tensor"``) and SDS (``sds="threshold" | "fraction"``)."""
    schedule = as_schedule(lr)
    rho = check_real("rho", rho, 0.0)
    p = _check_p(p)
    if swp is not None:
        check_choice("swp", swp, ("coordinate", "tensor"))
        beta = check_real("beta", beta, 0.0, 1.0, low_open=True)
        if generator is None:
            raise ValueError("The 'generator' parameter must be a torch.Generator when swp is set. Got None instead.")
    n_groups = None if groups is None else int(groups.max()) + 1  # once, not per step
    stream = UniformBlocks(generator) if swp is not None else None  # masks drawn ahead, moved once per block
    if sds is not None:
        check_choice("sds", sds, ("threshold", "fraction"))
        gamma = check_real("gamma", gamma, 0.0, 1.0, low_open=True)


    def update(params, state, oracle, t):
        g = oracle.grad(params)
        kept = torch.ones_like(state.kept)
        if swp is None:
            eps = dual_eps(g, rho, p)
        else:
            eps, mask = swp_eps(g, rho, beta, stream, swp, groups, n_groups)
            kept = mask.to(g.dtype).mean(-1)
        perturbed = params + eps  # a new tensor: params stays as it was
        if sds is None:
            g_sam = oracle.grad(perturbed)
        else:
            with torch.no_grad():
                sharp = oracle.per_sample_losses(perturbed) - oracle.per_sample_losses(params)
            if sds == "threshold":
                sel = sharp > alpha
            else:
                k = max(1, math.ceil(gamma * sharp.shape[1]))
                sel = torch.zeros_like(sharp, dtype=torch.bool).scatter_(1, sharp.topk(k, dim=1).indices, True)
            count = sel.sum(-1, keepdim=True)
            weights = sel.to(g.dtype) / count.clamp_min(1)
            g_sam = oracle.grad_weighted(perturbed, weights)
            kept = count.squeeze(-1).to(g.dtype) / sharp.shape[1]
        return params - step_size(schedule(t)) * g_sam, SAMState(torch.linalg.vector_norm(eps, dim=-1), kept)

    name = "sam" + (f"-swp-{swp}" if swp else "") + (f"-sds-{sds}" if sds else "")
    return Optimizer(name, _init, update, {"lr": lr, "rho": rho, "p": p, "swp": swp, "beta": beta, "sds": sds,
                                          "alpha": alpha, "gamma": gamma})


def asam(lr: Schedule, rho: float = 0.5, eta_t: float = 0.0, mask: torch.Tensor | None = None) -> Optimizer:
    """ASAM (p = 2) with ``T_w = |w| + eta_t`` on ``mask`` (default: every parameter, eta_t = 0)."""
    schedule = as_schedule(lr)
    rho = check_real("rho", rho, 0.0)
    eta_t = check_real("eta_t", eta_t, 0.0)


    def update(params, state, oracle, t):
        g = oracle.grad(params)
        eps = asam_eps(g, params, rho, eta_t, mask)
        g_sam = oracle.grad(params + eps)
        return params - step_size(schedule(t)) * g_sam, SAMState(torch.linalg.vector_norm(eps, dim=-1), state.kept)

    return Optimizer("asam", _init, update, {"lr": lr, "rho": rho, "eta_t": eta_t})

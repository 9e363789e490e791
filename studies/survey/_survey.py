"""The survey's own pieces, shared by its studies: its variants of the adaptive methods, and two
experiments that more than one study runs. The library (``convcheck``) knows no paper; what
is the survey's alone lives here, beside the studies that use it.

Methods, as the survey writes them (Sec. 6, Eqs. 38-47; the standard algorithms are
``convcheck.optim.adagrad``/``rmsprop``/``adam``):

=====================  ==========================================  ===========================
function               second moment                               denominator
=====================  ==========================================  ===========================
adagrad_survey         ``G_j = sum_tau g_j^2``, Eq. (39)           ``sqrt(eps + G_j)``
rmsprop_survey         scalar ``v = gamma v + (1-gamma)||g||^2``   ``sqrt(eps + v)``, Eq. (42)
adam_survey            scalar ``v`` from ``||g||^2``, Eq. (44)     ``sqrt(eps + v_hat)``, Eq. (47)
=====================  ==========================================  ===========================

Notes on the survey's text:

* Eq. (40) writes the update of coordinate j with ``grad f_j(w_j)``; read as the j-th
  coordinate of the sampled gradient, as Eqs. (38)-(39) define it.
* Eqs. (41) and (44) keep one scalar v for all coordinates: one step size for the whole
  vector, not a per-coordinate one. The standard per-coordinate methods are the library's,
  so the difference can be measured.
* Eqs. (45)-(46) divide by ``1 - gamma^k`` with k starting at 0, a division by zero at the
  first step. By default the k-th update (k = 1, 2, ...) uses ``1 - gamma^k``, as Kingma & Ba
  do; ``first_k=0`` is the survey's count as written (its first step is not finite).

Experiments:

* :func:`survey_contraction`: the evidence on "a constant-step stochastic method contracts like
  ``1 - mu/L``" (Eqs. 29 and 35 of the survey as written): the given runs, and a run at
  ``eta = 1/L``, the one step where Bottou et al.'s ``1 - eta mu`` equals ``1 - mu/L``.
* :func:`convex_transient`: the run that shows the O(1/t) transient of a constant-step stochastic
  method on a convex problem (Eqs. 27 and 34 of the survey).
"""

from __future__ import annotations

import numpy as np
import torch

from convcheck import engine
from convcheck._validation import check_real
from convcheck.evidence import Curves
from convcheck.objectives import LeastSquares
from convcheck.optim import Optimizer
from convcheck.optim.adaptive import AdaptiveState
from convcheck.optim.schedules import Schedule, as_schedule, step_size

__all__ = ["PROP2", "PROP2_STRONG", "PROP3", "PROP3_STRONG", "BOTH_CASES", "two_wells", "survey_contraction", "convex_transient", "adagrad_survey", "rmsprop_survey", "adam_survey"]


# --- the hypotheses of Props. 2 and 3 (convcheck.hypotheses) ------------------------------------
#: Prop. 2: f = sum f_i bounded below, its gradient L-smooth, E[||grad f_i||^2 | w_k] <= beta^2. No convexity.
PROP2 = ("finite sum", "bounded below", "L-smooth", "bounded stochastic gradients")
#: Eqs. (28)-(29): "if the functions f_i's are mu-strongly convex", on top of Prop. 2's.
PROP2_STRONG = (*PROP2, "each f_i mu-strongly convex")
#: Prop. 3: as Prop. 2 without the gradient bound (the batch error e_t appears in the bound instead).
PROP3 = ("finite sum", "bounded below", "L-smooth")
PROP3_STRONG = (*PROP3, "each f_i mu-strongly convex")
#: "for non-convex and convex functions" (Eq. 34); Prop. 2 assumes no convexity at all.
BOTH_CASES = ("non-convex", "convex")


def two_wells(ctx, name: str = "two-wells", rows: int | None = None):
    """The non-convex instance of Props. 2-3's claims (``convcheck.objectives.TwoWells``: L-smooth
    with bounded gradients on the whole line, a spurious minimum 0.5 above f*), n = 100 summands,
    and starts in the spurious basin (``w_local + 0.05 N(0, 1)``, one row per seed): the bounds of
    Eqs. (25)-(27) and (34) are stated for every start, so one basin is a fair counterexample."""
    from convcheck.objectives import TwoWells

    tw = TwoWells(100, ctx.generator(name), dtype=ctx.dtype, device=ctx.device)
    return tw, tw.w_local + 0.05 * ctx.normal((rows or ctx.seeds, 1), name, "w0")


def survey_contraction(ctx, problem, curves: dict, make_opt, sampler) -> tuple[dict, list[str]]:
    """The evidence on "the gap contracts like (1 - mu/L)^t with a constant step" (a contraction
    judged against ``1 - mu/L``, read from the instance's constants), and its findings.

    ``curves``: setting label -> the gap curves of the study's own runs on ``problem``;
    ``make_opt(eta_rows)`` builds the method (as the study's); ``sampler`` draws the batches of the
    added run at ``eta = 1/L``, started 100x farther than the sweep's starts: there the gradient
    noise sets a floor within a few steps, and the geometric phase needs decades above it.
    """
    S, T = ctx.seeds, int(np.ceil(200 * problem.L / problem.mu))
    w0 = ctx.start_near(problem.w_star, "w0-1/L", scale=100.0)
    tr = engine.run(problem, make_opt(torch.full((S,), 1 / problem.L, dtype=ctx.dtype, device=ctx.device)), w0, T,
                    checkpoints=np.arange(T + 1), sampler=sampler, generator=ctx.generator("sampler-1/L"))
    return {**curves, "eta=1/L": Curves.of(tr, role="sgd")}, [
        f"claimed contraction of the gap per step: 1 - mu/L = {1 - problem.mu / problem.L:g}; with a constant step the "
        "transient contracts like (1 - eta mu)^2 per step, so 1 - mu/L could only be reached near eta = 1/L, where the "
        "gradient noise is largest"]


def convex_transient(ctx, make_opt, sampler, steps: int):
    """The run that shows the 1/t term of ``f - f* <= O(1/t + noise)`` with a constant step.

    Noiseless least squares (n = 400, d = 100: no floor, the samples are interpolated) whose
    curvatures spread from 1/80 to 1, with equal error energy ``lambda_i e_i^2`` in every
    eigendirection: the modes still moving at step t are those with ``lambda < 1/(eta t)``, so the
    gap decays like ``1/(eta t)`` for ``1/(eta L) < t < 1/(eta mu)`` (two decades), geometrically
    after. Constant step ``1/max_i ||x_i||^2`` (stable for one sample). A smaller mu would leave
    a mode that has not moved by the horizon: a flat stretch that a rate judgment reads, rightly,
    as a stall. ``sampler`` draws the batches (its n must be 400). Returns the gap curves, their
    table and the step.
    """
    ls = LeastSquares.planted(400, 100, ctx.generator("transient"), L=1.0, kappa=80.0, noise=0.0, dtype=ctx.dtype,
                              device=ctx.device)
    lam, Q = torch.linalg.eigh(ls.H)
    signs = torch.sign(torch.randn(ctx.seeds, ls.dim, generator=ctx.generator("transient-signs"), dtype=ctx.dtype, device="cpu"))
    w0 = ls.w_star + (signs.to(ctx.device) / torch.sqrt(lam * ls.dim)) @ Q.T
    eta = 1.0 / float((ls.X * ls.X).sum(-1).max())
    tr = engine.run(ls, make_opt(torch.full((ctx.seeds,), eta, dtype=ctx.dtype, device=ctx.device)), w0, steps,
                    checkpoints=engine.log_checkpoints(steps, 12), sampler=sampler, generator=ctx.generator("transient-sampler"))
    return Curves.of(tr, role="sgd"), tr.to_frame(seed=np.arange(ctx.seeds), setting=f"eta={eta:.3g}"), eta


# --- the survey's adaptive methods (Sec. 6) ----------------------------------------------------

def _scalar_state(params):
    """Zero moments, with one scalar v per seed: (S, 1)."""
    return AdaptiveState(torch.zeros_like(params), torch.zeros_like(params[:, :1]))


def adagrad_survey(lr: Schedule = 0.01, eps: float = 1e-8) -> Optimizer:
    """AdaGrad as Eq. (39) writes it: per coordinate, eps inside the root, ``sqrt(eps + G_j)``."""
    schedule = as_schedule(lr)
    eps = check_real("eps", eps, 0.0)

    def update(params, state, oracle, t):
        g = oracle.grad(params)
        G = state.v + g * g
        return params - step_size(schedule(t)) * g / torch.sqrt(G + eps), AdaptiveState(state.m, G)

    return Optimizer("adagrad-survey", lambda p: AdaptiveState(torch.zeros_like(p), torch.zeros_like(p)), update,
                     {"lr": lr, "eps": eps, "eps_inside": True})


def rmsprop_survey(lr: Schedule = 0.01, gamma: float = 0.99, eps: float = 1e-8) -> Optimizer:
    """RMSProp as Eqs. (41)-(42) write it: one scalar ``v = gamma v + (1 - gamma) ||g||^2`` and
    ``w -= eta g / sqrt(eps + v)``."""
    schedule = as_schedule(lr)
    gamma = check_real("gamma", gamma, 0.0, 1.0, high_open=True)
    eps = check_real("eps", eps, 0.0)

    def update(params, state, oracle, t):
        g = oracle.grad(params)
        v = gamma * state.v + (1 - gamma) * (g * g).sum(-1, keepdim=True)
        return params - step_size(schedule(t)) * g / torch.sqrt(v + eps), AdaptiveState(state.m, v)

    return Optimizer("rmsprop-survey", _scalar_state, update, {"lr": lr, "gamma": gamma, "eps": eps, "eps_inside": True})


def adam_survey(lr: Schedule = 0.001, gamma1: float = 0.9, gamma2: float = 0.999, eps: float = 1e-8,
                first_k: int = 1) -> Optimizer:
    """Adam as Eqs. (43)-(47) write it: scalar ``v`` from ``||g||^2``, eps inside the root. The
    t-th update divides by ``1 - gamma^k`` with ``k = t - 1 + first_k``: ``first_k = 1`` as
    Kingma & Ba, ``first_k = 0`` as Eqs. (45)-(46) are written (see the module note)."""
    schedule = as_schedule(lr)
    gamma1 = check_real("gamma1", gamma1, 0.0, 1.0, high_open=True)
    gamma2 = check_real("gamma2", gamma2, 0.0, 1.0, high_open=True)
    eps = check_real("eps", eps, 0.0)
    if first_k not in (0, 1):
        raise ValueError(f"The 'first_k' parameter must be one of [0, 1]. Got {first_k!r} instead.")

    def update(params, state, oracle, t):
        g = oracle.grad(params)
        m = gamma1 * state.m + (1 - gamma1) * g
        v = gamma2 * state.v + (1 - gamma2) * (g * g).sum(-1, keepdim=True)
        k = t - 1 + first_k
        with torch.no_grad():  # 1 - gamma^0 = 0 with first_k = 0: a division by zero, as written
            bc1, bc2 = 1 - gamma1**k, 1 - gamma2**k
        if not isinstance(k, torch.Tensor) and k == 0:  # a tensor k gives 0 by itself
            bc1 = bc2 = torch.zeros((), dtype=params.dtype, device=params.device)
        return params - step_size(schedule(t)) * (m / bc1) / torch.sqrt(eps + v / bc2), AdaptiveState(m, v)

    return Optimizer("adam-survey", _scalar_state, update,
                     {"lr": lr, "gamma1": gamma1, "gamma2": gamma2, "eps": eps, "eps_inside": True, "first_k": first_k})

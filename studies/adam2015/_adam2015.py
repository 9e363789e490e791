"""The methods and instances of the adam2015 suite, as the papers state them.

* :func:`kingma_ba_adam`: Kingma & Ba (2015), Alg. 1 with the decaying first moment of
  Theorem 4.1, ``beta_{1,t} = beta_1 lambda^(t-1)`` (Sec. 4 suggests lambda = 1 - 1e-8), step
  ``alpha_t`` (a schedule: alpha / sqrt(t) in the theorem), bias corrections 1 - beta^t;
* :func:`amsgrad`: Reddi, Kale & Kumar (2018), Alg. 2: ``v_hat_t = max(v_hat_{t-1}, v_t)``, no
  bias correction, ``beta_{1,t} = beta_1 lambda^(t-1)``;
* :func:`periodic`: the losses of their Theorems 1-2 on the feasible set [-1, 1]:
  ``f_t(x) = C x`` once per period, ``-x`` at the other rounds (x* = -1 when C > period - 1);
* :func:`stochastic`: Theorem 3's losses, ``f_t(x) = C x`` with probability
  ``p = (1 + delta)/(C + 1)``, else ``-x``: the expected loss is ``delta x``, minimised at -1.

Both methods take ``betas`` as torch.optim does, and ``lr`` as a float, an (S,) tensor or a
schedule, so torch.optim.Adam (with ``amsgrad=True`` for AMSGrad) fits their roles.
"""

from __future__ import annotations

import numpy as np
import torch

from convcheck.evidence import Curves
from convcheck.objectives import OnlineLinear
from convcheck.optim import Optimizer
from convcheck.optim.schedules import as_schedule, step_size
from convcheck.roles import Role

#: The class the theorems of this suite quantify over: online convex problems with bounded gradients
#: on a bounded feasible set (Kingma & Ba, Thm. 4.1; Reddi et al., Sec. 2 and Thms. 1-4).
ONLINE_CONVEX = ("each f_t convex", "bounded gradients", "bounded domain")

LAMBDA = 1.0 - 1e-8  # Kingma & Ba (2015), Sec. 4


def _adam_like(lr, betas, eps, lam, *, long_memory: bool, debias: bool, name: str) -> Optimizer:
    schedule, (b1, b2) = as_schedule(lr), (float(betas[0]), float(betas[1]))

    def init(w):
        z = torch.zeros_like(w)
        return z, z.clone(), z.clone()

    def update(w, state, oracle, t):
        m, v, vhat = state
        g = oracle.grad(w)
        b1t = b1 * lam ** (t - 1)
        m = b1t * m + (1 - b1t) * g
        v = b2 * v + (1 - b2) * g * g
        vhat = torch.maximum(vhat, v) if long_memory else v
        mh, vh = (m / (1 - b1**t) if b1 > 0 else m, vhat / (1 - b2**t)) if debias else (m, vhat)
        return w - step_size(schedule(t)) * mh / (vh.sqrt() + eps), (m, v, vhat)

    return Optimizer(name, init, update, {"lr": lr, "betas": (b1, b2), "eps": eps, "lambda": lam})


def kingma_ba_adam(lr, betas=(0.9, 0.999), eps=1e-8, lam=LAMBDA) -> Optimizer:
    return _adam_like(lr, betas, eps, lam, long_memory=False, debias=True, name="adam (Kingma & Ba)")


def amsgrad(lr, betas=(0.9, 0.999), eps=1e-8, lam=LAMBDA) -> Optimizer:
    return _adam_like(lr, betas, eps, lam, long_memory=True, debias=False, name="amsgrad (Reddi et al.)")


ADAM = Role("adam_kb", ("lr", "betas", "eps"), kingma_ba_adam,
            "Adam as Theorem 4.1 states it (beta_1 decaying by lambda = 1 - 1e-8)", "torch.optim.Adam")
AMSGRAD = Role("amsgrad", ("lr", "betas", "eps"), amsgrad, "AMSGrad, Reddi et al. Alg. 2",
               "torch.optim.Adam", requires={"amsgrad": True})


def periodic(C: float, period: int = 3, dtype=torch.float64) -> OnlineLinear:
    return OnlineLinear([[C]] + [[-1.0]] * (period - 1), dtype=dtype)


def periodic_rows(Cs, seeds: int, period: int | None = None, dtype=torch.float64) -> OnlineLinear:
    """One row block per C (``seeds`` rows each): gradient C once per period (of C rounds, or
    ``period``), -1 at the other rounds."""
    periods = [int(C) if period is None else int(period) for C in Cs]
    vals = torch.full((len(Cs) * seeds, max(periods), 1), -1.0, dtype=dtype, device="cpu")
    vals[:, 0, 0] = torch.tensor([float(C) for C in Cs], dtype=dtype, device="cpu").repeat_interleave(seeds)
    return OnlineLinear(vals, periods=torch.tensor(periods, device="cpu").repeat_interleave(seeds), dtype=dtype)


def stochastic_rows(Cs, delta: float, seeds: int, dtype=torch.float64) -> OnlineLinear:
    """Theorem 3's losses, one row block per C: C x with probability (1 + delta)/(C + 1), else -x."""
    C = torch.tensor([float(c) for c in Cs], dtype=dtype, device="cpu").repeat_interleave(seeds)
    vals = torch.stack([C, -torch.ones_like(C)], -1).unsqueeze(-1)  # (S, 2, 1)
    p = (1 + delta) / (np.repeat(np.asarray(Cs, dtype=np.float64), seeds) + 1)  # probabilities in float64
    return OnlineLinear(vals, schedule="iid", probs=np.stack([p, 1 - p], -1), dtype=dtype)


def starts(ctx, name, blocks: int = 1) -> torch.Tensor:
    """x_1 uniform on [-1, 1] per seed, the same seeds in every block (the theorems hold from any start)."""
    x = 2 * torch.rand(ctx.seeds, 1, generator=ctx.generator(name), dtype=ctx.dtype, device="cpu") - 1
    return x.repeat(blocks, 1).to(ctx.device)


def doubling_checkpoints(period: int, steps: int) -> np.ndarray:
    """0 and period * 2^k up to ``steps``: whole periods, each checkpoint twice the one before."""
    k = int(np.floor(np.log2(max(steps // period, 1))))
    return np.concatenate([[0], period * 2 ** np.arange(k + 1)])


def later_half_average(curves: Curves) -> Curves:
    """``(R(T) - R(T/2)) / (T/2)`` at the doubling checkpoints T (from the second): the average
    regret of the later half of the rounds, free of the early rounds' transient. R(T)/T -> 0
    if and only if this tends to 0 (for regret growing at most linearly)."""
    ck = curves.steps

    def later_half(R):
        out = np.full(R.shape, np.nan)
        out[:, 2:] = (R[:, 2:] - R[:, 1:-1]) / (ck[2:] - ck[1:-1])
        return out

    return curves.map(later_half, "late average regret").window(start=ck[2])


def theorem1_step(C: float) -> float:
    """alpha of alpha_t = alpha/sqrt(t): half the largest Theorem 1 allows, sqrt(1 - beta_2)."""
    return 0.5 * (1 - 1 / (1 + C * C)) ** 0.5


def regret_runs(ctx, role: str, problems: dict, steps: int):
    """Run the method in ``role`` with ``lr = alpha/sqrt(t)``, ``eps = 1e-8`` on each
    ``{label: (problem, betas, alpha, period)}`` to whole periods: the regret curves per label, the
    engine runs, findings with numbers, and the table."""
    import pandas as pd

    from convcheck import engine
    from convcheck.optim import inverse_sqrt_t

    method, curves, runs, findings, frames = ctx.method(role), {}, {}, [], []
    for label, (obj, betas, alpha, period) in problems.items():
        ck = doubling_checkpoints(period, steps)
        tr = engine.run(obj, method(lr=inverse_sqrt_t(alpha), betas=betas, eps=1e-8), starts(ctx, label), int(ck[-1]),
                        checkpoints=ck, generator=ctx.generator(label, "rounds"),
                        metrics=("regret", "avg_regret", "dist", "realised_regret"))
        curves[label], runs[label] = Curves.of(tr, "regret", role=role), tr
        T = tr.steps[-1]
        findings.append(f"{label}: R(T)/T = {np.nanmedian(tr.metrics['avg_regret'][:, -1]):.4g}, R(T)/sqrt(T) = "
                        f"{np.nanmedian(tr.metrics['regret'][:, -1]) / np.sqrt(T):.3g} at T = {T}; final x median "
                        f"{np.median(tr.final.cpu().numpy()):.3f} (x* = -1)")
        frames.append(tr.to_frame(setting=label, seed=np.arange(tr.n_seeds)))
    return curves, runs, findings, pd.concat(frames, ignore_index=True)


def drift(g: np.ndarray, alpha: float, betas, lam: float = LAMBDA, eps: float = 1e-8) -> np.ndarray:
    """The cumulative move ``D_t = sum_{tau <= t} alpha/sqrt(tau) m_tau / (sqrt(v_hat_tau) + eps)`` of
    Alg. 2 (AMSGrad, ``beta_{1,t} = beta_1 lam^(t-1)``) on the gradient sequences ``g: (S, T)``: on
    linear losses g_t does not depend on x_t, so without the projection ``x_t = x_1 - D_t``."""
    import scipy.signal

    b1, b2 = float(betas[0]), float(betas[1])
    S, T = g.shape
    t = np.arange(1, T + 1, dtype=np.float64)
    v = scipy.signal.lfilter([1 - b2], [1, -b2], g * g, axis=-1)  # v_t = b2 v_{t-1} + (1 - b2) g_t^2
    root = np.sqrt(np.maximum.accumulate(v, axis=-1))
    if b1 == 0:
        m = g
    else:  # m_t = b1t m_{t-1} + (1 - b1t) g_t with b1t = b1 lam^(t-1): exact by blocks of K rounds, each
        # m_t = (P_t / P_s) m_s + sum_{s < tau <= t} (P_t / P_tau)(1 - b1_tau) g_tau, P the running product of b1t
        K, m, carry = 32, np.empty_like(g), np.zeros(S)
        b1t = b1 * lam ** (t - 1)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            for s0 in range(0, T, K):
                sl = slice(s0, min(s0 + K, T))
                logP = np.cumsum(np.log(b1t[sl]))  # log P_t / P_s over the block (-inf once b1t underflows to 0)
                k = np.arange(logP.size)
                W = np.where(k[:, None] == k[None, :], 1.0, np.nan_to_num(np.exp(logP[:, None] - logP[None, :]), nan=0.0))
                W = np.tril(W) * (1 - b1t[sl])[None, :]  # W[i, j] = (P_i / P_j)(1 - b1_j), j <= i
                m[:, sl] = g[:, sl] @ W.T + np.nan_to_num(np.exp(logP))[None, :] * carry[:, None]
                carry = m[:, sl.stop - 1]
    return np.cumsum(alpha / np.sqrt(t) * m / (root + eps), axis=-1)


def arrival(D: np.ndarray, x1: np.ndarray, x_star: float = -1.0, hi: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """The round at which each seed's iterate first reaches ``x_star``, the end of the transient in
    which x_t travels from x_1 to the minimiser (the regret grows like t meanwhile, whatever the
    order of the bound), from the cumulative move ``D: (S, T)`` (:func:`drift`) and the starts
    ``x1: (S,)``. Before it reaches x* the iterate is the path ``x_1 - D_t`` held below ``hi`` by the
    projection (a one-sided reflection). Where a seed has not arrived by round T, the move is
    extrapolated along sqrt(t), the law of a step alpha/sqrt(t) with a steady drift, from its last
    doubling: ``D_t = D_T + b (sqrt(t) - sqrt(T))``, b fitted on [T/2, T]; a seed that does not move
    toward x* there (b <= 0) never arrives (inf). Returns the rounds and whether each was reached
    within T (else extrapolated)."""
    S, T = D.shape
    u = x1[:, None] - D
    x = u - np.maximum(0.0, np.maximum.accumulate(u - hi, axis=1))  # the projection at hi, before x* is reached
    reached = (x <= x_star).any(axis=1)
    first = np.where(reached, np.argmax(x <= x_star, axis=1) + 1.0, np.inf)
    half = T // 2
    b = (D[:, -1] - D[:, half - 1]) / (np.sqrt(T) - np.sqrt(half))
    with np.errstate(divide="ignore", invalid="ignore"):
        later = np.where(b > 0, (np.sqrt(T) + (x[:, -1] - x_star) / b) ** 2, np.inf)
    return np.where(reached, first, later), reached

"""SF-2, SF-3: Defazio et al. (2024), Sec. 2: x is the running average of z; beta = 0 and beta = 1.

Claims:
    SF-2 (Sec. 2, after Eq. (5)): with c_{t+1} = 1/(t + 1) and z_1 = x_1, "the x sequence is just a
    running average of the z sequence": x_t = (z_1 + ... + z_t) / t, where z_{t+1} = z_t - gamma
    grad f(y_t) and y_t is where the method takes its gradient.
    SF-3 (Sec. 2, after Eq. (5)): beta "interpolates between Polyak-Ruppert averaging (beta = 0)
    and Primal averaging (beta = 1)": at beta = 0 the gradient is taken at z_t (Eqs. (1)-(2): SGD,
    x its average), at beta = 1 at x_t (Eqs. (6)-(7)).
Kind:
    identity (round-off).
Objective:
    a least-squares problem (a smooth finite sum, full gradients: the identities are about the
    method, not the function); any objective would do.
Optimizer:
    role ``schedule_free`` (lr = gamma, momentum = beta), SF-2 at each beta of ``betas``, SF-3 at
    beta = 0 and 1. The method is observed from outside: the points y_t where it asks for a gradient
    (the oracle's calls) and the points x_t it hands back (a class with train()/eval() modes: read
    in eval mode). z is rebuilt from them by Eq. (4), z_{t+1} = z_1 - gamma sum_{i <= t} grad f(y_i).
Fit:
    SF-2: x_t against the mean of the rebuilt z_1..z_t, t = 1..steps + 1. SF-3: y_t against z_t
    (beta = 0) and against x_t (beta = 1).
Verdict rule:
    declared ``Identity()`` (IDENTITY_RTOL carried to the dtype) per beta: reproduced when every
    point agrees, refuted at the first that does not.
References:
    Defazio, Yang, Mehta, Mishchenko, Khaled & Cutkosky (2024), The Road Less Scheduled, NeurIPS,
    Sec. 1 (Eqs. (1)-(2)) and Sec. 2 (Eqs. (3)-(7)) (arXiv:2405.15682).
"""

from __future__ import annotations

import pandas as pd
import torch

from convcheck import engine
from convcheck.evidence import Computations
from convcheck.judgments import Identity
from convcheck.objectives import LeastSquares
from convcheck.study import Claim, StudyResult

NONE = "none: an identity of two computations (the method's own points)"
CLAIMS = [Claim("SF-2", "Sec. 2, after Eq. (5)", "with c_{t+1} = 1/(t+1), z_1 = x_1: x_t = (z_1 + ... + z_t)/t, "
                "z_{t+1} = z_t - gamma grad f(y_t)", "identity", methods=("schedule_free",), assumes=NONE,
                judgments=Identity()),
          Claim("SF-3", "Sec. 2, after Eq. (5)", "beta = 0 takes the gradient at z_t (Polyak-Ruppert averaging, Eqs. 1-2); "
                "beta = 1 at x_t (primal averaging, Eqs. 6-7)", "identity", methods=("schedule_free",), assumes=NONE,
                judgments=Identity())]
ROLES = ("schedule_free",)
SCALES = {"tiny": {"seeds": 3, "steps": 10, "betas": (0.5, 0.9)},
          "quick": {"seeds": 4, "steps": 30, "betas": (0.1, 0.5, 0.9, 0.98)},
          "full": {"seeds": 8, "steps": 100, "betas": (0.1, 0.25, 0.5, 0.75, 0.9, 0.98)}}


class _Observed:
    """The objective, recording every point where the method asks for a gradient."""

    def __init__(self, objective):
        self.objective, self.points = objective, []

    def __getattr__(self, name):
        return getattr(self.objective, name)

    def grad(self, w):
        self.points.append(w.detach().clone())
        return self.objective.grad(w)


def observed(ctx, obj, beta, steps, lr):
    """(x: (S, steps + 1, d), y: (S, steps, d), z rebuilt by Eq. (4): (S, steps + 1, d)) of one run."""
    rec = _Observed(obj)
    tr = engine.run(rec, ctx.method("schedule_free")(lr=lr, momentum=beta), ctx.start_near(obj.w_star, "start", beta),
                    steps, checkpoints=range(steps + 1), keep_iterates=True, metrics=("gap",), compile=False)
    x, y = tr.iterates, torch.stack(rec.points[-steps:], 1)
    g = obj.grad(y.reshape(-1, y.shape[-1])).reshape(y.shape)
    z = torch.cat([x[:, :1], x[:, :1] - lr * torch.cumsum(g, 1)], 1)
    return x, y, z


def run(ctx, *, steps, betas) -> StudyResult:
    obj = LeastSquares.planted(40, 5, ctx.generator("least squares"), kappa=10.0, dtype=ctx.dtype, device=ctx.device)
    lr = 0.5 / obj.L
    evidence, rows = {"SF-2": {}, "SF-3": {}}, []
    for beta in betas if ctx.wants("SF-2") else ():
        x, y, z = observed(ctx, obj, beta, steps, lr)
        mean = torch.cumsum(z, 1) / torch.arange(1, steps + 2, dtype=z.dtype, device=z.device)[:, None]
        evidence["SF-2"][f"beta = {beta:g}"] = Computations.on(obj, x, mean, what="x_t and the mean of z_1..z_t",
                                                               role="schedule_free")
        rows.append({"claim": "SF-2", "beta": beta, "max |x - mean z|": float((x - mean).abs().max())})
    for beta, name, other in ((0.0, "z_t", 2), (1.0, "x_t", 0)) if ctx.wants("SF-3") else ():
        x, y, z = observed(ctx, obj, beta, steps, lr)
        ref = (x, y, z)[other][:, :steps]
        evidence["SF-3"][f"beta = {beta:g}: the gradient at {name}"] = Computations.on(
            obj, y, ref, what=f"y_t (where the gradient is taken) and {name}", role="schedule_free")
        rows.append({"claim": "SF-3", "beta": beta, "max |y - ref|": float((y - ref).abs().max())})
    evidence = {k: v for k, v in evidence.items() if v}
    return StudyResult(tables={"identities": pd.DataFrame(rows)}, evidence=evidence,
                       setup={"steps": steps, "betas": list(betas), "lr": lr})


if __name__ == "__main__":
    from convcheck.study import main

    main(__file__)

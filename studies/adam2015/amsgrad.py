"""AMS-1: AMSGrad's regret bound (Reddi, Kale & Kumar 2018, Thm. 4; proof corrected by Phuong & Phong 2019).

Claim:
    AMS-1: for online convex losses with bounded gradients on a bounded feasible set, AMSGrad
    (Alg. 2: v_hat_t = max(v_hat_{t-1}, v_t), no bias correction) with alpha_t = alpha/sqrt(t),
    beta_{1,t} <= beta_1 decaying (here beta_1 lambda^(t-1)) and gamma = beta_1/sqrt(beta_2) < 1
    has regret R(T) = O(sqrt(T)). Phuong & Phong (2019) found a gap in the original proof and
    proved the O(sqrt(T)) bound again under these conditions; that is the statement judged.
Kind:
    rate (upper) of the regret against sqrt(T).
Objective:
    the problems on which Adam fails (RKK-1 to RKK-3): period 3 with C in (3, 10) and beta_1 = 0,
    beta_2 = 1/(1 + C^2); one gradient C per period of C rounds (C = 12, 48) with betas
    (0.9, 0.99); Theorem 3's stochastic losses (C = 12, delta = 0.1), pseudo-regret.
Optimizer:
    role ``amsgrad`` (Alg. 2 as written; torch.optim.Adam(amsgrad=True) fits it, with its bias
    corrections), alpha = half of sqrt(1 - beta_2) on the period-3 problems, 0.1 elsewhere.
Fit and Verdict rule:
    check_rate(regret, t, "sqrt(t)", "upper") at checkpoints on whole periods: refuted when the
    regret grows credibly faster than sqrt(T) on some problem; reproduced when it does on none.
References:
    Reddi, Kale & Kumar (2018), ICLR; Phuong & Phong (2019), IEEE Access 7, 61706-61716.
"""

from __future__ import annotations

from convcheck.study import Claim, StudyResult

from _adam2015 import AMSGRAD, periodic_rows, regret_rate, stochastic_rows, theorem1_step

CLAIMS = [Claim("AMS-1", "Thm. 4 (corrected proof)", "AMSGrad with alpha_t = alpha/sqrt(t), decaying beta_1t, "
                "beta_1/sqrt(beta_2) < 1, bounded gradients and feasible set: R(T) = O(sqrt(T))", "rate",
                methods=("amsgrad",))]
ROLES = (AMSGRAD,)
SCALES = {"tiny": {"seeds": 4, "steps": 3000}, "quick": {"seeds": 16, "steps": 50_000}, "full": {"seeds": 256, "steps": 1_000_000}}


def _problems(ctx):
    S = ctx.seeds
    out = {f"period 3, C = {C:g}, betas (0, 1/(1+C^2))": (periodic_rows([C], S, 3, ctx.dtype), (0.0, 1 / (1 + C * C)),
                                                            theorem1_step(C), 3) for C in (3.0, 10.0)}
    for C in (12, 48):
        out[f"period C = {C}, betas (0.9, 0.99)"] = (periodic_rows([C], S, dtype=ctx.dtype), (0.9, 0.99), 0.1, C)
    out["stochastic, C = 12, delta = 0.1, betas (0.9, 0.99)"] = (stochastic_rows([12], 0.1, S, ctx.dtype), (0.9, 0.99), 0.1, 1)
    return out


def run(ctx, *, steps) -> StudyResult:
    verdict, curves = regret_rate(ctx, ctx.method("amsgrad"), _problems(ctx), steps, "AMS-1", "amsgrad",
                                  "problem where Adam fails")
    figures = [{"kind": "curves", "table": "regret", "title": "AMS-1: AMSGrad's regret R(T) on the problems where Adam fails",
                "x": "step", "y": "regret", "hue": "setting", "logx": True, "logy": True}]
    return StudyResult([verdict], {"regret": curves}, figures, {})


if __name__ == "__main__":
    from convcheck.study import main

    main(__file__)

"""KB-1: Kingma & Ba (2015), Theorem 4.1, Adam's regret bound, as written.

Claims:
    KB-1, Thm. 4.1 and Cor. 4.2: for online convex losses with bounded gradients on a bounded
    feasible set, Adam with alpha_t = alpha/sqrt(t), beta_{1,t} = beta_1 lambda^(t-1) (lambda in
    (0, 1)) and gamma = beta_1^2/sqrt(beta_2) < 1 has regret R(T) = O(sqrt(T)), so
    R(T)/T -> 0. A statement about every such problem and parameter setting.
Kind:
    rate (upper) of the regret against sqrt(T).
Objective:
    Reddi et al.'s online problems on [-1, 1] (their Theorems 1-2): f_t(x) = C x once per period,
    -x otherwise, x* = -1; the theorem's conditions hold (gradients bounded by C, the set has
    diameter 2). Instances: period 3 with C in (3, 10) and beta_1 = 0, beta_2 = 1/(1 + C^2)
    (gamma = 0, Reddi's Theorem 1 setting), and the common betas (0.9, 0.999) with C = 3.
Optimizer:
    role ``adam_kb``: Adam exactly as Theorem 4.1 states it (Alg. 1, beta_1 decaying by
    lambda = 1 - 1e-8, the paper's suggestion), alpha = half of sqrt(1 - beta_2).
Fit:
    the regret R(T) at checkpoints on whole periods, per seed, against sqrt(T).
Verdict rule:
    declared: ``Rate("sqrt(t)", "upper")`` on the regret curves, one part per instance: refuted
    when the regret grows credibly faster than sqrt(T) on some instance (one counterexample
    refutes a general bound); reproduced when it grows no faster on all.
References:
    Kingma & Ba (2015), ICLR; Reddi, Kale & Kumar (2018), ICLR, Sec. 3.
"""

from __future__ import annotations

from convcheck.judgments import Rate
from convcheck.study import Claim, StudyResult

from _adam2015 import ONLINE_CONVEX, ADAM, periodic_rows, regret_runs, theorem1_step

CLAIMS = [Claim("KB-1", "Thm. 4.1, Cor. 4.2", "Adam with alpha_t = alpha/sqrt(t), beta_1t = beta_1 lambda^(t-1), "
                "beta_1^2/sqrt(beta_2) < 1, bounded gradients and feasible set: R(T) = O(sqrt(T)), so R(T)/T -> 0",
                "rate", methods=("adam_kb",), judgments=Rate("sqrt(t)", "upper"), hypotheses=ONLINE_CONVEX)]
ROLES = (ADAM,)
# tiny (a conformance cell's verdict): 256 periods of 3, the fewest whose doubling checkpoints span the 2 decades a
# rate check needs (MIN_DECADES)
SCALES = {"tiny": {"seeds": 4, "steps": 768}, "quick": {"seeds": 16, "steps": 30_000},
          "full": {"seeds": 64, "steps": 1_000_000}}


def _problems(ctx):
    out = {f"period 3, C = {C:g}, betas (0, 1/(1+C^2))": (periodic_rows([C], ctx.seeds, 3, ctx.dtype), (0.0, 1 / (1 + C * C)),
                                                            theorem1_step(C), 3) for C in (3.0, 10.0)}
    out["period 3, C = 3, betas (0.9, 0.999)"] = (periodic_rows([3.0], ctx.seeds, 3, ctx.dtype), (0.9, 0.999), theorem1_step(3.0), 3)
    return out


def run(ctx, *, steps) -> StudyResult:
    problems = _problems(ctx)
    curves, _, findings, table = regret_runs(ctx, "adam_kb", problems, steps)
    figures = [{"kind": "curves", "table": "regret", "title": "KB-1: average regret R(T)/T of Adam as Thm. 4.1 states it",
                "x": "step", "y": "avg_regret", "hue": "setting", "logx": True, "logy": True}]
    return StudyResult(evidence={"KB-1": curves}, findings={"KB-1": findings}, tables={"regret": table}, figures=figures,
                       setup={"instances": {k: {"betas": list(b), "alpha": a, "period": p} for k, (_, b, a, p) in problems.items()}})


if __name__ == "__main__":
    from convcheck.study import main

    main(__file__)

"""SF-4: Defazio et al. (2024), Sec. 2.2, Eq. (14): the any-time step, no stopping time in advance.

Claims:
    SF-4 (Sec. 2.2, Eq. (14)): "For any-time convergence (i.e. when stopping is allowed at any
    timestep), our proposed method can, in theory, be used with the standard learning rate
    sequence gamma_t = D / (G sqrt(t))": under Theorem 1's hypotheses the average x_T of one run,
    whose steps never depend on T, converges at Theorem 1's rate, E[F(x_T) - F*] = O(1/sqrt(T)) at
    every T (the rate of the theorem the sentence refers to; no constant is stated).
Kind:
    rate (upper: O(1/sqrt(T))).
Objective:
    least absolute deviations (a non-smooth finite sum, one sample drawn with replacement per
    step: i.i.d. subgradients, each sample's loss max_i ||x_i||-Lipschitz, certified from the data),
    from one start, the seeds its draws.
Optimizer:
    role ``schedule_free`` with lr = gamma_t = D / (G sqrt(t)) (a schedule of the step, the same
    for every horizon) and momentum = beta over ``betas``; one run per beta, read at log-spaced T.
Fit:
    the seed-mean gap F(x_T) - F* through the normalised curve (F(x_T) - F*) sqrt(T), its slope in
    log T (the library's rate test).
Verdict rule:
    declared ``Rate("1/sqrt(t)", "upper")`` per beta: refuted when the normalised curve credibly
    grows, reproduced when its slope is within the margin or below, inconclusive otherwise.
References:
    Defazio, Yang, Mehta, Mishchenko, Khaled & Cutkosky (2024), The Road Less Scheduled, NeurIPS,
    Sec. 2.2, Eq. (14) (arXiv:2405.15682).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from convcheck import engine
from convcheck.evidence import Curves
from convcheck.judgments import Rate
from convcheck.objectives import WithReplacement
from convcheck.optim import inverse_sqrt_t
from convcheck.study import Claim, StudyResult

from _schedule_free import least_absolute

HYP = ("convex", "bounded gradients")
CLAIMS = [Claim("SF-4", "Sec. 2.2, Eq. (14)", "with gamma_t = D/(G sqrt(t)) (no stopping time in advance), under Thm. 1's "
                "hypotheses: E[F(x_T) - F*] = O(1/sqrt(T)) at every T", "rate", methods=("schedule_free",),
                hypotheses=HYP, scope=("non-smooth", "finite sum"), coverage="beta on the grid of the scale",
                judgments=Rate("1/sqrt(t)", "upper"))]
ROLES = ("schedule_free",)
SCALES = {"tiny": {"seeds": 8, "steps": 300, "betas": (0.9,), "n": 50},
          "quick": {"seeds": 32, "steps": 3000, "betas": (0.0, 0.9, 1.0), "n": 200},
          "full": {"seeds": 128, "steps": 30000, "betas": (0.0, 0.5, 0.9, 0.98, 1.0), "n": 500}}


def run(ctx, *, steps, betas, n) -> StudyResult:
    method = ctx.method("schedule_free")
    lad = least_absolute(n, 5, ctx.generator("least absolute"), dtype=ctx.dtype)
    start = (lad.w_star + 2.0 * ctx.normal((1, 5), "start").to(lad.w_star)).repeat(ctx.seeds, 1)
    D = float(lad.distance(start[:1])[0])
    parts, frames = {}, []
    for beta in betas:
        label = f"least absolute deviations, beta = {beta:g}"
        tr = engine.run(lad, method(lr=inverse_sqrt_t(D / lad.G), momentum=beta), start, steps,
                        sampler=WithReplacement(lad.n, 1), generator=ctx.generator(label), metrics=("gap",))
        parts[label] = Curves.of(tr, "gap", role="schedule_free")
        frames.append(tr.to_frame(setting=label, seed=np.arange(ctx.seeds)))
    figures = [{"kind": "curves", "table": "curves", "title": "SF-4: F(x_T) - F* with gamma_t = D/(G sqrt(t))",
                "x": "step", "y": "gap", "hue": "setting", "logy": True, "logx": True}]
    return StudyResult(tables={"curves": pd.concat(frames, ignore_index=True)}, figures=figures,
                       evidence={"SF-4": parts}, setup={"D": D, "G": lad.G, "betas": list(betas)})


if __name__ == "__main__":
    from convcheck.study import main

    main(__file__)

"""SF-4: Defazio et al. (2024), Sec. 2.2, Eq. (14): the any-time step, no stopping time in advance.

Claims:
    SF-4 (Sec. 2.2, Eq. (14)): "For any-time convergence (i.e. when stopping is allowed at any
    timestep), our proposed method can, in theory, be used with the standard learning rate
    sequence gamma_t = D / (G sqrt(t))": under Theorem 1's hypotheses the average x_T of one run,
    whose steps never depend on T, converges at Theorem 1's rate, E[F(x_T) - F*] = O(1/sqrt(T)) at
    every T (the rate of the theorem the sentence refers to; no constant is stated).
    Reading "Thm. 1's constant at every T": the same step keeps Theorem 1's bound,
    E[F(x_T) - F*] <= D G / sqrt(T) at every T.
Kind:
    rate (upper: O(1/sqrt(T))); the reading a bound (explicit constants).
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
Certified:
    the reading, over convex G-Lipschitz functions from ||x_1 - x*|| <= 1 (PEPit): the worst
    F(x_T) - F* with gamma_t = 1/(G sqrt(t)) after N = T - 1 steps against G / sqrt(T) (declared
    ``Certified(G / sqrt(N + 1))``); the worst case times sqrt(T) over the horizons is a finding
    beside the rate (a finite N cannot decide an O(.)).
References:
    Defazio, Yang, Mehta, Mishchenko, Khaled & Cutkosky (2024), The Road Less Scheduled, NeurIPS,
    Sec. 2.2, Eq. (14) (arXiv:2405.15682).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

import math

from convcheck import engine, pep
from convcheck.evidence import Curves, WorstCases
from convcheck.judgments import Certified, Rate
from convcheck.objectives import WithReplacement
from convcheck.optim import inverse_sqrt_t
from convcheck.study import Claim, StudyResult

from _schedule_free import least_absolute

HYP = ("convex", "bounded gradients")
CONSTANT = "Thm. 1's constant at every T (certified, PEPit)"
G = 1.0
CLAIMS = [Claim("SF-4", "Sec. 2.2, Eq. (14)", "with gamma_t = D/(G sqrt(t)) (no stopping time in advance), under Thm. 1's "
                "hypotheses: E[F(x_T) - F*] = O(1/sqrt(T)) at every T", "rate + bound",
                methods={"as written": ("schedule_free",)}, hypotheses=HYP, scope=("non-smooth", "finite sum"),
                readings=(CONSTANT,), coverage="beta on the grid of the scale",
                judgments={"as written": Rate("1/sqrt(t)", "upper"),
                           CONSTANT: Certified(lambda w: G / math.sqrt(w.N + 1))})]
ROLES = ("schedule_free",)
SCALES = {"tiny": {"seeds": 8, "steps": 300, "betas": (0.9,), "n": 50, "pep_Ns": (1, 2), "pep_betas": (0.9,)},
          "quick": {"seeds": 32, "steps": 3000, "betas": (0.0, 0.9, 1.0), "n": 200, "pep_Ns": (1, 2, 4),
                    "pep_betas": (0.0, 1.0)},
          "full": {"seeds": 128, "steps": 30000, "betas": (0.0, 0.5, 0.9, 0.98, 1.0), "n": 500, "pep_Ns": (1, 2, 4, 8, 16),
                   "pep_betas": (0.0, 0.9, 1.0)}}


def _inverse_sqrt(t):
    return 1 / (G * math.sqrt(t))


def _worst_cases(betas, Ns):
    """{"beta = b, T = N + 1": PEPit's worst case with gamma_t = 1/(G sqrt(t))} over convex G-Lipschitz functions."""
    fc = pep.FunctionClass("convex lipschitz", G=G)
    return {f"beta = {b:g}, T = {N + 1}": pep.worst_case(pep.schedule_free(_inverse_sqrt, b), fc, N) for b in betas for N in Ns}


def run(ctx, *, steps, betas, n, pep_Ns, pep_betas) -> StudyResult:
    method = ctx.method("schedule_free")
    lad = least_absolute(n, 5, ctx.generator("least absolute"), dtype=ctx.dtype, device=ctx.device)
    start = (lad.w_star + 2.0 * ctx.normal((1, 5), "start").to(lad.w_star)).repeat(ctx.seeds, 1)
    D = float(lad.distance(start[:1])[0])
    parts, frames = {}, []
    for beta in betas:
        label = f"least absolute deviations, beta = {beta:g}"
        tr = engine.run(lad, method(lr=inverse_sqrt_t(D / lad.G), momentum=beta), start, steps,
                        sampler=WithReplacement(lad.n, 1), generator=ctx.generator(label), metrics=("gap",))
        parts[label] = Curves.of(tr, "gap", role="schedule_free")
        frames.append(tr.to_frame(setting=label, seed=np.arange(ctx.seeds)))
    evidence, findings = {"SF-4": parts}, []
    if ctx.wants_reading("SF-4", CONSTANT):
        fc = pep.FunctionClass("convex lipschitz", G=G)
        cells = _worst_cases(pep_betas, pep_Ns) if pep.available() else (lambda: _worst_cases(pep_betas, pep_Ns))
        evidence["SF-4", CONSTANT] = {"the class": WorstCases(cells, fc.describe(), fc.hypotheses)}
        if isinstance(cells, dict):
            findings.append("worst case of F(x_T) - F* times sqrt(T) / (D G) over convex G-Lipschitz functions (PEPit): "
                            + ", ".join(f"{k}: {w.value * math.sqrt(w.N + 1):.4f}" for k, w in cells.items()))
    figures = [{"kind": "curves", "table": "curves", "title": "SF-4: F(x_T) - F* with gamma_t = D/(G sqrt(t))",
                "x": "step", "y": "gap", "hue": "setting", "logy": True, "logx": True}]
    return StudyResult(tables={"curves": pd.concat(frames, ignore_index=True)}, figures=figures,
                       evidence=evidence, findings={"SF-4": findings} if findings else {},
                       setup={"D": D, "G": lad.G, "betas": list(betas), "pep_Ns": list(pep_Ns)})


if __name__ == "__main__":
    from convcheck.study import main

    main(__file__)

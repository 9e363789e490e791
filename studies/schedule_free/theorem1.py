"""SF-1: Defazio et al. (2024), Theorem 1: schedule-free SGD's average x_T within D G / sqrt(T), every beta.

Claims:
    SF-1 (Thm. 1, Eq. (8)): F convex, zeta_1..zeta_T i.i.d. with F = E[f(x, zeta)] and every
    f(., zeta) G-Lipschitz; for a minimiser x*, D = ||x_1 - x*|| and gamma = D / (G sqrt(T)). Then for
    every beta in [0, 1] schedule-free SGD (Eqs. (3)-(5): y_t = (1 - beta) z_t + beta x_t,
    z_{t+1} = z_t - gamma grad f(y_t, zeta_t), x_{t+1} = (1 - c_{t+1}) x_t + c_{t+1} z_{t+1},
    c_{t+1} = 1/(t + 1), z_1 = x_1) ensures E[F(x_T) - F(x*)] <= D G / sqrt(T). x_T is the average
    after T - 1 gradient steps; each horizon T is its own run with its own gamma.
    Reading "Alg. 1's weights": the same statement with the averaging weights of Alg. 1,
    c_{t+1} = gamma_t^2 / sum_{i <= t} gamma_i^2 (1/t at a constant step: the start dropped from the
    average), which the schedulefree package's SGDScheduleFree uses.
Kind:
    bound (explicit constants): deterministic on the worst case, on the seed mean where stochastic.
Objective:
    f(w) = G max_i |w_i - w*_i| in dimension T (the worst case: from x_1 = w* + (D/sqrt(T)) s,
    s a random sign vector, one coordinate stays untouched and the bound is attained); least
    absolute deviations (n samples, one drawn with replacement per step: i.i.d. subgradients, each
    sample's loss max_i ||x_i||-Lipschitz), from one start per horizon, the seeds its draws; and the
    worst case of Alg. 1's weights at each of its certified horizons, built as a function (the max
    of the affine pieces through PEPit's points: convex, G-Lipschitz) and run from its own start.
Optimizer:
    role ``schedule_free`` (lr = gamma per seed row, momentum = beta) over the grid ``betas``.
Fit:
    (F(x_T) - F*) sqrt(T) / (D G) per run at its horizon T.
Verdict rule:
    declared ``Bound(1)`` per instance, horizon and beta: reproduced when no ratio exceeds 1 beyond
    round-off (the deterministic instances) and the simultaneous upper confidence bound on the mean
    stays under 1 (least absolute deviations); refuted at the first certified instance above it.
Certified:
    over convex G-Lipschitz functions from ||x_1 - x*|| <= 1 (PEPit), the worst F(x_T) - F* per
    beta and horizon against G / sqrt(T) (declared ``Certified(G / sqrt(N + 1))``, N = T - 1 steps),
    for Eq. (5)'s weights (a supporting check) and for Alg. 1's (the reading).
References:
    Defazio, Yang, Mehta, Mishchenko, Khaled & Cutkosky (2024), The Road Less Scheduled, NeurIPS,
    Sec. 2, Thm. 1, Alg. 1 (arXiv:2405.15682); Drori & Teboulle (2016) for the worst case.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from convcheck import engine, pep
from convcheck.evidence import Curves, WorstCases
from convcheck.judgments import Bound, Certified
from convcheck.objectives import WithReplacement
from convcheck.study import Claim, StudyResult

from _schedule_free import MaxAffine, MaxCoordinate, least_absolute, theorem1_step

HYP = ("convex", "bounded gradients")
ALG1 = "Alg. 1's weights (certified, PEPit)"
CLAIMS = [Claim("SF-1", "Thm. 1, Eq. (8)", "F convex, every f(., zeta) G-Lipschitz, zeta_t i.i.d., D = ||x_1 - x*||, "
                "gamma = D/(G sqrt(T)): for every beta in [0, 1] schedule-free SGD ensures E[F(x_T) - F(x*)] <= D G/sqrt(T)",
                "bound", methods={"as written": ("schedule_free",)}, hypotheses=HYP, scope=("non-smooth", "finite sum"),
                readings=(ALG1,), supporting=(pep.CERTIFIED,),
                coverage="beta on the grid of the scale (0 and 1 included); horizons T of the scale",
                judgments={"as written": Bound(lambda t: np.ones(np.shape(t))),
                           pep.CERTIFIED: Certified(lambda w: G / math.sqrt(w.N + 1)),
                           ALG1: Certified(lambda w: G / math.sqrt(w.N + 1))})]
ROLES = ("schedule_free",)
SCALES = {"tiny": {"seeds": 4, "Ts": (4, 16), "betas": (0.0, 0.9, 1.0), "n": 50, "pep_Ns": (2,), "pep_betas": (0.9,),
                   "alg1_beta": 0.9},
          "quick": {"seeds": 16, "Ts": (4, 16, 64, 256), "betas": (0.0, 0.5, 0.9, 1.0), "n": 200, "pep_Ns": (2, 8),
                    "pep_betas": (0.0, 0.9, 1.0), "alg1_beta": 0.9},
          "full": {"seeds": 64, "Ts": (4, 16, 64, 256, 1024), "betas": (0.0, 0.25, 0.5, 0.75, 0.9, 0.98, 1.0), "n": 500,
                   "pep_Ns": (1, 2, 4, 8, 16), "pep_betas": (0.0, 0.5, 0.9, 1.0), "alg1_beta": 0.9}}
G = 1.0


def _runs(ctx, T, n):
    """{label: (objective, start (S, d), sampler or None)} at horizon T."""
    signs = ctx.normal((ctx.seeds, T), "signs", T).sign()
    D = ctx.normal((ctx.seeds, 1), "radius", T).exp()
    lad = least_absolute(n, 5, ctx.generator("least absolute"), dtype=ctx.dtype, device=ctx.device)
    start = lad.w_star + 2.0 * ctx.normal((1, 5), "least absolute start", T).to(lad.w_star)
    return {"max-coordinate": (MaxCoordinate(T, G, dtype=ctx.dtype, device=ctx.device), D * signs / math.sqrt(T), None),
            "least absolute deviations": (lad, start.repeat(ctx.seeds, 1), WithReplacement(lad.n, 1))}


def _worst_cases(weighting, betas, Ns):
    """{"beta = b, T = N + 1": PEPit's worst case of F(x_T) - F* from ||x_1 - x*|| <= 1} over convex G-Lipschitz
    functions, gamma = 1 / (G sqrt(T))."""
    fc = pep.FunctionClass("convex lipschitz", G=G)
    return {f"beta = {b:g}, T = {N + 1}": pep.worst_case(pep.schedule_free(1 / (G * math.sqrt(N + 1)), b, weighting), fc, N)
            for b in betas for N in Ns}


def _ratio(ctx, method, obj, w0, T, beta, sampler=None, label=""):
    """Curves of (F(x_T) - F*) sqrt(T) / (D G) of one run at horizon T, gamma = D/(G sqrt(T)) per row."""
    D, Gi = obj.distance(w0), getattr(obj, "G", G)
    tr = engine.run(obj, method(lr=theorem1_step(D, Gi, T), momentum=beta), w0, T - 1, checkpoints=[T - 1],
                    sampler=sampler, generator=ctx.generator(label) if sampler else None, metrics=("gap",))
    norm = (D * Gi / math.sqrt(T)).cpu().numpy()[:, None]
    return Curves.of(tr, "gap", role="schedule_free").map(lambda g: g / norm, "gap sqrt(T)/(D G)")


def run(ctx, *, Ts, betas, n, pep_Ns, pep_betas, alg1_beta) -> StudyResult:
    method = ctx.method("schedule_free")
    parts = {}
    for T in Ts:
        for name, (obj, w0, sampler) in _runs(ctx, T, n).items():
            for beta in betas:
                label = f"{name}, T = {T}, beta = {beta:g}"
                parts[label] = _ratio(ctx, method, obj, w0, T, beta, sampler, label)
    fc = pep.FunctionClass("convex lipschitz", G=G)
    alg1 = (lambda: _worst_cases("lr squared", (alg1_beta,), pep_Ns))
    if pep.available():  # solved once: judged by the reading, and built into functions the role's method runs on
        alg1 = alg1()
        for cell, wc in alg1.items():
            if wc.points:
                obj = MaxAffine(wc.points, G, f"the worst case of Alg. 1's weights, {cell}", ctx.dtype, ctx.device)
                parts[obj.name] = _ratio(ctx, method, obj, obj.start.repeat(ctx.seeds, 1), wc.N + 1, alg1_beta)
    evidence, findings = {"SF-1": parts}, []
    if isinstance(alg1, dict):
        findings.append("Alg. 1's weights (those of the schedulefree package's SGDScheduleFree): worst case of F(x_T) - F* "
                        "times sqrt(T) / (D G) over the class (PEPit): " + ", ".join(
                            f"{k}: {w.value * math.sqrt(w.N + 1):.5f} (1 + 1/(2N(N+1)) = {1 + 1 / (2 * w.N * (w.N + 1)):.5f})"
                            for k, w in alg1.items()))
    if ctx.wants_reading("SF-1", pep.CERTIFIED):
        evidence["SF-1", pep.CERTIFIED] = {"the class": WorstCases(lambda: _worst_cases("uniform", pep_betas, pep_Ns),
                                                                   fc.describe(), fc.hypotheses)}
    if ctx.wants_reading("SF-1", ALG1):
        evidence["SF-1", ALG1] = {"the class": WorstCases(alg1, fc.describe(), fc.hypotheses)}
    rows = [{"instance": label.split(",")[0], "setting": label, "seed": s, "ratio": r}
            for label, c in parts.items() for s, r in enumerate(c.values[:, -1])]
    figures = [{"kind": "points", "table": "ratios", "title": "SF-1: (F(x_T) - F*) sqrt(T) / (D G) per run (bound: 1)",
                "x": "setting", "y": "ratio", "hue": "instance"}]
    return StudyResult(tables={"ratios": pd.DataFrame(rows)}, figures=figures, evidence=evidence,
                       findings={"SF-1": findings} if findings else {},
                       setup={"Ts": list(Ts), "betas": list(betas), "G": G, "pep_Ns": list(pep_Ns), "pep_betas": list(pep_betas),
                              "Alg. 1's beta": alg1_beta})


if __name__ == "__main__":
    from convcheck.study import main

    main(__file__)

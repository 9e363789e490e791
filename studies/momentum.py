"""GD-5: momentum reduces oscillation (Sec. 2.4, Eq. 8, Figs. 2-3).

Claim:
    Adding the momentum term of Eq. (8), ``dw_k = alpha dw_{k-1} - eta grad f(w_k)``, reduces
    the oscillation of gradient descent across a narrow valley.
Kind:
    comparative (paired across seeds).
Objective:
    ill-conditioned quadratics, kappa = 100: a rotated 2-D one (the survey's Fig. 2) and a
    50-dimensional one with a geometric spectrum.
Optimizer:
    GD with step 1.8/L (a step that makes it zig-zag: the stiff component is multiplied by
    1 - 1.8 = -0.8 each step) against heavy ball with the same step and alpha = 0.5
    (``momentum(lr, alpha)`` may replace it). Also Polyak's tuned heavy ball,
    ``eta = 4/(sqrt(L) + sqrt(mu))^2``, ``alpha = ((sqrt(kappa) - 1)/(sqrt(kappa) + 1))^2``.
Measure:
    oscillation = total variation of the stiff coordinate (along the top eigenvector),
    ``sum_k |s_{k+1} - s_k|``, relative to ``|s_0|``, over the first 100 steps (1 for a
    monotone approach; larger when the iterate jumps back and forth).
Verdict rule:
    paired per seed on the log of the oscillation measure: reproduced when the 90% interval
    of log(GD / momentum) lies above 0, refuted when the 99.8% interval lies below 0.
Findings:
    the gap after 100 steps for both; the tuned heavy ball's contraction per step of the
    distance against ``(sqrt(kappa) - 1)/(sqrt(kappa) + 1)``, fitted (check_linear), and its
    own oscillation (complex eigenvalues: it rotates in every direction).
References:
    Polyak (1964); Rumelhart, Hinton & Williams (1986); Goh (2017), Why momentum really works.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import torch

from convcheck import engine
from convcheck.claims import combine
from convcheck.objectives import Quadratic
from convcheck.optim import gradient_descent, heavy_ball
from convcheck.stats import check_linear, check_paired
from convcheck.study import Claim, StudyResult

CLAIMS = [Claim("GD-5", "Eq. (8), Figs. 2-3", "momentum reduces the oscillation of gradient descent", "comparative")]

SCALES = {"tiny": {"seeds": 6, "steps": 100}, "quick": {"seeds": 32, "steps": 100}, "full": {"seeds": 256, "steps": 100}}

KAPPA = 100.0


def run(ctx, *, steps, momentum=None) -> StudyResult:
    make_momentum = momentum or heavy_ball
    problems = {
        "2-D": Quadratic(torch.tensor([1.0, 1.0 / KAPPA], dtype=ctx.dtype), ctx.generator("2d"), dtype=ctx.dtype,
                         device=ctx.device),
        "50-D": Quadratic.random(50, ctx.generator("50d"), L=1.0, kappa=KAPPA, kind="geometric", dtype=ctx.dtype,
                                 device=ctx.device),
    }
    every = np.arange(steps + 1)
    parts, frames, findings, paths = {}, [], [], []
    for label, q in problems.items():
        top = q.Q[:, int(torch.argmax(q.eigenvalues))]
        w0 = q.w_star + 2.0 * torch.randn(ctx.seeds, q.dim, generator=ctx.generator(label, "w0"), dtype=ctx.dtype).to(ctx.device)
        methods = {"GD": gradient_descent(1.8 / q.L), "momentum": make_momentum(1.8 / q.L, 0.5)}
        sq = math.sqrt(q.L), math.sqrt(q.mu)
        methods["tuned heavy ball"] = heavy_ball(4 / (sq[0] + sq[1]) ** 2, ((sq[0] - sq[1]) / (sq[0] + sq[1])) ** 2)
        osc, gaps = {}, {}
        for name, opt in methods.items():
            tr = engine.run(q, opt, w0, steps, checkpoints=every, metrics=("gap",), keep_iterates=True)
            s_path = ((tr.iterates - q.w_star) @ top).cpu().numpy()  # the stiff coordinate at every step
            osc[name] = np.abs(np.diff(s_path, axis=1)).sum(1) / np.abs(s_path[:, 0])
            gaps[name] = gap = tr.metrics["gap"]
            if label == "2-D":
                W = tr.iterates[0].cpu().numpy()
                paths.append(pd.DataFrame({"method": name, "step": every, "seed": 0, "x": W[:, 0], "y": W[:, 1]}))
            frames.append(pd.DataFrame({"problem": label, "method": name, "seed": np.arange(ctx.seeds),
                                        "oscillation": osc[name], "final_gap": gap[:, -1]}))
        parts[label] = check_paired(osc["momentum"], osc["GD"], log=True, measure=f"oscillation ({label})",
                                    names=("momentum", "GD"), claim="GD-5")
        findings.append(f"{label}: median oscillation GD {np.median(osc['GD']):.2f}, momentum {np.median(osc['momentum']):.2f}, "
                        f"tuned heavy ball {np.median(osc['tuned heavy ball']):.2f}; median gap after {steps} steps GD "
                        f"{np.median(gaps['GD'][:, -1]):.3g}, momentum {np.median(gaps['momentum'][:, -1]):.3g}")
        # Tuned heavy ball: distance contraction vs (sqrt(kappa) - 1)/(sqrt(kappa) + 1).
        rho = (math.sqrt(KAPPA) - 1) / (math.sqrt(KAPPA) + 1)
        tr = engine.run(q, methods["tuned heavy ball"], w0, 300, checkpoints=np.arange(0, 301, 5))
        lin = check_linear(tr.metrics["dist"], tr.steps, rho, kind="theta", window=(30, 300))
        findings.append(f"{label}: tuned heavy ball distance contraction {lin.statistic.get('rho_fit', float('nan')):.4f} per step vs "
                        f"(sqrt(kappa)-1)/(sqrt(kappa)+1) = {rho:.4f} ({lin.outcome}: {lin.summary})")
    verdict = combine("GD-5", "momentum", parts, findings=findings, seeds=ctx.seeds,
                      summary="; ".join(f"{k}: {v.summary}" for k, v in parts.items()))
    q2 = problems["2-D"]
    figures = [
        {"kind": "paths", "table": "paths", "title": "2-D quadratic (kappa = 100): GD (step 1.8/L) vs momentum paths",
         "x": "x", "y": "y", "hue": "method", "contour": {"A": q2.A.cpu().tolist(), "center": q2.w_star.cpu().tolist()}},
        {"kind": "points", "table": "oscillation", "title": "Oscillation of the stiff coordinate (total variation / |s0|)",
         "x": "method", "y": "oscillation", "hue": "problem", "logy": True},
    ]
    return StudyResult([verdict], {"oscillation": pd.concat(frames, ignore_index=True),
                                   "paths": pd.concat(paths, ignore_index=True)}, figures,
                       {k: v.constants() for k, v in problems.items()})


if __name__ == "__main__":
    from convcheck.study import main

    main(__file__)

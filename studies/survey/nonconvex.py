"""GD-7: gradient descent on non-convex functions (Sec. 2.1, Fig. 1).

Claims:
    GD-7 (Sec. 2.1, Fig. 1):
        "gradient descent even works relatively fine for non-convex cost functions; it might
        oscillate for non-convex cost but its overall pattern is decreasing". Sec. 2.1 assumes f
        L-smooth: as written on a certified globally L-smooth non-convex function, over starts and
        step sizes h/L below 2/L (L the global constant, Eq. 4 asks eta > 0 and the section's
        analysis eta < 2/L), the run's overall pattern is decreasing, read as: no divergence,
        f(w_T) <= f(w_0) and a rank correlation between t and f(w_t) at most 0 (ties allowed: a run
        that reached round-off in a step or two is flat there, not rising). Reading "not
        globally L-smooth": the same read on functions outside the hypotheses (Rosenbrock's
        valley, 1/2 (uv - 1)^2, a tanh MLP), whose steps h/L_0 come from the curvature at the
        start, not from a constant valid where the iterates go: what happens outside the
        statement, never its verdict.
    (SGD-7, Eq. (27) for a non-convex function, is judged with SGD-3 in ``sgd_floor``: one
    equation, one verdict.)
Kind:
    property.
Objective:
    as written: the two wells (``TwoWells``: globally L-smooth by a closed-form bound, a
    non-convexity witness at the barrier, a spurious minimum), full gradients, starts around the
    barrier where the curvature is most negative. The reading: Rosenbrock's valley, the scalar
    factorisation and a tanh MLP regression (3-16-1, n = 24, the delta rule's gradient).
Optimizer:
    GD with step h/L (as written) or h/L_0 (the reading), every h of the grid (role ``gd``).
Fit:
    per run, ``max(f_T / f_0 - 1, rank correlation of f with t)``, f at or below round-off read
    as ties.
Verdict rule:
    declared for both: ``AtMost(0, sampled=True)`` on that quantity per run (a diverged run is
    not finite and fails), per problem (Holm over the problems). "For every start" is read from
    random starts: the verdict quotes the failures out of N tried and the Clopper-Pearson 95%
    upper bound of the failure rate; the quick scale's 300 starts per cell find a 1% rate with
    probability 95% (100 on the tanh MLP, a reading's problem and most of the study's time: a 3% rate).
References:
    Rosenbrock (1960), An automatic method for finding the greatest or least value of a function,
    The Computer Journal 3.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch

from convcheck import engine
from convcheck.claims import Claim
from convcheck.evidence import Curves, Samples
from convcheck.hypotheses import curvature_witness
from convcheck.judgments import AtMost
from convcheck.objectives import MLP, Rosenbrock, ScalarFactorisation, TwoWells
from convcheck.stats import failure_rate_bound, rank_trend, roundoff_limit
from convcheck.study import StudyResult
from _survey_searches import SEARCHES

NOT_SMOOTH = "not globally L-smooth: steps h/L_0 from the curvature at the start"
DECREASING = AtMost(0.0, rtol=None, sampled=True)  # max(f_T / f_0 - 1, rank correlation) <= 0 on every run
CLAIMS = [
    Claim("GD-7", "Sec. 2.1, Fig. 1", "GD works relatively fine for non-convex cost functions: it might oscillate but its "
          "overall pattern is decreasing", "property", readings=(NOT_SMOOTH,), methods=("gd",), scope=("non-convex",),
          judgments={"as written": DECREASING, NOT_SMOOTH: DECREASING}, hypotheses=("L-smooth",),
          search={NOT_SMOOTH: SEARCHES["GD-7 local"]},
          coverage="one globally L-smooth non-convex function (two wells) over steps below 2/L and starts around its "
                   "barrier; no L-smooth network"),
]
ROLES = ("gd",)

SCALES = {
    "tiny": {"seeds": 6, "net_starts": 6, "hs": (0.5, 2.5), "smooth_hs": (0.5, 1.9), "steps": 300},
    # 300 starts per (problem, step): a failure rate of 1% per cell is found with probability 95%. The tanh
    # MLP (a reading's problem, outside the hypotheses) costs 85% of the study per start: 100 starts there
    # find a 3% rate with probability 95%
    "quick": {"seeds": 300, "net_starts": 100, "hs": (0.1, 0.5, 0.9, 1.5, 2.5), "smooth_hs": (0.1, 0.5, 0.9, 1.5, 1.9),
              "steps": 2000},
    "full": {"seeds": 600, "net_starts": 600, "hs": (0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 1.5, 1.9, 2.5, 4.0),
             "smooth_hs": (0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 1.5, 1.9, 1.99), "steps": 20000},
}


class _WitnessedMLP(MLP):
    """The tanh MLP, certifying its non-convexity by a witness: the Hessian at its first start."""

    def certificates(self):
        return (curvature_witness(self, self.witness_at),)


def _problems(ctx, net_starts):
    gen = ctx.generator("mlp-data")
    X = torch.randn(24, 3, generator=gen, dtype=ctx.dtype, device=gen.device)
    mlp = _WitnessedMLP(X.to(ctx.device), torch.sin(X.sum(-1, keepdim=True)).to(ctx.device), [3, 16, 1], "tanh", backward="analytic")
    S, cpu = ctx.seeds, {"dtype": ctx.dtype, "device": "cpu"}
    mlp.witness_at = (w0 := mlp.init(min(S, net_starts), ctx.generator("mlp-w")))[0].to(ctx.device)
    return {
        "Rosenbrock": (Rosenbrock(dtype=ctx.dtype, device=ctx.device),
                       torch.tensor([-1.2, 1.0], **cpu) + 0.3 * torch.randn(S, 2, generator=ctx.generator("rb"), **cpu)),
        "factorisation 1/2 (uv - 1)^2": (ScalarFactorisation(dtype=ctx.dtype, device=ctx.device),
                                         2.0 * torch.randn(S, 2, generator=ctx.generator("fac"), **cpu)),
        "tanh MLP 3-16-1": (mlp, w0),
    }


def _top_curvature(obj, w):
    """Largest Hessian eigenvalue at each row of w (autograd Hessian-vector products, power iteration)."""
    v = torch.randn(w.shape, generator=torch.Generator().manual_seed(0), dtype=w.dtype, device="cpu").to(w.device)
    for _ in range(100):
        v = obj.hvp(w, v)
        v = v / torch.linalg.vector_norm(v, dim=-1, keepdim=True).clamp_min(1e-300)
    return (v * obj.hvp(w, v)).sum(-1).abs()


def _pattern(obj, tr, f0):
    """``max(f_T / f_0 - 1, rank correlation of f with t)`` per run; f at or below its round-off
    (``|f*| + f_0`` the scale it is computed at) is read as ties, so a run that reached round-off is
    flat there; a diverged run is not finite."""
    f = tr.metrics["gap"]
    floor = roundoff_limit(abs(getattr(obj, "f_star", 0.0)) + np.nanmax(f0), float(np.finfo(f.dtype).eps))
    rho, finite = rank_trend(np.maximum(f, floor), tr.steps), np.isfinite(f).all(axis=1)
    ratio = np.where(finite, f[:, -1] / f0, np.inf)
    return np.maximum(ratio - 1, rho), ratio, rho, finite


def run(ctx, *, hs, smooth_hs, steps, net_starts) -> StudyResult:
    gd, S = ctx.method("gd"), ctx.seeds
    tw = TwoWells(100, ctx.generator("wells"), dtype=ctx.dtype, device=ctx.device)
    starts = tw.w_max + 2 * tw.s * ctx.normal((S, 1), "wells", "w0")  # around the barrier: the most negative curvature
    smooth = {"two wells (L-smooth, non-convex)": (tw, starts, torch.full((S,), tw.L, dtype=ctx.dtype, device=ctx.device))}
    rough = {label: (obj, w0.to(ctx.device), _top_curvature(obj, w0.to(ctx.device))) for label, (obj, w0) in _problems(ctx, net_starts).items()}
    written, outside, tables, frames = {}, {}, [], []
    for into, problems, grid, unit in ((written, smooth, smooth_hs, "L"), (outside, rough, hs, "L_0")):
        H = len(grid)
        for label, (obj, w0, L) in problems.items():
            S = w0.shape[0]  # the starts of this problem
            # every step h of the grid as rows of one batch: rows = h x starts, each row its own step h / L
            tr = engine.run(obj, gd(lr=ctx.rows(grid, per=S) / L.repeat(H)), w0.repeat(H, 1), steps,
                            checkpoints=np.unique(np.geomspace(1, steps, 60).astype(int)), metrics=("gap",), blowup=1e6)
            f0 = np.tile(obj.gap(w0).cpu().numpy(), H)
            pattern, ratio, rho, finite = _pattern(obj, tr, f0)
            h = np.repeat(np.asarray(grid, dtype=float), S)
            tables.append(pd.DataFrame({"problem": label, "h": h, "unit": unit, "seed": np.tile(np.arange(S), H),
                                        "decreasing": pattern <= 0, "diverged": ~finite, "rank_correlation": rho,
                                        "final_over_initial": ratio}))
            labels = [f"{label}, step {x:g}/{unit}, start {s}" for x, s in zip(h, np.tile(np.arange(S), H))]
            what = "the overall pattern of f is decreasing: max(f_T/f_0 - 1, rank correlation of f with t)"
            into[label] = Samples(pattern, Curves.of(tr, role="gd").provenance, what, labels)  # the run's own instance
            frames += [tr.select(slice(j * S, (j + 1) * S)).to_frame(setting=f"{label}, h={x:g}", problem=label, h=x,
                                                                     seed=np.arange(S)) for j, x in enumerate(grid)]
    tab = pd.concat(tables, ignore_index=True)
    cells = tab.groupby(["problem", "h"], sort=False).agg(share=("decreasing", "mean"), starts=("decreasing", "size"),
                                                          failures=("decreasing", lambda x: int((~x).sum())))
    per_cell = "; ".join(f"{p}, h={h:g}: {n} of {m} failed, rate below {failure_rate_bound(n, m)[0]:.1%}"
                         for (p, h), n, m in zip(cells.index, cells.failures, cells.starts))
    findings = {"GD-7": [f"per problem and step (Clopper-Pearson 95% upper bounds of the failure rate): {per_cell}"],
                ("GD-7", NOT_SMOOTH): [
                    "L_0 is the curvature at the start; the minima the runs reach can curve more (on 1/2 (uv - 1)^2 a "
                    "minimum's curvature is u^2 + v^2 >= 2), so a step below 1/L_0 is not a step below 1/L where the "
                    "iterates go: failures here are GD's large-step effect (GD-2), not non-convexity"]}
    return StudyResult(evidence={"GD-7": written, ("GD-7", NOT_SMOOTH): outside}, findings=findings,
                       tables={"gd": tab, "gd_curves": pd.concat(frames, ignore_index=True), "gd_cells": cells.reset_index()},
                       figures=[{"kind": "curves", "table": "gd_curves", "title": "GD-7: f - f* on non-convex problems, by step",
                                 "x": "step", "y": "gap", "hue": "setting", "logx": True, "logy": True},
                                {"kind": "heatmap", "table": "gd_cells", "title": "GD-7: share of starts whose overall pattern "
                                 "is decreasing, per problem and step h/L (two wells) or h/L_0", "x": "h", "y": "problem",
                                 "value": "share", "outcome": "failures"}], setup={"hs": list(hs), "smooth_hs": list(smooth_hs)})


if __name__ == "__main__":
    from convcheck.study import main

    main(__file__)

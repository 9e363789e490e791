"""GD-7: gradient descent on non-convex functions (Sec. 2.1, Fig. 1).

Claims:
    GD-7 (Sec. 2.1, Fig. 1):
        "gradient descent even works relatively fine for non-convex cost functions; it might
        oscillate for non-convex cost but its overall pattern is decreasing". As written (no step
        size is named, Eq. 4 asks eta > 0): for every step of the grid and every init, the run's
        overall pattern is decreasing, read as: no divergence, f(w_T) < f(w_0), and a negative rank
        correlation between t and f(w_t). Reading "a stable step" (an added condition):
        the same for steps below 1/L_0, L_0 the largest Hessian eigenvalue at the start.
    (SGD-7, Eq. (27) for a non-convex function, is judged with SGD-3 in ``sgd_floor``: one
    equation, one verdict.)
Kind:
    property.
Objective:
    GD-7: Rosenbrock's valley, the scalar factorisation 1/2 (uv - 1)^2, and a tanh MLP
    regression (3-16-1, n = 24; its gradient by the delta rule, ``MLP(backward="analytic")``),
    random inits.
Optimizer:
    GD with step h / L_0 for h on a grid crossing 2 (role ``gd``).
Fit:
    per run, the rank correlation of f with t and f_T / f_0: the pattern is decreasing when both
    ``f_T / f_0 - 1`` and the correlation are negative, i.e. their maximum is.
Verdict rule:
    declared for both readings: ``AtMost(0, sampled=True)`` on ``max(f_T / f_0 - 1, rank correlation)``
    per run (a diverged run is not finite and fails), per problem (Holm over the problems); the
    reading on the runs with h < 1. "For every init" is read from random starts: the verdict quotes
    the failures out of N tried and the Clopper-Pearson 95% upper bound of the failure rate (per
    cell in the findings); the quick scale's 300 starts per cell find a 1% rate with probability 95%.
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
from convcheck.evidence import Samples
from convcheck.hypotheses import curvature_witness
from convcheck.judgments import AtMost
from convcheck.objectives import MLP, Rosenbrock, ScalarFactorisation
from convcheck.stats import failure_rate_bound, rank_trend
from convcheck.study import StudyResult

STABLE = "a stable step: eta < 1/L_0"
DECREASING = AtMost(0.0, rtol=None, sampled=True)  # max(f_T / f_0 - 1, rank correlation) <= 0 on every run
CLAIMS = [
    Claim("GD-7", "Sec. 2.1, Fig. 1", "GD works relatively fine for non-convex cost functions: it might oscillate but its "
          "overall pattern is decreasing", "property", readings=(STABLE,), methods=("gd",), scope=("non-convex",),
          judgments={"as written": DECREASING, STABLE: DECREASING}),
]
ROLES = ("gd",)

SCALES = {
    "tiny": {"seeds": 6, "hs": (0.5, 2.5), "steps": 300},
    # 300 starts per (problem, step): a failure rate of 1% per cell is found with probability 95%
    "quick": {"seeds": 300, "hs": (0.1, 0.5, 0.9, 1.5, 2.5), "steps": 2000},
    "full": {"seeds": 600, "hs": (0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 1.5, 1.9, 2.5, 4.0), "steps": 20000},
}


class _WitnessedMLP(MLP):
    """The tanh MLP, certifying its non-convexity by a witness: the Hessian at its first start."""

    def certificates(self):
        return (curvature_witness(self, self.witness_at),)


def _problems(ctx):
    gen = ctx.generator("mlp-data")
    X = torch.randn(24, 3, generator=gen, dtype=ctx.dtype, device=gen.device)
    mlp = _WitnessedMLP(X.to(ctx.device), torch.sin(X.sum(-1, keepdim=True)).to(ctx.device), [3, 16, 1], "tanh", backward="analytic")
    S, cpu = ctx.seeds, {"dtype": ctx.dtype, "device": "cpu"}
    mlp.witness_at = (w0 := mlp.init(S, ctx.generator("mlp-w")))[0].to(ctx.device)
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


def run(ctx, *, hs, steps) -> StudyResult:
    gd, S, H = ctx.method("gd"), ctx.seeds, len(hs)
    written, stable, tables, frames = {}, {}, [], []
    for label, (obj, w0) in _problems(ctx).items():
        w0 = w0.to(ctx.device)
        L0 = _top_curvature(obj, w0)  # (S,) the curvature at the start sets each run's step scale
        # every step h of the grid as rows of one batch: rows = h x starts, each row its own step h / L_0
        tr = engine.run(obj, gd(lr=ctx.rows(hs, per=S) / L0.repeat(H)), w0.repeat(H, 1), steps,
                        checkpoints=np.unique(np.geomspace(1, steps, 60).astype(int)), metrics=("gap",), blowup=1e6)
        f, f0 = tr.metrics["gap"], np.tile(obj.gap(w0).cpu().numpy(), H)
        rho, finite = rank_trend(f, tr.steps), np.isfinite(f).all(axis=1)
        ratio = np.where(finite, f[:, -1] / f0, np.inf)
        pattern = np.maximum(ratio - 1, rho)  # negative when f_T < f_0 and f falls with t; not finite when diverged
        h = np.repeat(np.asarray(hs, dtype=float), S)
        tables.append(pd.DataFrame({"problem": label, "h": h, "seed": np.tile(np.arange(S), H), "decreasing": pattern < 0,
                                    "diverged": ~finite, "rank_correlation": rho, "final_over_initial": ratio}))
        labels = [f"{label}, step {x:g}/L_0, init {s}" for x, s in zip(h, np.tile(np.arange(S), H))]
        what = "the overall pattern of f is decreasing: max(f_T/f_0 - 1, rank correlation of f with t)"
        written[label] = Samples.on(obj, pattern, what=what, labels=labels, role="gd")
        stable[label] = Samples.on(obj, pattern[h < 1], what=what, labels=np.asarray(labels)[h < 1], role="gd")
        frames += [tr.select(slice(j * S, (j + 1) * S)).to_frame(setting=f"{label}, h={x:g}", problem=label, h=x, seed=np.arange(S))
                   for j, x in enumerate(hs)]
    tab = pd.concat(tables, ignore_index=True)
    share = tab.groupby(["problem", "h"]).decreasing.mean().unstack()
    failures = tab[tab.h < 1].groupby(["problem", "h"]).decreasing.agg(lambda x: int((~x).sum()))
    cells = tab.groupby(["problem", "h"], sort=False).agg(share=("decreasing", "mean"), failures=("decreasing", lambda x: int((~x).sum())))
    findings = {"GD-7": ["fraction of inits with a decreasing pattern, by problem (rows) and step h/L_0 (columns): " + "; ".join(
        f"{p}: " + ", ".join(f"h={h:g}: {share.loc[p, h]:.0%}" for h in share.columns) for p in share.index)],
        ("GD-7", STABLE): ["per problem and step (Clopper-Pearson 95% upper bounds of the failure rate): " + "; ".join(
            f"{p}, h={h:g}: {n} of {S} failed, rate below {failure_rate_bound(n, S)[0]:.1%}" for (p, h), n in failures.items()),
            "L_0 is the curvature at the start; the minima the runs reach can curve more (on 1/2 (uv - 1)^2 a minimum's "
            "curvature is u^2 + v^2 >= 2), so a step below 1/L_0 is not a step below 1/L where the iterates go"]}
    return StudyResult(evidence={"GD-7": written, ("GD-7", STABLE): stable}, findings=findings,
                       tables={"gd": tab, "gd_curves": pd.concat(frames, ignore_index=True), "gd_cells": cells.reset_index()},
                       figures=[{"kind": "curves", "table": "gd_curves", "title": "GD-7: f - f* on non-convex problems, by step h/L_0",
                                 "x": "step", "y": "gap", "hue": "setting", "logx": True, "logy": True},
                                {"kind": "heatmap", "table": "gd_cells", "title": "GD-7: share of starts whose overall pattern "
                                 "is decreasing, per problem and step h/L_0", "x": "h", "y": "problem", "value": "share",
                                 "outcome": "failures"}], setup={"hs": list(hs)})


if __name__ == "__main__":
    from convcheck.study import main

    main(__file__)

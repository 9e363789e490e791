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
    per run, the rank correlation of f with t and f_T / f_0.
Verdict rule:
    ``check_property`` over every (problem, h, init), as written and for h < 1 (the reading).
    "For every init" is read from random starts: the verdict quotes the failures out of N tried
    and the Clopper-Pearson 95% upper bound of the failure rate, per cell in the findings; the
    quick scale's 300 starts per cell find a 1% failure rate with probability 95%.
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
from convcheck.objectives import MLP, Rosenbrock, ScalarFactorisation
from convcheck.hypotheses import certify, curvature_witness
from convcheck.stats import check_property, failure_rate_bound, rank_trend
from convcheck.study import StudyResult

STABLE = "a stable step: eta < 1/L_0"
CLAIMS = [
    Claim("GD-7", "Sec. 2.1, Fig. 1", "GD works relatively fine for non-convex cost functions: it might oscillate but its "
          "overall pattern is decreasing", "property", readings=(STABLE,), methods=("gd",), scope=("non-convex",)),
]
ROLES = ("gd",)

SCALES = {
    "tiny": {"seeds": 6, "hs": (0.5, 2.5), "steps": 300},
    # 300 starts per (problem, step): a failure rate of 1% per cell is found with probability 95%
    "quick": {"seeds": 300, "hs": (0.1, 0.5, 0.9, 1.5, 2.5), "steps": 2000},
    "full": {"seeds": 600, "hs": (0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 1.5, 1.9, 2.5, 4.0), "steps": 20000},
}


def _problems(ctx):
    gen = ctx.generator("mlp-data")
    X = torch.randn(24, 3, generator=gen, dtype=ctx.dtype, device=gen.device)
    Y = torch.sin(X.sum(-1, keepdim=True))
    mlp = MLP(X.to(ctx.device), Y.to(ctx.device), [3, 16, 1], "tanh", backward="analytic")
    S = ctx.seeds
    return {
        "Rosenbrock": (Rosenbrock(dtype=ctx.dtype, device=ctx.device),
                       torch.tensor([-1.2, 1.0], dtype=ctx.dtype, device="cpu") + 0.3 * torch.randn(S, 2, generator=ctx.generator("rb"), dtype=ctx.dtype, device="cpu")),
        "factorisation 1/2 (uv - 1)^2": (ScalarFactorisation(dtype=ctx.dtype, device=ctx.device),
                                         2.0 * torch.randn(S, 2, generator=ctx.generator("fac"), dtype=ctx.dtype, device="cpu")),
        "tanh MLP 3-16-1": (mlp, mlp.init(S, ctx.generator("mlp-w"))),
    }


def _top_curvature(obj, w):
    """Largest Hessian eigenvalue at each row of w (autograd Hessian-vector products, power iteration)."""
    v = torch.randn(w.shape, generator=torch.Generator().manual_seed(0), dtype=w.dtype, device="cpu").to(w.device)
    for _ in range(100):
        v = obj.hvp(w, v)
        v = v / torch.linalg.vector_norm(v, dim=-1, keepdim=True).clamp_min(1e-300)
    return (v * obj.hvp(w, v)).sum(-1).abs()


def _gd7(ctx, hs, steps, make):
    rows, frames, certified = [], [], []
    for label, (obj, w0) in _problems(ctx).items():
        w0 = w0.to(ctx.device)
        own = certify(obj, label)  # a witness of non-convexity where the objective certifies none in closed form
        certified.append(own if own.has("non-convex") else certify(obj, label, curvature_witness(obj, w0[0])))
        L0 = _top_curvature(obj, w0)  # (S,) the curvature at the start sets each run's step scale
        S = w0.shape[0]
        # every step h of the grid as rows of one batch: rows = h x starts, each row its own step h / L_0
        tr_all = engine.run(obj, make(ctx.rows(hs, per=S) / L0.repeat(len(hs))), w0.repeat(len(hs), 1), steps,
                            checkpoints=np.unique(np.geomspace(1, steps, 60).astype(int)), metrics=("gap",), blowup=1e6)
        f0 = obj.gap(w0).cpu().numpy()
        for j, h in enumerate(hs):
            tr = tr_all.select(slice(j * S, (j + 1) * S))
            f = tr.metrics["gap"]
            trend = rank_trend(f, tr.steps)
            for s in range(S):
                ok_run, rho = bool(np.isfinite(f[s]).all()), float(trend[s])
                decreasing = ok_run and f[s, -1] < f0[s] and rho < 0
                rows.append({"problem": label, "h": h, "seed": s, "decreasing": decreasing, "diverged": not ok_run,
                             "rank_correlation": rho, "final_over_initial": float(f[s, -1] / f0[s]) if ok_run else np.inf})
            frames.append(tr.to_frame(setting=f"{label}, h={h:g}", problem=label, h=h, seed=np.arange(w0.shape[0])))
    tab = pd.DataFrame(rows)

    def verdict(df, **kw):
        failing = set(df.problem[~df.decreasing])
        instances = [c if c.name in failing else c.to_json(refutes=False) for c in certified]
        return check_property(df.decreasing.to_numpy(), what="the overall pattern of f is decreasing (no divergence, "
                              "f_T < f_0, rank correlation of f with t < 0)", claim="GD-7", seeds=ctx.seeds, sampled=True,
                              labels=[f"{r.problem}, step {r.h:g}/L_0, init {r.seed}: " + ("diverged" if r.diverged else
                                      f"f_T/f_0 = {r.final_over_initial:.3g}, rank correlation {r.rank_correlation:.2f}")
                                      for r in df.itertuples()], **kw).restated(instances=instances)
    share = tab.groupby(["problem", "h"]).decreasing.mean().unstack()
    written = verdict(tab, findings=["fraction of inits with a decreasing pattern, by problem (rows) and step h/L_0 "
                                     "(columns): " + "; ".join(f"{p}: " + ", ".join(f"h={h:g}: {share.loc[p, h]:.0%}"
                                                                                   for h in share.columns) for p in share.index)])
    failures = tab[tab.h < 1].groupby(["problem", "h"]).decreasing.agg(lambda x: int((~x).sum()))
    per_cell = [f"{p}, h={h:g}: {n} of {ctx.seeds} failed, rate below {failure_rate_bound(n, ctx.seeds)[0]:.1%}"
                for (p, h), n in failures.items()]
    cells = tab.groupby(["problem", "h"], sort=False).agg(share=("decreasing", "mean")).reset_index()
    cells["outcome"] = np.where(cells.share == 1.0, "reproduced", "refuted")
    stable = verdict(tab[tab.h < 1], reading=STABLE, findings=[
        "per problem and step (Clopper-Pearson 95% upper bounds of the failure rate): " + "; ".join(per_cell),
        "L_0 is the curvature at the start; the minima the runs reach can curve more (on 1/2 (uv - 1)^2 a minimum's "
        "curvature is u^2 + v^2 >= 2), so a step below 1/L_0 is not a step below 1/L where the iterates go"])
    return written, stable, tab, pd.concat(frames, ignore_index=True), cells


def run(ctx, *, hs, steps) -> StudyResult:
    gd7, gd7_stable, gd_tab, gd_curves, cells = _gd7(ctx, hs, steps, lambda lr, gd=ctx.method("gd"): gd(lr=lr))
    return StudyResult([gd7, gd7_stable], {"gd": gd_tab, "gd_curves": gd_curves, "gd_cells": cells}, [
        {"kind": "curves", "table": "gd_curves", "title": "GD-7: f - f* on non-convex problems, by step h/L_0",
         "x": "step", "y": "gap", "hue": "setting", "logx": True, "logy": True},
        {"kind": "heatmap", "table": "gd_cells", "title": "GD-7: share of starts whose overall pattern is decreasing, per "
         "problem and step h/L_0; mark: every start (+) or not (x)", "x": "h", "y": "problem", "value": "share",
         "outcome": "outcome"}], {"hs": list(hs)})


if __name__ == "__main__":
    from convcheck.study import main

    main(__file__)

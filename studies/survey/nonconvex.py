"""GD-7 and SGD-7: gradient descent and SGD on non-convex functions (Sec. 2.1, Fig. 1; Sec. 4.2).

Claims:
    GD-7 (Sec. 2.1, Fig. 1):
        "gradient descent even works relatively fine for non-convex cost functions; it might
        oscillate for non-convex cost but its overall pattern is decreasing". As written (no step
        size is named, Eq. 4 asks eta > 0): for every step of the grid and every init, the run's
        overall pattern is decreasing, read as: no divergence, f(w_T) < f(w_0), and a negative rank
        correlation between t and f(w_t). Reading "a stable step" (an added condition):
        the same for steps below 1/L_0, L_0 the largest Hessian eigenvalue at the start.
    SGD-7 (Sec. 4.2, after Eq. 29):
        "SGD converges sublinearly for a non-convex function" by Eq. (27): with a fixed step eta,
        f(w_{t+1}) - f* <= O(1/t + eta). As written: f - f* with f* the global minimum, so its floor
        must shrink at least linearly with eta. Reading "Ghadimi & Lan (2013)": the standard
        non-convex statement is about stationarity, ``min_k E||grad f(w_k)||^2 <= O(1/(eta t) + eta)``:
        the tail level of E||grad f||^2 shrinks at least linearly with eta.
Kind:
    property (GD-7); floor (SGD-7).
Objective:
    GD-7: Rosenbrock's valley, the scalar factorisation 1/2 (uv - 1)^2, and a tanh MLP
    regression (3-16-1, n = 24), random inits. SGD-7: the tilted double well
    ``(w^2 - 1)^2 + 0.3 w`` as a finite sum with zero-mean gradient noise (n = 100), whose
    spurious local minimum (near +1) lies above f* by a fixed amount; inits in its basin.
Optimizer:
    GD with step h / L_0 for h on a grid crossing 2 (role ``gd``); SGD with one sample per
    step and a fixed eta on a grid (role ``sgd``, lr a (rows,) tensor).
Fit:
    GD-7: per run, the rank correlation of f with t and f_T / f_0. SGD-7: tail floors (stationary
    tail) of f - f* and of ||grad f||^2 per eta, and the slope of log floor vs log eta.
Verdict rule:
    GD-7 by ``check_property`` over every (problem, h, init), as written and for h < 1 (the
    reading). SGD-7 by ``check_floors`` (upper claim: slope at least 1): a diverged seed at any
    eta refutes, an unsettled tail makes it inconclusive.
References:
    Ghadimi & Lan (2013), Stochastic first- and zeroth-order methods for nonconvex stochastic
    programming, SIAM J. Optim. 23, Thm. 2.1; Rosenbrock (1960).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch

from convcheck import engine
from convcheck.claims import Claim
from convcheck.objectives import MLP, Rosenbrock, ScalarFactorisation, TiltedDoubleWell, WithReplacement
from convcheck.stats import check_floors, check_property, rank_trend
from convcheck.study import StudyResult

STABLE = "a stable step: eta < 1/L_0"
GHADIMI_LAN = "Ghadimi & Lan: min E||grad f||^2 <= O(1/(eta t) + eta)"
CLAIMS = [
    Claim("GD-7", "Sec. 2.1, Fig. 1", "GD works relatively fine for non-convex cost functions: it might oscillate but its "
          "overall pattern is decreasing", "property", readings=(STABLE,), methods=("gd",)),
    Claim("SGD-7", "Sec. 4.2, Eq. (27)", "Eq. (27) holds for a non-convex function: with a fixed eta, "
          "f(w_{t+1}) - f* <= O(1/t + eta)", "floor", readings=(GHADIMI_LAN,), methods=("sgd",)),
]
ROLES = ("gd", "sgd")

SCALES = {
    "tiny": {"seeds": 6, "hs": (0.5, 2.5), "steps": 300, "etas": (0.02, 0.04), "sgd_steps": 4000},
    "quick": {"seeds": 64, "hs": (0.1, 0.5, 0.9, 1.5, 2.5), "steps": 2000, "etas": (0.005, 0.01, 0.02, 0.04),
              "sgd_steps": 30000},
    "full": {"seeds": 64, "hs": (0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 1.5, 1.9, 2.5, 4.0), "steps": 20000,
             "etas": (0.0025, 0.005, 0.01, 0.02, 0.04), "sgd_steps": 200000},
}


def _problems(ctx):
    gen = ctx.generator("mlp-data")
    X = torch.randn(24, 3, generator=gen, dtype=ctx.dtype, device=gen.device)
    Y = torch.sin(X.sum(-1, keepdim=True))
    mlp = MLP(X.to(ctx.device), Y.to(ctx.device), [3, 16, 1], "tanh")
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
    rows, frames = [], []
    for label, (obj, w0) in _problems(ctx).items():
        w0 = w0.to(ctx.device)
        L0 = _top_curvature(obj, w0)  # (S,) the curvature at the start sets each run's step scale
        for h in hs:
            tr = engine.run(obj, make(h / L0), w0, steps, checkpoints=np.unique(np.geomspace(1, steps, 60).astype(int)),
                            metrics=("gap",), blowup=1e6)
            f = tr.metrics["gap"]
            f0 = obj.gap(w0).cpu().numpy()
            trend = rank_trend(f, tr.steps)
            for s in range(w0.shape[0]):
                ok_run, rho = bool(np.isfinite(f[s]).all()), float(trend[s])
                decreasing = ok_run and f[s, -1] < f0[s] and rho < 0
                rows.append({"problem": label, "h": h, "seed": s, "decreasing": decreasing, "diverged": not ok_run,
                             "rank_correlation": rho, "final_over_initial": float(f[s, -1] / f0[s]) if ok_run else np.inf})
            frames.append(tr.to_frame(setting=f"{label}, h={h:g}", problem=label, h=h, seed=np.arange(w0.shape[0])))
    tab = pd.DataFrame(rows)

    def verdict(df, **kw):
        return check_property(df.decreasing.to_numpy(), what="the overall pattern of f is decreasing (no divergence, "
                              "f_T < f_0, rank correlation of f with t < 0)", claim="GD-7", seeds=ctx.seeds,
                              labels=[f"{r.problem}, step {r.h:g}/L_0, init {r.seed}: " + ("diverged" if r.diverged else
                                      f"f_T/f_0 = {r.final_over_initial:.3g}, rank correlation {r.rank_correlation:.2f}")
                                      for r in df.itertuples()], **kw)
    share = tab.groupby(["problem", "h"]).decreasing.mean().unstack()
    written = verdict(tab, findings=["fraction of inits with a decreasing pattern, by problem (rows) and step h/L_0 "
                                     "(columns): " + "; ".join(f"{p}: " + ", ".join(f"h={h:g}: {share.loc[p, h]:.0%}"
                                                                                   for h in share.columns) for p in share.index)])
    stable = verdict(tab[tab.h < 1], reading=STABLE)
    return written, stable, tab, pd.concat(frames, ignore_index=True)


def _sgd7(ctx, etas, steps, make):
    dw = TiltedDoubleWell(100, ctx.generator("well"), tilt=0.3, noise=1.0, dtype=ctx.dtype, device=ctx.device)
    etas = np.asarray(sorted(etas), dtype=float)
    S, K = ctx.seeds, etas.size
    rows = ctx.rows(etas)
    w0 = dw.w_local + 0.05 * ctx.normal((K * S, 1), "well-w0")
    tr = engine.run(dw, make(rows), w0, steps, checkpoints=engine.log_checkpoints(steps, dense_tail=300),
                    sampler=WithReplacement(dw.n, 1), generator=ctx.generator("well-sampler"), metrics=("gap", "grad_norm"))
    gap = tr.metrics["gap"].reshape(K, S, -1)
    g2 = (tr.metrics["grad_norm"] ** 2).reshape(K, S, -1)
    out = []
    for values, reading, what in ((gap, None, "f - f*"), (g2, GHADIMI_LAN, "||grad f||^2")):
        v, tails = check_floors([values[k] for k in range(K)], tr.steps, etas, kind="upper", claim="SGD-7",
                                param_name="eta", what=what)
        F = np.stack([t.floors for t in tails], axis=1)
        findings = [f"tail level of {what} per eta: " + ", ".join(f"{f:.4g} (eta={e:g})" for f, e in zip(F.mean(0), etas))]
        if reading is None:
            findings.append(f"the spurious minimum at w = {dw.w_local:.4f} lies {dw.f_local - dw.f_star:.4f} above f* "
                            f"(global minimum at w = {dw.w_global:.4f}): SGD started in its basin stays there for every "
                            "eta of the grid, so f - f* keeps a floor of that size however small eta is")
        out.append(v.restated(findings=findings, reading=reading))
    curves = tr.to_frame(eta=np.repeat(etas, S), seed=np.tile(np.arange(S), K))
    curves["setting"] = "eta=" + curves.eta.map("{:g}".format)
    curves["grad_norm2"] = curves.grad_norm**2
    return out[0], out[1], curves, dw


def run(ctx, *, hs, steps, etas, sgd_steps) -> StudyResult:
    parts = []
    if ctx.wants("GD-7"):
        gd7, gd7_stable, gd_tab, gd_curves = _gd7(ctx, hs, steps, lambda lr, gd=ctx.method("gd"): gd(lr=lr))
        parts.append(StudyResult([gd7, gd7_stable], {"gd": gd_tab, "gd_curves": gd_curves}, [
            {"kind": "curves", "table": "gd_curves", "title": "GD-7: f - f* on non-convex problems, by step h/L_0",
             "x": "step", "y": "gap", "hue": "setting", "logx": True, "logy": True}], {"hs": list(hs)}))
    if ctx.wants("SGD-7"):
        sgd7, sgd7_gl, sgd_curves, dw = _sgd7(ctx, etas, sgd_steps, lambda lr, sgd=ctx.method("sgd"): sgd(lr=lr))
        parts.append(StudyResult([sgd7, sgd7_gl], {"sgd_curves": sgd_curves}, [
            {"kind": "curves", "table": "sgd_curves", "title": "SGD-7: f - f* on the tilted double well, started in the "
             "spurious basin", "x": "step", "y": "gap", "hue": "setting", "logx": True, "logy": True},
            {"kind": "curves", "table": "sgd_curves", "title": "SGD-7: ||grad f||^2 on the tilted double well", "x": "step",
             "y": "grad_norm2", "hue": "setting", "logx": True, "logy": True}],
            {"etas": list(etas), "double_well": {"f_star": dw.f_star, "f_local": dw.f_local, "sigma2": dw.sigma2}}))
    return StudyResult.merge(*parts)


if __name__ == "__main__":
    from convcheck.study import main

    main(__file__)

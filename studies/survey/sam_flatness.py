"""SAM-5 and SAM-7: SAM finds flatter minima; SDS keeps the sharp part of the batch.

Claims:
    SAM-5, Sec. 7, Fig. 7: SAM converges to flatter (smoother) minima than plain descent.
    SAM-7, Eq. (56): ESAM's sharpness-sensitive data selection keeps the samples whose loss
           rises most under the perturbation and computes the SAM gradient on them only, so
           it costs less.
Kind:
    comparative (SAM-5); comparative + identity (SAM-7: what SDS keeps and what it costs, counted exactly).
Objective:
    SAM-5: the scalar factorisation ``1/2 (uv - 1)^2`` started near (4, 0.2), whose minima
    ``uv = 1`` have sharpness (top Hessian eigenvalue) ``u^2 + v^2``, and a small full-batch
    MLP regression (tanh, 2-16-16-1, n = 32). SAM-7: least squares (n = 256, d = 10) with
    mini-batches of 32.
Optimizer:
    GD and SAM (rho = 0.1 on the factorisation, 0.05 on the MLP) with the same step; for
    SAM-7 SAM against SDS in both forms (fraction gamma = 0.5; threshold alpha = median
    sharpness of a first batch).
Fit:
    SAM-5: the top Hessian eigenvalue at the end (closed form on the factorisation; Lanczos
    via scipy's eigsh on Hessian-vector products on the MLP, at the first checkpoint where
    the training loss is below a common target, so both are compared at matched loss).
    SAM-7: the fraction of samples kept, re-derived from the per-sample sharpness; sample
    gradients per step counted by the engine; final loss, SDS vs SAM at equal steps.
Verdict rule:
    SAM-5 declares ``Comparison(smaller=True, log=True)`` per problem: paired per seed on log top
    eigenvalue, reproduced when SAM's is smaller at the 90% level on both problems, refuted when
    larger at 99.8% on one (Holm over the two). SAM-7 declares ``AllOf`` of three
    ``Identity("EXACT_RTOL")``: the kept fraction and ceil(gamma b)/b (fraction form), the kept
    fraction and the share of the batch with s_i > alpha (threshold form), and the sample gradients
    per step and 2b (SAM), b + ceil(gamma b) (SDS). Test accuracy is not measured and not claimed.
Findings:
    the top eigenvalues and final losses; the loss SAM and SDS reach and the share of SAM's
    sample gradients that SDS saves.
References:
    Foret et al. (2021); Du et al. (2022); Andriushchenko & Flammarion (2022), Towards
    understanding sharpness-aware minimization, ICML.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import scipy.sparse.linalg as spla
import torch

from convcheck import engine
from convcheck.evidence import Computations, Pair, Samples
from convcheck.judgments import AllOf, Comparison, Identity
from convcheck.objectives import MLP, LeastSquares, ScalarFactorisation, WithReplacement
from convcheck.optim import dual_eps, sam
from convcheck.study import Claim, StudyResult

SDS_PARTS = ("fraction form", "threshold form", "cost")
CLAIMS = [
    Claim("SAM-5", "Sec. 7, Fig. 7", "SAM finds flatter minima (smaller top Hessian eigenvalue) than GD", "comparative",
          methods=("sam", "gd"), judgments=Comparison(smaller=True, log=True), assumes="none: a statement about the minima SAM finds", coverage="a scalar factorisation and a small full-batch MLP"),
    Claim("SAM-7", "Eq. (56)", "SDS keeps the sharpness-sensitive part of the batch and costs less", "comparative + identity",
          methods=("sam",), judgments=AllOf({part: Identity("EXACT_RTOL") for part in SDS_PARTS}), assumes="none: a statement about SDS's selection and its cost"),
]
ROLES = ("gd", "sam")

SCALES = {"tiny": {"seeds": 4, "steps": 1500, "mlp_steps": 1500},
          "quick": {"seeds": 16, "steps": 4000, "mlp_steps": 4000},
          "full": {"seeds": 256, "steps": 20000, "mlp_steps": 20000}}  # 256: SDS is stochastic

# What tests and users may pass besides a scale's config (convcheck.study): name -> what it is.
INJECTIONS = {
    'sds_factory': 'sds_factory(lr, rho, **sds_options): SAM with data selection under test (SAM-7)',
}


def run(ctx, *, steps, mlp_steps, sds_factory=None) -> StudyResult:
    sam_m, gd = ctx.method("sam"), ctx.method("gd")

    def sam_factory(lr, rho):
        return sam_m(lr=lr, rho=rho)
    parts = []
    if ctx.wants("SAM-5"):
        parts.append(_flatter(ctx, steps, mlp_steps, sam_factory, gd))
    if ctx.wants("SAM-7"):
        parts.append(_sds(ctx, sds_factory or sam, sam_factory))
    return StudyResult.merge(*parts)


def _flatter(ctx, steps, mlp_steps, sam_factory, gd) -> StudyResult:
    """SAM-5: the top Hessian eigenvalue SAM ends at against GD's, on the scalar factorisation
    (at the end) and on a small MLP (at matched training loss), paired per seed."""
    # --- SAM-5 (a): the scalar factorisation -------------------------------------------------
    f = ScalarFactorisation(dtype=ctx.dtype, device=ctx.device)
    jitter = 0.05 * ctx.normal((ctx.seeds, 2), "uv")
    w0 = torch.tensor([4.0, 0.2], dtype=ctx.dtype, device=ctx.device) + jitter
    ck = engine.log_checkpoints(steps)
    runs = {"GD": engine.run(f, gd(lr=0.05), w0, steps, checkpoints=ck),
            "SAM": engine.run(f, sam_factory(0.05, 0.1), w0, steps, checkpoints=ck)}
    top = {k: f.hessian_top(tr.final).cpu().numpy() for k, tr in runs.items()}
    loss = {k: f.loss(tr.final).cpu().numpy() for k, tr in runs.items()}
    frames = [pd.concat([tr.to_frame(method=k, seed=np.arange(ctx.seeds)) for k, tr in runs.items()], ignore_index=True)]
    paths = pd.concat([_path(f, opt, w0[:1], min(steps, 3000), k) for k, opt in
                       (("GD", gd(lr=0.05)), ("SAM", sam_factory(0.05, 0.1)))], ignore_index=True)

    # --- SAM-5 (b): a small MLP at matched training loss ------------------------------------
    gen = ctx.generator("mlp-data")
    X = torch.randn(32, 2, generator=gen, dtype=ctx.dtype, device=gen.device).to(ctx.device)  # the runs on the run's device
    net = MLP(X, torch.sin(2 * X[:, :1]) * torch.cos(X[:, 1:]), [2, 16, 16, 1], "tanh", backward="analytic")
    wn = net.init(ctx.seeds, ctx.generator("mlp-w"), scale="lecun")
    ckm = np.unique(np.linspace(0, mlp_steps, 101).astype(int))
    mlp_runs = {name: _run_keep(net, opt, wn, mlp_steps, ckm) for name, opt in (("GD", gd(lr=0.1)),
                                                                                 ("SAM", sam_factory(0.1, 0.05)))}
    target = 1.05 * max(np.nanmax(np.nanmin(r[1], axis=1)) for r in mlp_runs.values())  # reachable by every seed
    lam_at = {}
    for name, (W, L) in mlp_runs.items():  # each seed measured at the first checkpoint with loss under the target
        first = np.argmax(L <= target, axis=1)
        lam_at[name] = np.array([_top_eig(net, W[s, first[s]]) for s in range(ctx.seeds)])
    # the sharpness along the way, for seed 0: top eigenvalue against the training loss
    along = []
    for name, (W, L) in mlp_runs.items():
        for j in range(0, W.shape[1], max(1, W.shape[1] // 12)):
            along.append({"method": name, "train_loss": float(L[0, j]), "top_eigenvalue": _top_eig(net, W[0, j])})

    def pair(obj, d, what):
        return Pair(*(Samples.on(obj, d[k], what=what, method=k, role=k.lower()) for k in ("SAM", "GD")), names=("SAM", "GD"))
    evidence = {"scalar factorisation": pair(f, top, "top Hessian eigenvalue (factorisation)"),
                "MLP at matched loss": pair(net, lam_at, f"top Hessian eigenvalue at training loss <= {target:.3g}")}
    findings = [f"factorisation: median top eigenvalue GD {np.median(top['GD']):.3f}, SAM {np.median(top['SAM']):.3f} "
                f"(the flattest minimum has 2); final loss GD {np.median(loss['GD']):.2e}, SAM {np.median(loss['SAM']):.2e}",
                f"MLP: median top eigenvalue at matched loss GD {np.median(lam_at['GD']):.3f}, SAM {np.median(lam_at['SAM']):.3f}",
                "test accuracy is not measured: flatness is not claimed to imply generalisation here"]
    lam_tab = pd.DataFrame([{"method": k, "problem": p, "seed": s, "top_eigenvalue": v}
                            for p, d in (("factorisation", top), ("MLP", lam_at)) for k, arr in d.items() for s, v in enumerate(arr)])
    uu, vv = np.meshgrid(np.linspace(0.0, 4.5, 120), np.linspace(0.0, 2.5, 120))
    grid = pd.DataFrame({"x": uu.ravel(), "y": vv.ravel(), "z": 0.5 * (uu.ravel() * vv.ravel() - 1) ** 2})
    figures = [
        {"kind": "paths", "table": "paths", "title": "GD and SAM on 1/2 (uv - 1)^2 from (4, 0.2); level sets, the lowest is uv = 1",
         "x": "u", "y": "v", "hue": "method", "contour_table": "grid"},
        {"kind": "points", "table": "along", "title": "MLP: top Hessian eigenvalue against training loss (seed 0)",
         "x": "train_loss", "y": "top_eigenvalue", "hue": "method", "logx": True, "logy": True},
        {"kind": "points", "table": "eigen", "title": "Top Hessian eigenvalue at the end (factorisation) / at matched loss (MLP)",
         "x": "method", "y": "top_eigenvalue", "hue": "problem", "logy": True},
    ]
    return StudyResult(evidence={"SAM-5": evidence}, findings={"SAM-5": findings}, figures=figures,
                       tables={"paths": paths, "eigen": lam_tab, "curves": frames[0], "grid": grid, "along": pd.DataFrame(along)},
                       setup={"mlp_target_loss": target})


def _path(f, opt, w0, steps, name):
    keep = np.unique(np.geomspace(1, steps + 1, 300).astype(int) - 1)
    P = engine.run(f, opt, w0, steps, checkpoints=keep, metrics=("gap",), keep_iterates=True).iterates[0].cpu().numpy()
    return pd.DataFrame({"method": name, "step": keep, "seed": 0, "u": P[:, 0], "v": P[:, 1]})


def _run_keep(net, opt, w0, steps, ck):
    """Iterates and losses at the checkpoints: (S, C, P) and (S, C) (f* = 0, so the gap is the loss)."""
    tr = engine.run(net, opt, w0, steps, checkpoints=ck, metrics=("gap",), keep_iterates=True)
    return tr.iterates, tr.metrics["gap"]


def _top_eig(net, w):
    """Largest Hessian eigenvalue of the MLP loss at w (P,), by Lanczos on Hessian-vector products."""
    w = w.unsqueeze(0)
    P = w.shape[1]

    def hv(v):
        vt = torch.as_tensor(v, dtype=w.dtype, device=w.device).reshape(1, P)
        return net.hvp(w, vt).reshape(-1).cpu().numpy()

    op = spla.LinearOperator((P, P), matvec=hv, dtype=np.float64)
    return float(spla.eigsh(op, k=1, which="LA", tol=1e-8, v0=np.ones(P))[0][0])


def _sds(ctx, make_sds, make_sam):
    ls = LeastSquares.planted(256, 10, ctx.generator("sds"), kappa=10.0, noise=0.5, dtype=ctx.dtype, device=ctx.device)
    S, b, T = ctx.seeds, 32, 300
    w0 = ctx.start_near(ls.w_star, "sds-w0")
    rho, lr, gamma = 0.05, 0.1, 0.5
    # the threshold: the median per-sample sharpness of a first batch (so about half is kept)
    idx0 = WithReplacement(256, b).draw(S, ctx.generator("alpha"), ctx.device)
    e0 = dual_eps(ls.grad_batch(w0, idx0), rho, 2.0)
    alpha = float((ls.per_sample_losses_batch(w0 + e0, idx0) - ls.per_sample_losses_batch(w0, idx0)).median())
    methods = {"SAM": make_sam(lr, rho), "SDS (fraction)": make_sds(lr, rho, sds="fraction", gamma=gamma),
               "SDS (threshold)": make_sds(lr, rho, sds="threshold", alpha=alpha)}
    traces, frames = {}, []
    for name, opt in methods.items():
        traces[name] = engine.run(ls, opt, w0, T, sampler=WithReplacement(256, b), generator=ctx.generator("sds-sampler"))
        frames.append(traces[name].to_frame(method=name, seed=np.arange(S)))
    # one step of each form, the kept shares re-derived independently from the per-sample sharpness
    idx = WithReplacement(256, b).draw(S, ctx.generator("check"), ctx.device)
    g = ls.grad_batch(w0, idx)
    e = dual_eps(g, rho, 2.0)
    sharp = ls.per_sample_losses_batch(w0 + e, idx) - ls.per_sample_losses_batch(w0, idx)
    k = math.ceil(gamma * b)

    def kept_at_first_step(opt):  # the share of the batch the method kept, at its first step (on the batch idx)
        return engine.run(ls, opt, w0, 1, checkpoints=[1], sampler=WithReplacement(256, b), generator=ctx.generator("check"),
                          states=("kept",), metrics=("gap",)).states["kept"][:, 0]
    frac_kept, thr_kept = kept_at_first_step(methods["SDS (fraction)"]), kept_at_first_step(methods["SDS (threshold)"])
    per_step = {n: traces[n].grad_evals[-1] / T for n in methods}
    final = {n: float(np.median(tr.metrics["gap"][:, -1])) for n, tr in traces.items()}
    parts = dict(zip(SDS_PARTS, (
        Computations.on(ls, frac_kept, np.full(S, k / b), what=f"the share of the batch SDS keeps (fraction form) and "
                        f"ceil(gamma b)/b = {k}/{b}"),
        Computations.on(ls, thr_kept, (sharp > alpha).double().mean(-1).cpu().numpy(), what="the share SDS keeps "
                        "(threshold form) and the share of the batch with sharpness > alpha"),
        Computations.on(ls, np.array([per_step["SAM"], per_step["SDS (fraction)"]]), np.array([2.0 * b, b + k]),
                        what=f"the sample gradients per step of SAM and SDS and 2b = {2 * b}, b + ceil(gamma b) = {b + k}"))))
    findings = [f"sample gradients per step: SAM {per_step['SAM']:.0f}, SDS {per_step['SDS (fraction)']:.0f}, "
                f"SDS-threshold {per_step['SDS (threshold)']:.1f}",
                f"median gap after {T} steps: " + ", ".join(f"{n} {v:.3g}" for n, v in final.items())
                + f"; SDS (fraction) saves {1 - per_step['SDS (fraction)'] / per_step['SAM']:.0%} of SAM's sample gradients",
                "the survey states SDS with a fixed threshold alpha; ESAM's code keeps the top gamma fraction "
                "(both implemented, named sds='threshold' and sds='fraction')"]
    return StudyResult(evidence={"SAM-7": {"least squares, mini-batches of 32": parts}}, findings={"SAM-7": findings},
                       tables={"sds": pd.concat(frames, ignore_index=True)}, figures=[
                           {"kind": "curves", "table": "sds", "title": "SAM-7: loss per step, SAM vs SDS", "x": "step",
                            "y": "gap", "hue": "method", "logx": True, "logy": True}])


if __name__ == "__main__":
    from convcheck.study import main

    main(__file__)

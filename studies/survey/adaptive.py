"""AD-1 to AD-4: AdaGrad, RMSProp and Adam (Sec. 6, Eqs. 38-47).

Claims:
    AD-1, Eqs. (38)-(40): AdaGrad damps the step of coordinates that moved a lot, so every
          coordinate makes progress ("all dimensions will have a fair chance to change").
    AD-2, Eqs. (41)-(42): RMSProp as written (one scalar v from ||g||^2) is RMSProp
          (torch.optim.RMSprop). Reading "standard RMSProp" (per-coordinate v): the method in role
          rmsprop equals torch.optim.RMSprop.
    AD-3, Eqs. (43)-(47): Adam as written (scalar v, 1 - gamma^k with k from 0: a division by zero
          at the first step) is Adam. Reading "standard Adam": role adam equals torch.optim.Adam,
          and with gamma1 = 0 bias-corrected RMSProp. Supporting: role adamw's decoupled decay.
    AD-4 (supporting): AdaGrad's averaged iterate at O(1/sqrt t) on a convex problem.
Kind:
    comparative (AD-1), identity (AD-2, AD-3), rate, upper (AD-4).
Objective:
    AD-1: a diagonal quadratic (curvatures 1 to 1e-3, d = 20), a rotated one (kappa 1e3) and least
    squares with column scales over 1.5 decades; the variants' findings on the diagonal one.
    AD-2/3: a stream of 100 noisy least-squares gradients (n = 30, d = 5) fed to both sides.
    AD-4: logistic regression on ANES 1996, one sample per step.
Optimizer:
    roles ``adagrad``, ``rmsprop``, ``adam``, ``adamw`` (the standard algorithms) and ``gd`` (the
    non-adaptive baseline); the survey's variants (scalar v, k from 0) are the suite's own.
Fit:
    AD-1: progress of coordinate j after T steps, ``p_j = log10 |e_j(0)| / |e_j(T)|`` (capped at 15
    decades, float64's resolution), two measures per seed: the spread ``max_j p_j - min_j p_j`` and
    the worst coordinate's ``min_j p_j``. Each method at its own step, the smallest median final gap
    on separate tuning starts (AdaGrad over ``lrs``, GD over h/L, h in 0.1..1.9), judged on fresh starts.
    AD-2/3: every iterate of 100 steps of each side fed the same gradients.
Verdict rule:
    AD-1 declares ``Measures`` of two paired ``Comparison`` (spread smaller, worst coordinate larger)
    per problem: refuted on a problem only when both measures refute (Holm over the problems).
    AD-2, AD-3 (every reading): ``Identity("SAME_ARITHMETIC_RTOL")``, carried to the dtype; a
    non-finite iterate agrees with nothing. AD-4: ``Rate("1/sqrt(t)", "upper")`` on the averaged iterate.
Findings:
    survey variants vs standard ones; the map of every AdaGrad lr against tuned GD (a heatmap of the
    median spread difference); Eq. (45)'s factor at k = 0; the last iterate's rate.
References:
    Duchi, Hazan & Singer (2011); Tieleman & Hinton (2012); Kingma & Ba (2015); Loshchilov & Hutter (2019).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch

from convcheck import engine
from convcheck.claims import AS_WRITTEN
from convcheck.evidence import Computations, Curves, Pair, Samples
from convcheck.judgments import Comparison, Identity, Measures, Rate
from convcheck.objectives import LeastSquares, Logistic, Quadratic, WithReplacement
from convcheck.optim import from_torch, gradient_descent, replay, rmsprop
from convcheck.stats import relative_error
from convcheck.study import Claim, StudyResult

from _survey import adagrad_survey, adam_survey, rmsprop_survey
from _survey_searches import SEARCHES

STANDARD_RMSPROP = "standard RMSProp (per-coordinate v)"
STANDARD_ADAM = "standard Adam (per-coordinate v, k from 1)"
DECOUPLED = "decoupled weight decay (AdamW): w <- (1 - lr wd) w, then Adam's step; wd = 0 is Adam"
SAME = Identity("SAME_ARITHMETIC_RTOL")
FAIR = Measures({"spread": Comparison(smaller=True), "worst coordinate": Comparison(smaller=False)},
                what="a fair chance to change, by every measure")
CLAIMS = [
    Claim("AD-1", "Eqs. (38)-(40)", "AdaGrad damps coordinates that moved a lot, so all coordinates progress", "comparative",
          methods=("adagrad", "gd"), judgments=FAIR, assumes="none: a statement about how AdaGrad scales each coordinate's steps, on any problem", coverage="badly scaled and rotated convex quadratics and least squares, each method at its own tuned step"),
    Claim("AD-2", "Eqs. (41)-(42)", "RMSProp: v = gamma v + (1 - gamma) ||g||^2 (a scalar), w -= eta g / sqrt(eps + v)",
          "identity", readings=(STANDARD_RMSPROP,), methods={STANDARD_RMSPROP: ("rmsprop",)},
          judgments={AS_WRITTEN: SAME, STANDARD_RMSPROP: SAME}, search=SEARCHES["AD-2"], assumes="none: an identity of two computations (the survey's scalar-v update and the standard per-coordinate RMSProp, on one gradient stream)"),
    Claim("AD-3", "Eqs. (43)-(47)", "Adam = momentum + RMSProp with bias correction 1/(1 - gamma^k), scalar v", "identity",
          readings=(STANDARD_ADAM,), supporting=(DECOUPLED,), methods={STANDARD_ADAM: ("adam",), DECOUPLED: ("adamw",)},
          judgments={AS_WRITTEN: SAME, STANDARD_ADAM: SAME, DECOUPLED: SAME}, search=SEARCHES["AD-3"], assumes="none: an identity of two computations (the survey's Adam, the standard Adam and torch.optim.Adam, on one gradient stream)"),
    Claim("AD-4", "Sec. 6 (Duchi et al.)", "AdaGrad's averaged iterate converges at O(1/sqrt t) on a convex problem", "rate",
          statement="supporting", methods=("adagrad",), judgments=Rate("1/sqrt(t)", "upper"), hypotheses=("convex", "bounded stochastic gradients")),
]
ROLES = ("gd", "adagrad", "rmsprop", "adam", "adamw")
SCALES = {"tiny": {"seeds": 6, "steps": 300, "rate_steps": 3000, "lrs": (0.01, 0.5)},
          "quick": {"seeds": 32, "steps": 1000, "rate_steps": 20_000, "lrs": (0.005, 0.02, 0.1, 0.5, 1.0)},
          "full": {"seeds": 256, "steps": 5000, "rate_steps": 1_000_000, "lrs": (0.001, 0.005, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0)}}
GD_STEPS = (0.1, 0.5, 1.0, 1.5, 1.9)  # GD's own sweep, h/L
MEASURES = {"spread": lambda p: p.max(-1) - p.min(-1), "worst coordinate": lambda p: p.min(-1)}
WD, WD_LR = 0.1, 0.01  # AD-3's decoupled reading: weight decay and step


def _progress(final, w0, w_star):
    """Decades of progress per coordinate, capped at 15; a diverged row made none (-inf)."""
    p = torch.log10((w0 - w_star).abs() / (final - w_star).abs().clamp_min(1e-300)).cpu().numpy()
    return np.where(np.isfinite(p) | (p > 0), np.minimum(p, 15.0), -np.inf)


def run(ctx, *, steps, rate_steps, lrs) -> StudyResult:
    gd, ada, rms, adam, adamw = (ctx.method(r) for r in ROLES)
    evidence, findings, tables, figures, setup = {}, {}, {}, [], {}
    kw = {"dtype": ctx.dtype, "device": ctx.device}
    if ctx.wants("AD-1", "AD-2", "AD-3"):  # every variant, one setting each, on the diagonal quadratic
        lam = torch.logspace(0, -3, 20, dtype=ctx.dtype, device="cpu")
        q = Quadratic(lam, rotate=False, w_star=torch.zeros(20, dtype=ctx.dtype, device=ctx.device), **kw)
        e0, setup["quadratic"] = ctx.normal((ctx.seeds, 20), "e0"), q.constants()
        variants = {"GD (1/L)": gd(lr=1.0 / q.L), "AdaGrad": ada(lr=0.5, eps=1e-10), "AdaGrad (survey)": adagrad_survey(0.5, eps=1e-8),
                    "RMSProp": rms(lr=0.01, alpha=0.9, eps=1e-8), "RMSProp (survey)": rmsprop_survey(0.01, 0.9),
                    "Adam": adam(lr=0.01, betas=(0.9, 0.999), eps=1e-8), "Adam (survey)": adam_survey(0.01)}
        frames = []
        for name, opt in variants.items():
            final = engine.run(q, opt, e0, steps, checkpoints=[steps]).final
            p = np.minimum(torch.log10(e0.abs() / (final - q.w_star).abs().clamp_min(1e-300)).cpu().numpy(), 15.0)
            frames.append(pd.DataFrame({"method": name, "seed": np.repeat(np.arange(ctx.seeds), 20),
                                        "coordinate": np.tile(np.arange(20), ctx.seeds),
                                        "curvature": np.tile(lam.numpy(), ctx.seeds), "progress_decades": p.reshape(-1),
                                        "final_gap": np.repeat(q.gap(final).cpu().numpy(), 20)}))
        prog = tables["progress"] = pd.concat(frames, ignore_index=True)
        P = {k: g.progress_decades.to_numpy().reshape(ctx.seeds, 20) for k, g in prog.groupby("method", sort=False)}
        worst, gaps = {k: v.min(1) for k, v in P.items()}, prog.groupby("method", sort=False).final_gap.median()
        figures.append({"kind": "points", "table": "progress", "title": "Progress per coordinate (decades) vs curvature, after "
                        "the run", "x": "curvature", "y": "progress_decades", "hue": "method", "logx": True})
        vs = lambda a, b: (f"median final gap {gaps[a]:.3g} vs {gaps[b]:.3g}; worst-coordinate progress "
                           f"{np.median(worst[a]):.2f} vs {np.median(worst[b]):.2f} decades")
    if ctx.wants("AD-1"):
        lrs, hs = np.asarray(lrs, dtype=float), np.asarray(GD_STEPS)
        g = ctx.generator("ad1-ls")
        cpu = {"dtype": ctx.dtype, "device": "cpu"}
        X = torch.randn(100, 20, generator=g, **cpu) * torch.logspace(0, -1.5, 20, **cpu)
        y = X @ torch.randn(20, generator=g, **cpu) + 0.1 * torch.randn(100, generator=g, **cpu)
        problems = {"diagonal, curvatures 1 to 1e-3": q,
                    "rotated, kappa 1e3": Quadratic.random(20, ctx.generator("ad1-rot"), L=1.0, kappa=1e3, kind="geometric", **kw),
                    "least squares, column scales 1 to 0.03": LeastSquares(X.to(ctx.device), y.to(ctx.device))}
        parts, rows, tuned = {}, [], []
        for label, obj in problems.items():
            m = {}
            for use in ("tune", "test"):  # steps chosen on one set of starts, judged on another
                w0 = ctx.start_near(obj.w_star, "ad1" if use == "test" else "ad1-tune", label)
                for name, opt, k in (("AdaGrad", ada(lr=ctx.rows(lrs), eps=1e-10), lrs.size), ("GD", gd(lr=ctx.rows(hs) / obj.L), hs.size)):
                    final = engine.run(obj, opt, w0.repeat(k, 1), steps, checkpoints=[steps]).final
                    p = _progress(final, w0.repeat(k, 1), obj.w_star).reshape(k, ctx.seeds, -1)
                    m[use, name] = {**{x: f(p) for x, f in MEASURES.items()},
                                    "gap": np.nan_to_num(obj.gap(final).cpu().numpy(), nan=np.inf).reshape(k, ctx.seeds)}
            ka, kg = (int(np.argmin(np.median(m["tune", n]["gap"], axis=1))) for n in ("AdaGrad", "GD"))
            tuned.append(f"{label}: AdaGrad lr = {lrs[ka]:g}, GD {hs[kg]:g}/L")
            names = (f"AdaGrad (lr {lrs[ka]:g})", f"GD ({hs[kg]:g}/L)")
            parts[label] = {x: Pair(*(Samples.on(obj, m["test", n][x][k], what=f"{x} of progress across coordinates ({label})")
                                      for n, k in (("AdaGrad", ka), ("GD", kg))), names=names) for x in MEASURES}
            gd_spread = m["test", "GD"]["spread"][kg]
            rows += [{"problem": label, "lr": lr, "tuned": "tuned" if k == ka else "",
                      "spread_adagrad": float(np.median(m["test", "AdaGrad"]["spread"][k])), "spread_gd_tuned": float(np.median(gd_spread)),
                      "difference": float(np.median(gd_spread - m["test", "AdaGrad"]["spread"][k]))} for k, lr in enumerate(lrs)]
        evidence["AD-1"] = parts
        grid = tables["ad1_grid"] = pd.DataFrame(rows)
        findings["AD-1"] = ["tuned steps (smallest median final f - f* on the tuning starts): " + "; ".join(tuned),
                            "map (median spread, tuned GD minus AdaGrad, decades; not the verdict): " + "; ".join(
                                f"{p}: " + ", ".join(f"lr {r.lr:g}: {r.difference:+.2f}" for r in g.itertuples())
                                for p, g in grid.groupby("problem", sort=False)),
                            f"diagonal problem, every variant at one setting each: median worst-coordinate progress after {steps} "
                            "steps (decades): " + ", ".join(f"{k} {np.median(v):.2f}" for k, v in worst.items()),
                            "median spread of progress across coordinates (max - min, decades): " + ", ".join(
                                f"{k} {np.median(v.max(1) - v.min(1)):.2f}" for k, v in P.items())]
        figures.append({"kind": "heatmap", "table": "ad1_grid", "title": "AD-1: spread of progress, tuned GD minus AdaGrad at "
                        "each lr (decades, median; blue: AdaGrad fairer)", "x": "lr", "y": "problem", "value": "difference",
                        "outcome": "tuned"})
    if ctx.wants("AD-2", "AD-3"):  # both sides fed one recorded gradient stream: no feedback through their own trajectories
        ls = LeastSquares.planted(30, 5, ctx.generator("ls"), kappa=5.0, **kw)
        w0, setup["least_squares"] = ctx.start_near(ls.w_star, "ls-w0"), ls.constants()
        stream = torch.stack([ls.grad(w) for w in replay(gradient_descent(0.2), w0, ls.grad(w0).expand(100, -1, -1))[:-1]])
        stream = stream + 0.1 * ctx.normal(stream.shape, "noise")
        fed = lambda opt: replay(opt, w0, stream)[1:]
        same = "every iterate of 100 steps fed the same gradients,"
        torch_rms = fed(from_torch(torch.optim.RMSprop, lr=0.01, alpha=0.9))
        torch_adam = fed(from_torch(torch.optim.Adam, lr=0.01, betas=(0.9, 0.999)))
        with np.errstate(all="ignore"):
            literal = fed(adam_survey(0.01, 0.9, 0.999, first_k=0))
        evidence["AD-2"] = {"as written": Computations.on(None, fed(rmsprop_survey(0.01, 0.9)), torch_rms, what="RMSProp as "
                            "Eqs. (41)-(42) write it (scalar v) and RMSProp (torch.optim.RMSprop), 100 steps on one gradient stream,")}
        evidence["AD-2", STANDARD_RMSPROP] = {"vs torch.optim.RMSprop": Computations.on(
            None, fed(rms(lr=0.01, alpha=0.9, eps=1e-8)), torch_rms,
            what=f"{ctx.label('rmsprop')} (role rmsprop) and torch.optim.RMSprop, {same}")}
        evidence["AD-3"] = {"as written": Computations.on(None, literal, torch_adam, what="Adam as Eqs. (43)-(47) write it "
                            "(scalar v, k from 0) and Adam (torch.optim.Adam)")}
        evidence["AD-3", STANDARD_ADAM] = {
            "vs torch.optim.Adam": Computations.on(None, fed(adam(lr=0.01, betas=(0.9, 0.999), eps=1e-8)), torch_adam,
                                                   what=f"{ctx.label('adam')} (role adam) and torch.optim.Adam, {same}"),
            "gamma1 = 0 vs bias-corrected RMSProp": Computations.on(
                None, fed(adam(lr=0.01, betas=(0.0, 0.9), eps=1e-8)), fed(rmsprop(0.01, 0.9, bias_correction=True)),
                what=f"{ctx.label('adam')} with gamma1 = 0 and bias-corrected RMSProp, {same}")}
        findings["AD-2"] = ["survey RMSProp (one scalar v from ||g||^2, eps inside the root) vs standard on the badly scaled "
                            f"quadratic: {vs('RMSProp (survey)', 'RMSProp')}: a scalar v gives every coordinate the same step"]
        with np.errstate(divide="ignore"):
            k0 = np.float64(1.0) / (1 - np.float64(0.9) ** 0)  # Eq. (45) read literally at k = 0
        findings["AD-3"] = [f"with k counted from 1 (Kingma & Ba), the survey's Adam (scalar v) still differs from torch.optim.Adam "
                            f"by {relative_error(fed(adam_survey(0.01, 0.9, 0.999)), torch_adam):.3g} relative over the 100 steps",
                            f"Eqs. (45)-(46) read literally at k = 0 give the factor {k0}: iterate 1 is not finite on "
                            f"{int((~torch.isfinite(literal[0])).any(-1).sum())} of {ctx.seeds} seeds",
                            f"survey Adam (scalar v) vs standard on the badly scaled quadratic: {vs('Adam (survey)', 'Adam')}"]
        if ctx.wants_reading("AD-3", DECOUPLED):  # w_{t+1} = (1 - lr wd) w_t + (a_{t+1} - a_t), a Adam's iterates
            a, ref, w = replay(adam(lr=WD_LR, betas=(0.9, 0.999), eps=1e-8), w0, stream), [], w0
            for t in range(stream.shape[0]):
                w = (1 - WD_LR * WD) * w + (a[t + 1] - a[t])
                ref.append(w)
            label = f"{ctx.label('adamw')} (role adamw)"
            evidence["AD-3", DECOUPLED] = {
                f"weight decay {WD:g}": Computations.on(None, fed(adamw(lr=WD_LR, betas=(0.9, 0.999), eps=1e-8, weight_decay=WD)),
                                                        torch.stack(ref), what=f"{label} with weight_decay = {WD:g} and (1 - lr wd) "
                                                        f"w plus Adam's step on the same gradients, {same}"),
                "weight decay 0": Computations.on(None, fed(adamw(lr=WD_LR, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0)),
                                                  torch_adam, what=f"{label} with weight_decay = 0 and torch.optim.Adam, {same}")}
    if ctx.wants("AD-4"):
        lg = Logistic.anes96(**kw)
        tr = engine.run(lg, ada(lr=0.5, eps=1e-10), ctx.start_near(lg.w_star, "lg-w0"), rate_steps, average=True,
                        checkpoints=engine.log_checkpoints(rate_steps, 12), sampler=WithReplacement(lg.n),
                        generator=ctx.generator("lg-sampler"))
        evidence["AD-4"] = {"logistic-anes96": Curves.of(tr, "avg_gap", role="adagrad")}
        t, med = tr.steps[tr.steps >= 10], np.median(tr.metrics["gap"][:, tr.steps >= 10], axis=0)
        findings["AD-4"] = [f"last iterate: seed-median gap ~ t^{np.polyfit(np.log(t), np.log(med), 1)[0]:.3f} (least squares over "
                            "t >= 10), against the averaged iterate's claimed t^-0.5"]
        setup["logistic"] = lg.constants()
        tables["rate"] = tr.to_frame(seed=np.arange(ctx.seeds), setting="AdaGrad on logistic-anes96")
        figures.append({"kind": "curves", "table": "rate", "title": "AD-4: AdaGrad on logistic regression, averaged iterate",
                        "x": "step", "y": "avg_gap", "hue": "setting", "logx": True, "logy": True})
    return StudyResult(evidence=evidence, findings=findings, tables=tables, figures=figures, setup=setup)


if __name__ == "__main__":
    from convcheck.study import main

    main(__file__)

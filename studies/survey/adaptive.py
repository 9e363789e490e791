"""AD-1 to AD-4: AdaGrad, RMSProp and Adam (Sec. 6, Eqs. 38-47).

Claims:
    AD-1, Eqs. (38)-(40): AdaGrad damps the step of coordinates that moved a lot, so every
          coordinate makes progress.
    AD-2, Eqs. (41)-(42): RMSProp as the survey writes it (one scalar v from ||g||^2). As
          written: is that RMSProp (Tieleman & Hinton, torch.optim.RMSprop)? Reading "standard
          RMSProp" (per-coordinate v): equals torch.optim.RMSprop.
    AD-3, Eqs. (43)-(47): Adam = momentum + RMSProp with bias correction. As written: scalar v
          and 1 - gamma^k with k from 0 (a division by zero at the first step: ill-posed).
          Reading "standard Adam" (per-coordinate v, k from 1): equals torch.optim.Adam, and
          with gamma1 = 0 it is bias-corrected RMSProp.
    AD-4 (supporting, not a survey statement): AdaGrad's averaged iterate at O(1/sqrt t) on a
          convex problem (Duchi et al. 2011).
Kind:
    comparative (AD-1), identity (AD-2, AD-3), rate, upper (AD-4).
Objective:
    AD-1/2/3 findings: a diagonal quadratic, d = 20, curvatures geometric over 3 decades
    [1e-3, 1]; identities: a stream of 100 noisy least-squares gradients (n = 30, d = 5) fed to
    both implementations, every iterate compared; AD-4: logistic regression on ANES 1996
    with one sample per step.
Optimizer:
    AdaGrad, RMSProp and Adam in roles ``adagrad``, ``rmsprop``, ``adam`` (the standard
    algorithms; torch.optim's classes fit them), GD with step 1/L (role ``gd``) as the
    non-adaptive baseline; the survey's variants (scalar v, k from 0) are convcheck's own,
    since they are the statements under test.
Fit:
    AD-1 ("all dimensions will have a fair chance to change"): progress of coordinate j after T
    steps, ``p_j = log10(|e_j(0)| / |e_j(T)|)`` decades (capped at 15, float64's resolution),
    measured two ways per seed: the spread across coordinates ``max_j p_j - min_j p_j`` and the
    worst coordinate's ``min_j p_j``. Each method at its own step, tuned for the smallest final
    f - f* on separate starts (AdaGrad over the lr grid, GD over h/L for h in 0.1..1.9; a
    fairness measure alone would reward not moving), on three badly scaled
    problems: a diagonal quadratic, a rotated one (kappa 1e3) and least squares with column
    scales over 1.5 decades.
Verdict rule:
    AD-1 per problem and measure: paired per seed on fresh starts, reproduced when the 90%
    interval says AdaGrad is fairer, refuted when the 99.8% interval says GD is; a problem is
    refuted only when both measures refute, reproduced only when both reproduce (``agree``);
    the statement is refuted by a problem where no AdaGrad step is fairer than tuned GD (Holm
    over the problems). The map of every AdaGrad lr against tuned GD is a heatmap. AD-2/AD-3, as written and as read
    (``check_identity``): reproduced when every iterate of 100 steps agrees with the reference
    to SAME_ARITHMETIC_RTOL (1e-12) relative, refuted otherwise (a non-finite iterate agrees
    with nothing). AD-4 by check_rate (upper, 1/sqrt(t)) on the
    averaged iterate.
Findings:
    survey variants (scalar v) vs standard ones: final gap and worst-coordinate progress;
    the bias-correction indexing of Eqs. (45)-(46) (1 - gamma^0 = 0 at the first step).
References:
    Duchi, Hazan & Singer (2011); Tieleman & Hinton (2012); Kingma & Ba (2015).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import pandas as pd
import torch

from convcheck import engine
from convcheck.stats import agree, combine
from convcheck.objectives import LeastSquares, Logistic, Quadratic, WithReplacement
from convcheck.optim import from_torch, gradient_descent, replay, rmsprop
from convcheck.stats import check_identity, check_paired, check_rate, difference_scale, relative_error, thresholds as th
from convcheck.study import Claim, StudyResult

from _survey import adagrad_survey, adam_survey, rmsprop_survey

STANDARD_RMSPROP = "standard RMSProp (per-coordinate v)"
STANDARD_ADAM = "standard Adam (per-coordinate v, k from 1)"
DECOUPLED = "decoupled weight decay (AdamW): w <- (1 - lr wd) w, then Adam's step; wd = 0 is Adam"
CLAIMS = [
    Claim("AD-1", "Eqs. (38)-(40)", "AdaGrad damps coordinates that moved a lot, so all coordinates progress", "comparative",
          methods=("adagrad", "gd")),
    Claim("AD-2", "Eqs. (41)-(42)", "RMSProp: v = gamma v + (1 - gamma) ||g||^2 (a scalar), w -= eta g / sqrt(eps + v)",
          "identity", readings=(STANDARD_RMSPROP,), methods={STANDARD_RMSPROP: ("rmsprop",)}),
    Claim("AD-3", "Eqs. (43)-(47)", "Adam = momentum + RMSProp with bias correction 1/(1 - gamma^k), scalar v", "identity",
          readings=(STANDARD_ADAM,), supporting=(DECOUPLED,), methods={STANDARD_ADAM: ("adam",), DECOUPLED: ("adamw",)}),
    Claim("AD-4", "Sec. 6 (Duchi et al.)", "AdaGrad's averaged iterate converges at O(1/sqrt t) on a convex problem", "rate",
          statement="supporting", methods=("adagrad",)),
]
ROLES = ("gd", "adagrad", "rmsprop", "adam", "adamw")

SCALES = {"tiny": {"seeds": 6, "steps": 300, "rate_steps": 3000, "lrs": (0.01, 0.5)},
          "quick": {"seeds": 32, "steps": 1000, "rate_steps": 20_000, "lrs": (0.005, 0.02, 0.1, 0.5, 1.0)},
          "full": {"seeds": 256, "steps": 5000, "rate_steps": 1_000_000, "lrs": (0.001, 0.005, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0)}}


def _progress(final, w0, w_star):
    """Decades of progress per coordinate, ``log10 |e_j(0)| / |e_j(T)|``, capped at 15 (float64
    cannot tell further progress from round-off); a diverged row made none (-inf)."""
    p = torch.log10((w0 - w_star).abs() / (final - w_star).abs().clamp_min(1e-300)).cpu().numpy()
    return np.where(np.isfinite(p) | (p > 0), np.minimum(p, 15.0), -np.inf)


def _ad1_problems(ctx):
    """Badly scaled problems, diagonal and not: the coordinates AdaGrad adapts are not the eigenvectors."""
    d = 20
    g = ctx.generator("ad1-ls")
    X = torch.randn(100, d, generator=g, dtype=ctx.dtype, device=g.device) * torch.logspace(0, -1.5, d, dtype=ctx.dtype, device=g.device)
    y = X @ torch.randn(d, generator=g, dtype=ctx.dtype, device=g.device) + 0.1 * torch.randn(100, generator=g, dtype=ctx.dtype, device=g.device)
    return {
        "diagonal, curvatures 1 to 1e-3": Quadratic(torch.logspace(0, -3, d, dtype=ctx.dtype, device="cpu"), rotate=False,
                                                    w_star=torch.zeros(d, dtype=ctx.dtype, device=ctx.device), dtype=ctx.dtype, device=ctx.device),
        "rotated, kappa 1e3": Quadratic.random(d, ctx.generator("ad1-rot"), L=1.0, kappa=1e3, kind="geometric",
                                               dtype=ctx.dtype, device=ctx.device),
        "least squares, column scales 1 to 0.03": LeastSquares(X.to(ctx.device), y.to(ctx.device)),
    }


#: "all dimensions will have a fair chance to change" (Sec. 6.1), measured two natural ways per seed
#: from the progress p_j (decades) of each coordinate: the spread across coordinates (max - min,
#: smaller is fairer) and the worst coordinate's progress (min, larger is fairer).
AD1_MEASURES = {"spread": lambda p: p.max(-1) - p.min(-1), "worst coordinate": lambda p: p.min(-1)}
GD_STEPS = (0.1, 0.5, 1.0, 1.5, 1.9)  # GD's own sweep, h/L: each method is tuned over its own steps


def _ad1(ctx, steps, lrs, adagrad_factory, gd):
    """AD-1: AdaGrad vs GD, each at its own step tuned on separate starts (AdaGrad over ``lrs``, GD
    over ``GD_STEPS``/L), on fresh starts: both measures paired per seed, a problem refuted only
    when both agree (``agree``). Every AdaGrad step against tuned GD is the map (not the verdict)."""
    parts, rows, tuned = {}, [], []
    lrs, hs = np.asarray(lrs, dtype=float), np.asarray(GD_STEPS)
    for label, obj in _ad1_problems(ctx).items():
        measured = {}
        for use in ("tune", "test"):  # the steps are chosen on one set of starts and judged on another
            w0 = ctx.start_near(obj.w_star, "ad1", label) if use == "test" else ctx.start_near(obj.w_star, "ad1-tune", label)
            runs = {"AdaGrad": (adagrad_factory(ctx.rows(lrs)), lrs.size), "GD": (gd(lr=ctx.rows(hs) / obj.L), hs.size)}
            for name, (opt, k) in runs.items():
                W0 = w0.repeat(k, 1)
                final = engine.run(obj, opt, W0, steps, checkpoints=[steps]).final
                p = _progress(final, W0, obj.w_star).reshape(k, ctx.seeds, -1)
                measured[use, name] = {m: f(p) for m, f in AD1_MEASURES.items()}  # (steps, seeds) each
                measured[use, name]["gap"] = np.nan_to_num(obj.gap(final).cpu().numpy(), nan=np.inf).reshape(k, ctx.seeds)

        def best(name):  # the method's own best step on the tuning starts: the smallest median final gap
            return int(np.argmin(np.median(measured["tune", name]["gap"], axis=1)))
        ka, kg = best("AdaGrad"), best("GD")
        tuned.append(f"{label}: AdaGrad lr = {lrs[ka]:g}, GD {hs[kg]:g}/L")
        measures = {}
        for m in AD1_MEASURES:
            measures[m] = check_paired(measured["test", "AdaGrad"][m][ka], measured["test", "GD"][m][kg],
                                       smaller=m == "spread", names=(f"AdaGrad (lr {lrs[ka]:g})", f"GD ({hs[kg]:g}/L)"),
                                       measure=f"{m} of progress across coordinates ({label})", claim="AD-1")
        parts[label] = agree("AD-1", "adaptive", measures, what=label)
        gd_spread = measured["test", "GD"]["spread"][kg]
        for k, lr in enumerate(lrs):  # the map: every AdaGrad step against tuned GD, on the spread
            cell = check_paired(measured["test", "AdaGrad"]["spread"][k], gd_spread, smaller=True, measure="spread")
            rows.append({"problem": label, "lr": lr, "outcome": cell.outcome, "problem_outcome": parts[label].outcome,
                         "spread_adagrad": float(np.median(measured["test", "AdaGrad"]["spread"][k])),
                         "spread_gd_tuned": float(np.median(gd_spread)),
                         "difference": float(np.median(gd_spread - measured["test", "AdaGrad"]["spread"][k]))})
    grid = pd.DataFrame(rows)
    v = combine("AD-1", "adaptive", parts)
    outcome_of = {p: x.outcome for p, x in parts.items()}
    summary = (f"each method at its own step (the smallest final f - f* on separate starts; AdaGrad over lr "
               f"{[float(x) for x in lrs]}, GD over {[float(x) for x in hs]}/L), {steps} steps, two measures of a fair chance (spread of progress across coordinates, worst "
               "coordinate's progress), refuted on a problem only when both agree: " + "; ".join(
                   f"{p}: {o}" for p, o in outcome_of.items()))
    return v.restated(summary=summary, findings=[
        "tuned steps (smallest median final f - f* on the tuning starts): " + "; ".join(tuned),
        "map (spread, every AdaGrad lr against tuned GD; not the verdict): " + "; ".join(
            f"{p}: AdaGrad fairer at lr " + (", ".join(f"{r.lr:g}" for r in g.itertuples() if r.outcome == "reproduced") or "none")
            + ", less fair at lr " + (", ".join(f"{r.lr:g}" for r in g.itertuples() if r.outcome == "refuted") or "none")
            for p, g in grid.groupby("problem", sort=False))]), grid


def run(ctx, *, steps, rate_steps, lrs) -> StudyResult:
    make = _Methods(ctx)
    parts, variants = [], None
    if ctx.wants("AD-1", "AD-2", "AD-3"):  # every variant on one problem: findings of AD-1, AD-2 and AD-3
        variants = _variants(ctx, steps, make)
        parts.append(StudyResult([], {"progress": variants.table}, [VARIANTS_FIGURE], {"quadratic": variants.constants}))
    if ctx.wants("AD-1"):
        parts.append(_grid(ctx, steps, lrs, make, variants))
    if ctx.wants("AD-2", "AD-3"):
        parts.append(_identities(ctx, make, variants))
    if ctx.wants("AD-4"):
        parts.append(_averaged_rate(ctx, rate_steps, make))
    return StudyResult.merge(*parts)


VARIANTS_FIGURE = {"kind": "points", "table": "progress", "title": "Progress per coordinate (decades) vs curvature, after the run",
                   "x": "curvature", "y": "progress_decades", "hue": "method", "logx": True}


class _Methods:
    """The methods in the study's roles, with the settings every part uses."""

    def __init__(self, ctx):
        self.gd, self._ada, self._rms, self._adam, self._adamw = (ctx.method(r) for r in ROLES)

    def adagrad(self, lr):
        return self._ada(lr=lr, eps=1e-10)

    def rmsprop(self, lr, gamma):
        return self._rms(lr=lr, alpha=gamma, eps=1e-8)

    def adam(self, lr, g1, g2):
        return self._adam(lr=lr, betas=(g1, g2), eps=1e-8)

    def adamw(self, lr, g1, g2, wd):
        return self._adamw(lr=lr, betas=(g1, g2), eps=1e-8, weight_decay=wd)


class _Variants(NamedTuple):
    table: pd.DataFrame       # progress per method, seed and coordinate
    progress: dict            # method -> (S, d) decades of progress per coordinate
    worst: dict               # method -> (S,) the worst coordinate's progress
    gaps: dict                # method -> median final gap
    constants: dict


def _variants(ctx, steps, make) -> _Variants:
    """Every method (standard and the survey's variants, one setting each) on a badly scaled
    diagonal quadratic: progress per coordinate after ``steps`` steps."""
    gd, adagrad_factory, rmsprop_factory, adam_factory = make.gd, make.adagrad, make.rmsprop, make.adam
    lam = torch.logspace(0, -3, 20, dtype=ctx.dtype, device="cpu")
    q = Quadratic(lam, rotate=False, w_star=torch.zeros(20, dtype=ctx.dtype, device=ctx.device), dtype=ctx.dtype, device=ctx.device)
    e0 = ctx.normal((ctx.seeds, 20), "e0")
    methods = {"GD (1/L)": gd(lr=1.0 / q.L), "AdaGrad": adagrad_factory(0.5), "AdaGrad (survey)": adagrad_survey(0.5, eps=1e-8),
               "RMSProp": rmsprop_factory(0.01, 0.9), "RMSProp (survey)": rmsprop_survey(0.01, 0.9),
               "Adam": adam_factory(0.01, 0.9, 0.999), "Adam (survey)": adam_survey(0.01)}
    progress, rows = {}, []
    for name, opt in methods.items():
        tr = engine.run(q, opt, e0, steps, checkpoints=[steps])
        # capped at 15 decades: float64 cannot tell further progress from round-off
        p = np.minimum(torch.log10(e0.abs() / (tr.final - q.w_star).abs().clamp_min(1e-300)).cpu().numpy(), 15.0)
        progress[name] = p
        rows.append(pd.DataFrame({"method": name, "seed": np.repeat(np.arange(ctx.seeds), 20), "coordinate": np.tile(np.arange(20), ctx.seeds),
                                  "curvature": np.tile(lam.numpy(), ctx.seeds), "progress_decades": p.reshape(-1),
                                  "final_gap": np.repeat(q.gap(tr.final).cpu().numpy(), 20)}))
    prog = pd.concat(rows, ignore_index=True)
    worst = {k: v.min(1) for k, v in progress.items()}
    gaps = {k: float(np.median(prog[prog.method == k].final_gap)) for k in methods}
    return _Variants(prog, progress, worst, gaps, q.constants())


def _grid(ctx, steps, lrs, make, variants) -> StudyResult:
    """AD-1 over its grid, with the variant comparison's findings."""
    ad1, ad1_grid = _ad1(ctx, steps, lrs, make.adagrad, make.gd)
    ad1 = ad1.restated(findings=[
        "diagonal problem, every variant at one setting each: median worst-coordinate progress after %d steps "
        "(decades): " % steps + ", ".join(f"{k} {np.median(v):.2f}" for k, v in variants.worst.items()),
        "median spread of progress across coordinates (max - min, decades): " + ", ".join(
            f"{k} {np.median(v.max(1) - v.min(1)):.2f}" for k, v in variants.progress.items())])
    return StudyResult([ad1], {"ad1_grid": ad1_grid}, [
        {"kind": "heatmap", "table": "ad1_grid", "title": "AD-1: spread of progress, tuned GD minus AdaGrad at each lr "
         "(decades, median; blue: AdaGrad fairer)", "x": "lr", "y": "problem", "value": "difference", "outcome": "outcome"}])


def _identities(ctx, make, variants) -> StudyResult:
    """AD-2 and AD-3 against torch.optim, as written and standard, on least squares. Both sides are
    fed the same 100 gradients (a recorded stream), so the comparison is free of the feedback
    through each method's own trajectory, which amplifies round-off."""
    RTOL = th.carried(th.SAME_ARITHMETIC_RTOL, ctx.dtype)  # the same number of ulps in the run's dtype
    rmsprop_factory, adam_factory, gaps, worst = make.rmsprop, make.adam, variants.gaps, variants.worst
    ls = LeastSquares.planted(30, 5, ctx.generator("ls"), kappa=5.0, dtype=ctx.dtype, device=ctx.device)
    w0 = ctx.start_near(ls.w_star, "ls-w0")
    stream = torch.stack([ls.grad(w) for w in replay(gradient_descent(0.2), w0, ls.grad(w0).expand(100, -1, -1))[:-1]])
    stream = stream + 0.1 * ctx.normal(stream.shape, "noise")

    def final(opt):
        return replay(opt, w0, stream)[1:]

    torch_rms = final(from_torch(torch.optim.RMSprop, lr=0.01, alpha=0.9))
    torch_adam = final(from_torch(torch.optim.Adam, lr=0.01, betas=(0.9, 0.999)))
    ours_rms = final(rmsprop_factory(0.01, 0.9))
    ours_adam, torch_adam_same = final(adam_factory(0.01, 0.9, 0.999)), torch_adam
    with np.errstate(all="ignore"):
        literal = final(adam_survey(0.01, 0.9, 0.999, first_k=0))
    d_survey_k1 = relative_error(final(adam_survey(0.01, 0.9, 0.999)), torch_adam)
    with np.errstate(divide="ignore"):
        k0 = np.float64(1.0) / (1 - np.float64(0.9) ** 0)  # Eq. (45) read literally at k = 0: 1 / (1 - gamma^0)
    ad2_written = check_identity(final(rmsprop_survey(0.01, 0.9)), torch_rms, rtol=RTOL, claim="AD-2",
                                 what="RMSProp as Eqs. (41)-(42) write it (scalar v) and RMSProp (torch.optim.RMSprop), "
                                      "100 steps on one gradient stream,", seeds=ctx.seeds,
                                 findings=[f"survey RMSProp (one scalar v from ||g||^2, eps inside the root) vs standard on the "
                                           f"badly scaled quadratic: median final gap {gaps['RMSProp (survey)']:.3g} vs "
                                           f"{gaps['RMSProp']:.3g}; worst-coordinate progress "
                                           f"{np.median(worst['RMSProp (survey)']):.2f} vs {np.median(worst['RMSProp']):.2f} "
                                           "decades: a scalar v gives every coordinate the same step, so it cannot equalise progress"])
    ad3_written = check_identity(literal, torch_adam, rtol=RTOL, claim="AD-3", seeds=ctx.seeds,
                                 what="Adam as Eqs. (43)-(47) write it (scalar v, k from 0) and Adam (torch.optim.Adam)",
                                 findings=[f"with k counted from 1 (Kingma & Ba), the survey's Adam (scalar v) still differs from "
                                           f"torch.optim.Adam by {d_survey_k1:.3g} relative over the 100 steps",
                                           f"Eqs. (45)-(46) read literally at k = 0 give the factor {k0}; Kingma & Ba count k "
                                           "from 1, which is what torch.optim.Adam computes",
                                           f"survey Adam (scalar v) vs standard on the badly scaled quadratic: median final gap "
                                           f"{gaps['Adam (survey)']:.3g} vs {gaps['Adam']:.3g}; worst-coordinate progress "
                                           f"{np.median(worst['Adam (survey)']):.2f} vs {np.median(worst['Adam']):.2f} decades"])
    if not torch.isfinite(literal).all():
        first_bad = int(np.argmax(~torch.isfinite(literal).reshape(literal.shape[0], -1).all(-1).cpu().numpy())) + 1
        ad3_written = ad3_written.restated(
            summary=f"ill-posed as written: Eqs. (45)-(46) divide by 1 - gamma^k with k = 0 at the first update, "
                    f"1 - 0.9^0 = 0, so iterate {first_bad} is not finite on "
                    f"{int((~torch.isfinite(literal[first_bad - 1])).any(-1).sum())} of {ctx.seeds} seeds")
    same = "every iterate of 100 steps fed the same gradients"
    ad2 = check_identity(ours_rms, torch_rms, rtol=RTOL, claim="AD-2", seeds=ctx.seeds, reading=STANDARD_RMSPROP,
                         what=f"{ctx.label('rmsprop')} (role rmsprop) and torch.optim.RMSprop, {same},")
    ad3 = combine("AD-3", "adaptive", {
        "vs torch.optim.Adam": check_identity(ours_adam, torch_adam_same, rtol=RTOL, claim="AD-3",
                                              what=f"{ctx.label('adam')} (role adam) and torch.optim.Adam, {same},"),
        "gamma1 = 0 vs bias-corrected RMSProp": check_identity(
            final(adam_factory(0.01, 0.0, 0.9)), final(rmsprop(0.01, 0.9, bias_correction=True)), rtol=RTOL, claim="AD-3",
            what=f"{ctx.label('adam')} with gamma1 = 0 and bias-corrected RMSProp, {same},")}, seeds=ctx.seeds,
        reading=STANDARD_ADAM)

    verdicts = [ad2_written, ad2, ad3_written, ad3]
    if ctx.wants_reading("AD-3", DECOUPLED):
        verdicts.append(_decoupled(ctx, make, w0, stream, final, torch_adam, RTOL, same))
    return StudyResult(verdicts, {}, [], {"least_squares": ls.constants()})


#: AD-3's decoupled reading: the decay and step checked (Loshchilov & Hutter's AdamW).
WD, WD_LR = 0.1, 0.01


def _decoupled(ctx, make, w0, stream, final, torch_adam, rtol, same):
    """The method in role adamw fed the recorded gradients: with weight decay ``WD`` its iterates
    are ``w_{t+1} = (1 - lr WD) w_t + (a_{t+1} - a_t)``, ``a`` Adam's iterates on the same gradients
    (the decay scales w; the moments see the gradients alone); with weight decay 0 they are
    torch.optim.Adam's. torch.optim.Adam's own ``weight_decay`` adds ``wd w`` to the gradient (L2,
    coupled): that is refuted here, by design."""
    a = replay(make.adam(WD_LR, 0.9, 0.999), w0, stream)
    ref, w = [], w0
    for t in range(stream.shape[0]):
        w = (1 - WD_LR * WD) * w + (a[t + 1] - a[t])
        ref.append(w)
    label = f"{ctx.label('adamw')} (role adamw)"
    return combine("AD-3", "adaptive", {
        "weight decay 0.1": check_identity(final(make.adamw(WD_LR, 0.9, 0.999, WD)), torch.stack(ref), rtol=rtol,
                                           claim="AD-3", what=f"{label} with weight_decay = {WD:g} and (1 - lr wd) w plus "
                                                              f"Adam's step on the same gradients, {same},"),
        "weight decay 0": check_identity(final(make.adamw(WD_LR, 0.9, 0.999, 0.0)), torch_adam, rtol=rtol, claim="AD-3",
                                         what=f"{label} with weight_decay = 0 and torch.optim.Adam, {same},")},
        seeds=ctx.seeds, reading=DECOUPLED)


def _averaged_rate(ctx, rate_steps, make) -> StudyResult:
    """AD-4: AdaGrad's averaged iterate on a convex stochastic problem (logistic regression)."""
    adagrad_factory = make.adagrad
    lg = Logistic.anes96(dtype=ctx.dtype, device=ctx.device)
    w0 = ctx.start_near(lg.w_star, "lg-w0")
    tr = engine.run(lg, adagrad_factory(0.5), w0, rate_steps, checkpoints=engine.log_checkpoints(rate_steps, 12),
                    sampler=WithReplacement(lg.n), generator=ctx.generator("lg-sampler"), average=True)
    ad4 = check_rate(tr.metrics["avg_gap"], tr.steps, "1/sqrt(t)", "upper", claim="AD-4",
                     scale=difference_scale(lg.f_star, tr.metrics["avg_gap"]))
    last = check_rate(tr.metrics["gap"], tr.steps, "1/sqrt(t)", "upper", scale=difference_scale(lg.f_star, tr.metrics["gap"]))
    ad4 = ad4.restated(findings=[f"last iterate: slope {last.statistic.get('slope', float('nan')):.3f} ({last.outcome}) "
                                 "against 1/sqrt(t)"])
    curves = tr.to_frame(seed=np.arange(ctx.seeds), setting="AdaGrad on logistic-anes96")
    return StudyResult([ad4], {"rate": curves}, [
        {"kind": "curves", "table": "rate", "title": "AD-4: AdaGrad on logistic regression, averaged iterate", "x": "step",
         "y": "avg_gap", "hue": "setting", "logx": True, "logy": True}], {"logistic": lg.constants()})


if __name__ == "__main__":
    from convcheck.study import main

    main(__file__)

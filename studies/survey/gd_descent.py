"""GD-2 and GD-3: monotone decrease with a fixed step, and the four stopping criteria.

Claims:
    GD-2 (Sec. 2.1, Eq. 4, Fig. 1):
        as written: "for a convex function, the series of solutions converges to the optimal
        solution while the function value decreases iteratively", for GD with any fixed step
        eta > 0 (Eq. 4 asks only eta > 0). Reading "eta < 2/L" (the classical condition, added
        here, not in the survey): decrease at every step; above 2/L GD diverges on a quadratic.
    GD-3 (Sec. 2.2):
        the four stopping criteria (small gradient norm, small change of cost, small change of
        gradient, maximum iterations) each stop where stated; the gradient-norm criterion can
        stop at a saddle point of a non-convex f.
Kind:
    property (both).
Objective:
    GD-2: a convex quadratic (d = 20, kappa = 100, L = 1) and unregularised logistic
    regression on ANES 1996; the sweep across 2/L uses the quadratic, whose top eigenvalue is L
    exactly. GD-3: a strongly convex quadratic, and the saddle ``1/2 x^2 - 1/2 y^2 + 1/4 y^4``
    started on (or 1e-10 off) its stable manifold y = 0.
Optimizer:
    GD with step h/L (role ``gd``: any method taking ``lr`` may replace it).
Fit:
    GD-2: f at every step of every run (a diverged run is recorded by the engine, never a
    crash); the divergence boundary lies between the largest stable and the smallest diverging
    h of the sweep. GD-3: the step each criterion stopped at, and the first step its condition
    holds on an unstopped run of the same method; the Hessian's smallest eigenvalue where the
    gradient-norm criterion stopped the saddle runs.
Verdict rule:
    GD-2, as written and "eta < 2/L": declared ``Decreasing`` per (objective, h) run, f_{k+1} <=
    f_k up to DESCENT_RTOL at every step of every seed (a diverged run fails); as written every h
    tried is a part, the reading takes those below 2. GD-3: declared ``AllOf``: per criterion
    ``Identity("EXACT_RTOL")`` of the stop and the first step its condition holds, and at the
    saddle ``AtMost(0)`` on the smallest Hessian eigenvalue where the gradient norm stopped GD.
Certified:
    a supporting check, beside the verdict, never in its place:
    over every L-smooth convex f (PEPit, :mod:`convcheck.pep`), the worst one-step change
    ``f(w_1) - f(w_0)`` for each step h/L tried, from every start with ``||grad f(w_0)|| = 1``
    (every iterate is a start, after scaling w and f): declared ``Certified(0)`` per h, as
    written over every h and for the reading "eta < 2/L" over those below 2 (the declared
    search beside the refutation as written bisects for the largest step with a certified
    decrease and builds a function above it on which the role's GD raises f). Findings: the
    worst ``f(w_N) - f*`` per h
    against the closed form ``L R^2/2 max(1/(2Nh+1), (1-h)^(2N))`` (Teboulle & Vaisbourd 2023).
References:
    Nesterov (2004), Introductory Lectures on Convex Optimization, Sec. 1.2.3 (descent lemma).
    Teboulle & Vaisbourd (2023), An elementary approach to tight worst case complexity analysis
    of gradient based methods, Math. Program. 201.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch

from convcheck import engine, pep
from convcheck.claims import AS_WRITTEN
from convcheck.evidence import Computations, Curves, Samples, WorstCases
from convcheck.judgments import AllOf, AtMost, Certified, Decreasing, Identity
from convcheck.objectives import Logistic, Quadratic, Saddle
from convcheck.stopping import REASONS, Stopping
from convcheck.study import Claim, StudyResult

from _survey_searches import SEARCHES

BELOW_2_OVER_L = "eta < 2/L"
BELOW_2_CERTIFIED = f"{BELOW_2_OVER_L}, {pep.CERTIFIED}"
FIRST_STEP, AT_SADDLE = "stops at the first step its condition holds", "stops where the Hessian has a negative eigenvalue"
NEVER_RISES = Certified(lambda w: 0.0, of="property")  # the worst one-step change of f is at most 0
CLAIMS = [
    Claim("GD-2", "Sec. 2.1, Eq. (4)", "for a convex function, GD with a fixed step eta > 0 converges to the optimum while "
          "f decreases at every iteration", "property", readings=(BELOW_2_OVER_L,),
          methods={"as written": ("gd",), BELOW_2_OVER_L: ("gd",)}, hypotheses=("convex",), scope=("convex",),
          supporting=(pep.CERTIFIED, BELOW_2_CERTIFIED),
          judgments={AS_WRITTEN: Decreasing(), BELOW_2_OVER_L: Decreasing(), pep.CERTIFIED: NEVER_RISES,
                     BELOW_2_CERTIFIED: NEVER_RISES},
          search={"as written": SEARCHES["GD-2"], pep.CERTIFIED: SEARCHES["GD-2 certified"]}),
    Claim("GD-3", "Sec. 2.2", "four stopping criteria stop where stated; the gradient-norm one can stop at a saddle", "property",
          methods=("gd",), judgments=AllOf({FIRST_STEP: Identity("EXACT_RTOL"), AT_SADDLE: AtMost(0.0, rtol=None)}, of="property"), assumes="none: a statement about four stopping rules on any run of GD", coverage="a convex quadratic, logistic regression and a saddle"),
]
ROLES = ("gd",)
SCALES = {
    "tiny": {"seeds": 4, "steps": 300, "sweep": (1.9, 1.98, 2.02, 2.1), "pep_N": 5},
    "quick": {"seeds": 16, "steps": 2000, "sweep": (1.5, 1.9, 1.96, 1.98, 2.02, 2.04, 2.1, 2.5, 3.0), "pep_N": 10},
    "full": {"seeds": 64, "steps": 20000, "sweep": tuple(np.round(np.arange(1.80, 2.21, 0.01), 2)), "pep_N": 20},
}
H_MONOTONE = (0.5, 1.0, 1.5, 1.9, 1.99)
INJECTIONS = {'pep_gd': "pep_gd(h): GD with step h/L in PEPit's terms (convcheck.pep.gd), certified over the class"}


def run(ctx, *, steps, sweep, pep_N=10, pep_gd=pep.gd) -> StudyResult:
    parts = []
    if ctx.wants("GD-2"):
        parts += [_decrease(ctx, steps, sweep), _certified(sorted(set(H_MONOTONE) | set(map(float, sweep))), pep_N, pep_gd)]
    if ctx.wants("GD-3"):
        parts.append(_stopping(ctx))
    return StudyResult.merge(*parts)


def _f(tr):
    """f at every recorded step of an engine run (its gap plus the objective's f*)."""
    f_star = tr.objective.f_star
    return Curves.of(tr, role="gd").map(lambda g: g + f_star, "f")


def _decrease(ctx, steps, sweep) -> StudyResult:
    """GD-2: f at every step for h in H_MONOTONE on two objectives, and on the quadratic across 2/L."""
    gd, S = ctx.method("gd"), ctx.seeds
    q = Quadratic.random(20, ctx.generator("quadratic"), L=1.0, kappa=100.0, dtype=ctx.dtype, device=ctx.device)
    lg = Logistic.anes96(dtype=ctx.dtype, device=ctx.device)
    frames, runs = [], {}  # label -> (h, f at every step)
    for label, obj in (("quadratic", q), ("logistic-anes96", lg)):
        w0 = ctx.start_near(obj.w_star, label, "w0", scale=2.0)
        for h in H_MONOTONE:
            tr = engine.run(obj, gd(lr=h / obj.L), w0, 200, checkpoints=np.arange(201))
            runs[f"{label}, h={h:g}"] = h, _f(tr)
            frames.append(tr.to_frame(setting=f"{label} h={h:g}", objective=label, h=h, seed=np.arange(S)))
    hs = np.asarray(sweep, dtype=float)  # the sweep: every h as one batch of rows
    tr = engine.run(q, gd(lr=ctx.rows(hs) / q.L), ctx.start_near(q.w_star, "sweep", rows=hs.size * S), steps,
                    checkpoints=np.arange(steps + 1))
    runs.update({f"quadratic sweep, h={h:g}": (h, _f(tr).rows(slice(k * S, (k + 1) * S))) for k, h in enumerate(hs)})
    # diverged: blown up (recorded by the engine), or farther from w* at the end of the budget than at its start
    div = (tr.diverged | (np.nan_to_num(tr.metrics["dist"][:, -1], nan=np.inf) > tr.metrics["dist"][:, 0])).reshape(-1, S)
    stable, diverging = hs[~div.any(1)], hs[div.all(1)]
    lo = float(stable.max()) if stable.size else float("nan")
    hi = float(diverging[diverging > lo].min()) if (diverging > lo).any() else float("nan")
    blown = tr.diverged_at[tr.diverged]
    findings = {"GD-2": [f"on the quadratic the divergence boundary lies in ({lo:g}, {hi:g}] x 1/L: at 2/L, a condition on "
                         "eta the survey does not state (the reading eta < 2/L states it)"],
                ("GD-2", BELOW_2_OVER_L): [
                    f"divergence is recorded, not raised: {blown.size} rows of the sweep blew up, the first at step "
                    f"{blown.min() if blown.size else '-'}; {int((div.reshape(-1) & ~tr.diverged).sum())} more ended farther from w* "
                    "than they started", "fraction of seeds diverged per h of the sweep: "
                    + ", ".join(f"{h:g}: {d:.0%}" for h, d in zip(hs, div.mean(1)))]}
    return StudyResult(evidence={"GD-2": {k: c for k, (h, c) in runs.items()},
                                 ("GD-2", BELOW_2_OVER_L): {k: c for k, (h, c) in runs.items() if h < 2}},
                       findings=findings, figures=FIGURES, tables={"curves": pd.concat(frames, ignore_index=True),
                                                                   "sweep": pd.DataFrame({"h": hs, "diverged_fraction": div.mean(1)})},
                       setup={"quadratic": q.constants(), "logistic": lg.constants(), "steps": steps})


def _certified(hs, N, method=pep.gd) -> StudyResult:
    """GD-2 over the class of L-smooth convex functions (L = R = 1): the worst one-step change of f
    from a start with ||grad f|| = 1 per step h, as written (every h) and for the reading (h < 2).
    Whether a search given only the class finds a function on which the role's GD raises f is the
    claim's declared search (``_survey_searches``), run by the library beside the verdict."""
    fc, got = pep.FunctionClass("smooth convex", L=1.0), {}

    def increase(h):
        if h not in got:
            got[h] = pep.worst_case(method(h), fc, 1, metric="increase", initial="gradient")
        return got[h]

    def cases(which):
        return {"the class": WorstCases(lambda: {f"h = {h:g}": increase(h) for h in which}, fc.describe(), fc.hypotheses)}

    result = StudyResult(evidence={("GD-2", pep.CERTIFIED): cases(hs), ("GD-2", BELOW_2_CERTIFIED): cases([h for h in hs if h < 2])})
    if not pep.available():
        return result
    # Teboulle & Vaisbourd's tight worst case of f(w_N) - f* for step h/L, 0 < h < 2, in units of L R^2
    tight = {h: 0.5 * max(1.0 / (2 * N * h + 1), (1 - h) ** (2 * N)) for h in hs if h < 2}
    conv = [f"h = {h:g}: {w.value:.6g} (closed form {t:.6g}, {w.value / t - 1:+.1e})" for h, t in tight.items()
            if (w := pep.worst_case(method(h), fc, N)).status == "optimal"]
    result.findings[("GD-2", pep.CERTIFIED)] = [
        f"worst f(w_N) - f* over the class after N = {N} steps from ||w_0 - w*|| <= 1, against the closed form "
        "max(1/(2Nh+1), (1-h)^(2N))/2 below h = 2 (Teboulle & Vaisbourd): " + "; ".join(conv)]
    return result


def _first(ratio):
    """The first step (1-based) where a criterion's quantity over its threshold is at most 1, -1 if none."""
    hit = ratio <= 1
    return np.where(hit.any(1), hit.argmax(1) + 1, -1)


def _stopping(ctx) -> StudyResult:
    """GD-3: each criterion on a strongly convex quadratic, then the gradient norm at a saddle."""
    gd, T = ctx.method("gd"), 400
    q = Quadratic.random(10, ctx.generator("stop-quadratic"), L=1.0, kappa=10.0, dtype=ctx.dtype, device=ctx.device)
    w0 = ctx.start_near(q.w_star, "stop-w0")
    # an unstopped run of the same deterministic method gives f, grad f and ||grad f|| at every step
    walk = engine.run(q, gd(lr=0.5 / q.L), w0, T, checkpoints=np.arange(T + 1), keep_iterates=True)
    f, gn = walk.metrics["gap"] + q.f_star, walk.metrics["grad_norm"]
    G = q.grad(walk.iterates.reshape(-1, q.dim)).reshape(ctx.seeds, T + 1, q.dim).cpu().numpy()
    # each criterion's quantity at steps 1..T over its threshold (max_iter: the threshold over the step)
    crits = {"grad_tol": (1e-4, lambda tol: gn[:, 1:] / tol), "cost_tol": (1e-8, lambda tol: np.abs(np.diff(f, axis=1)) / tol),
             "max_iter": (37, lambda n: np.tile(n / np.arange(1, T + 1), (ctx.seeds, 1))),
             "grad_change_tol": (1e-5, lambda tol: np.linalg.norm(np.diff(G, axis=1), axis=-1) / tol)}
    rows, evidence = [], {}
    for name, (value, ratio) in crits.items():
        tr = engine.run(q, gd(lr=0.5 / q.L), w0, T, checkpoints=[T], stop=Stopping(**{name: value}))
        at, first = tr.info["stopped_at"], _first(ratio(value))
        evidence[f"quadratic, {name}"] = {FIRST_STEP: Computations.on(
            q, at.astype(np.float64), first.astype(np.float64), what=f"the step {name} stopped at and the first its condition holds")}
        rows.append({"criterion": name, "stopped_at_median": float(np.median(at)), "matches_first_step": bool(np.all(at == first)),
                     "reason": REASONS[int(tr.info["stop_code"][0])]})
    s = Saddle(dtype=ctx.dtype, device=ctx.device)  # started on the stable manifold y = 0, or 1e-10 off it
    x0 = 0.5 + torch.rand(ctx.seeds, generator=ctx.generator("saddle"), dtype=ctx.dtype, device="cpu").to(ctx.device)
    y0 = torch.where(torch.arange(ctx.seeds, device=ctx.device) % 2 == 0, 0.0, 1e-10).to(ctx.dtype)
    tr = engine.run(s, gd(lr=0.5), torch.stack([x0, y0], -1), 500, checkpoints=[500], stop=Stopping(grad_tol=1e-6))
    lam_min = torch.linalg.eigvalsh(s.hessian(tr.final))[:, 0].cpu().numpy()
    by_grad = tr.info["stop_code"] == 1
    evidence["saddle"] = {AT_SADDLE: Samples.on(s, np.where(by_grad, lam_min, np.nan), labels=[f"seed {i}" for i in range(ctx.seeds)],
                                                what="smallest Hessian eigenvalue where the gradient-norm criterion stopped GD")}
    rows.append({"criterion": "grad_tol at the saddle", "stopped_at_median": float(np.median(tr.info["stopped_at"])),
                 "matches_first_step": bool(((lam_min < 0) & by_grad).all()), "reason": "gradient norm"})
    findings = [f"the gradient-norm criterion stopped {int(by_grad.sum())}/{ctx.seeds} saddle runs where the Hessian's smallest "
                f"eigenvalue is {float(np.median(lam_min)):.3f} (f - f* = {float(np.median((s.loss(tr.final) - s.f_star).cpu())):.3f})",
                f"runs started 1e-10 off the stable manifold stop there too: {int(by_grad[1::2].sum())}/{len(by_grad[1::2])} "
                "(the escape is slower than the gradient falls below 1e-6)"]
    return StudyResult(evidence={"GD-3": evidence}, findings={"GD-3": findings}, tables={"stopping": pd.DataFrame(rows)})


FIGURES = [
    {"kind": "curves", "table": "curves", "title": "GD with fixed step h/L: f - f* at every step (quadratic)",
     "x": "step", "y": "gap", "hue": "setting", "where": {"objective": "quadratic"}, "logy": True},
    {"kind": "curves", "table": "curves", "title": "GD with fixed step h/L: f - f* (logistic regression, ANES 1996)",
     "x": "step", "y": "gap", "hue": "setting", "where": {"objective": "logistic-anes96"}, "logy": True},
    {"kind": "points", "table": "sweep", "title": "Fraction of seeds diverged vs h (step h/L)", "x": "h",
     "y": "diverged_fraction", "vlines": {"h = 2": 2.0}},
]

if __name__ == "__main__":
    from convcheck.study import main

    main(__file__)

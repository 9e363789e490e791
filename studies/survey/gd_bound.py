"""GD-1: the convergence bound of gradient descent with step 1/L (Prop. 1, Eq. 24).

Claims:
    For convex, L-smooth f and GD with eta = 1/L (Eq. 3-4), after t + 1 steps
    ``f(w_{t+1}) - f* <= 2 L R^2 / (t + 1)`` with ``R = ||w_0 - w*||``. In steps done,
    k = t + 1: ``gap_k <= 2 L R^2 / k``.
Kind:
    bound (explicit constants), deterministic curves.
Objective:
    * convex quadratics that are not strongly convex (exact zero eigenvalues; R is the
      distance to the set of minimisers), with uniform and geometric spectra so that the
      sublinear regime is visible over the horizon;
    * unregularised logistic regression on a real data set (ANES 1996, bundled with
      statsmodels; convex, not strongly convex);
    * the Huber-type worst case of Drori & Teboulle (2014), one instance per horizon N,
      on which GD with step 1/L attains ``L R^2 / (4N + 2)`` after N steps: the tightest
      possible instance, so the bound's looseness is measured where it is smallest.
Optimizer:
    GD with step 1/L (role ``gd``: any method taking ``lr`` may replace it).
Fit:
    ``gap_k / (L R^2)`` per seed and checkpoint, against ``bound(k)`` (default ``2 / k``).
Verdict rule:
    declared: ``Bound(2/k)`` on ``gap_k / (L R^2)`` from step 1, per instance (the Huber worst
    case at its own horizon N); reproduced when every ratio is at most 1 up to round-off
    (BOUND_RTOL), refuted at the first checkpoint above, with its seed and step.
Certified:
    a supporting check, beside the verdict, never in its place:
    the worst case of ``f(w_N) - f*`` over every L-smooth convex function with
    ``||w_0 - w*|| <= R`` (performance estimation, PEPit + Clarabel: :mod:`convcheck.pep`) at the
    horizons ``pep_horizons``, against ``bound(N)``: reproduced when the dual certificate is
    under the bound, refuted with the solver's counterexample above it (declared ``Certified``). Its table puts the claimed bound, the certified
    worst case and the worst measured instance side by side; PEPit's value is cross-checked
    against the closed form ``1/(4N+2)`` as a finding.
Findings:
    the tightness of Prop. 1 (max gap/bound), of the classic ``L R^2 / (2k)``, and of the
    tight ``L R^2 / (4k + 2)``, with the Huber instances meeting the tight value.
References:
    Drori & Teboulle (2014), Performance of first-order methods for smooth convex
    minimization: a novel approach, Math. Program. 145, Thm. 3.2 and 3.1.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from convcheck import engine, pep
from convcheck.evidence import Curves, WorstCases
from convcheck.judgments import Bound, Certified
from convcheck.objectives import HuberWorstCase, Logistic, Quadratic
from convcheck.references import gd_classic, gd_tight
from convcheck.study import Claim, StudyResult


def prop1_bound(k):
    """Eq. (24): ``f(w_k) - f* <= 2 L R^2 / k`` after k = t + 1 steps, in units of L R^2."""
    return 2.0 / np.asarray(k, dtype=float)


CLAIMS = [Claim("GD-1", "Prop. 1, Eq. (24)",
                "GD with eta = 1/L on convex L-smooth f: f(w_{t+1}) - f* <= 2 L ||w_0 - w*||^2 / (t + 1)", "bound",
                methods={"as written": ("gd",)}, hypotheses=("convex", "L-smooth"), scope=("convex",),
                supporting=(pep.CERTIFIED,),
                judgments={"as written": Bound(prop1_bound), pep.CERTIFIED: Certified(lambda w: prop1_bound(w.N))})]
ROLES = ("gd",)
SCALES = {
    "tiny": {"seeds": 3, "steps": 1000, "d": 20, "horizons": (1, 5, 20), "pep_horizons": (1, 5)},
    "quick": {"seeds": 16, "steps": 10_000, "d": 50, "horizons": (1, 5, 20, 100), "pep_horizons": (1, 5, 20)},
    "full": {"seeds": 64, "steps": 100_000, "d": 200, "horizons": (1, 5, 20, 100, 1000, 10_000),
             "pep_horizons": (1, 5, 20, 50)},
}


def run(ctx, *, steps, d, horizons, pep_horizons=()) -> StudyResult:
    gd = ctx.method("gd")

    def normalised(obj, w0, T, label, R=None, **labels):
        """GD with step 1/L from ``w0``: ``gap / (L R^2)`` from step 1 (R: the distance to the
        minimisers, or the radius a worst case is built for), and its table."""
        tr = engine.run(obj, gd(lr=1.0 / obj.L), w0, T)
        LR2 = obj.L * (obj.distance(w0).cpu().numpy()[:, None] if R is None else R) ** 2
        curves = Curves.of(tr, role="gd").map(lambda g: g / LR2, "gap / (L R^2)").window(start=1)
        frames.append(_frame(tr, tr.metrics["gap"] / LR2, label, seed=np.arange(ctx.seeds), **labels))
        return curves

    frames, parts = [], {}
    for kind, kappa in (("uniform", 1e4), ("geometric", 1e8)):  # exact zero eigenvalues: convex, not strongly
        q = Quadratic.random(d, ctx.generator(f"quadratic-{kind}"), L=1.0, kappa=kappa, kind=kind, zeros=d // 5,
                             dtype=ctx.dtype, device=ctx.device)
        parts[f"quadratic-{kind}"] = normalised(q, ctx.start_near(q.w_star, f"quadratic-{kind}", "w0", scale=3.0,
                                                                   sphere=True), steps, f"quadratic-{kind}")
    lg = Logistic.anes96(dtype=ctx.dtype, device=ctx.device)  # real data, unregularised: mu = 0
    parts["logistic-anes96"] = normalised(lg, ctx.start_near(lg.w_star, "lg", scale=5.0, sphere=True), steps,
                                          "logistic-anes96")
    for N in horizons:  # the tight worst case of each horizon, read at its own step N
        h = HuberWorstCase(N, R=1.0, L=1.0, d=3, dtype=ctx.dtype, device=ctx.device)
        parts[f"huber-N={N}"] = normalised(h, ctx.start_near(h.w_star, "huber", N, scale=h.R, sphere=True), N,
                                           f"huber-N={N}", R=h.R, N=N).window(start=N)

    worst = {lab: float(np.nanmax(c.values)) for lab, c in parts.items()}
    hub = pd.DataFrame({"N": list(horizons), "gap_over_LR2": [worst[f"huber-N={N}"] for N in horizons]})
    hub["tight"], hub["prop1"], hub["classic"] = gd_tight(hub.N), prop1_bound(hub.N), gd_classic(hub.N)
    measured_at = {N: max(float(np.nanmax(c.values[:, c.steps == N])) for c in parts.values() if (c.steps == N).any())
                   for N in pep_horizons}
    smooth_convex = pep.FunctionClass("smooth convex", L=1.0)
    certified = WorstCases(lambda: {f"N={N}": pep.worst_case(pep.gd(1.0), smooth_convex, N) for N in pep_horizons},
                           smooth_convex.describe(), smooth_convex.hypotheses,
                           columns={f"N={N}": {"tight 1/(4N+2)": gd_tight(N), "worst measured instance": measured_at.get(N)}
                                    for N in pep_horizons})
    findings = [
        "Huber worst cases against the tight L R^2/(4N+2): gap/tight = "
        + ", ".join(f"{r.gap_over_LR2 / r.tight:.12f} (N={r.N})" for r in hub.itertuples()),
        "Prop. 1's constant is loose: on those worst cases gap / (2 L R^2 / N) = "
        + ", ".join(f"{r.gap_over_LR2 / r.prop1:.4f} (N={r.N})" for r in hub.itertuples()) + " (the limit is 1/8)",
        "the classic L R^2/(2N) is loose too: gap / classic = "
        + ", ".join(f"{r.gap_over_LR2 / r.classic:.4f} (N={r.N})" for r in hub.itertuples()) + " (limit 1/2)",
        "on the quadratics and the logistic regression the bound is far from tight: max gap/bound = "
        + ", ".join(f"{np.nanmax(c.values / prop1_bound(c.steps)):.3g} ({k})" for k, c in parts.items()
                    if not k.startswith("huber")),
    ]
    return StudyResult(evidence={"GD-1": parts, ("GD-1", pep.CERTIFIED): {"the class": certified}},
                       findings={"GD-1": findings}, tables={"curves": pd.concat(frames, ignore_index=True), "huber": hub},
                       figures=FIGURES, setup={"horizons": list(horizons), "steps": steps, "d": d, "seeds": ctx.seeds})


CONVEX = {"setting": ["quadratic-uniform", "quadratic-geometric", "logistic-anes96"]}
FIGURES = [
    {"kind": "curves", "table": "curves", "title": "Convex problems: gap / (L R^2) against the bounds", "x": "step",
     "y": "gap_over_LR2", "hue": "setting", "where": CONVEX, "logx": True, "logy": True,
     "reference": {"Prop. 1: 2/k": "prop1", "tight: 1/(4k+2)": "tight", "classic: 1/(2k)": "classic"}},
    {"kind": "curves", "table": "curves", "title": "gap / Prop. 1 bound (must stay below 1)", "x": "step",
     "y": "ratio_prop1", "hue": "setting", "where": CONVEX, "logx": True, "logy": True,
     "hlines": {"the bound (ratio 1)": 1.0}, "ylabel": "(f - f*) / (2 L R^2 / (t + 1))"},
    {"kind": "points", "table": "huber", "title": "Huber worst cases at their horizon N", "x": "N", "y": "gap_over_LR2",
     "reference": {"Prop. 1: 2/N": "prop1", "tight: 1/(4N+2)": "tight"}, "logx": True, "logy": True},
]


def _frame(tr, norm_gap, setting, **labels):
    df = tr.to_frame(setting=setting, **labels)
    df["gap_over_LR2"] = norm_gap.reshape(-1)
    k = df.step.to_numpy(dtype=float)
    with np.errstate(divide="ignore"):
        df["prop1"], df["classic"] = prop1_bound(k), gd_classic(k)
    df["tight"] = gd_tight(k)
    df["ratio_prop1"] = df.gap_over_LR2 / df.prop1
    return df


if __name__ == "__main__":
    from convcheck.study import main

    main(__file__)

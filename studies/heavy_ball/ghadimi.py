"""GFJ-1: Ghadimi, Feyzmahdavian & Johansson (2015), Thm. 4: heavy ball's global rate in function value.

Claims:
    GFJ-1: for every L-smooth mu-strongly convex f, heavy ball
    ``w_{k+1} = w_k - a grad f(w_k) + b (w_k - w_{k-1})`` from rest (``w_{-1} = w_0``) with
    ``a in (0, 1/L]`` and ``b = sqrt((1 - a mu)(1 - a L))`` satisfies
    ``f(w_n) - f* <= (1 - a mu)^n (f(w_0) - f*)`` for every n (Thm. 4 as PEPit's example
    heavy_ball_momentum states it: its parameter region and its bound).
Kind:
    bound (explicit constants), deterministic curves.
Objective:
    instances of F_{1,25}: a rotated quadratic with a uniform spectrum on [1, 25]; Lessard, Recht &
    Packard's piecewise quadratic (on which Polyak's tuning cycles); and, per cell, the function
    the search builds from the class's worst case after ``pep_N`` steps (convcheck.search: the
    solver's point set made a smooth strongly convex interpolant), run from its own start.
Optimizer:
    role ``momentum`` (torch.optim.SGD fits it) with lr = a and momentum = b, on the cells
    a L in ``aLs``.
Fit:
    (f(w_k) - f*) / (f(w_0) - f*) per seed and step, against (1 - a mu)^k.
Verdict rule:
    declared ``Bound((1 - a mu)^k)`` from step 1, per instance and cell (a: the run's step, mu: the
    instance's): reproduced when no ratio exceeds the bound beyond round-off on any certified
    instance; refuted at the first that does.
Certified:
    a supporting reading, beside the verdict: over the whole class, the worst case of
    f(w_N) - f* from f(w_0) - f* <= 1 (PEPit), against (1 - a mu)^N, per cell (declared
    ``Certified()``, the cells bringing their bound); the counterexample search
    (convcheck.search.exceed) says, as a finding, whether it found a function above the bound,
    and how hard it looked.
References:
    Ghadimi, Feyzmahdavian & Johansson (2015), ECC, Thm. 4 (arXiv:1412.7457); PEPit's example
    unconstrained_convex_minimization/heavy_ball_momentum.py.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from convcheck import engine, pep, search
from convcheck.evidence import Curves, WorstCases, with_constants
from convcheck.judgments import Bound, Certified
from convcheck.objectives import Quadratic
from convcheck.study import Claim, StudyResult

from _heavy_ball import LessardFunction

HYP = ("L-smooth", "mu-strongly convex")
CLAIMS = [Claim("GFJ-1", "Thm. 4", "heavy ball from rest with a in (0, 1/L], b = sqrt((1 - a mu)(1 - a L)): "
                "f(w_n) - f* <= (1 - a mu)^n (f(w_0) - f*) on every L-smooth mu-strongly convex f", "bound",
                methods={"as written": ("momentum",)}, hypotheses=HYP, scope=HYP, supporting=(pep.CERTIFIED,),
                judgments={"as written": Bound(lambda k, c: (1 - c["a"] * c["mu"]) ** np.asarray(k, dtype=float)),
                           pep.CERTIFIED: Certified()})]
ROLES = ("momentum",)
SCALES = {"tiny": {"seeds": 4, "steps": 100, "d": 10, "aLs": (0.5,), "pep_N": 4},
          "quick": {"seeds": 16, "steps": 300, "d": 20, "aLs": (0.25, 0.5, 1.0), "pep_N": 8},
          "full": {"seeds": 64, "steps": 2000, "d": 100, "aLs": (0.1, 0.25, 0.5, 0.75, 1.0), "pep_N": 16}}
L, MU = 25.0, 1.0


def momentum_of(aL: float) -> tuple[float, float]:
    """(a, b) of the cell a L = aL."""
    a = aL / L
    return a, math.sqrt((1 - a * MU) * (1 - a * L))


def run(ctx, *, steps, d, aLs, pep_N) -> StudyResult:
    mom = ctx.method("momentum")
    fc = pep.FunctionClass("smooth strongly convex", L=L, mu=MU)
    quad = Quadratic.random(d, ctx.generator("quadratic"), L=L, kappa=L / MU, kind="uniform", dtype=ctx.dtype)
    lessard = LessardFunction(dtype=ctx.dtype)
    parts, frames, cells, findings = {}, [], {}, []
    for aL in aLs:
        a, b = momentum_of(aL)
        bound = lambda k, a=a: (1 - a * MU) ** np.asarray(k, dtype=float)  # noqa: E731
        wc = pep.worst_case(pep.heavy_ball(a, b), fc, pep_N, metric="gap", initial="gap")
        cells[f"aL={aL:g}"] = (wc, float(bound(pep_N)))
        found = search.exceed(search.heavy_ball(a, b), fc, pep_N, float(bound(pep_N)), metric="gap", initial="gap",
                              reading=wc)
        findings.append(f"aL = {aL:g}: {found.summary}")
        runs = {"quadratic": (quad, ctx.start_near(quad.w_star, "quadratic", aL)),
                "Lessard's function": (lessard, 3.0 * ctx.normal((ctx.seeds, 1), "lessard", aL))}
        if wc.points:  # the worst case's point set made a smooth strongly convex function, run from its own start
            built, state = search.function_of(wc, fc, f"the worst case after {pep_N} steps, aL = {aL:g}")
            runs["the worst case's function"] = (built, state[0].repeat(ctx.seeds, 1))
        for name, (obj, w0) in runs.items():
            label = f"{name}, aL = {aL:g}"
            tr = engine.run(obj, mom(lr=a, momentum=b), w0, steps)
            ratio = Curves.of(tr, "gap", role="momentum").map(lambda g: g / g[:, :1], "gap_ratio")
            parts[label] = with_constants(ratio.window(1), a=a)
            frame = tr.to_frame(setting=label, seed=np.arange(ctx.seeds))
            frame["gap_ratio"], frame["bound"] = ratio.values.reshape(-1), bound(frame.step.to_numpy())
            frames.append(frame)
    figures = [{"kind": "curves", "table": "curves", "title": "GFJ-1: (f(w_k) - f*)/(f(w_0) - f*) against (1 - a mu)^k",
                "x": "step", "y": "gap_ratio", "hue": "setting", "logy": True}]
    return StudyResult(tables={"curves": pd.concat(frames, ignore_index=True)}, figures=figures,
                       evidence={"GFJ-1": parts, ("GFJ-1", pep.CERTIFIED): {"the class": WorstCases(cells, fc.describe(),
                                                                                                     fc.hypotheses)}},
                       findings={"GFJ-1": findings}, setup={"L": L, "mu": MU, "aLs": list(aLs), "pep_N": pep_N})


if __name__ == "__main__":
    from convcheck.study import main

    main(__file__)

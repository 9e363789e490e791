"""GTD-1: Goujaud, Taylor & Dieuleveut (2025): heavy ball is not accelerated, or it cycles.

Claims:
    GTD-1 (abstract and main theorem): for any condition number and any step and momentum
    (eta, alpha), either the worst-case rate of heavy ball on quadratics with spectrum in
    [mu, L] is not accelerated (slower than 1 - O(1/kappa)), or some L-smooth mu-strongly convex
    function and start make heavy ball cycle (it does not converge).
Kind:
    property, over a grid of (eta L, alpha) at each condition number kappa of the scale (quick:
    kappa = 25; full: 25, 100 and 400).
Objective:
    quadratics with spectrum in [mu, L] (their worst-case rate is exact: the largest spectral
    radius of heavy ball's 2 x 2 iteration matrix over the spectrum), and, for the cells whose
    rate is accelerated, the functions of F_{mu,L} the cycle search builds (convcheck.search:
    a cycle program per period K = 1..``periods``, the cycle made a smooth strongly convex
    interpolant and run by the engine for ``repeats`` periods).
Optimizer:
    heavy ball (convcheck's, from the cycle's own state: a cycle starts with momentum, which a
    user's class in the role ``momentum`` cannot be handed), run by the engine on the found
    function for ``repeats`` periods.
Fit:
    per cell, the gain 1 - rho of its quadratic rate; where the search found a cycle, the engine's
    run on the found function: its last period's radius around w* and drift.
Verdict rule:
    declared ``AnyOf({"not accelerated": gain AtMost ACCELERATED_FRACTION (1 - q), "cycles":
    CYCLES})`` per cell (``_heavy_ball_tolerances``, ``_heavy_ball``): a cell holds when its gain
    is below ACCELERATED_FRACTION of Polyak's 1 - q or the run on the found function closes a
    cycle; an accelerated cell without a cycle within the budget is undecided (its cycle is not
    measured: the statement is asymptotic in kappa, and at finitely many kappa no cell refutes it).
    Reproduced when every cell holds, inconclusive when some are undecided.
Findings:
    the map, per kappa: the cells where the search found a cycle (and its period), the accelerated
    cells where it found none within its budget, the cells not accelerated; then each cell's rate,
    the cycles found (period, residual) and how hard the search looked.
References:
    Goujaud, Taylor & Dieuleveut (2025), Provable non-accelerations of the heavy-ball method,
    Math. Program. (arXiv:2307.11291); Goujaud, Dieuleveut & Taylor (2023), Counter-examples in
    first-order optimization: a constructive approach.
"""

from __future__ import annotations

import pandas as pd

from convcheck import pep, search
from convcheck.evidence import Samples
from convcheck.judgments import AnyOf, AtMost, Holds
from convcheck.objectives import Quadratic
from convcheck.study import Claim, StudyResult

from _heavy_ball import CYCLES, cycle_run, polyak_rate, quadratic_rate
from _heavy_ball_tolerances import ACCELERATED_FRACTION

HYP = ("L-smooth", "mu-strongly convex")
NOT_ACCELERATED = Holds({"gain": AtMost(lambda c: ACCELERATED_FRACTION * (1 - polyak_rate(c["L"], c["mu"])), rtol=None)},
                        what="the quadratic rate is not accelerated")
CLAIMS = [Claim("GTD-1", "Abstract, main theorem", "for every (eta, alpha): heavy ball's worst-case rate on quadratics "
                "with spectrum in [mu, L] is not accelerated, or heavy ball cycles on some L-smooth mu-strongly convex f",
                "property", hypotheses=HYP, scope=HYP,
                judgments=AnyOf({"not accelerated": NOT_ACCELERATED, "cycles": CYCLES},
                                what="the quadratic rate is not accelerated, or heavy ball cycles on a function of F_{mu,L}"))]
ROLES = ()
SCALES = {"tiny": {"seeds": 3, "kappas": (25.0,), "hs": (1.0, 3.0), "alphas": (0.6,), "periods": 4},
          "quick": {"seeds": 3, "kappas": (25.0,), "hs": (1.0, 2.0, 3.0), "alphas": (0.4, 0.6, 0.8), "periods": 5},
          "full": {"seeds": 3, "kappas": (25.0, 100.0, 400.0), "hs": (0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 3.5),
                   "alphas": (0.2, 0.4, 0.6, 0.8, 0.9, 0.95), "periods": 10}}
L, REPEATS = 1.0, 10


def run(ctx, *, kappas, hs, alphas, periods) -> StudyResult:
    rows, labels, parts, maps = [], [], {}, []
    for kappa in kappas:
        mu = L / kappa
        fc = pep.FunctionClass("smooth strongly convex", L=L, mu=mu)
        q = Quadratic.random(4, ctx.generator("quadratic", kappa), L=L, kappa=kappa, kind="uniform", dtype=ctx.dtype)
        where = {"cycle": [], "none found": [], "not accelerated": []}
        for h in hs:
            for alpha in alphas:
                cell = f"kappa = {kappa:g}, eta L = {h:g}, alpha = {alpha:g}"
                rho = quadratic_rate(h / L, alpha, L, mu)
                # the rate is exact over every quadratic with spectrum in [mu, L]: measured on one of them
                parts[cell] = {"not accelerated": {"gain": Samples.on(q, [1 - rho], what="the gain 1 - rho of the quadratic "
                                                                     "worst-case rate", labels=[cell])}}
                accelerated = not NOT_ACCELERATED.select(parts[cell]["not accelerated"])[0]  # the cells searched for a cycle
                row = {"kappa": kappa, "h": h, "alpha": alpha, "quadratic rate": rho, "accelerated": accelerated, "cycle": None}
                if accelerated:
                    method = search.heavy_ball(h / L, alpha)
                    found = search.find_cycle(method, fc, periods=range(1, periods + 1), repeats=REPEATS)
                    row.update(cycle=found.found, period=found.details.get("K"), residual=-found.best_violation,
                               programs=found.candidates, seconds=found.seconds,
                               certified_absent=all(t["no cycle (certified)"] for t in found.details["tried"]))
                    if found.found:  # the found function and its cycle, run by the engine from the cycle's state
                        K = found.details["K"]
                        _, last = cycle_run(found.instance, search.started(method.optimizer(), found.state), found.start,
                                            K * REPEATS, K, f"cycle at {cell}")
                        parts[cell] = {"cycles": last}
                        where["cycle"].append(f"({h:g}, {alpha:g}) period {K}")
                    else:
                        where["none found"].append(f"({h:g}, {alpha:g})")
                else:
                    where["not accelerated"].append(f"({h:g}, {alpha:g})")
                labels.append(f"{cell}: quadratic rate {rho:.4f}"
                              + (f", accelerated; cycle of period {row.get('period')}" if row["cycle"] else
                                 f", accelerated; no cycle of period <= {periods} found"
                                 + (" (each period's absence certified by the dual bound)" if row.get("certified_absent") else "")
                                 if accelerated else ", not accelerated"))
                rows.append(row)
        maps.append(f"kappa = {kappa:g}, cells (eta L, alpha): a cycle found at {', '.join(where['cycle']) or 'none'}; "
                    f"accelerated with no cycle of period <= {periods} found at {', '.join(where['none found']) or 'none'}; "
                    f"not accelerated at {len(where['not accelerated'])} of {len(hs) * len(alphas)}")
    figures = [{"kind": "points", "table": "cells", "title": "GTD-1: quadratic rate per cell (accelerated cells searched for cycles)",
                "x": "h", "y": "quadratic rate", "hue": "alpha"}]
    return StudyResult(tables={"cells": pd.DataFrame(rows)}, figures=figures, evidence={"GTD-1": parts},
                       findings={"GTD-1": [*maps, "; ".join(labels)]},
                       setup={"kappas": list(kappas), "periods": periods, "accelerated fraction": ACCELERATED_FRACTION})


if __name__ == "__main__":
    from convcheck.study import main

    main(__file__)

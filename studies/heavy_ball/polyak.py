"""POL-1, POL-2: heavy ball with Polyak's tuning: its rate on quadratics, and the global reading.

Claims:
    POL-1 (Polyak 1964, Thm. 9, on quadratics): heavy ball ``w_{k+1} = w_k - eta grad f(w_k) +
    alpha (w_k - w_{k-1})`` with ``eta = 4/(sqrt(L) + sqrt(mu))^2`` and
    ``alpha = ((sqrt(kappa) - 1)/(sqrt(kappa) + 1))^2`` converges linearly on f with
    ``mu I <= f'' <= L I`` at the rate ``q = (sqrt(kappa) - 1)/(sqrt(kappa) + 1)`` per step (the
    theorem is local for twice differentiable f; on quadratics it is global).
    POL-2 (the global reading): the same method and rate on every L-smooth mu-strongly convex f,
    from every start.
Kind:
    linear (contraction factor q, upper: at least as fast as claimed); POL-2 also a property
    (the iterates converge at all).
Objective:
    POL-1: rotated quadratics with a uniform spectrum on [mu, L] (kappa = 25 and 100).
    POL-2: functions of F_{1,25} on which heavy ball might fail: the function the cycle search
    builds (convcheck.search: a cycle of the method over the class, made a smooth strongly convex
    interpolant, certified by construction) and Lessard, Recht & Packard's piecewise quadratic.
Optimizer:
    role ``momentum`` (torch.optim.SGD fits it) with Polyak's tuning, from rest at random starts
    (on Lessard's function from x_0 in [3.07, 3.46], where they report the cycle); on the found
    function convcheck's heavy ball from the cycle's own state (a user's class cannot be handed a
    momentum buffer, so that part runs convcheck's method).
Fit:
    POL-1: per seed, the contraction factor of ||w_k - w*|| / (k + 1) over the pre-round-off
    window: with Polyak's tuning the extreme eigenvalues give double roots q, so the error is
    (a + b k) q^k, and the theorem's O((q + eps)^k) for every eps > 0 allows that factor k.
    POL-2: per run, its last period: the radius around w* (in ulps of the start's distance) and
    the drift over the period, relative to that radius.
Verdict rule:
    POL-1: declared ``Linear(q(L, mu), "upper")`` on dist / (k + 1), per instance; refuted when
    the fitted contraction is credibly slower than q on some certified instance, reproduced when at
    least as fast on all. POL-2: declared ``All({"the run converges": Holds(...)}, of="linear")``:
    a run converges when its radius is within round-off (ROUNDOFF_FACTOR ulps) of w*; one that does
    not is a counterexample where it closes a cycle (drift at most SEARCH_CYCLE_RTOL: it never
    converges, at any rate), undecided otherwise.
Findings:
    the cycle found (period, dimension, residual, radius) and how hard the search looked.
References:
    Polyak (1964); Lessard, Recht & Packard (2016), Sec. 4.6; Goujaud, Dieuleveut & Taylor
    (2023), Counter-examples in first-order optimization: a constructive approach.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch

from convcheck import engine, pep, search
from convcheck.evidence import Curves
from convcheck.judgments import All, AtMost, Holds, Linear
from convcheck.objectives import Quadratic
from convcheck.study import Claim, StudyResult

from _heavy_ball import CYCLES, LessardFunction, cycle_run, polyak, polyak_rate

HYP = ("L-smooth", "mu-strongly convex")
CONVERGES = Holds({"radius": AtMost("ROUNDOFF_FACTOR", rtol=None)}, refutes={"drift": CYCLES.holds["drift"]},
                  what="the run converges to w* (a run that closes a cycle away from w* never does)")
CLAIMS = [Claim("POL-1", "Thm. 9 (on quadratics)", "heavy ball with eta = 4/(sqrt(L)+sqrt(mu))^2, alpha = q^2: "
                "||w_k - w*|| = O((q + eps)^k) for every eps > 0, q = (sqrt(kappa)-1)/(sqrt(kappa)+1), on quadratics with "
                "spectrum in [mu, L]",
                "linear", methods=("momentum",), hypotheses=HYP, scope=HYP,
                judgments=Linear(lambda c: polyak_rate(c["L"], c["mu"]), "upper")),
          Claim("POL-2", "Thm. 9 read globally", "the same method and rate on every L-smooth mu-strongly convex f",
                "linear", methods=("momentum",), hypotheses=HYP, scope=HYP,
                judgments=All({"the run converges": CONVERGES}, of="linear"))]
ROLES = ("momentum",)
SCALES = {"tiny": {"seeds": 4, "steps": 200, "d": 10, "kappas": (25.0,), "periods": 4},
          "quick": {"seeds": 16, "steps": 400, "d": 20, "kappas": (25.0, 100.0), "periods": 6},
          "full": {"seeds": 64, "steps": 2000, "d": 100, "kappas": (10.0, 25.0, 100.0, 1000.0), "periods": 8}}


def run(ctx, *, steps, d, kappas, periods) -> StudyResult:
    mom = ctx.method("momentum")
    evidence, findings, frames = {}, {}, []
    if ctx.wants("POL-1"):
        evidence["POL-1"] = {}
        for kappa in kappas:
            label = f"quadratic, kappa = {kappa:g}"
            q = Quadratic.random(d, ctx.generator(label), L=kappa, kappa=kappa, kind="uniform", dtype=ctx.dtype)
            eta, alpha = polyak(q.L, q.mu)
            tr = engine.run(q, mom(lr=eta, momentum=alpha), ctx.start_near(q.w_star, label, "w0"), steps)
            # the extreme eigenvalues give double roots q: the error is (a + b k) q^k, O((q + eps)^k) for every eps
            evidence["POL-1"][label] = Curves.of(tr, "dist", role="momentum").map(lambda v, k=tr.steps: v / (k + 1))
            frames.append(tr.to_frame(setting=label, seed=np.arange(ctx.seeds)))
    if ctx.wants("POL-2"):
        L, mu = 25.0, 1.0
        eta, alpha = polyak(L, mu)
        lessard = LessardFunction(dtype=ctx.dtype)
        # x_0 in [3.07, 3.46], where Lessard, Recht & Packard report the cycle
        x0 = 3.07 + 0.39 * torch.rand(ctx.seeds, 1, generator=ctx.generator("lessard"), dtype=ctx.dtype,
                                          device="cpu").to(ctx.device)
        runs = {lessard.name: (lessard, mom(lr=eta, momentum=alpha), x0, 3)}
        found = search.find_cycle(search.heavy_ball(eta, alpha), pep.FunctionClass("smooth strongly convex", L=L, mu=mu),
                                  periods=range(1, periods + 1), repeats=10)
        findings["POL-2"] = [found.summary + f"; details: {found.details}"]
        if found.found:  # convcheck's heavy ball from the cycle's own state: a user's class takes no momentum buffer
            runs["the cycle search's function"] = (found.instance, search.started(search.heavy_ball(eta, alpha).optimizer(),
                                                                                 found.state),
                                                   found.start.repeat(ctx.seeds, 1), found.details["K"])
        evidence["POL-2"] = {}
        for label, (obj, opt, w0, K) in runs.items():
            tr, last = cycle_run(obj, opt, w0, steps, K, label)
            evidence["POL-2"][label] = {"the run converges": last}
            frames.append(tr.to_frame(setting=label, seed=np.arange(ctx.seeds)))
    figures = [{"kind": "curves", "table": "curves", "title": "Heavy ball with Polyak's tuning: ||w_k - w*||",
                "x": "step", "y": "dist", "hue": "setting", "logy": True}]
    return StudyResult(tables={"curves": pd.concat(frames, ignore_index=True)}, figures=figures, evidence=evidence,
                       findings=findings, setup={"kappas": list(kappas), "cycle periods searched": periods})


if __name__ == "__main__":
    from convcheck.study import main

    main(__file__)

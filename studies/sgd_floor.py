"""SGD-3: constant-step SGD stalls at a floor proportional to eta (Prop. 2, Eq. 27).

Claim:
    With a fixed step eta, ``f(w_{t+1}) - f* <= O(1/t + eta)``: the error stops falling at
    a neighbourhood of size O(eta) (Sec. 4.2 reads it as "stagnates to a neighborhood
    O(eta)"). The testable content is that the floor is proportional to eta.
Kind:
    floor.
Objective:
    least squares with planted noise (n = 200, d = 5, eig(H) uniform on [1/2, 1]), a
    finite sum whose gradient noise at w* does not vanish (sigma^2 > 0), so a floor exists.
    The exact expected floor of constant-step SGD is known here from the second-moment
    recursion (``LeastSquares.sgd_stationary_gap``), which checks the measured floors.
Optimizer:
    SGD with one uniformly drawn sample per step (Eq. 23) and step eta (a parameter:
    ``optimizer(eta)`` returns any batched optimizer, with eta a (rows,) tensor).
    All etas run as one batch: rows = etas x seeds.
Fit:
    per seed and eta, the time average of the gap over the tail [T/10, T], after checking
    that the tail is stationary (early vs late half, DELTA_STATIONARY); then per seed the
    slope of log floor against log eta.
    T = burn_in / (eta_min mu): the tail starts after many relaxation times 1/(eta mu).
Verdict rule:
    inconclusive when some eta's tail has not settled; otherwise reproduced when the 90%
    interval of the slope lies inside 1 +- 0.1, refuted when the 99.8% interval lies outside.
Findings:
    measured floor / exact expected floor per eta; floor per unit eta; the averaged iterate
    (whose gap keeps falling: Polyak averaging removes the floor on least squares).
References:
    Bottou, Curtis & Nocedal (2018), Optimization methods for large-scale machine learning,
    SIAM Review 60, Thm. 4.6; Bach & Moulines (2013), Non-strongly-convex smooth stochastic
    approximation with convergence rate O(1/n), NeurIPS.
"""

from __future__ import annotations

import numpy as np
import torch

from convcheck import engine
from convcheck.claims import INCONCLUSIVE
from convcheck.objectives import LeastSquares, WithReplacement
from convcheck.optim import sgd
from convcheck.stats import check_floor, tail_floor
from convcheck.study import Claim, StudyResult

CLAIMS = [Claim("SGD-3", "Prop. 2, Eq. (27)",
                "constant step eta: f(w_{t+1}) - f* <= O(1/t + eta); SGD stalls at a floor O(eta)", "floor")]

SCALES = {
    "tiny": {"seeds": 8, "etas": (0.01, 0.04), "burn_in": 60},
    "quick": {"seeds": 128, "etas": (0.005, 0.01, 0.02, 0.04), "burn_in": 60},
    "full": {"seeds": 512, "etas": (0.0025, 0.005, 0.01, 0.02, 0.04), "burn_in": 120},
}


def run(ctx, *, etas, burn_in, n=200, d=5, kappa=2.0, noise=1.0, optimizer=None) -> StudyResult:
    """``optimizer(eta_rows)`` builds the method under test (default SGD with step eta)."""
    make_opt = optimizer or sgd
    problem = LeastSquares.planted(n, d, ctx.generator("problem"), L=1.0, kappa=kappa, noise=noise,
                                   dtype=ctx.dtype, device=ctx.device)
    etas = np.asarray(sorted(etas), dtype=float)
    K, S = etas.size, ctx.seeds
    steps = int(np.ceil(burn_in / (etas[0] * problem.mu)))
    rows_eta = torch.tensor(np.repeat(etas, S), dtype=ctx.dtype, device=ctx.device)
    w0 = problem.w_star + torch.randn(K * S, d, generator=ctx.generator("w0"), dtype=ctx.dtype, device=ctx.device)
    trace = engine.run(problem, make_opt(rows_eta), w0, steps, checkpoints=engine.log_checkpoints(steps, dense_tail=400),
                       sampler=WithReplacement(n, 1), generator=ctx.generator("sampler"), average=True)

    gap = trace.metrics["gap"].reshape(K, S, -1)
    avg_gap = trace.metrics["avg_gap"].reshape(K, S, -1)
    tails = [tail_floor(gap[k], trace.steps) for k in range(K)]
    avg_tails = [tail_floor(avg_gap[k], trace.steps) for k in range(K)]
    floors = np.stack([tf.floors for tf in tails], axis=1)  # (S, K)
    verdict = check_floor(floors, etas, claim="SGD-3", param_name="eta")

    unsettled = [f"eta={e:g} ({tf.stationarity.reason})" for e, tf in zip(etas, tails) if not tf.settled]
    if unsettled:
        verdict.outcome = INCONCLUSIVE
        verdict.summary = "tail not settled at " + "; ".join(unsettled)
    exact = np.array([problem.sgd_stationary_gap(e) for e in etas])
    ratio = floors.mean(axis=0) / exact
    se = floors.std(axis=0, ddof=1) / np.sqrt(floors.shape[0]) / exact
    verdict.window = [int(tails[0].window[0]), int(tails[0].window[1])]
    verdict.notes += [f"eta={e:g}: tail stationarity {tf.stationarity.reason}" for e, tf in zip(etas, tails)]
    verdict.findings += [
        "measured floor / exact expected floor (second-moment recursion): "
        + ", ".join(f"{r:.3f} +- {2 * s:.3f} (eta={e:g})" for r, s, e in zip(ratio, se, etas)),
        "floor per unit eta (the O(eta) constant): " + ", ".join(f"{f / e:.3f} (eta={e:g})" for f, e in zip(floors.mean(0), etas))
        + f"; sigma^2 at w* = {problem.sigma2_n:.3f} (1/n reading)",
        "averaged iterate: no floor; its tail still falls, log(early/late) = "
        + ", ".join(f"{tf.stationarity.estimate:.2f} (eta={e:g})" for tf, e in zip(avg_tails, etas))
        + "; the O(eta) floor is a property of the last iterate only.",
    ]
    verdict.statistic.update({"exact_floor": exact, "floor_over_exact": ratio, "steps": steps})

    curves = trace.to_frame(eta=np.repeat(etas, S), seed=np.tile(np.arange(S), K))
    curves["setting"] = "eta=" + curves.eta.map("{:g}".format)
    floor_tab = _floor_table(floors, etas, exact)
    figures = [
        {"kind": "curves", "table": "curves", "title": "SGD gap (last iterate) for each eta; dashed: exact expected floor",
         "x": "step", "y": "gap", "hue": "setting", "hlines": dict(zip([f"eta={e:g}" for e in etas], exact.tolist())),
         "logx": True, "logy": True},
        {"kind": "curves", "table": "curves", "title": "Averaged iterate: no floor", "x": "step", "y": "avg_gap",
         "hue": "setting", "logx": True, "logy": True},
        {"kind": "points", "table": "floors", "title": f"Floor vs eta: fitted slope {verdict.statistic['slope']:.3f} (claim: 1)",
         "x": "eta", "y": "floor", "reference": {"exact expected floor": "exact"}, "logx": True, "logy": True},
    ]
    setup = {"problem": problem.constants(), "etas": etas.tolist(), "steps": steps, "seeds": S,
             "sampler": "uniform, one sample per step (with replacement)"}
    return StudyResult([verdict], {"curves": curves, "floors": floor_tab}, figures, setup)


def _floor_table(floors, etas, exact):
    import pandas as pd

    S, K = floors.shape
    return pd.DataFrame({"seed": np.repeat(np.arange(S), K), "eta": np.tile(etas, S), "floor": floors.reshape(-1),
                         "exact": np.tile(exact, S)})


if __name__ == "__main__":
    from convcheck.study import main

    main(__file__)

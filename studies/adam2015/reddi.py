"""RKK-1 to RKK-3: Reddi, Kale & Kumar (2018), Sec. 3: Adam's average regret need not vanish.

Claims:
    RKK-1, Thm. 1: on f_t(x) = C x (t mod 3 = 1), -x otherwise, on [-1, 1] with C > 2, Adam with
           beta_1 = 0, beta_2 = 1/(1 + C^2), alpha_t = alpha/sqrt(t), alpha < sqrt(1 - beta_2) has
           R(T)/T not tending to 0 (it converges to x = +1; x* = -1).
    RKK-2, Thm. 2: for every beta_1, beta_2 in [0, 1) with beta_1 < sqrt(beta_2) there is an online
           convex problem on which Adam's average regret does not tend to 0.
    RKK-3, Thm. 3: for every such beta_1, beta_2 there is a stochastic convex problem (f_t = C x
           with probability (1 + delta)/(C + 1), else -x) on which Adam does not converge to x*.
Kind:
    rate (Omega(1) average regret, RKK-1) and property (existence, RKK-2 and RKK-3).
Objective:
    RKK-1: period 3, C in (3, 10). RKK-2: one large gradient C per period of C rounds (the
    construction of the proof of Thm. 2), C searched over a grid (3 x 4^k, so every period
    divides the checkpoints). RKK-3: Thm. 3's losses with delta = 0.1, C searched over a grid;
    the regret of the expected losses (pseudo-regret). All C of a cell run as one batch.
Optimizer:
    role ``adam`` (standard Adam; torch.optim.Adam fits it), alpha_t = alpha/sqrt(t). Reddi et
    al. analyse Adam without bias correction; with beta < 1 the corrections tend to 1, so the
    limit behaviour is the same.
Fit:
    "R(T)/T does not tend to 0": the average regret of the later half of the rounds,
    (R(T) - R(T/2))/(T/2), at doubling checkpoints T on whole periods (free of the early rounds'
    transient; it tends to 0 exactly when R(T)/T does).
Verdict rule:
    check_rate(..., "1", "lower"),
    Omega(1): refuted only by sustained decay (over the window and its end segment alike);
    rising toward its limit is not decay. RKK-1 is refuted when it decays on an
    instance. RKK-2/3 are existence statements: a cell (beta_1, beta_2) is shown when some C of
    the grid gives Omega(1) average regret; reproduced when every cell is shown, inconclusive
    otherwise (``check_property`` with the cells not shown undecided) (a finite search cannot refute an existence claim; the C of the proofs may lie
    beyond the grid).
References:
    Reddi, Kale & Kumar (2018), On the Convergence of Adam and Beyond, ICLR.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from convcheck import engine
from convcheck.claims import REPRODUCED
from convcheck.stats import combine
from convcheck.optim import inverse_sqrt_t
from convcheck.stats import check_property, check_rate
from convcheck.study import Claim, StudyResult

from _adam2015 import doubling_checkpoints, late_average, periodic_rows, starts, stochastic_rows, theorem1_step

CLAIMS = [
    Claim("RKK-1", "Thm. 1", "f_t = Cx (t mod 3 = 1), -x otherwise on [-1, 1]: Adam with beta_1 = 0, beta_2 = 1/(1 + C^2), "
          "alpha_t = alpha/sqrt(t) has R(T)/T not tending to 0", "rate", methods=("adam",)),
    Claim("RKK-2", "Thm. 2", "for every beta_1 < sqrt(beta_2) some online convex problem gives Adam average regret not "
          "tending to 0", "property", methods=("adam",)),
    Claim("RKK-3", "Thm. 3", "for every beta_1 < sqrt(beta_2) some stochastic convex problem keeps Adam from the optimum",
          "property", methods=("adam",)),
]
ROLES = ("adam",)
SCALES = {"tiny": {"seeds": 4, "steps": 3000, "cells": ((0.0, 0.5),), "Cs": (3, 12, 48)},
          "quick": {"seeds": 8, "steps": 30_000, "cells": ((0.0, 0.5), (0.5, 0.9), (0.9, 0.99)), "Cs": (3, 12, 48, 192)},
          "full": {"seeds": 32, "steps": 1_000_000, "cells": ((0.0, 0.5), (0.0, 0.9), (0.5, 0.9), (0.0, 0.99), (0.9, 0.99),
                                                               (0.5, 0.999), (0.9, 0.999)), "Cs": (3, 12, 48, 192, 768, 3072)}}
DELTA = 0.1
ALPHA = 0.1  # alpha of alpha_t = alpha/sqrt(t) in the searches (Theorems 2-3 hold for every alpha)


def _theta_one(ctx, adam, obj, betas, alpha, w0, ck, label):
    """Run, then test the late average regret (R(T) - R(T/2))/(T/2) against Omega(1), per row block."""
    tr = engine.run(obj, adam(lr=inverse_sqrt_t(alpha), betas=betas, eps=1e-8), w0, int(ck[-1]), checkpoints=ck,
                    generator=ctx.generator(label, "rounds"))
    A, T = late_average(tr.metrics["regret"], tr.steps)
    blocks = A.reshape(-1, ctx.seeds, A.shape[1])
    return tr, A, T, [check_rate(b, T, "1", "lower") for b in blocks]


def _search(ctx, adam, cells, Cs, obj, ck, claim, what):
    w0 = starts(ctx, claim, len(Cs))

    def cell(betas):  # one (beta_1, beta_2) cell, all C at once: an independent unit (ctx.map)
        label = f"{claim}: betas ({betas[0]:g}, {betas[1]:g})"
        tr, A, T, verdicts = _theta_one(ctx, adam, obj, betas, ALPHA, w0, ck, label)
        rows = [{"claim": claim, "beta1": betas[0], "beta2": betas[1], "C": C, "outcome": v.outcome,
                 "late_avg_regret": float(np.nanmedian(A[k * ctx.seeds:(k + 1) * ctx.seeds, -1])),
                 "final_x": float(np.median(tr.final[k * ctx.seeds:(k + 1) * ctx.seeds].cpu().numpy()))}
                for k, (C, v) in enumerate(zip(Cs, verdicts))]
        return rows, pd.DataFrame({"step": np.tile(T, A.shape[0]), "late_avg_regret": A.reshape(-1),
                                   "setting": np.repeat([f"{label}, C = {C:g}" for C in Cs], ctx.seeds * T.size)})

    done = ctx.map(cell, cells)
    grid, frames = pd.DataFrame([r for rows, _ in done for r in rows]), [f for _, f in done]
    shown = grid[grid.outcome == REPRODUCED].groupby(["beta1", "beta2"], sort=False).first().reset_index()
    missing = [c for c in cells if not ((shown.beta1 == c[0]) & (shown.beta2 == c[1])).any()]
    summary = (f"{what} for every cell (x* = -1, median over seeds): " + "; ".join(f"betas ({r.beta1:g}, {r.beta2:g}): C = {r.C:g}, late R/T = "
                                                      f"{r.late_avg_regret:.3g}, final x {r.final_x:.2f}" for r in shown.itertuples())
               if not missing else f"no C in {list(Cs)} shows it for betas {missing} (a larger C or horizon may)")
    # an existence claim per cell: a cell where no C of the grid shows it is undecided, not a counterexample
    found = check_property([c not in missing for c in cells], undecided=[c in missing for c in cells],
                           labels=[f"betas ({c[0]:g}, {c[1]:g})" for c in cells], what=f"{what} for some C",
                           claim=claim, seeds=ctx.seeds, statistic={"cells": len(cells), "shown": len(cells) - len(missing)})
    return found.restated(summary=summary), grid, frames


def run(ctx, *, steps, cells, Cs) -> StudyResult:
    adam = ctx.method("adam")
    verdicts, frames, grids = [], [], []
    if ctx.wants("RKK-1"):
        v1, f1 = _theorem1(ctx, adam, steps)
        verdicts.append(v1)
        frames += f1
    if ctx.wants("RKK-2"):
        period = int(np.lcm.reduce([int(C) for C in Cs]))
        v2, g2, f2 = _search(ctx, adam, cells, Cs, periodic_rows(Cs, ctx.seeds, dtype=ctx.dtype),
                             doubling_checkpoints(period, max(steps, 512 * period)), "RKK-2",
                             "a periodic problem with Omega(1) average regret")
        verdicts.append(v2)
        frames, grids = frames + f2, grids + [g2]
    if ctx.wants("RKK-3"):
        v3, g3, f3 = _search(ctx, adam, cells, Cs, stochastic_rows(Cs, DELTA, ctx.seeds, ctx.dtype),
                             doubling_checkpoints(1, steps), "RKK-3", "a stochastic problem with Omega(1) average pseudo-regret")
        verdicts.append(v3)
        frames, grids = frames + f3, grids + [g3]
    figures = [{"kind": "curves", "table": "regret", "title": "Adam's average regret over the later half of the rounds, "
                "(R(T) - R(T/2))/(T/2): it does not vanish", "x": "step", "y": "late_avg_regret",
                "hue": "setting", "logx": True, "logy": True}]
    tables = {"regret": pd.concat(frames, ignore_index=True), **({"search": pd.concat(grids, ignore_index=True)} if grids else {})}
    if grids:  # the existence searches as pictures: one cell per (betas, C), coloured by the late average regret
        tables["search"]["betas"] = tables["search"].apply(lambda r: f"{r.claim}: ({r.beta1:g}, {r.beta2:g})", axis=1)
        tables["search"]["log10_late_avg_regret"] = np.log10(tables["search"].late_avg_regret.clip(lower=1e-300))
        figures.append({"kind": "heatmap", "table": "search", "title": "RKK-2/RKK-3 searches: log10 of Adam's late average "
                        "regret per (betas, C); mark: Omega(1) shown (+), refuted (x), undecided (?)", "x": "C",
                        "y": "betas", "value": "log10_late_avg_regret", "outcome": "outcome"})
    return StudyResult(verdicts, tables, figures, {"delta": DELTA, "alpha": ALPHA, "cells": [list(c) for c in cells],
                                                   "Cs": list(Cs)})


def _theorem1(ctx, adam, steps):
    """RKK-1: Theorem 1's period-3 problem at C = 3 and 10."""
    parts, frames, findings = {}, [], []
    for C in (3.0, 10.0):
        label = f"RKK-1: C = {C:g}"
        tr, A, T, (parts[label],) = _theta_one(ctx, adam, periodic_rows([C], ctx.seeds, 3, ctx.dtype), (0.0, 1 / (1 + C * C)),
                                               theorem1_step(C), starts(ctx, label), doubling_checkpoints(3, steps), label)
        findings.append(f"C = {C:g}: R(T)/T = {np.nanmedian(tr.metrics['avg_regret'][:, -1]):.4g} at T = {tr.steps[-1]} "
                        f"(x -> +1 gives 2(C - 2)/3 = {2 * (C - 2) / 3:.4g}); final x median {np.median(tr.final.cpu().numpy()):.3f}")
        frames.append(pd.DataFrame({"step": np.tile(T, A.shape[0]), "late_avg_regret": A.reshape(-1), "setting": label}))
    v1 = combine("RKK-1", "reddi", parts, findings=findings, summary="late average regret Omega(1) on every instance: " + "; ".join(
        f"{k}: slope {p.statistic.get('slope', float('nan')):.3f}" for k, p in parts.items()))
    v1 = combine("RKK-1", "reddi", parts, findings=findings, summary="late average regret Omega(1) on every instance: " + "; ".join(
        f"{k}: slope {p.statistic.get('slope', float('nan')):.3f}" for k, p in parts.items()))
    return v1, frames


if __name__ == "__main__":
    from convcheck.study import main

    main(__file__)

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
    declared: RKK-1 ``Rate("1", "lower")`` on the late average regret, one part per C: Omega(1)
    is refuted only by sustained decay (over the window and its end segment alike); rising
    toward its limit is not decay. RKK-2/3 ``Exists(Rate("1", "lower"))``, one part per cell
    (beta_1, beta_2) over the C of the grid: a cell is shown when some C gives Omega(1) average
    regret, undecided otherwise; reproduced when every cell is shown, inconclusive otherwise (a
    finite search cannot refute an existence claim; the C of the proofs may lie beyond the grid).
References:
    Reddi, Kale & Kumar (2018), On the Convergence of Adam and Beyond, ICLR.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from convcheck import engine
from convcheck.evidence import Curves
from convcheck.judgments import Exists, Rate
from convcheck.optim import inverse_sqrt_t
from convcheck.study import Claim, StudyResult

from _adam2015 import ONLINE_CONVEX, doubling_checkpoints, later_half_average, periodic_rows, starts, stochastic_rows, theorem1_step

OMEGA_1 = Rate("1", "lower")  # the late average regret stays of order 1
CLAIMS = [
    Claim("RKK-1", "Thm. 1", "f_t = Cx (t mod 3 = 1), -x otherwise on [-1, 1]: Adam with beta_1 = 0, beta_2 = 1/(1 + C^2), "
          "alpha_t = alpha/sqrt(t) has R(T)/T not tending to 0", "rate", methods=("adam",), judgments=OMEGA_1,
          hypotheses=ONLINE_CONVEX),
    Claim("RKK-2", "Thm. 2", "for every beta_1 < sqrt(beta_2) some online convex problem gives Adam average regret not "
          "tending to 0", "property", methods=("adam",),
          judgments=Exists(OMEGA_1, "Omega(1) average regret for some C of the grid"), hypotheses=ONLINE_CONVEX, coverage="every beta_1 < sqrt(beta_2) tested on a grid of (beta_1, beta_2) cells, C searched over a grid"),
    Claim("RKK-3", "Thm. 3", "for every beta_1 < sqrt(beta_2) some stochastic convex problem keeps Adam from the optimum",
          "property", methods=("adam",),
          judgments=Exists(OMEGA_1, "Omega(1) average pseudo-regret for some C of the grid"), hypotheses=ONLINE_CONVEX, coverage="every beta_1 < sqrt(beta_2) tested on a grid of (beta_1, beta_2) cells, C searched over a grid"),
]
ROLES = ("adam",)
# tiny (a conformance cell's verdict): 256 periods, the fewest whose doubling checkpoints give every claim's window,
# from 2 periods on, the 2 decades a rate check needs (MIN_DECADES); C = 12, the grid's witness there, and C = 3 (period
# lcm 12: 3072 rounds where C = 48 made 24,576). quick and full keep 512 periods, room for a burn-in.
SCALES = {"tiny": {"seeds": 4, "steps": 1024, "cells": ((0.0, 0.5),), "Cs": (3, 12), "periods": 256},
          "quick": {"seeds": 8, "steps": 30_000, "cells": ((0.0, 0.5), (0.5, 0.9), (0.9, 0.99)), "Cs": (3, 12, 48, 192),
                    "periods": 512},
          "full": {"seeds": 32, "steps": 1_000_000, "cells": ((0.0, 0.5), (0.0, 0.9), (0.5, 0.9), (0.0, 0.99), (0.9, 0.99),
                                                               (0.5, 0.999), (0.9, 0.999)), "Cs": (3, 12, 48, 192, 768, 3072),
                   "periods": 512}}
DELTA = 0.1
ALPHA = 0.1  # alpha of alpha_t = alpha/sqrt(t) in the searches (Theorems 2-3 hold for every alpha)


def _late(ctx, adam, obj, betas, alpha, w0, ck, label):
    """Run, then the late average regret (R(T) - R(T/2))/(T/2) of every row."""
    tr = engine.run(obj, adam(lr=inverse_sqrt_t(alpha), betas=betas, eps=1e-8), w0, int(ck[-1]), checkpoints=ck,
                    generator=ctx.generator(label, "rounds"))
    return tr, later_half_average(Curves.of(tr, "regret", role="adam"))


def _frame(c, setting):
    """The curves' table: one row per (seed, step); ``setting`` one label or one per row."""
    return pd.DataFrame({"step": np.tile(c.steps, c.seeds), "late_avg_regret": c.values.reshape(-1), "setting": setting})


def _search(ctx, adam, cells, Cs, obj, ck, claim):
    """Each cell (beta_1, beta_2) with every C at once (one row block per C): its late average regret
    curves per C (the evidence), the grid's medians and the curves' table."""
    w0, S = starts(ctx, claim, len(Cs)), ctx.seeds

    def cell(betas):  # one (beta_1, beta_2) cell, all C at once: an independent unit (ctx.map)
        label = f"{claim}: betas ({betas[0]:g}, {betas[1]:g})"
        tr, late = _late(ctx, adam, obj, betas, ALPHA, w0, ck, label)
        blocks = {f"C = {C:g}": late.rows(slice(k * S, (k + 1) * S)) for k, C in enumerate(Cs)}
        rows = [{"claim": claim, "beta1": betas[0], "beta2": betas[1], "C": C,
                 "late_avg_regret": float(np.nanmedian(b.values[:, -1])),
                 "final_x": float(np.median(tr.final[k * S:(k + 1) * S].cpu().numpy()))}
                for k, (C, b) in enumerate(zip(Cs, blocks.values()))]
        return label.split(": ")[1], blocks, rows, _frame(late, np.repeat([f"{label}, C = {C:g}" for C in Cs], S * late.steps.size))

    done = ctx.map(cell, cells)
    grid = pd.DataFrame([r for *_, rows, _ in done for r in rows])
    findings = [f"{lab} (x* = -1, median over seeds): " + "; ".join(f"C = {r['C']:g}: late R/T = {r['late_avg_regret']:.3g}, "
                                                                     f"final x {r['final_x']:.2f}" for r in rows)
                for lab, _, rows, _ in done]
    return {lab: blocks for lab, blocks, *_ in done}, findings, grid, [f for *_, f in done]


def run(ctx, *, steps, cells, Cs, periods) -> StudyResult:
    adam = ctx.method("adam")
    evidence, findings, frames, grids = {}, {}, [], []
    if ctx.wants("RKK-1"):  # Theorem 1's period-3 problem at C = 3 and 10
        evidence["RKK-1"], findings["RKK-1"] = {}, []
        for C in (3.0, 10.0):
            label = f"RKK-1: C = {C:g}"
            tr, late = _late(ctx, adam, periodic_rows([C], ctx.seeds, 3, ctx.dtype), (0.0, 1 / (1 + C * C)),
                             theorem1_step(C), starts(ctx, label), doubling_checkpoints(3, steps), label)
            evidence["RKK-1"][label] = late
            findings["RKK-1"].append(f"C = {C:g}: R(T)/T = {np.nanmedian(tr.metrics['avg_regret'][:, -1]):.4g} at T = "
                                     f"{tr.steps[-1]} (x -> +1 gives 2(C - 2)/3 = {2 * (C - 2) / 3:.4g}); final x median "
                                     f"{np.median(tr.final.cpu().numpy()):.3f}")
            frames.append(_frame(late, label))
    period = int(np.lcm.reduce([int(C) for C in Cs]))
    searches = {"RKK-2": (periodic_rows(Cs, ctx.seeds, dtype=ctx.dtype), doubling_checkpoints(period, max(steps, periods * period))),
                "RKK-3": (stochastic_rows(Cs, DELTA, ctx.seeds, ctx.dtype), doubling_checkpoints(1, steps))}
    for claim, (obj, ck) in searches.items():
        if ctx.wants(claim):
            evidence[claim], findings[claim], grid, f = _search(ctx, adam, cells, Cs, obj, ck, claim)
            frames, grids = frames + f, grids + [grid]
    figures = [{"kind": "curves", "table": "regret", "title": "Adam's average regret over the later half of the rounds, "
                "(R(T) - R(T/2))/(T/2): it does not vanish", "x": "step", "y": "late_avg_regret",
                "hue": "setting", "logx": True, "logy": True}]
    tables = {"regret": pd.concat(frames, ignore_index=True), **({"search": pd.concat(grids, ignore_index=True)} if grids else {})}
    if grids:  # the existence searches: the late average regret at the horizon against C, one line per cell
        tables["search"]["betas"] = tables["search"].apply(lambda r: f"{r.claim}: ({r.beta1:g}, {r.beta2:g})", axis=1)
        figures.append({"kind": "curves", "table": "search", "title": "RKK-2/RKK-3 searches: Adam's late average regret "
                        "at the horizon per (betas, C)", "x": "C", "y": "late_avg_regret", "hue": "betas", "logx": True,
                        "logy": True, "caption": "one line per (claim, betas): the median over seeds at the horizon"})
    return StudyResult(evidence=evidence, findings=findings, tables=tables, figures=figures,
                       setup={"delta": DELTA, "alpha": ALPHA, "cells": [list(c) for c in cells], "Cs": list(Cs)})


if __name__ == "__main__":
    from convcheck.study import main

    main(__file__)

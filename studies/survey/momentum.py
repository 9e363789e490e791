"""GD-5: momentum reduces oscillation (Sec. 2.4, Eq. 8, Figs. 2-3).

Claims:
    GD-5 (as written, a general statement):
        Adding the momentum term of Eq. (8), ``dw_k = alpha dw_{k-1} - eta grad f(w_k)``, "reduces
        the amount of oscillation of updates in gradient descent optimization". No step size or
        alpha is named (Eq. 8 asks alpha > 0), so it is tested over a grid of both.
Kind:
    comparative (paired across seeds), over a grid.
Objective:
    ill-conditioned quadratics: a rotated 2-D one with kappa = 100 (the survey's Fig. 2), a
    50-D one with a geometric spectrum (kappa = 100) and a 20-D one with a uniform spectrum
    (kappa = 1000), random starts.
Optimizer:
    GD with step h/L against heavy ball with the same step and momentum alpha
    (roles ``gd`` and ``momentum``: torch.optim.SGD fits both), for h in (0, 2) and alpha in (0, 1): every cell of
    the grid. Also Polyak's tuned heavy ball as a finding. A supporting reading runs Nesterov's
    momentum (role ``nesterov``: torch.optim.SGD with ``nesterov=True``) over the same grid, with
    the same measures and rule: not the survey's Eq. (8), but the momentum most code uses.
Fit:
    "oscillation" has several natural measures, all taken over the first 100 steps: the
    amplitude (total variation of the error along every eigendirection, relative to its start,
    averaged over the directions: 1 for a monotone approach), the fraction of direction
    reversals of the update, and the path length relative to the distance to w*.
Verdict rule:
    per cell and measure, paired per seed (on the log for amplitude and path length):
    reproduced when the 90% interval of GD - momentum lies above 0, refuted when the 99.8%
    interval lies below 0. A cell is refuted only when all three measures refute, reproduced
    only when all three reproduce, else inconclusive with the disagreement shown
    (``stats.agree``). Cells that repeat a computation count once. The general statement is
    reproduced when every cell is, refuted when any cell is (Holm over the cells); the map of
    cells is a table and a heatmap.
Certified:
    a supporting check, beside the verdict, never in its place:
    over every L-smooth mu-strongly convex function
    with kappa = 100 (a class holding the quadratics above; PEPit, :mod:`convcheck.pep`), from
    ``||w_0 - w*|| <= 1``, the worst case of two oscillation measures that performance
    estimation can express (linear in the Gram matrix) after ``pep_N`` steps: the path energy
    ``sum ||w_{k+1} - w_k||^2`` and the reversal ``-sum <dw_{k+1}, dw_k>``, for heavy ball
    against GD at the same step on the cells ``pep_cells``. Per cell the claim "momentum's worst
    case is at most GD's" is judged on each measure (:func:`convcheck.stats.check_certified`) and
    the measures combine as above (refuted only when both refute). Nesterov's momentum with
    the same coefficients is a finding (not the survey's Eq. 8). The amplitude along
    eigendirections and the count of reversals are not expressible (an absolute value, a sign).
Findings:
    the cells where momentum reduces and where it increases oscillation; the tuned heavy ball's
    contraction per step against ``(sqrt(kappa) - 1)/(sqrt(kappa) + 1)``.
References:
    Polyak (1964); Rumelhart, Hinton & Williams (1986); Goh (2017), Why momentum really works.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import torch

from convcheck import engine, pep
from convcheck.stats import agree, check_certified, combine
from convcheck.objectives import Quadratic
from convcheck.stats import check_linear, check_paired
from convcheck.claims import AS_WRITTEN
from convcheck.study import Claim, StudyResult

NESTEROV = "Nesterov's momentum (torch.optim.SGD's nesterov=True form), the same grid and measures"
CLAIMS = [Claim("GD-5", "Eq. (8), Figs. 2-3", "momentum reduces the oscillation of gradient descent", "comparative",
                methods={AS_WRITTEN: ("momentum", "gd"), NESTEROV: ("nesterov", "gd")}, supporting=(pep.CERTIFIED, NESTEROV))]
ROLES = ("gd", "momentum", "nesterov")

SCALES = {"tiny": {"seeds": 6, "steps": 100, "hs": (0.5, 1.8), "alphas": (0.5, 0.9), "pep_N": 5,
                   "pep_cells": ((0.5, 0.5), (1.5, 0.5))},
          "quick": {"seeds": 32, "steps": 100, "hs": (0.1, 0.5, 1.0, 1.5, 1.8, 1.95), "alphas": (0.1, 0.5, 0.9), "pep_N": 8,
                    "pep_cells": ((0.5, 0.5), (1.0, 0.5), (1.5, 0.5), (1.5, 0.9))},
          "full": {"seeds": 128, "steps": 100, "hs": (0.05, 0.1, 0.25, 0.5, 0.75, 1.0, 1.25, 1.5, 1.8, 1.95),
                   "alphas": (0.1, 0.3, 0.5, 0.7, 0.9, 0.95), "pep_N": 10,
                   "pep_cells": tuple((h, a) for h in (0.5, 1.0, 1.5, 1.8) for a in (0.3, 0.5, 0.9))}}

KAPPA = 100.0


def _problems(ctx):
    return {
        "2-D, kappa 100": Quadratic(torch.tensor([1.0, 1.0 / KAPPA], dtype=ctx.dtype, device="cpu"), ctx.generator("2d"), dtype=ctx.dtype,
                                    device=ctx.device),
        "50-D geometric, kappa 100": Quadratic.random(50, ctx.generator("50d"), L=1.0, kappa=KAPPA, kind="geometric",
                                                      dtype=ctx.dtype, device=ctx.device),
        "20-D uniform, kappa 1000": Quadratic.random(20, ctx.generator("20d"), L=1.0, kappa=1000.0, dtype=ctx.dtype,
                                                     device=ctx.device),
    }


#: The natural measures of "the amount of oscillation of updates": each per row (a run), smaller is less.
MEASURES = {
    "amplitude": "total variation of the error along every eigendirection, relative to its start, averaged over "
                 "the directions (1 for a monotone approach)",
    "reversals": "fraction of steps whose update points against the previous one (<dw_k, dw_{k-1}> < 0)",
    "path length": "length of the path sum ||w_{k+1} - w_k||, relative to ||w_0 - w*|| (1 for a straight approach)",
}


def _oscillation(q, opt, w0, steps) -> dict[str, np.ndarray]:
    """The three oscillation measures (``MEASURES``) of each row's first ``steps`` steps; a diverged
    run is the worst value (+inf) for each."""
    tr = engine.run(q, opt, w0, steps, checkpoints=np.arange(steps + 1), metrics=("gap",), keep_iterates=True)
    W = tr.iterates.double().cpu().numpy()  # (rows, steps + 1, d)
    E = (W - q.w_star.double().cpu().numpy()) @ q.Q.double().cpu().numpy()  # the error in the eigenbasis
    dW = np.diff(W, axis=1)
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        amplitude = (np.abs(np.diff(E, axis=1)).sum(1) / np.abs(E[:, 0])).mean(-1)
        reversals = ((dW[:, 1:] * dW[:, :-1]).sum(-1) < 0).mean(-1)
        path = np.linalg.norm(dW, axis=-1).sum(-1) / np.linalg.norm(E[:, 0], axis=-1)
    return {k: np.where(tr.diverged | ~np.isfinite(v), np.inf, v)
            for k, v in {"amplitude": amplitude, "reversals": reversals, "path length": path}.items()}


# What tests and users may pass besides a scale's config (convcheck.study): name -> what it is.
INJECTIONS = {
    'pep_momentum': "pep_momentum(h, alpha): heavy ball in PEPit's terms (convcheck.pep.heavy_ball), certified over the class",
}


def _grid(ctx, problems, gd, make, steps, hs, alphas, name):
    """GD-5's map for the momentum method ``make(lr, alpha)`` against GD at the same step: per
    distinct cell (problem, h, alpha) the three measures paired over seeds, combined by ``agree``.
    Returns (parts, rows, repeats): the cells' verdicts, the map's rows, the cells that repeat a
    computation already counted."""
    S = ctx.seeds
    parts, rows, seen, repeats = {}, [], set(), []
    for label, q in problems.items():
        w0 = ctx.start_near(q.w_star, label, "w0", scale=2.0)
        W0 = w0.repeat(hs.size, 1)  # rows = h x seeds: one batch per method
        lr = ctx.rows(hs) / q.L
        gd_osc = _oscillation(q, gd(lr=lr), W0, steps)
        for alpha in alphas:
            m_osc = _oscillation(q, make(lr, alpha), W0, steps)
            for k, h in enumerate(hs):
                cell = f"{label}, h={h:g}, alpha={alpha:g}"
                sl = slice(k * S, (k + 1) * S)
                key = np.round(np.concatenate([v[sl] for d in (m_osc, gd_osc) for v in d.values()]), 12).tobytes()
                if key in seen:  # the same computation as a cell already counted: counted once
                    repeats.append(cell)
                    continue
                seen.add(key)
                measures = {m: check_paired(m_osc[m][sl], gd_osc[m][sl], log=m != "reversals", names=(name, "GD"),
                                            measure=f"{m} ({cell})", claim="GD-5") for m in MEASURES}
                parts[cell] = v = agree("GD-5", "momentum", measures, what=cell)
                rows.append({"problem": label, "h": h, "alpha": alpha, "outcome": v.outcome,
                             "cell": f"{label}, alpha={alpha:g}",
                             **{f"effect {m}": float(measures[m].statistic.get("mean_difference", np.nan)) for m in MEASURES},
                             **{f"outcome {m}": measures[m].outcome for m in MEASURES},
                             "median_gd": float(np.median(gd_osc["amplitude"][sl])),
                             "median_momentum": float(np.median(m_osc["amplitude"][sl]))})
    return parts, pd.DataFrame(rows), repeats


def _cells(df):
    return "; ".join(f"{p}: " + ", ".join(f"(h={r.h:g}, a={r.alpha:g})" for r in g.itertuples())
                     for p, g in df.groupby("problem", sort=False)) or "none"


def _nesterov(ctx, problems, gd, steps, hs, alphas):
    """The supporting reading: Nesterov's momentum (role ``nesterov``, torch.optim.SGD's
    ``nesterov=True`` form) over the same grid, measures and rule as Eq. (8)'s heavy ball."""
    nag = ctx.method("nesterov")
    parts, grid, repeats = _grid(ctx, problems, gd, lambda lr, alpha: nag(lr=lr, momentum=alpha), steps, hs, alphas,
                                 "Nesterov")
    held, more = grid[grid.outcome == "reproduced"], grid[grid.outcome == "refuted"]
    v = combine("GD-5", "momentum", parts, seeds=ctx.seeds, reading=NESTEROV, findings=[
        f"Nesterov reduces oscillation by every measure in {len(held)} of {len(grid)} distinct cells: {_cells(held)}",
        f"Nesterov oscillates MORE by every measure (credibly) in {len(more)} cells: {_cells(more)}",
        *([f"{len(repeats)} cells repeat a computation already counted and count once"] if repeats else [])])
    return v.restated(summary=f"{ctx.label('nesterov')} (role nesterov) against GD at the same step, over {len(grid)} "
                              f"distinct cells and the three measures: less oscillation by all three in {len(held)}, more "
                              f"by all three in {len(more)}, undecided or disagreeing in "
                              f"{len(grid) - len(held) - len(more)}"), grid


def run(ctx, *, steps, hs, alphas, pep_N=8, pep_cells=(), pep_momentum=pep.heavy_ball) -> StudyResult:
    problems, hs = _problems(ctx), np.asarray(hs, dtype=float)
    gd = ctx.method("gd")
    parts = []
    if ctx.wants_reading("GD-5", AS_WRITTEN):
        parts.append(_as_written(ctx, problems, gd, steps, hs, alphas))
    if ctx.wants_reading("GD-5", NESTEROV):
        v, grid = _nesterov(ctx, problems, gd, steps, hs, alphas)
        parts.append(StudyResult([v], {"nesterov_grid": grid}, [
            {"kind": "heatmap", "table": "nesterov_grid", "title": "GD-5 (Nesterov): log(GD / Nesterov amplitude) per "
             "cell (blue: Nesterov oscillates less); mark: the cell's verdict", "x": "h", "y": "cell",
             "value": "effect amplitude", "outcome": "outcome"}]))
    if ctx.wants_reading("GD-5", pep.CERTIFIED):
        parts.append(StudyResult([_certified(pep_N, pep_cells, pep_momentum)], {}, []))
    return StudyResult.merge(*parts)


def _as_written(ctx, problems, gd, steps, hs, alphas) -> StudyResult:
    """GD-5 as written: Eq. (8)'s heavy ball (role ``momentum``) against GD over the grid; the
    2-D paths and the tuned heavy ball's contraction as findings."""
    mom, S = ctx.method("momentum"), ctx.seeds

    def make_momentum(lr, alpha):
        return mom(lr=lr, momentum=alpha)

    parts, grid, repeats = _grid(ctx, problems, gd, make_momentum, steps, hs, alphas, "momentum")
    findings, paths = [], []
    for label, q in problems.items():
        w0 = ctx.start_near(q.w_star, label, "w0", scale=2.0)
        if label.startswith("2-D"):
            for name, opt in {"GD": gd(lr=1.8 / q.L), "momentum": make_momentum(1.8 / q.L, 0.5)}.items():
                tr = engine.run(q, opt, w0[:1], steps, checkpoints=np.arange(steps + 1), metrics=("gap",), keep_iterates=True)
                W = tr.iterates[0].cpu().numpy()
                paths.append(pd.DataFrame({"method": f"{name} (h=1.8)", "step": np.arange(steps + 1), "seed": 0,
                                           "x": W[:, 0], "y": W[:, 1]}))
        # Tuned heavy ball: distance contraction vs (sqrt(kappa) - 1)/(sqrt(kappa) + 1).
        sq = math.sqrt(q.L), math.sqrt(q.mu)
        rho = (sq[0] - sq[1]) / (sq[0] + sq[1])
        tr = engine.run(q, make_momentum(4 / (sq[0] + sq[1]) ** 2, rho**2), w0, 300, checkpoints=np.arange(0, 301, 5))
        lin = check_linear(tr.metrics["dist"], tr.steps, rho, kind="theta", window=(30, 300))
        findings.append(f"{label}: tuned heavy ball distance contraction {lin.statistic.get('rho_fit', float('nan')):.4f} "
                        f"per step vs (sqrt(kappa)-1)/(sqrt(kappa)+1) = {rho:.4f} ({lin.outcome})")
    held, more = grid[grid.outcome == "reproduced"], grid[grid.outcome == "refuted"]
    split = grid[grid.outcome == "inconclusive"]
    per_measure = "; ".join(f"{m}: momentum oscillates more in {int((grid[f'outcome {m}'] == 'refuted').sum())}, less in "
                            f"{int((grid[f'outcome {m}'] == 'reproduced').sum())}" for m in MEASURES)
    verdict = combine("GD-5", "momentum", parts, seeds=S, findings=[
        f"momentum reduces oscillation by every measure in {len(held)} of {len(grid)} distinct cells: {_cells(held)}",
        f"momentum oscillates MORE by every measure (credibly) in {len(more)} cells: {_cells(more)}",
        f"the measures disagree or are undecided in {len(split)} cells: {_cells(split)}",
        f"per measure over the cells: {per_measure}",
        "measures: " + "; ".join(f"{m}: {d}" for m, d in MEASURES.items()),
        *([f"{len(repeats)} cells repeat a computation already counted and count once: {', '.join(repeats[:6])}"
           + ("..." if len(repeats) > 6 else "")] if repeats else []), *findings])
    summary = (f"over {len(grid)} distinct cells (h in {[float(h) for h in hs]}, alpha in {list(alphas)}, {len(problems)} "
               f"quadratics) and three measures (amplitude in every eigendirection, direction reversals, path length): "
               f"momentum reduces oscillation by all three in {len(held)}, increases it by all three in {len(more)}, "
               f"the measures disagree or are undecided in {len(split)}")
    if verdict.outcome == "refuted":  # the most convincing counterexample: the largest credible increase
        w = more.loc[more["effect amplitude"].idxmin()]
        summary += (f"; counterexample: {w.problem}, step {w.h:g}/L, alpha = {w.alpha:g}: amplitude {w.median_momentum:.3g} "
                    f"(momentum) vs {w.median_gd:.3g} (GD), medians over seeds, and more reversals and a longer path")
    verdict = verdict.restated(summary=summary)
    q2 = problems["2-D, kappa 100"]
    figures = [
        {"kind": "paths", "table": "paths", "title": "2-D quadratic (kappa = 100): GD (step 1.8/L) vs momentum (alpha 0.5) paths",
         "x": "x", "y": "y", "hue": "method", "contour": {"A": q2.A.cpu().tolist(), "center": q2.w_star.cpu().tolist()}},
        {"kind": "heatmap", "table": "grid", "title": "GD-5: log(GD / momentum amplitude) per cell (blue: momentum oscillates "
         "less); mark: the cell's verdict", "x": "h", "y": "cell", "value": "effect amplitude",
         "outcome": "outcome"},
    ]
    return StudyResult([verdict], {"grid": grid, "paths": pd.concat(paths, ignore_index=True)},
                       figures, {k: v.constants() for k, v in problems.items()})


#: The oscillation measures performance estimation can express (:data:`convcheck.pep.METRICS`).
CERTIFIED_MEASURES = ("path energy", "reversal")


def _certified(N, cells_hs_alphas, momentum=pep.heavy_ball):
    """The supporting verdict: per (h, alpha) cell and measure, heavy ball's worst case over the
    class against GD's at the same step; Nesterov's worst cases as findings."""
    fc = pep.FunctionClass("smooth strongly convex", L=1.0, mu=1.0 / KAPPA)
    gd_worst, heavy, nesterov = {}, {}, {}

    def cells():
        for h, alpha in cells_hs_alphas:
            for m in CERTIFIED_MEASURES:
                if (h, m) not in gd_worst:
                    gd_worst[h, m] = pep.worst_case(pep.gd(h), fc, N, metric=m)
                heavy[h, alpha, m] = pep.worst_case(momentum(h, alpha), fc, N, metric=m)
                nesterov[h, alpha, m] = pep.worst_case(pep.nesterov(h, alpha), fc, N, metric=m)
        return {(f"h={h:g}, alpha={a:g}", m): (w, gd_worst[h, m]) for (h, a, m), w in heavy.items()}

    v = check_certified(cells, claim="GD-5", reading=pep.CERTIFIED, statistic={"instrument": pep.versions()})
    if not heavy:
        return v

    def told(w):
        return f"{w.value:.4g}" if w.status == "optimal" else w.status

    return v.restated(findings=[
        f"worst case over {fc.describe()} after N = {N} steps from ||w_0 - w*|| <= 1, GD / heavy ball / Nesterov at the "
        "same step and coefficient: " + "; ".join(f"h={h:g}, alpha={a:g}, {m}: {told(gd_worst[h, m])} / {told(w)} / "
                                                  f"{told(nesterov[h, a, m])}" for (h, a, m), w in heavy.items())])


if __name__ == "__main__":
    from convcheck.study import main

    main(__file__)

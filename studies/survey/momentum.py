"""GD-5: momentum reduces oscillation (Sec. 2.4, Eq. 8, Figs. 2-3).

Claims:
    GD-5 (as written, a general statement):
        Adding the momentum term of Eq. (8), ``dw_k = alpha dw_{k-1} - eta grad f(w_k)``, "reduces
        the amount of oscillation of updates in gradient descent optimization". No step size or
        alpha is named (Eq. 8 asks alpha > 0), so it is tested over a grid of both.
    Reading "each method at its own speed-tuned step": the policy's other comparison. GD and heavy
    ball each run at the step that reaches ||w - w*|| <= REACH ||w_0 - w*|| in the fewest iterations
    on the instance (a grid search over each method's stable range on starts apart from the
    measured ones, part of the evidence: the tuned steps and their iteration counts are findings
    and a table), one cell per (problem, alpha), the same measures and rule.
Kind:
    comparative (paired across seeds), over a grid.
Objective:
    ill-conditioned quadratics: a rotated 2-D one with kappa = 100 (the survey's Fig. 2), a
    50-D one with a geometric spectrum (kappa = 100) and a 20-D one with a uniform spectrum
    (kappa = 1000), random starts.
Optimizer:
    GD with step h/L against heavy ball with the same step and momentum alpha (roles ``gd`` and
    ``momentum``: torch.optim.SGD fits both), for h in (0, 2) and alpha in (0, 1): every cell of
    the grid; Polyak's tuned heavy ball as a finding. A supporting reading runs Nesterov's momentum
    (role ``nesterov``: torch.optim.SGD with ``nesterov=True``) over the same grid, measures and
    rule: not the survey's Eq. (8), but the momentum most code uses.
Fit:
    "oscillation" has several natural measures, all taken over the first 100 steps: the
    amplitude (total variation of the error along every eigendirection, relative to its start,
    averaged over the directions: 1 for a monotone approach), the fraction of direction
    reversals of the update, and the path length relative to the distance to w*.
Verdict rule:
    declared ``Measures({measure: Comparison(log=...)})`` per cell, for Eq. (8) and for the
    Nesterov reading: per measure, paired per seed (on the log for amplitude and path length),
    reproduced when the 90% interval of GD - momentum lies above 0, refuted when the 99.8%
    interval lies below 0; a cell is refuted only when all three measures refute, reproduced
    only when all three reproduce. Cells that repeat a computation count once. The statement is
    reproduced when every cell is, refuted when any cell is (Holm over the cells); the map of
    the cells' paired effects is a table and a heatmap. The tuned reading: the same per cell and
    over its cells.
Certified:
    a supporting check, beside the verdict, never in its place: over every L-smooth mu-strongly
    convex function with kappa = 100 (a class holding the quadratics above; PEPit,
    :mod:`convcheck.pep`), from ``||w_0 - w*|| <= 1``, the worst case after ``pep_N`` steps of the
    two oscillation measures performance estimation can express (linear in the Gram matrix): the
    path energy ``sum ||w_{k+1} - w_k||^2`` and the reversal ``-sum <dw_{k+1}, dw_k>``, heavy ball
    against GD at the same step on the cells ``pep_cells``. Declared ``Certified``: per cell
    "momentum's worst case is at most GD's" on each measure, refuted only when both refute.
    Nesterov's momentum with the same coefficients is a finding. The amplitude along
    eigendirections and the count of reversals are not expressible (an absolute value, a sign).
Findings:
    the cells where momentum's paired effect points to less and to more oscillation by every
    measure; the tuned heavy ball's measured contraction per step against
    ``(sqrt(kappa) - 1)/(sqrt(kappa) + 1)``.
References:
    Polyak (1964); Rumelhart, Hinton & Williams (1986); Goh (2017), Why momentum really works.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import torch

from convcheck import engine, pep
from convcheck.claims import AS_WRITTEN
from convcheck.evidence import Pair, Samples, WorstCases, above_roundoff
from convcheck.judgments import Certified, Comparison, Measures
from convcheck.objectives import Quadratic
from convcheck.study import Claim, StudyResult

from _survey_searches import SEARCHES

#: The natural measures of "the amount of oscillation of updates": each per row (a run), smaller is less.
MEASURES = {
    "amplitude": "total variation of the error along every eigendirection, relative to its start, averaged over "
                 "the directions (1 for a monotone approach)",
    "reversals": "fraction of steps whose update points against the previous one (<dw_k, dw_{k-1}> < 0)",
    "path length": "length of the path sum ||w_{k+1} - w_k||, relative to ||w_0 - w*|| (1 for a straight approach)",
}
LESS_OSCILLATION = Measures({m: Comparison(log=m != "reversals") for m in MEASURES}, what="oscillation")
NESTEROV = "Nesterov's momentum (torch.optim.SGD's nesterov=True form), the same grid and measures"
TUNED = "each method at its own speed-tuned step, the same measures"
#: The speed a step is tuned for: the iterations until ||w - w*|| <= REACH ||w_0 - w*|| (a setting, not a tolerance).
REACH = 1e-6
CLAIMS = [Claim("GD-5", "Eq. (8), Figs. 2-3", "momentum reduces the oscillation of gradient descent", "comparative",
                readings=(TUNED,), methods={AS_WRITTEN: ("momentum", "gd"), NESTEROV: ("nesterov", "gd"), TUNED: ("momentum", "gd")},
                supporting=(pep.CERTIFIED, NESTEROV),
                judgments={AS_WRITTEN: LESS_OSCILLATION, NESTEROV: LESS_OSCILLATION, TUNED: LESS_OSCILLATION,
                           pep.CERTIFIED: Certified(of="comparative")},
                search={AS_WRITTEN: SEARCHES["GD-5"], NESTEROV: SEARCHES["GD-5 nesterov"]},
                assumes="none: a statement about momentum's paths on any problem",
                coverage="random ill-conditioned quadratics only, over a grid of steps and momenta")]
ROLES = ("gd", "momentum", "nesterov")
SCALES = {"tiny": {"seeds": 6, "steps": 100, "hs": (0.5, 1.8), "alphas": (0.5, 0.9), "pep_N": 5,
                   "pep_cells": ((0.5, 0.5), (1.5, 0.5)), "tune": {"starts": 4, "grid": 8, "budget": 2000}},
          "quick": {"seeds": 32, "steps": 100, "hs": (0.1, 0.5, 1.0, 1.5, 1.8, 1.95), "alphas": (0.1, 0.5, 0.9), "pep_N": 8,
                    "pep_cells": ((0.5, 0.5), (1.0, 0.5), (1.5, 0.5), (1.5, 0.9)),
                    "tune": {"starts": 8, "grid": 16, "budget": 10000}},
          "full": {"seeds": 128, "steps": 100, "hs": (0.05, 0.1, 0.25, 0.5, 0.75, 1.0, 1.25, 1.5, 1.8, 1.95),
                   "alphas": (0.1, 0.3, 0.5, 0.7, 0.9, 0.95), "pep_N": 10, "tune": {"starts": 16, "grid": 32, "budget": 20000},
                   "pep_cells": tuple((h, a) for h in (0.5, 1.0, 1.5, 1.8) for a in (0.3, 0.5, 0.9))}}
INJECTIONS = {
    'pep_momentum': "pep_momentum(h, alpha): heavy ball in PEPit's terms (convcheck.pep.heavy_ball), certified over the class",
}
KAPPA = 100.0


def run(ctx, *, steps, hs, alphas, pep_N=8, pep_cells=(), pep_momentum=pep.heavy_ball, tune=None) -> StudyResult:
    hs, gd = np.asarray(hs, dtype=float), ctx.method("gd")
    problems = {
        "2-D, kappa 100": Quadratic(torch.tensor([1.0, 1.0 / KAPPA], dtype=ctx.dtype, device="cpu"), ctx.generator("2d"),
                                    dtype=ctx.dtype, device=ctx.device),
        "50-D geometric, kappa 100": Quadratic.random(50, ctx.generator("50d"), L=1.0, kappa=KAPPA, kind="geometric",
                                                      dtype=ctx.dtype, device=ctx.device),
        "20-D uniform, kappa 1000": Quadratic.random(20, ctx.generator("20d"), L=1.0, kappa=1000.0, dtype=ctx.dtype,
                                                     device=ctx.device)}
    parts = []
    if ctx.wants_reading("GD-5", AS_WRITTEN):
        grid = _grid(ctx, problems, gd, "momentum", steps, hs, alphas, "momentum", AS_WRITTEN, "grid")
        paths, tuned = _as_written(ctx, problems, gd, ctx.method("momentum"), steps)
        grid.findings[("GD-5", AS_WRITTEN)] += tuned
        parts += [paths, grid]
    if ctx.wants_reading("GD-5", NESTEROV):
        parts.append(_grid(ctx, problems, gd, "nesterov", steps, hs, alphas, "Nesterov", NESTEROV, "nesterov_grid"))
    if ctx.wants_reading("GD-5", TUNED):
        parts.append(_tuned(ctx, problems, gd, ctx.method("momentum"), steps, alphas, **(tune or SCALES["tiny"]["tune"])))
    if ctx.wants_reading("GD-5", pep.CERTIFIED):
        parts.append(_certified(pep_N, pep_cells, pep_momentum))
    return StudyResult.merge(*parts)


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


def _effect(a, b, log) -> float:
    """The mean paired difference GD - method over seeds (of logs for amplitude and path length): > 0
    where the method oscillates less; a pair at the same infinity is a tie."""
    with np.errstate(divide="ignore", invalid="ignore"):
        d = (np.log(b) - np.log(a)) if log else (b - a)
        return float(np.mean(np.where(np.isnan(d), 0.0, d)))


def _grid(ctx, problems, gd, role, steps, hs, alphas, name, reading, table) -> StudyResult:
    """GD-5's map for the momentum method in ``role`` against GD at the same step: per distinct cell
    (problem, h, alpha) the three measures paired over seeds; a cell that repeats a computation
    already counted counts once."""
    S, evidence, rows, seen, repeats, method = ctx.seeds, {}, [], set(), [], ctx.method(role)
    who = f"{name} (role {role})"  # the method under test, named by the role it fills
    for label, q in problems.items():
        W0 = ctx.start_near(q.w_star, label, "w0", scale=2.0).repeat(hs.size, 1)  # rows = h x seeds: one batch per method
        gd_osc = _oscillation(q, gd(lr=ctx.rows(hs) / q.L), W0, steps)
        for alpha in alphas:
            m_osc = _oscillation(q, method(lr=ctx.rows(hs) / q.L, momentum=alpha), W0, steps)
            for k, h in enumerate(hs):
                cell, sl = f"{label}, h={h:g}, alpha={alpha:g}", slice(k * S, (k + 1) * S)
                key = np.round(np.concatenate([v[sl] for d in (m_osc, gd_osc) for v in d.values()]), 12).tobytes()
                if key in seen:
                    repeats.append(cell)
                    continue
                seen.add(key)
                evidence[cell] = {m: Pair(Samples.on(q, m_osc[m][sl], what=f"{m} ({cell})"),
                                          Samples.on(q, gd_osc[m][sl], what=f"{m} ({cell})"), names=(who, "GD")) for m in MEASURES}
                rows.append({"problem": label, "h": h, "alpha": alpha, "cell": f"{label}, alpha={alpha:g}",
                             **{f"effect {m}": _effect(m_osc[m][sl], gd_osc[m][sl], m != "reversals") for m in MEASURES},
                             "median_gd": float(np.median(gd_osc["amplitude"][sl])),
                             "median_momentum": float(np.median(m_osc["amplitude"][sl]))})
    grid = pd.DataFrame(rows)
    effects = grid[[f"effect {m}" for m in MEASURES]].to_numpy()
    grid["direction"] = np.where((effects > 0).all(1), "less by every measure",
                                 np.where((effects < 0).all(1), "more by every measure", "the measures differ"))
    less, more = grid[grid.direction == "less by every measure"], grid[grid.direction == "more by every measure"]
    worst = grid.loc[grid["effect amplitude"].idxmin()]
    findings = [f"{name}'s mean paired effect points to less oscillation by every measure in {len(less)} of {len(grid)} "
                f"distinct cells: {_cells(less)}", f"to more oscillation by every measure in {len(more)} cells: {_cells(more)}",
                f"the largest increase of amplitude: {worst.problem}, step {worst.h:g}/L, alpha = {worst.alpha:g}: "
                f"{worst.median_momentum:.3g} ({name}) vs {worst.median_gd:.3g} (GD), medians over seeds",
                "measures: " + "; ".join(f"{m}: {d}" for m, d in MEASURES.items()),
                *([f"{len(repeats)} cells repeat a computation already counted and count once: {', '.join(repeats[:6])}"
                   + ("..." if len(repeats) > 6 else "")] if repeats else [])]
    figure = {"kind": "heatmap", "table": table, "title": f"GD-5 ({name}): log(GD / {name} amplitude) per cell (blue: {name} "
              "oscillates less)", "x": "h", "y": "cell", "value": "effect amplitude", "outcome": "direction"}
    return StudyResult(evidence={("GD-5", reading): evidence}, findings={("GD-5", reading): findings}, tables={table: grid},
                       figures=[figure])


def _iterations(q, opt, w0, budget) -> tuple[np.ndarray, np.ndarray]:
    """Per row: the iterations until ``||w - w*|| <= REACH ||w_0 - w*||`` (``inf`` where the budget
    ends first or the run diverged), and the final relative distance (``inf`` where it diverged)."""
    ck = np.unique(np.r_[0, np.geomspace(1, budget, 400).astype(int)])
    tr = engine.run(q, opt, w0, budget, checkpoints=ck, metrics=("dist",))
    rel = tr.metrics["dist"] / tr.metrics["dist"][:, :1]
    rel = np.where(np.isfinite(rel), rel, np.inf)
    hit = rel <= REACH
    first = np.where(hit.any(1), ck[np.argmax(hit, axis=1)], np.inf).astype(float)
    return np.where(tr.diverged, np.inf, first), np.where(tr.diverged, np.inf, rel[:, -1])


def tuned_step(q, method, alpha, w0, grid: int, budget: int, **kw) -> tuple[float, np.ndarray, np.ndarray]:
    """The step h/L of ``method`` (momentum ``alpha``; GD when ``alpha`` is None) with the fewest
    iterations to REACH, median over the starts ``w0``, on a grid of ``grid`` steps over the stable
    range (0, 2(1 + alpha)) of heavy ball on a quadratic ((0, 2) for GD): log-spaced from 1% of it to
    its middle, then log-spaced distances to its edge down to 0.1% of it, where the fastest steps
    of ill-conditioned problems lie (GD's 2/(L + mu)); ties and steps that
    reach nothing within ``budget`` are ordered by the median final distance. Returns the step,
    the grid and the median iterations on it."""
    top = 2 * (1 + (alpha or 0.0))
    low = grid // 2  # log-spaced up to top/2, then log-spaced distances to the stability edge, down to top/1000
    hs = np.r_[np.geomspace(0.01 * top, top / 2, low + 1)[:-1], top - np.geomspace(top / 2, top / 1000, grid - low)]
    n = w0.shape[0]
    lr = torch.tensor(np.repeat(hs, n), dtype=w0.dtype, device=w0.device) / q.L
    opt = method(lr=lr, **kw) if alpha is None else method(lr=lr, momentum=alpha)
    its, final = _iterations(q, opt, w0.repeat(grid, 1), budget)
    med_its, med_final = np.median(its.reshape(grid, n), 1), np.median(final.reshape(grid, n), 1)
    best = np.lexsort((med_final, med_its))[0]  # fewest iterations, then the smallest final distance
    return float(hs[best]), hs, med_its


def _tuned(ctx, problems, gd, mom, steps, alphas, *, starts, grid, budget) -> StudyResult:
    """GD-5 with each method at its own speed-tuned step: the step is tuned on ``starts`` separate
    starts (:func:`tuned_step`), and the oscillation measures are taken at it on the grid's starts,
    paired per seed, one cell per (problem, alpha)."""
    evidence, rows, findings = {}, [], []
    for label, q in problems.items():
        tune0 = ctx.start_near(q.w_star, label, "tune", scale=2.0, rows=starts)  # separate from the measured starts
        W0 = ctx.start_near(q.w_star, label, "w0", scale=2.0)
        h_gd, _, its_gd = tuned_step(q, gd, None, tune0, grid, budget)
        gd_osc = _oscillation(q, gd(lr=h_gd / q.L), W0, steps)
        for alpha in alphas:
            h_m, _, its_m = tuned_step(q, mom, alpha, tune0, grid, budget)
            m_osc = _oscillation(q, mom(lr=h_m / q.L, momentum=alpha), W0, steps)
            cell = f"{label}, alpha={alpha:g} (GD at its h={h_gd:.3g}, momentum at its h={h_m:.3g})"
            evidence[cell] = {m: Pair(Samples.on(q, m_osc[m], what=f"{m} ({cell})"), Samples.on(q, gd_osc[m], what=f"{m} ({cell})"),
                                      names=("momentum (role momentum) at its tuned step", "GD at its tuned step")) for m in MEASURES}
            rows.append({"problem": label, "alpha": alpha, "h_gd": h_gd, "h_momentum": h_m,
                         "iterations_gd": float(np.min(its_gd)), "iterations_momentum": float(np.min(its_m)),
                         "excess_amplitude_gd": float(np.median(gd_osc["amplitude"])) - 1,
                         "excess_amplitude_momentum": float(np.median(m_osc["amplitude"])) - 1,
                         **{f"effect {m}": _effect(m_osc[m], gd_osc[m], m != "reversals") for m in MEASURES}})
    table = pd.DataFrame(rows)
    findings += [f"{r.problem}, alpha = {r.alpha:g}: tuned steps h = {r.h_gd:.3g}/L (GD, {r.iterations_gd:g} iterations to "
                 f"{REACH:g}) and {r.h_momentum:.3g}/L (momentum, {r.iterations_momentum:g}); excess amplitude (amplitude - 1, "
                 f"median) {r.excess_amplitude_momentum:.3g} (momentum) vs {r.excess_amplitude_gd:.3g} (GD)" for r in table.itertuples()]
    findings.append(f"tuning: a grid of {grid} steps over each method's stable range, {starts} starts apart from the "
                    f"measured ones, iterations to ||w - w*|| <= {REACH:g} ||w_0 - w*|| within {budget} (median over the starts)")
    return StudyResult(evidence={("GD-5", TUNED): evidence}, findings={("GD-5", TUNED): findings}, tables={"tuned": table})


def _cells(df):
    return "; ".join(f"{p}: " + ", ".join(f"(h={r.h:g}, a={r.alpha:g})" for r in g.itertuples())
                     for p, g in df.groupby("problem", sort=False)) or "none"


def _as_written(ctx, problems, gd, mom, steps) -> tuple[StudyResult, list]:
    """The 2-D paths of GD and Eq. (8)'s heavy ball, and the tuned heavy ball's contraction (findings)."""
    findings, paths = [], []
    for label, q in problems.items():
        w0 = ctx.start_near(q.w_star, label, "w0", scale=2.0)
        if label.startswith("2-D"):
            for name, opt in {"GD": gd(lr=1.8 / q.L), "momentum": mom(lr=1.8 / q.L, momentum=0.5)}.items():
                tr = engine.run(q, opt, w0[:1], steps, checkpoints=np.arange(steps + 1), metrics=("gap",), keep_iterates=True)
                W = tr.iterates[0].cpu().numpy()
                paths.append(pd.DataFrame({"method": f"{name} (h=1.8)", "step": np.arange(steps + 1), "seed": 0,
                                           "x": W[:, 0], "y": W[:, 1]}))
        sq = math.sqrt(q.L), math.sqrt(q.mu)  # Polyak's tuned heavy ball: contraction (sqrt(kappa) - 1)/(sqrt(kappa) + 1)
        rho = (sq[0] - sq[1]) / (sq[0] + sq[1])
        tr = engine.run(q, mom(lr=4 / (sq[0] + sq[1]) ** 2, momentum=rho**2), w0, 300, checkpoints=np.arange(0, 301, 5))
        dist = tr.metrics["dist"]
        fitted = (tr.steps >= 30) & above_roundoff(dist, dist[:, :1]).all(0)  # from step 30 until round-off
        fit = float(np.exp(np.median(np.polyfit(tr.steps[fitted], np.log(dist[:, fitted]).T, 1)[0]))) \
            if fitted.sum() > 1 else float("nan")
        findings.append(f"{label}: tuned heavy ball distance contraction {fit:.4f} per step (least squares on log ||w - w*|| "
                        f"from step 30 until round-off, median over seeds) vs (sqrt(kappa)-1)/(sqrt(kappa)+1) = {rho:.4f}")
    q2 = problems["2-D, kappa 100"]
    figure = {"kind": "paths", "table": "paths", "title": "2-D quadratic (kappa = 100): GD (step 1.8/L) vs momentum (alpha "
              "0.5) paths", "x": "x", "y": "y", "hue": "method", "contour": {"A": q2.A.cpu().tolist(), "center": q2.w_star.cpu().tolist()}}
    return StudyResult(tables={"paths": pd.concat(paths, ignore_index=True)}, figures=[figure],
                       setup={k: v.constants() for k, v in problems.items()}), findings


#: The oscillation measures performance estimation can express (:data:`convcheck.pep.METRICS`).
CERTIFIED_MEASURES = ("path energy", "reversal")


def _certified(N, cells, momentum=pep.heavy_ball) -> StudyResult:
    """Per (h, alpha) cell and measure, heavy ball's worst case over the class against GD's at the
    same step; Nesterov's worst cases as findings."""
    fc, got = pep.FunctionClass("smooth strongly convex", L=1.0, mu=1.0 / KAPPA), {}

    def worst(name, h, alpha, m):
        if (name, h, alpha, m) not in got:
            method = {"GD": lambda: pep.gd(h), "heavy ball": lambda: momentum(h, alpha), "Nesterov": lambda: pep.nesterov(h, alpha)}
            got[name, h, alpha, m] = pep.worst_case(method[name](), fc, N, metric=m)
        return got[name, h, alpha, m]

    cases = WorstCases(lambda: {(f"h={h:g}, alpha={a:g}", m): (worst("heavy ball", h, a, m), worst("GD", h, None, m))
                                for h, a in cells for m in CERTIFIED_MEASURES}, fc.describe(), fc.hypotheses)
    result = StudyResult(evidence={("GD-5", pep.CERTIFIED): {"the class": cases}})
    if pep.available():
        told = {key: f"{w.value:.4g}" if w.status == "optimal" else w.status
                for key, w in ((k, worst(*k)) for h, a in cells for m in CERTIFIED_MEASURES
                               for k in (("GD", h, None, m), ("heavy ball", h, a, m), ("Nesterov", h, a, m)))}
        result.findings[("GD-5", pep.CERTIFIED)] = [
            f"worst case over {fc.describe()} after N = {N} steps from ||w_0 - w*|| <= 1, GD / heavy ball / Nesterov at the "
            "same step and coefficient: " + "; ".join(f"h={h:g}, alpha={a:g}, {m}: {told['GD', h, None, m]} / "
                                                      f"{told['heavy ball', h, a, m]} / {told['Nesterov', h, a, m]}"
                                                      for h, a in cells for m in CERTIFIED_MEASURES)]
    return result


if __name__ == "__main__":
    from convcheck.study import main

    main(__file__)

"""Searches over a whole function class (performance estimation), each answer made a function.

For a deterministic stationary first-order method on a class PEPit describes
(:class:`~convcheck.pep.FunctionClass`), three questions, each a small number of semidefinite
programs over the Gram matrix of the points the method visits (:mod:`convcheck.pep`):

* :func:`exceed` - the worst value of a measure after N steps over the class, against a bound: a
  certified "nowhere above" (the dual bound) or the point set that attains it;
* :func:`boundary` - the parameter (a step size) where the worst case of a measure crosses a bound,
  by bisection: below it the claim holds over the whole class, above it a function breaks it;
* :func:`find_cycle` - a cycle ``s_K = s_0`` of the method's state for K = 1, 2, ...: a method that
  cycles from some start does not converge, which proves no convergence bound exists where no
  worst-case bound could say so.

Every point set found is made a function (:class:`~.interpolation.Interpolant`: the smooth
(strongly) convex interpolation of its points, gradients and values, in the few dimensions the
points span), certified in the class by construction, and run by :func:`convcheck.engine.run`
with the method's own batched implementation from the point set's start: the result counts as
found only when that concrete run breaks the claim (the cycle repeats; the measure exceeds the
bound).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np
import torch

from .. import engine, pep
from .._validation import check_int, check_real
from ..stats import thresholds as th
from .interpolation import Interpolant
from .result import SearchResult

__all__ = ["Stationary", "gd", "heavy_ball", "nesterov", "started", "exceed", "boundary", "find_cycle", "function_of",
           "measured", "cycling"]


@dataclass(frozen=True)
class Stationary:
    """A deterministic stationary method in its two forms: ``step`` in PEPit's terms
    (:func:`convcheck.pep.heavy_ball_step`), ``optimizer()`` the engine's batched update, and
    ``state(points)`` the engine state at a start whose state points are ``points`` (``(S, d)``
    tensors, the iterate first; None: the state at rest, ``optimizer.init``). ``from_rest``: the
    PEP method run from rest (``method(f, x0, N)``), where it is given instead of a ``step``
    (then no cycle can be searched for)."""

    name: str
    step: Callable | None
    optimizer: Callable[[], Any]
    state: Callable[[list], Any] | None = None
    from_rest: Callable | None = None

    def method(self) -> Callable:
        """The PEP method from rest: ``from_rest``, else ``step`` unrolled."""
        if self.from_rest is None and self.step is None:
            raise ValueError(f"The method {self.name!r} must have a 'step' or a 'from_rest' PEP form. Got neither.")
        return self.from_rest or pep.unrolled(self.step)


def gd(eta: float) -> Stationary:
    """Gradient descent with step ``eta``."""
    from ..optim import gradient_descent

    eta = check_real("eta", eta, 0, None, low_open=True)
    return Stationary(f"gd(eta={eta:g})", pep.gd_step(eta), lambda: gradient_descent(eta))


def _momentum_state(points):
    from ..optim.momentum import MomentumState

    return MomentumState(points[0] - points[1])  # dw_{-1} = w_0 - w_{-1}


def heavy_ball(eta: float, alpha: float) -> Stationary:
    """Heavy ball ``w_{k+1} = w_k - eta grad f(w_k) + alpha (w_k - w_{k-1})``."""
    from ..optim import heavy_ball as hb

    eta, alpha = check_real("eta", eta, 0, None, low_open=True), check_real("alpha", alpha, 0, 1, high_open=True)
    return Stationary(f"heavy_ball(eta={eta:g}, alpha={alpha:g})", pep.heavy_ball_step(eta, alpha),
                      lambda: hb(eta, alpha), _momentum_state)


def nesterov(eta: float, alpha: float) -> Stationary:
    """Nesterov's momentum with a constant coefficient (gradient at ``w_k + alpha (w_k - w_{k-1})``)."""
    from ..optim import nesterov as nag

    eta, alpha = check_real("eta", eta, 0, None, low_open=True), check_real("alpha", alpha, 0, 1, high_open=True)
    return Stationary(f"nesterov(eta={eta:g}, alpha={alpha:g})", pep.nesterov_step(eta, alpha),
                      lambda: nag(eta, alpha), _momentum_state)


def started(optimizer, state):
    """``optimizer`` whose run starts from ``state`` instead of the state at rest (a cycle's start)."""
    return optimizer._replace(init=lambda params: state)


def _at(method: Stationary, state: list):
    """The engine's method, started from the state whose points are ``state`` (at rest without ``method.state``)."""
    return started(method.optimizer(), method.state(state)) if method.state else method.optimizer()


def _reduced(points: dict, rtol: float) -> tuple[np.ndarray, np.ndarray, int]:
    """The points and gradients in the coordinates of the subspace they span (relative singular
    values above ``rtol``), the minimiser (row 0) at the origin; and that dimension."""
    x, g = points["x"], points["g"]
    M = np.vstack([x - x[0], g])
    _, sv, Vt = np.linalg.svd(M, full_matrices=False)
    r = max(1, int(np.sum(sv > rtol * sv[0]))) if sv.size and sv[0] > 0 else 1
    B = Vt[:r].T
    return (x - x[0]) @ B, g @ B, r


def function_of(reading, function_class: pep.FunctionClass, name: str):
    """The function of ``function_class`` built from a worst case's or a cycle's points
    (:class:`~.interpolation.Interpolant`) and the start's state points as ``(1, d)`` tensors."""
    pts = reading.points
    x, g, dim = _reduced(pts, th.SEARCH_RANK_RTOL)
    f = pts["f"] - pts["f"][0]
    inst = Interpolant(x, g, f, function_class.L, function_class.mu, minimiser=0, name=name)
    rows = [pts["iterates"][0], *pts.get("start", [])[1:]]
    state = [torch.as_tensor(x[i], dtype=torch.float64, device="cpu").unsqueeze(0) for i in rows]
    return inst, state


def measured(metric: str, objective, iterates: torch.Tensor) -> np.ndarray:
    """A :data:`convcheck.pep.METRICS` measure on a run's iterates ``(S, N + 1, d)``, per seed."""
    w = iterates
    S, C, d = w.shape
    flat = w.reshape(-1, d)
    f = objective.loss(flat).reshape(S, C) - objective.f_star
    dw = w[:, 1:] - w[:, :-1]
    out = {"gap": lambda: f[:, -1],
           "distance": lambda: ((w[:, -1] - objective.w_star) ** 2).sum(-1),
           "gradient": lambda: (objective.grad(w[:, -1]) ** 2).sum(-1),
           "increase": lambda: f[:, -1] - f[:, -2],
           "path energy": lambda: (dw ** 2).sum((-1, -2)),
           "reversal": lambda: -(dw[:, 1:] * dw[:, :-1]).sum((-1, -2))}
    if metric not in out:
        raise ValueError(f"The 'metric' parameter must be one of {list(out)}. Got {metric!r} instead.")
    return out[metric]().detach().cpu().numpy()


def cycling(iterates: torch.Tensor, period: int, w_star: torch.Tensor) -> tuple[np.ndarray, np.ndarray]:
    """Per seed, whether a run's last ``period + 1`` iterates ``(S, >= period + 1, d)`` (one per
    step) close a cycle away from ``w_star``: the last iterate is back within ``SEARCH_CYCLE_RTOL``
    of the one ``period`` steps before, relative to the cycle's radius (the largest distance to w*
    over the period), and that radius is above round-off. Returns (cycling, relative drift)."""
    from ..stats import roundoff_limit

    period = check_int("period", period, 1)
    if iterates.shape[1] < period + 1:
        raise ValueError(f"The 'iterates' parameter must hold at least period + 1 = {period + 1} iterates per seed. "
                         f"Got {iterates.shape[1]} instead.")
    last = iterates[:, -(period + 1):]
    radius = torch.linalg.vector_norm(last - w_star, dim=-1).amax(1).cpu().numpy()
    drift = torch.linalg.vector_norm(last[:, -1] - last[:, 0], dim=-1).cpu().numpy() / np.maximum(radius, 1e-300)
    scale = float(torch.linalg.vector_norm(iterates[:, 0] - w_star, dim=-1).max())
    return (drift <= th.SEARCH_CYCLE_RTOL) & (radius > roundoff_limit(scale)), drift


def _certified(reading) -> bool:
    return reading.status == "optimal" and reading.accuracy <= th.CERT_MAX_ACCURACY


def exceed(method: Stationary, function_class: pep.FunctionClass, N: int, bound: float, *, metric: str = "gap",
           initial: str = "distance", question: str | None = None, reading: pep.WorstCase | None = None) -> SearchResult:
    """Is there a function of the class on which ``metric`` after ``N`` steps of ``method`` (from a
    start satisfying ``initial``, :data:`convcheck.pep.INITIAL`) exceeds ``bound``?

    One candidate: the class's worst case. Found when the solver's point set exceeds the bound by
    more than its accuracy AND the engine's run on the function built from it does too; not found
    when the dual bound is at most ``bound`` plus the accuracy (nothing in the class exceeds it)
    or the solver could not decide. ``best_violation`` = worst case - bound. ``reading``: the same
    worst case already solved (:func:`convcheck.pep.worst_case` of ``method`` unrolled from rest, with
    these N, metric and initial), used instead of solving it again."""
    N = check_int("N", N, 1)
    bound = check_real("bound", bound)
    t0 = time.perf_counter()
    question = question or f"{metric} after {N} steps above {bound:.6g} over {function_class.describe()}"
    wc = reading if reading is not None else pep.worst_case(method.method(), function_class, N, metric=metric,
                                                               initial=initial)
    ok = _certified(wc)
    violation = wc.value - bound
    details = {"worst case": wc.value, "certified upper": wc.upper, "accuracy": wc.accuracy, "status": wc.status,
               "solver": wc.solver, "metric": metric, "initial": initial, "N": N, "bound": bound}
    inst = start = None
    found = False
    if ok and violation > wc.accuracy:
        inst, state = function_of(wc, function_class, f"worst case of {method.name} ({metric}, N = {N})")
        start = state[0]
        tr = engine.run(inst, method.optimizer(), start, N, checkpoints=np.arange(N + 1), keep_iterates=True)
        value = float(measured(metric, inst, tr.iterates)[0])
        details.update({"measured on the built function": value, "relative difference from the worst case":
                        abs(value - wc.value) / max(abs(wc.value), 1e-300), "dimension": inst.dim})
        found = value > bound
    elif ok and wc.upper <= bound + wc.accuracy:
        details["certified"] = f"no function of the class exceeds {bound:.6g}: dual bound {wc.upper:.10g}"
    return SearchResult(question, f"worst case over the class (PEP, {wc.solver})", found, 1, int(ok), violation,
                        {"semidefinite programs": 1, "N": N}, None, time.perf_counter() - t0, inst, start, None, details)


def boundary(family: Callable[[float], Stationary], function_class: pep.FunctionClass, N: int, *, low: float,
             high: float, bound: float = 0.0, metric: str = "gap", initial: str = "distance", rtol: float = 1e-4,
             max_programs: int = 40, question: str | None = None) -> SearchResult:
    """The parameter ``p`` of ``family(p)`` (a step size) above which the worst case of ``metric``
    after ``N`` steps exceeds ``bound``, by bisection on [low, high]: the claim must hold over the
    whole class at ``low`` (dual bound <= bound) and fail at ``high``. Each program decides its
    midpoint as holding, failing, or undecided (within the solver's accuracy of the bound: the
    bisection stops there). The result's instance is the function built at the bracket's upper
    end (:func:`exceed`); ``details["bracket"]`` is the final bracket."""
    low, high = check_real("low", low), check_real("high", high)
    if not high > low:
        raise ValueError(f"The 'high' parameter must be > low = {low!r}. Got {high!r} instead.")
    rtol = check_real("rtol", rtol, 0, 1, low_open=True, high_open=True)
    max_programs = check_int("max_programs", max_programs, 2)
    t0 = time.perf_counter()
    programs = 0

    def judge(p):
        nonlocal programs
        programs += 1
        wc = pep.worst_case(family(p).method(), function_class, N, metric=metric, initial=initial)
        if not _certified(wc):
            return "undecided", wc
        if wc.upper <= bound + wc.accuracy:
            return "holds", wc
        return ("fails" if wc.value > bound + wc.accuracy else "undecided"), wc

    ends = {p: judge(p)[0] for p in (low, high)}
    question = question or f"where {metric} after {N} steps first exceeds {bound:.6g} over {function_class.describe()}"
    budget = {"semidefinite programs": max_programs, "rtol": rtol, "N": N}
    if ends[low] != "holds" or ends[high] != "fails":
        return SearchResult(question, "bisection over the class (PEP)", False, programs, programs, float("nan"), budget,
                            None, time.perf_counter() - t0, details={"ends": ends, "bracket": [low, high]})
    lo, hi = low, high
    while hi - lo > rtol * hi and programs < max_programs:
        mid = 0.5 * (lo + hi)
        verdict, _ = judge(mid)
        if verdict == "undecided":
            break
        lo, hi = (lo, mid) if verdict == "fails" else (mid, hi)
    top = exceed(family(hi), function_class, N, bound, metric=metric, initial=initial)
    details = {"bracket": [lo, hi], "at the upper end": top.details}
    return SearchResult(question, "bisection over the class (PEP)", top.found, programs + 1, programs + 1,
                        top.best_violation, budget, None, time.perf_counter() - t0, top.instance, top.start, None, details)


def find_cycle(method: Stationary, function_class: pep.FunctionClass, periods=range(1, 9), *, repeats: int = 200,
               question: str | None = None) -> SearchResult:
    """A cycle of ``method`` on a function of the class: for each period K in ``periods`` (in
    order), the program of :func:`convcheck.pep.cycle` (minus the closing residual: 0 when a cycle
    exists). The first K whose residual is at most ``SEARCH_CYCLE_TOL`` is built into a function
    and run by the engine from the cycle's first state for ``repeats`` periods: found when the
    iterate is back within ``SEARCH_CYCLE_RTOL`` (relative to the cycle's radius around w*) of
    where it started after every period. ``best_violation``: the largest value (minus the smallest
    residual) over the periods tried; ``details["tried"]`` each period's reading, with
    ``"no cycle (certified)"`` where the dual bound is below minus the threshold."""
    repeats = check_int("repeats", repeats, 1)
    periods = [check_int("periods", int(K), 1) for K in periods]
    if not periods:
        raise ValueError("The 'periods' parameter must name at least one period. Got none.")
    t0 = time.perf_counter()
    question = question or f"a cycle of {method.name} on {function_class.describe()}"
    budget = {"periods": periods, "repeats": repeats}
    tried, best, certified, details = [], float("-inf"), 0, {}
    for K in periods:
        wc = pep.cycle(method.step, function_class, K)
        ok = _certified(wc)
        certified += int(ok)
        tried.append({"K": K, "residual": -wc.value, "certified lower": -wc.upper, "status": wc.status,
                      "accuracy": wc.accuracy, "no cycle (certified)": ok and wc.upper < -th.SEARCH_CYCLE_TOL})
        if not ok:
            continue
        best = max(best, wc.value)
        if wc.value < -th.SEARCH_CYCLE_TOL:
            continue
        residual = -wc.value
        exact = pep.cycle(method.step, function_class, K, closed=True)  # the same cycle, closed to the solver's accuracy
        if _certified(exact) and exact.value > 0.5:
            wc = exact
        inst, state = function_of(wc, function_class, f"cycle of {method.name} (period {K})")
        start = state[0]
        steps = K * repeats
        tr = engine.run(inst, _at(method, state), start, steps, keep_iterates=True,
                        checkpoints=np.unique(np.r_[np.arange(0, steps + 1, K), np.arange(steps - K, steps + 1)]))
        back = tr.iterates[0, tr.steps % K == 0]  # the state's iterate after each whole period
        radius = float(torch.linalg.vector_norm(start - inst.w_star))
        drift = float(torch.linalg.vector_norm(back - start, dim=-1).max()) / max(radius, 1e-300)
        closes, _ = cycling(tr.iterates, K, inst.w_star)
        details = {"K": K, "residual": residual, "closed": wc is exact, "accuracy": wc.accuracy, "dimension": inst.dim, "radius": radius,
                   "drift after each period (max, relative to the start's distance to w*)": drift,
                   "distance to w* at the end": float(tr.metrics["dist"][0, -1])}
        if drift <= th.SEARCH_CYCLE_RTOL and bool(closes[0]):
            return SearchResult(question, "cycle search over the class (PEP)", True, len(tried), certified, best, budget,
                                None, time.perf_counter() - t0, inst, start, method.state(state) if method.state else None,
                                {**details, "tried": tried})
    return SearchResult(question, "cycle search over the class (PEP)", False, len(tried), certified, best, budget, None,
                        time.perf_counter() - t0, details={**details, "tried": tried})

"""Certified worst cases of first-order methods over a function class (performance estimation).

A study measures a method on the instances it builds; this module asks the other question: what
is the *worst* value of a performance measure after N steps over *every* function of a class
(L-smooth convex, L-smooth mu-strongly convex, quadratics with spectrum in [mu, L], convex
G-Lipschitz: subgradients of norm at most G, non-smooth allowed), from every
start with ``||w_0 - w*||^2 <= 1`` (or ``f(w_0) - f* <= 1``)? Performance estimation
(Drori & Teboulle 2014; Taylor, Hendrickx & Glineur 2017) writes that supremum as a
semidefinite program over the Gram matrix of the iterates and gradients; PEPit builds it and an
SDP solver (Clarabel, an interior-point method, through CVXPY) solves it.

What comes back (:class:`WorstCase`) is an instrument's reading, stated as such:

* ``value``: the primal optimum, attained by the iterates, gradients and function values the
  solver returns (a finite set that satisfies the class's interpolation conditions up to the
  solver's residuals, so a function of the class passes through it): a counterexample when it
  exceeds a claimed bound;
* ``upper``: the dual optimum, an upper bound on the worst case certified by the dual
  multipliers (a numerical certificate, not a proof: it holds up to the dual residuals);
* ``status``, ``solver`` and ``errors``: the solver's status and every residual PEPit's own
  feasibility check looks at (duality gap, the Gram matrix's and the dual residual's negative
  eigenvalues, the largest primal constraint violation, the most negative inequality
  multiplier); ``accuracy`` is the largest of them, in the units of the measure.

Judging a claim from these readings is :func:`convcheck.stats.check_certified`'s job. PEPit is an
optional extra (``pip install -e ".[pep]"``, in ``[dev]``); without it :func:`worst_case`
raises :class:`PEPUnavailable`, which the studies turn into an inconclusive verdict.

Methods are written in PEPit's terms: ``method(f, x0, N)`` returns the iterates
``[x_0, ..., x_N]`` built from ``x0`` with ``f.gradient`` (see :func:`gd`, :func:`heavy_ball`,
:func:`nesterov`, :func:`schedule_free`, :func:`exact_line_search`).

What performance estimation cannot express, and so which claims stay measured only: stochastic
gradients with an O(.) rate and no constants (SGD-1..7, MB-*): there is no number to certify;
coordinate-wise scaling by running averages of squared gradients (AdaGrad, RMSProp, Adam: not a
fixed linear combination of gradients); SAM's normalised ascent step g/||g|| (a ratio of Gram
entries); the halving and Armijo line searches of GD-4 (a branch on the outcome of a test);
"the overall pattern is decreasing" on non-convex nets (GD-7, no finite-dimensional class that
describes the instances); identities about backpropagation and the over-parameterised nets'
landscapes (not statements about a method's worst case).
"""

from __future__ import annotations

import contextlib
import io
import threading
import time
import warnings
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

__all__ = ["CERTIFIED", "FunctionClass", "WorstCase", "PEPUnavailable", "worst_case", "cycle", "available", "versions",
           "gd", "heavy_ball", "nesterov", "schedule_free", "exact_line_search", "gd_step", "heavy_ball_step",
           "nesterov_step", "unrolled",
           "METRICS", "INITIAL", "PEPIT_VERSION"]

#: The PEPit release the certified checks were written and cross-checked against (pinned in the
#: ``pep`` extra): its SDP formulation is part of the instrument.
PEPIT_VERSION = "0.5.1"

#: The reading under which a study reports a certified worst case beside its measured verdict.
CERTIFIED = "certified over the class (PEPit)"

#: PEPit keeps its points and functions in class attributes: one problem at a time per process.
_LOCK = threading.Lock()


class PEPUnavailable(ImportError):
    """PEPit (or its solver) is not installed: the certified check cannot run."""


def available() -> bool:
    """Whether PEPit and the Clarabel solver can be imported."""
    try:
        import PEPit  # noqa: F401
        import clarabel  # noqa: F401
    except ImportError:
        return False
    return True


def versions() -> dict:
    """The instrument's versions (PEPit, CVXPY, Clarabel), for the verdict's record."""
    out = {}
    for name, mod in (("PEPit", "PEPit"), ("cvxpy", "cvxpy"), ("clarabel", "clarabel")):
        try:
            out[name] = __import__(mod).__version__
        except (ImportError, AttributeError):
            out[name] = None
    return out


@dataclass(frozen=True)
class FunctionClass:
    """A class of functions PEPit can describe, with its constants.

    ``kind`` is one of :data:`KINDS`: ``"smooth convex"`` (L-smooth convex), ``"smooth strongly
    convex"`` (L-smooth, mu-strongly convex), ``"quadratic"`` (quadratics whose Hessian has its
    spectrum in [mu, L]) or ``"convex lipschitz"`` (convex, G-Lipschitz: every subgradient has norm
    at most ``G``; ``L`` and ``mu`` are not used). ``hypotheses`` names the same class in
    :data:`convcheck.hypotheses.PROPERTIES`.
    """

    kind: str
    L: float = 1.0
    mu: float = 0.0
    G: float = 0.0

    KINDS = ("smooth convex", "smooth strongly convex", "quadratic", "convex lipschitz")

    def __post_init__(self):
        if self.kind not in self.KINDS:
            raise ValueError(f"The 'kind' parameter must be one of {list(self.KINDS)}. Got {self.kind!r} instead.")
        if not (self.L > 0 and np.isfinite(self.L)):
            raise ValueError(f"The 'L' parameter must be a finite number > 0. Got {self.L!r} instead.")
        if not (0 <= self.mu < self.L):
            raise ValueError(f"The 'mu' parameter must lie in [0, L) = [0, {self.L}). Got {self.mu!r} instead.")
        if self.kind == "smooth strongly convex" and self.mu == 0:
            raise ValueError("The 'mu' parameter of a 'smooth strongly convex' class must be > 0. Got 0 instead.")
        if self.kind == "convex lipschitz" and not (self.G > 0 and np.isfinite(self.G)):
            raise ValueError(f"The 'G' parameter of a 'convex lipschitz' class must be a finite number > 0. "
                             f"Got {self.G!r} instead.")

    @property
    def hypotheses(self) -> tuple[str, ...]:
        if self.kind == "convex lipschitz":
            return ("convex", "bounded gradients")
        out = ("convex", "L-smooth")
        return out + (("mu-strongly convex",) if self.mu > 0 else ())

    def describe(self) -> str:
        what = {"smooth convex": f"L-smooth convex functions (L = {self.L:g})",
                "smooth strongly convex": f"L-smooth mu-strongly convex functions (L = {self.L:g}, mu = {self.mu:g})",
                "quadratic": f"quadratics with Hessian spectrum in [{self.mu:g}, {self.L:g}]",
                "convex lipschitz": f"convex G-Lipschitz functions (G = {self.G:g})"}
        return what[self.kind]

    def declare(self, problem):
        from PEPit.functions import (ConvexLipschitzFunction, SmoothConvexFunction, SmoothStronglyConvexFunction,
                                     SmoothStronglyConvexQuadraticFunction)
        if self.kind == "convex lipschitz":
            return problem.declare_function(ConvexLipschitzFunction, M=self.G)
        if self.kind == "smooth convex":
            return problem.declare_function(SmoothConvexFunction, L=self.L)
        if self.kind == "smooth strongly convex":
            return problem.declare_function(SmoothStronglyConvexFunction, mu=self.mu, L=self.L)
        return problem.declare_function(SmoothStronglyConvexQuadraticFunction, mu=self.mu, L=self.L)


# ---- methods in PEPit's terms: method(f, x0, N) -> [x_0, x_1, ..., x_N] -------------------------
#
# A stationary method is one step ``step(f, state) -> state`` on a tuple of points whose first is
# the iterate (heavy ball's state is ``(w_k, w_{k-1})``); the method from a start unrolls it from
# the state at rest, every point equal to ``x0``. The cycle search (:func:`cycle`) closes the same
# step on itself instead.

def gd_step(eta: float) -> Callable:
    """One step of gradient descent, state ``(w_k,)``: ``w_{k+1} = w_k - eta grad f(w_k)``."""
    def step(f, state):
        return (state[0] - eta * f.gradient(state[0]),)
    step.__name__, step.size = f"gd(eta={eta:g})", 1
    return step


def heavy_ball_step(eta: float, alpha: float) -> Callable:
    """One step of heavy ball, state ``(w_k, w_{k-1})``:
    ``w_{k+1} = w_k - eta grad f(w_k) + alpha (w_k - w_{k-1})``."""
    def step(f, state):
        x, prev = state
        return x - eta * f.gradient(x) + alpha * (x - prev), x
    step.__name__, step.size = f"heavy_ball(eta={eta:g}, alpha={alpha:g})", 2
    return step


def nesterov_step(eta: float, alpha: float) -> Callable:
    """One step of Nesterov's momentum with a constant coefficient, state ``(w_k, w_{k-1})``:
    ``y_k = w_k + alpha (w_k - w_{k-1})``, ``w_{k+1} = y_k - eta grad f(y_k)``."""
    def step(f, state):
        x, prev = state
        y = x + alpha * (x - prev)
        return y - eta * f.gradient(y), x
    step.__name__, step.size = f"nesterov(eta={eta:g}, alpha={alpha:g})", 2
    return step


def unrolled(step: Callable) -> Callable:
    """``method(f, x0, N)``: ``N`` steps of ``step`` from the state at rest ``(x0, ..., x0)``."""
    def method(f, x0, N):
        state = (x0,) * step.size
        xs = [x0]
        for _ in range(N):
            state = step(f, state)
            xs.append(state[0])
        return xs
    method.__name__ = step.__name__
    return method


def gd(eta: float) -> Callable:
    """Gradient descent, Eq. (4): ``w_{k+1} = w_k - eta grad f(w_k)``."""
    return unrolled(gd_step(eta))


def heavy_ball(eta: float, alpha: float) -> Callable:
    """Momentum, Eq. (8): ``dw_k = alpha dw_{k-1} - eta grad f(w_k)``, ``w_{k+1} = w_k + dw_k``,
    ``dw_{-1} = 0`` (Polyak's heavy ball)."""
    return unrolled(heavy_ball_step(eta, alpha))


def nesterov(eta: float, alpha: float) -> Callable:
    """Nesterov's momentum with a constant coefficient: ``y_k = w_k + alpha (w_k - w_{k-1})``,
    ``w_{k+1} = y_k - eta grad f(y_k)`` (torch.optim.SGD(nesterov=True) in its own variables)."""
    return unrolled(nesterov_step(eta, alpha))


def schedule_free(gamma, beta: float, weighting: str = "uniform") -> Callable:
    """Schedule-free SGD (:func:`convcheck.optim.schedule_free_sgd`), its average as the iterate:
    ``y_k = (1 - beta) z_k + beta x_k``, ``z_{k+1} = z_k - gamma_{k+1} g(y_k)``,
    ``x_{k+1} = (1 - c) x_k + c z_{k+1}`` from ``z_0 = x_0``; ``gamma`` a number or a schedule of the
    step t = k + 1; ``c = 1/(k + 2)`` (``"uniform"``: x the mean of every z so far) or
    ``gamma_{k+1}^2 / sum_{i <= k+1} gamma_i^2`` (``"lr squared"``: at a constant step ``1/(k + 1)``,
    the start dropped); returns ``[x_0, ..., x_N]``."""
    if weighting not in ("uniform", "lr squared"):
        raise ValueError(f"The 'weighting' parameter must be 'uniform' or 'lr squared'. Got {weighting!r} instead.")

    def method(f, x0, N):
        x, z, xs, total = x0, x0, [x0], 0.0
        for k in range(N):
            g = gamma(k + 1) if callable(gamma) else gamma
            y = (1 - beta) * z + beta * x
            z = z - g * f.gradient(y)
            total += g * g
            c = 1 / (k + 2) if weighting == "uniform" else g * g / total
            x = (1 - c) * x + c * z
            xs.append(x)
        return xs
    step = getattr(gamma, "__name__", "schedule") if callable(gamma) else f"{gamma:g}"
    method.__name__ = f"schedule_free(gamma={step}, beta={beta:g}" + ("" if weighting == "uniform" else f", {weighting}") + ")"
    return method


def exact_line_search() -> Callable:
    """Steepest descent with the exact minimising step along ``-grad f(w_k)`` (Eq. 9)."""
    def method(f, x0, N):
        from PEPit.primitive_steps import exact_linesearch_step

        xs, g = [x0], f.gradient(x0)
        for _ in range(N):
            x, g, _ = exact_linesearch_step(xs[-1], f, [g])
            xs.append(x)
        return xs
    method.__name__ = "exact line search"
    return method


# ---- what is measured, from where --------------------------------------------------------------

#: Performance measures: name -> (what it is, expression from f, the iterates, w*, f*).
METRICS = {
    "gap": ("f(w_N) - f*", lambda f, xs, xstar, fstar: f(xs[-1]) - fstar),
    "distance": ("||w_N - w*||^2", lambda f, xs, xstar, fstar: (xs[-1] - xstar) ** 2),
    "gradient": ("||grad f(w_N)||^2", lambda f, xs, xstar, fstar: f.gradient(xs[-1]) ** 2),
    "increase": ("f(w_N) - f(w_{N-1})", lambda f, xs, xstar, fstar: f(xs[-1]) - f(xs[-2])),
    "path energy": ("sum_k ||w_{k+1} - w_k||^2",
                    lambda f, xs, xstar, fstar: sum(((b - a) ** 2 for a, b in zip(xs[:-1], xs[1:])), 0 * fstar)),
    "reversal": ("-sum_k <w_{k+2} - w_{k+1}, w_{k+1} - w_k> (larger: the path turns back more)",
                 lambda f, xs, xstar, fstar: sum((-((c - b) * (b - a)) for a, b, c in zip(xs[:-2], xs[1:-1], xs[2:])),
                                                 0 * fstar)),
}

#: Initial conditions (the measure is in these units): name -> what it is.
#: "gradient" normalises a start that is not stationary (any one, after scaling w and f): the
#: worst one-step change of f is then bounded away from 0 wherever its sign is certain.
INITIAL = {"distance": "||w_0 - w*||^2 <= 1", "gap": "f(w_0) - f* <= 1", "gradient": "||grad f(w_0)||^2 = 1"}


@dataclass(frozen=True)
class WorstCase:
    """One solved performance-estimation problem (see the module's docstring for each field).

    ``example`` is the primal solution read back at the iterates: ``f(w_k) - f*``,
    ``||grad f(w_k)||`` and ``||w_k - w*||`` for k = 0..N, and the dimension the example lives in
    (the numerical rank of its Gram matrix). ``points`` is the whole primal solution as arrays, for
    building the function it came from (:mod:`convcheck.search`): ``x``, ``g`` ``(n, D)`` and ``f``
    ``(n,)`` at every point the oracle was called on, the minimiser first, then ``iterates``, the
    rows of the iterates ``w_0 .. w_N`` (of a cycle, the state's points before them); not serialised."""

    value: float
    upper: float
    status: str
    solver: str
    errors: dict
    seconds: float
    N: int
    metric: str
    initial: str
    function_class: str
    method: str
    example: dict = field(default_factory=dict)
    attempts: tuple = ()
    L: float = 1.0  # the class's constants, for a bound that depends on them
    mu: float = 0.0
    points: dict = field(default_factory=dict, repr=False, compare=False)

    @property
    def accuracy(self) -> float:
        vals = [v for v in self.errors.values() if v is not None]
        return float(max(vals)) if vals else float("nan")

    def to_json(self) -> dict:
        return {"value": self.value, "upper": self.upper, "status": self.status, "solver": self.solver,
                "accuracy": self.accuracy, "errors": dict(self.errors), "seconds": self.seconds, "N": self.N,
                "metric": self.metric, "initial": self.initial, "function_class": self.function_class,
                "method": self.method, "example": dict(self.example),
                "attempts": list(self.attempts)}


def worst_case(method: Callable, function_class: FunctionClass, N: int, *, metric: str | Callable = "gap",
               initial: str = "distance", solver: str = "auto") -> WorstCase:
    """The worst value of ``metric`` after ``N`` steps of ``method`` over ``function_class``, from
    every start satisfying ``initial`` (:data:`INITIAL`); see :class:`WorstCase`.

    ``metric`` is a name of :data:`METRICS` or ``metric(f, iterates, w*, f*)`` returning a PEPit
    expression linear in the Gram matrix and the function values. A solver failure or an
    unbounded problem is a recorded outcome (``status`` says which, ``value`` is nan), never a crash.
    ``solver="auto"`` tries Clarabel, then SCS where Clarabel is not "optimal" (:data:`_SOLVERS`);
    a CVXPY solver name uses that one alone.
    """
    if not isinstance(N, (int, np.integer)) or N < 1:
        raise ValueError(f"The 'N' parameter must be an integer >= 1. Got {N!r} instead.")
    if initial not in INITIAL:
        raise ValueError(f"The 'initial' parameter must be one of {list(INITIAL)}. Got {initial!r} instead.")
    if isinstance(metric, str):
        if metric not in METRICS:
            raise ValueError(f"The 'metric' parameter must be one of {list(METRICS)} or a callable. Got {metric!r} instead.")
        metric_name, measure = metric, METRICS[metric][1]
    else:
        metric_name, measure = getattr(metric, "__name__", "user metric"), metric
    with _declared(function_class) as (problem, f, xstar, fstar):
        x0 = problem.set_initial_point()
        problem.set_initial_condition({"distance": lambda: (x0 - xstar) ** 2 <= 1, "gap": lambda: f(x0) - fstar <= 1,
                                       "gradient": lambda: f.gradient(x0) ** 2 == 1}[initial]())
        xs = method(f, x0, int(N))
        for x in xs:  # every iterate evaluated, so the example can be read back at each of them
            f.oracle(x)
        problem.set_performance_metric(measure(f, xs, xstar, fstar))
        solved = _solve_all(problem, solver)
        example, points = (_example(f, xs, xstar, fstar, problem), _points(f, xs)) if solved[4] else ({}, {})
    return _reading(solved, example, points, N=int(N), metric=metric_name, initial=initial,
                    function_class=function_class.describe(), method=getattr(method, "__name__", "user method"),
                    L=function_class.L, mu=function_class.mu)


def cycle(step: Callable, function_class: FunctionClass, K: int, *, closed: bool = False,
          solver: str = "auto") -> WorstCase:
    """How nearly the stationary method ``step`` (``step(f, state) -> state``, ``step.size`` points,
    the iterate first: :func:`gd_step`, :func:`heavy_ball_step`, :func:`nesterov_step`) closes a
    cycle of period ``K`` on a function of ``function_class``.

    The state ``s_0`` is free; the measure is minus the closing residual
    ``-sum_j ||s_K[j] - s_0[j]||^2``, maximised under the normalisation
    ``sum_{k<K} ||grad f(w_k)||^2 / L^2 = 1`` (the points then lie at distances of order 1; the
    class and the method are invariant under ``w -> c w, f -> c^2 f``, and the normalisation keeps
    every iterate off the minimisers). So the
    value is 0 when the method cycles with period K (from ``s_0`` it never converges) and negative
    when it cannot; the program is strictly feasible either way, so its dual bound certifies the
    absence of a cycle as well as the primal exhibits one. The reading (value, dual bound,
    residuals, ``points``) is a :class:`WorstCase` with ``N = K``, ``metric = "cycle"``,
    ``initial = "cycle"``.

    ``closed=True`` asks instead for an exact cycle: ``s_K = s_0`` as constraints, the measure
    ``sum_{k<K} ||grad f(w_k)||^2 / L^2`` under ``<= 1`` (1 when a cycle exists, 0 when not). Where
    one exists this program's points close the cycle to the solver's accuracy rather than to the
    square root of the residual program's; where none does the program is degenerate (its only
    feasible points are the minimiser), so it is asked only after the residual program found one."""
    if not isinstance(K, (int, np.integer)) or K < 1:
        raise ValueError(f"The 'K' parameter must be an integer >= 1. Got {K!r} instead.")
    size = getattr(step, "size", None)
    if not isinstance(size, int) or size < 1:
        raise ValueError(f"The 'step' parameter must carry its state's size (step.size, an integer >= 1). Got {size!r} instead.")
    with _declared(function_class) as (problem, f, xstar, fstar):
        start = tuple(problem.set_initial_point() for _ in range(size))
        state, xs = start, []
        for _ in range(int(K)):
            xs.append(state[0])
            state = step(f, state)
        for x in (*xs, *start[1:]):  # every state point evaluated, so the built function passes through them
            f.oracle(x)
        energy = sum((f.gradient(x) ** 2 for x in xs[1:]), f.gradient(xs[0]) ** 2) / function_class.L ** 2
        gap = sum(((a - b) ** 2 for a, b in zip(state[1:], start[1:])), (state[0] - start[0]) ** 2)
        if closed:
            for a, b in zip(state, start):
                problem.add_constraint((a - b) ** 2 == 0)
            problem.set_initial_condition(energy <= 1)
            problem.set_performance_metric(energy)
        else:
            problem.set_initial_condition(energy == 1)
            problem.set_performance_metric(-gap)
        solved = _solve_all(problem, solver)
        example, points = (_example(f, xs, xstar, fstar, problem), _points(f, xs, start)) if solved[4] else ({}, {})
    return _reading(solved, example, points, N=int(K), metric="cycle", initial="cycle",
                    function_class=function_class.describe(), method=getattr(step, "__name__", "user method"),
                    L=function_class.L, mu=function_class.mu)


@contextlib.contextmanager
def _declared(function_class: FunctionClass):
    """A fresh PEP with ``function_class`` declared, under the module's lock: (problem, f, w*, f*)."""
    if not available():
        raise PEPUnavailable('PEPit and its solver are not installed: pip install -e ".[pep]"')
    from PEPit import PEP

    with _LOCK:
        problem = PEP()
        f = function_class.declare(problem)
        xstar = f.stationary_point()
        yield problem, f, xstar, f(xstar)


def _solve_all(problem, solver: str):
    """``solver="auto"``: each of :data:`_SOLVERS` until one is "optimal"; else the one named."""
    t0 = time.perf_counter()
    attempts = []
    for name in _SOLVERS if solver == "auto" else (solver,):
        status, solver_name, upper, value, errors = _solve(problem, name)
        attempts.append(f"{solver_name}: {status}")
        if status == "optimal":
            break
    return status, solver_name, upper, value, errors, time.perf_counter() - t0, tuple(attempts)


def _reading(solved, example, points, **fields) -> WorstCase:
    status, solver_name, upper, value, errors, seconds, attempts = solved
    return WorstCase(value=value, upper=upper, status=status, solver=solver_name, errors=errors, seconds=seconds,
                     attempts=attempts, example=example, points=points, **fields)


def _points(f, xs, start=()) -> dict:
    """Every oracle point of ``f`` (the minimiser first) as arrays, and the rows of ``xs`` and of
    ``start`` among them."""
    trip = list(f.list_of_points)
    keys = [p.decomposition_dict for p, _, _ in trip]  # PEPit's own test of "the same point"

    def row(x):
        return keys.index(x.decomposition_dict)
    return {"x": np.array([p.eval() for p, _, _ in trip], dtype=np.float64),
            "g": np.array([g.eval() for _, g, _ in trip], dtype=np.float64),
            "f": np.array([float(v.eval()) for _, _, v in trip], dtype=np.float64),
            "iterates": [row(x) for x in xs], "start": [row(x) for x in start]}


#: ``solver="auto"`` tries these in order until one reports "optimal": Clarabel (interior point,
#: residuals about 1e-9) first; SCS (first-order, run to 1e-9 here) where Clarabel fails or is
#: inaccurate, as it can on degenerate problems. Clarabel refines each KKT solve to 1e-15 (at
#: most 50 refinement steps) over a static regularisation of 1e-7: with its defaults (1e-13
#: relative and 1e-12 absolute in 10 steps, 1e-8) degenerate worst-case problems often end
#: "optimal_inaccurate" and fall through to the slower SCS. The certified values hold within the
#: residuals (about 1e-9), which are computed from the solution either way.
_SOLVERS = ("CLARABEL", "SCS")
_SOLVER_OPTIONS = {"CLARABEL": {"iterative_refinement_reltol": 1e-15, "iterative_refinement_abstol": 1e-15,
                                "iterative_refinement_max_iter": 50, "static_regularization_constant": 1e-7},
                   "SCS": {"eps_abs": 1e-9, "eps_rel": 1e-9, "max_iters": 200_000}}


def _solve(problem, solver: str):
    """One solver's attempt: (status, solver, upper, value, residuals); a failure is a status."""
    status, upper, value, errors = "solver error", float("nan"), float("nan"), {}
    try:
        # PEPit prints its own report and CVXPY warns on inaccuracy: both are read from the
        # status and the residuals instead.
        with contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            upper = problem.solve(verbose=0, solver=solver, **_SOLVER_OPTIONS.get(solver, {}))
        status = str(problem.wrapper.prob.status)
        if upper is None:  # unbounded: the measure has no finite worst case over the class
            status, upper, value = "unbounded", float("inf"), float("inf")
        else:
            value, upper = float(problem.objective.eval()), float(upper)
            errors = _residuals(problem, value, upper)
    except Exception as exc:  # noqa: BLE001 - a solver failure is an outcome, recorded with its message
        status = f"solver error: {type(exc).__name__}: {exc}"[:300]
    return status, solver, upper, value, errors


def _residuals(problem, value: float, upper: float) -> dict:
    """The residuals PEPit's ``check_feasibility`` looks at, as numbers (absolute, in the units
    of the measure for the constraint violations and the gap)."""
    ineq = [c for c in problem._list_of_prepared_constraints if c.equality_or_inequality == "inequality"]
    eq = [c for c in problem._list_of_prepared_constraints if c.equality_or_inequality == "equality"]
    viol = [float(c.eval()) for c in ineq] + [abs(float(c.eval())) for c in eq]
    duals = [float(c.eval_dual()) for c in ineq]
    return {
        "duality gap": abs(upper - value),
        "Gram matrix negative eigenvalue": max(0.0, -float(np.linalg.eigvalsh(problem.G_value).min())),
        "primal constraint violation": max([0.0, *viol]),
        "dual residual negative eigenvalue": max(0.0, -float(np.linalg.eigvalsh(problem.residual).min())),
        "negative inequality multiplier": max([0.0, *(-d for d in duals)]),
    }


def _stored_gradient(f, x):
    """The (sub)gradient the oracle recorded at ``x`` (a non-differentiable class makes a new
    subgradient at every call of ``f.gradient``, so the recorded one is looked up)."""
    for p, g, _ in f.list_of_points:
        if p.decomposition_dict == x.decomposition_dict:
            return g
    return f.gradient(x)


def _example(f, xs, xstar, fstar, problem) -> dict:
    """The primal worst case read back at the iterates (the counterexample's data)."""
    fs = float(fstar.eval())
    xstar_v = xstar.eval()
    eig = np.linalg.eigvalsh(problem.G_value)
    return {
        "f_minus_fstar": [float(f(x).eval()) - fs for x in xs],
        "gradient_norm": [float(np.linalg.norm(_stored_gradient(f, x).eval())) for x in xs],
        "distance": [float(np.linalg.norm(x.eval() - xstar_v)) for x in xs],
        "dimension": int(np.sum(eig > 1e-6 * max(eig.max(), 1e-300))),
    }

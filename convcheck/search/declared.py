"""Counterexample searches declared on a claim, run by the library beside the study's verdict.

A claim declares, per reading, which search looks for an instance that breaks it
(``Claim(..., search={reading: declaration})``); the library (:func:`run_declared`, called by
:func:`convcheck.study.run_study`) runs it with the methods in the claim's roles at the run's
scale, checks a found instance's certificates against the claim's hypotheses, and puts the
record in the verdict (:attr:`convcheck.claims.Verdict.search`) and the report. The record never
changes the verdict: it says whether a counterexample is *found* from the claim alone, next to
the one the study chose, and how far the search got (candidates, certified, best violation, the
instance, budget, seed).

Declarations:

* :class:`NoSearch` - none applies, and why (an identity between two computations, a statement
  about one algorithm's arithmetic, a class nothing certifies);
* :class:`StepBoundary` - over a class PEPit describes: the step where the worst one-step change
  of f turns positive (:func:`~.classes.boundary`), and the function built above it, run by the
  method in the role;
* :class:`MomentumOscillation` - over L-smooth mu-strongly convex functions: the worst path energy
  of momentum after N steps (PEP), built into a function (:func:`~.classes.exceed`), on which the
  engine runs momentum and plain GD from the same start: found where momentum's path is longer;
* :class:`WellsLimit` - black box over two wells (:class:`~.wells.TwoWellsFamily`): SGD with the
  claim's steps held in a spurious basin, so f - f* does not go to 0;
* :class:`SlowContraction` - black box over sums of shifted quadratics, each summand
  mu-strongly convex: SGD's contraction at a constant step slower than the claimed 1 - mu/L.

A black-box result counts as found only when the best candidate, built as a concrete problem
(``family.instance``), is run again by the engine on its own and breaks the claim again.
"""

from __future__ import annotations

import dataclasses
import math
import time
from dataclasses import dataclass, field

import numpy as np
import torch

from .. import engine, pep
from .._validation import check_choice
from ..seeding import torch_generator
from .blackbox import ShiftedQuadraticSums, black_box
from .result import SearchResult

__all__ = ["NoSearch", "StepBoundary", "MomentumOscillation", "WellsLimit", "SlowContraction", "run_declared"]

SCALES = ("tiny", "quick", "full")


def _per_scale(name: str, value: dict) -> dict:
    if set(value) != set(SCALES) or any(not isinstance(v, int) or v < 1 for v in value.values()):
        raise ValueError(f"The '{name}' parameter must give a positive integer for each scale {list(SCALES)}. "
                         f"Got {value!r} instead.")
    return dict(value)


@dataclass(frozen=True)
class NoSearch:
    """No search applies to this verdict; ``reason`` says why."""

    reason: str

    def __post_init__(self):
        if not self.reason.strip():
            raise ValueError("The 'reason' parameter must say why no search applies. Got an empty string.")

    def describe(self) -> str:
        return f"no search applies: {self.reason}"


@dataclass(frozen=True)
class StepBoundary:
    """GD's largest step with a certified decrease of f over L-smooth convex functions (L = 1), by
    bisection between ``low`` and ``high`` (:func:`~.classes.boundary`, at most ``programs[scale]``
    semidefinite programs); the function built just above it is run by the method in ``role``
    (``method(lr=h)``): found when f rises there."""

    programs: dict = field(default_factory=lambda: {"tiny": 8, "quick": 16, "full": 30})
    low: float = 1.0
    high: float = 3.0
    role: str = "gd"

    def __post_init__(self):
        object.__setattr__(self, "programs", _per_scale("programs", self.programs))

    def describe(self) -> str:
        return (f"bisection over L-smooth convex functions for the step where f first rises (PEP), in [{self.low:g}, "
                f"{self.high:g}]/L, {self.programs} programs; the built function run by the method in {self.role!r}")

    def find(self, methods, scale, names) -> SearchResult:
        from . import classes

        make = methods[self.role]
        fc = pep.FunctionClass("smooth convex", L=1.0)
        return classes.boundary(lambda h: classes.Stationary(f"gd(h={h:g})", None, lambda: make(lr=h), from_rest=pep.gd(h)),
                                fc, 1, low=self.low, high=self.high, metric="increase", initial="gradient", rtol=1e-5,
                                max_programs=self.programs[scale],
                                question="a step h/L at which GD raises f on an L-smooth convex function")


def _path_energy(tr) -> float:
    dw = tr.iterates[:, 1:] - tr.iterates[:, :-1]
    return float((dw ** 2).sum((-1, -2))[0])


@dataclass(frozen=True)
class MomentumOscillation:
    """Over L-smooth mu-strongly convex functions (L = 1, mu = 1/``kappa``): per cell (h, alpha),
    the worst path energy ``sum ||w_{k+1} - w_k||^2`` of heavy ball (or Nesterov's momentum) after
    ``N`` steps from ``||w_0 - w*|| <= 1`` (PEP; ``nesterov``: Nesterov's form), built into a function
    (:func:`~.classes.exceed`); the engine runs the method in ``role`` (``method(lr=h,
    momentum=alpha)``) and the method in ``gd_role`` (``lr=h``) from the built start for N steps.
    Violation: log of momentum's path energy over GD's on that function (positive: momentum's path
    is longer). ``cells[scale]``: the cells tried, in order, until one is found."""

    cells: dict = field(default_factory=lambda: {"tiny": ((1.0, 0.5),), "quick": ((1.0, 0.5), (1.5, 0.5)),
                                                 "full": ((0.5, 0.5), (1.0, 0.5), (1.5, 0.5), (1.5, 0.9))})
    kappa: float = 100.0
    N: int = 5
    nesterov: bool = False
    role: str = "momentum"
    gd_role: str = "gd"

    def describe(self) -> str:
        kind = "Nesterov's momentum" if self.nesterov else "heavy ball"
        return (f"worst path energy of {kind} after {self.N} steps over L-smooth mu-strongly convex functions (kappa = "
                f"{self.kappa:g}, PEP), built into a function on which the engine runs {self.role!r} and {self.gd_role!r} "
                f"from the same start; cells (h, alpha) per scale {self.cells}")

    def find(self, methods, scale, names) -> SearchResult:
        from . import classes

        check_choice("scale", scale, SCALES)
        t0 = time.perf_counter()
        fc = pep.FunctionClass("smooth strongly convex", L=1.0, mu=1.0 / self.kappa)
        mom, gd = methods[self.role], methods[self.gd_role]
        tried, best, out = [], -math.inf, None
        for h, alpha in self.cells[scale]:
            stat = (classes.nesterov if self.nesterov else classes.heavy_ball)(h, alpha)
            stat = classes.Stationary(stat.name, stat.step, lambda: mom(lr=h, momentum=alpha))
            r = classes.exceed(stat, fc, self.N, 0.0, metric="path energy")
            if r.instance is None:
                tried.append({"cell": [h, alpha], "worst path energy": r.details.get("worst case"), "built": False})
                continue
            runs = {k: engine.run(r.instance, m, r.start, self.N, checkpoints=np.arange(self.N + 1), keep_iterates=True,
                                  compile=False) for k, m in (("momentum", mom(lr=h, momentum=alpha)), ("gd", gd(lr=h)))}
            pe = {k: _path_energy(tr) for k, tr in runs.items()}
            v = math.log(pe["momentum"] / max(pe["gd"], 1e-300))
            tried.append({"cell": [h, alpha], "path energy, momentum": pe["momentum"], "path energy, GD": pe["gd"],
                          "log ratio": v})
            if v > best:
                best, out = v, (r, h, alpha)
            if v > 0:
                break
        found = best > 0
        r = out[0] if out else None
        return SearchResult(f"a function of {fc.describe()} on which momentum's path is longer than GD's", "worst case over "
                            "the class (PEP), then both methods run on the built function", found, len(tried),
                            sum(1 for t in tried if t.get("built", True)), best, {"cells": len(self.cells[scale]), "N": self.N},
                            None, time.perf_counter() - t0, r.instance if r else None, r.start if r else None, None,
                            {"tried": tried, **({"cell": [out[1], out[2]]} if out else {})})


class _BlackBox:
    """What the black-box declarations share: a family, a measure, a budget per scale, the
    confirmation on the concrete instance."""

    def family(self, names):
        raise NotImplementedError

    def measure(self, methods, family, names, scale):
        """``measure(objective, w0, params) -> (candidates,)`` violations, with ``measure.last_trace``
        the engine's last run (what it certified along its iterates)."""
        raise NotImplementedError

    def find(self, methods, scale, names) -> SearchResult:
        check_choice("scale", scale, SCALES)
        fam = self.family(names)
        measure = self.measure(methods, fam, names, scale)
        r = black_box(fam, measure, budget=self.budgets[scale], names=("search", *names), popsize=self.popsize,
                      question=self.question)
        if r.details.get("parameters") is None:
            return r
        params = np.asarray(r.details["parameters"])
        inst, w0 = fam.instance(params)
        # the concrete instance, run by the engine on its own (replicas rows from its start); what that
        # run certifies along its iterates (bounded stochastic gradients) joins the instance's certificates
        again = float(np.asarray(measure(inst, w0, params[None]))[0])
        details = {**r.details, "instance": fam.describe(params), "violation on the concrete instance": again}
        extra = ()
        if measure.last_trace is not None:
            from ..evidence import _run_instance

            held = {c.property for c in inst.certificates() if c.holds}
            extra = tuple(c for c in _run_instance(inst, measure.last_trace).certificates if c.property not in held)
        return dataclasses.replace(r, found=r.found and again > 0, details=details, start=w0, certificates=extra)


def _lr(schedule):
    from ..optim import schedules

    if schedule == "1/t":
        return schedules.inverse_t(1.0)
    if schedule == "1/sqrt t":
        return schedules.inverse_sqrt_t(1.0)
    return float(schedule)


@dataclass(frozen=True)
class WellsLimit(_BlackBox):
    """Black box over two wells (:class:`~.wells.TwoWellsFamily`): SGD (the method in ``role``,
    ``method(lr=...)``, batches of each size in ``batches`` drawn with replacement) with each step
    rule of ``schedules`` (``"1/t"``, ``"1/sqrt t"`` or a constant step) for ``steps[scale]`` steps
    from the candidate's start, ``replicas`` runs each. Violation: over the step rules and batch
    sizes, the least of
    :func:`~.wells.held_above` (the replicas' mean gap, less 3 standard errors, over the last decade,
    in units of the spurious minimum's height, minus 1/2): positive when f - f* stays above half that
    height under every step rule and batch size, where a gap going to 0 (or to O(eta) as eta
    shrinks, or to O(E||e||^2) as the batch grows) would not."""

    schedules: tuple = ("1/t",)
    batches: tuple = (1,)
    steps: dict = field(default_factory=lambda: {"tiny": 200, "quick": 400, "full": 4000})
    budgets: dict = field(default_factory=lambda: {"tiny": 20, "quick": 40, "full": 400})
    replicas: int = 16
    popsize: int = 4
    role: str = "sgd"

    def __post_init__(self):
        object.__setattr__(self, "steps", _per_scale("steps", self.steps))
        object.__setattr__(self, "budgets", _per_scale("budgets", self.budgets))
        for s in self.schedules:
            if s not in ("1/t", "1/sqrt t") and not (isinstance(s, (int, float)) and s > 0):
                raise ValueError(f"The 'schedules' parameter must hold '1/t', '1/sqrt t' or positive steps. Got {s!r}.")

    @property
    def question(self) -> str:
        return (f"a smooth non-convex finite sum with a spurious minimum on which SGD (steps {', '.join(map(str, self.schedules))}, "
                f"batches {', '.join(map(str, self.batches))}) keeps f - f* above half the spurious height")

    def describe(self) -> str:
        return (f"black box over two wells (differential evolution): SGD with steps {list(self.schedules)}, batches {list(self.batches)}, "
                f"{self.replicas} replicas, steps per scale {self.steps}, candidates per scale {self.budgets}")

    def family(self, names):
        from .wells import TwoWellsFamily

        return TwoWellsFamily(replicas=self.replicas, names=names)

    def measure(self, methods, fam, names, scale):
        from ..objectives import WithReplacement
        from .wells import held_above

        sgd, steps = methods[self.role], self.steps[scale]
        ck = engine.log_checkpoints(steps)

        def measure(obj, w0, params):
            C = params.shape[0]
            if w0.shape[0] != C * fam.replicas:  # a concrete instance: its replicas from one start
                w0 = w0.repeat(fam.replicas, 1)
            spurious = getattr(obj, "spurious", None)
            if spurious is None:
                spurious = np.array([obj.f_local - obj.f_star])
            out = np.full(C, np.inf)
            for s in self.schedules:
                for b in self.batches:
                    tr = engine.run(obj, sgd(lr=_lr(s)), w0, steps, checkpoints=ck, sampler=WithReplacement(fam.n, b),
                                    generator=torch_generator("search", *names, str(s), b, C), metrics=("gap",), compile=False)
                    gaps = np.where(tr.diverged[:, None], np.inf, tr.metrics["gap"]).reshape(C, fam.replicas, -1)
                    out = np.minimum(out, held_above(gaps, spurious, tr.steps))
                    measure.last_trace = tr
            return out
        measure.last_trace = None
        return measure


class _SteppedSums(ShiftedQuadraticSums):
    """Sums of shifted quadratics (:class:`~.blackbox.ShiftedQuadraticSums`) with one more
    parameter, the step ``eta L_max`` in [0.02, 0.5] (``eta <= 1/(2L)``)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.bounds = self.bounds + [(0.02, 0.5)]
        self.name = self.name + ", and the step eta L in [0.02, 0.5]"

    def certify(self, params):
        return super().certify(params[:, :-1]) & (params[:, -1] >= 0.02) & (params[:, -1] <= 0.5)

    def build(self, params):
        return super().build(params[:, :-1])

    def instance(self, params):
        return super().instance(params[:-1])

    def describe(self, params) -> str:
        d = self.d
        return (f"{self.n} shifted quadratics, spectrum {np.round(params[:d], 4).tolist()}, step eta L = {params[-1]:.4g}, "
                f"start direction {np.round(params[d:2 * d], 4).tolist()}")


@dataclass(frozen=True)
class SlowContraction(_BlackBox):
    """Black box over sums of ``n`` shifted quadratics in dimension ``d`` with spectrum in
    [``mu``, 1] (every summand mu-strongly convex and L-smooth) and the step: SGD (the method in
    ``role``, batches of ``batch`` with replacement) at the constant step eta from distance 1 for
    the K steps in which the claimed contraction ``1 - mu/L`` (the candidate's own mu and L) falls
    by 1e-2 (at most ``max_steps``). The contraction measured is a lower estimate:
    ``((G_K - F) / G_0)^(1/K)``, G the replicas' mean gap less 3 standard errors, F an upper bound
    of the gradient noise's share of the gap (``L eta sigma*^2 / (b mu)``, sigma*^2 the summands'
    gradient variance at w*, valid for eta <= 1/(2L)). Violation: that contraction minus 1 - mu/L
    (positive: slower than claimed)."""

    batch: int = 1
    n: int = 4
    d: int = 2
    mu: float = 0.05
    budgets: dict = field(default_factory=lambda: {"tiny": 39, "quick": 78, "full": 780})
    replicas: int = 32
    popsize: int = 3
    max_steps: int = 200
    role: str = "sgd"

    def __post_init__(self):
        object.__setattr__(self, "budgets", _per_scale("budgets", self.budgets))

    @property
    def question(self) -> str:
        return (f"a sum of shifted quadratics (each summand mu-strongly convex) on which SGD (batch {self.batch}) at a constant "
                "step contracts slower than 1 - mu/L")

    def describe(self) -> str:
        return (f"black box over sums of {self.n} shifted quadratics in R^{self.d}, spectrum in [{self.mu:g}, 1], and the step "
                f"(differential evolution): SGD's contraction (batch {self.batch}, {self.replicas} replicas, lower estimate) "
                f"against 1 - mu/L; candidates per scale {self.budgets}")

    def family(self, names):
        return _SteppedSums(self.n, self.d, 1.0, self.mu, replicas=self.replicas)

    def measure(self, methods, fam, names, scale):
        from ..objectives import WithReplacement

        sgd, d = methods[self.role], self.d

        def measure(obj, w0, params):
            C = params.shape[0]
            if w0.shape[0] != C * fam.replicas:
                w0 = w0.repeat(fam.replicas, 1)
            lam = params[:, :d]
            mu, L = lam.min(1), lam.max(1)
            rho = 1 - mu / L
            K = np.minimum(self.max_steps, np.ceil(np.log(1e-2) / np.log(np.maximum(rho, 1e-12)))).astype(int)
            K = np.maximum(K, 1)
            eta = params[:, -1] / L
            lr = torch.as_tensor(np.repeat(eta, fam.replicas), dtype=torch.float64, device="cpu")
            T = int(K.max())
            tr = engine.run(obj, sgd(lr=lr), w0, T, checkpoints=np.arange(T + 1), sampler=WithReplacement(fam.n, self.batch),
                            generator=torch_generator("search", *names, "sgd", C), metrics=("gap",), compile=False)
            gaps = tr.metrics["gap"].reshape(C, fam.replicas, -1)
            if hasattr(obj, "noise"):
                noise = obj.noise().cpu().numpy().reshape(C, fam.replicas)[:, 0]
            else:  # a concrete ShiftedQuadratics: the summands' gradient variance at w*
                noise = np.array([obj.sigma2_n])
            F = L * eta * noise / (self.batch * mu)
            out = np.empty(C)
            for c in range(C):
                G = gaps[c, :, :K[c] + 1]
                low = G[:, -1].mean() - 3 * G[:, -1].std(ddof=1) / math.sqrt(G.shape[0]) - F[c]
                out[c] = (low / G[:, 0].mean()) ** (1.0 / K[c]) - rho[c] if low > 0 else -np.inf
            measure.last_trace = tr
            return out
        measure.last_trace = None
        return measure


def _methods(ctx) -> dict:
    return {r: ctx.method(r) for r in ctx.roles}


def run_declared(claim, verdict, declaration, ctx, scale: str) -> dict:
    """The record of ``declaration`` run for ``verdict`` (of ``claim``): what was searched, how hard,
    whether an instance was found that is inside the claim's hypotheses (its certificates, checked
    here) and that the engine's run on it breaks the claim, and a one-line summary."""
    if isinstance(declaration, NoSearch):
        return {"applies": False, "declared": declaration.describe(), "summary": declaration.describe()}
    names = (ctx.study, claim.id, verdict.reading)
    try:
        result = declaration.find(_methods(ctx), scale, names)
    except Exception as exc:  # noqa: BLE001 - a search beside a verdict never decides it: its failure is recorded
        why = f"{type(exc).__name__}: {exc}"[:300]
        return {"applies": True, "declared": declaration.describe(), "found": False, "error": why, "names": list(names),
                "summary": f"the search could not run with the method in the role ({why})"}
    # wall time stays out of the record: a verdict is the same bits whenever it is computed
    record = {"applies": True, "declared": declaration.describe(),
              **{k: v for k, v in result.to_json().items() if k != "seconds"}}
    lacks = []
    if result.found:
        lacks = result.certified_instance().lacks(claim.hypotheses)
        record["inside the hypotheses"] = not lacks
        if lacks:
            record["found"] = False
            record["instance"]["refutes"] = False
            record["summary"] = (f"{result.question}: the best candidate lacks the claim's hypotheses {lacks} and does not "
                                 f"count; {result.summary}")
    record["names"] = list(names)  # a black box is seeded from them; a search over a class is deterministic
    return record

"""Declared judgments: what a claim's verdict is decided by, stated beside the claim.

A claim (and each of its readings) declares one judgment: a bound with its expression, a rate
with its sense, a contraction, a floor over a parameter, a formula for a mean, a paired
comparison, an identity of two computations, a property as a named predicate over evidence,
or a certified worst case over a class. A study only measures (:mod:`convcheck.evidence`);
the library maps each judgment to its check in :mod:`convcheck.stats`, judges every part (an
instance, a setting) of the evidence, combines the parts (Holm inside the claim,
:func:`~convcheck.stats.combine`) and records the instances the verdict rests on *from the
evidence's own provenance*. No study compares a number with a tolerance: the comparison, and the
tolerance, are the judgment's.

=====================  ================  ================================================
judgment               kind              evidence -> check
=====================  ================  ================================================
:class:`Bound`         bound             Curves -> :func:`~convcheck.stats.check_bound`
:class:`Rate`          rate              Curves -> :func:`~convcheck.stats.check_rate`
:class:`Linear`        linear            Curves -> :func:`~convcheck.stats.check_linear`
:class:`Floor`         floor             Sweep -> :func:`~convcheck.stats.check_floors`
:class:`Exponent`      (declared)        Scaling -> :func:`~convcheck.stats.check_exponent`
:class:`Mean`          variance          Samples -> :func:`~convcheck.stats.check_mean`
:class:`Comparison`    comparative       Pair -> :func:`~convcheck.stats.check_paired`
:class:`Spread`        comparative       Pair -> :func:`~convcheck.stats.check_spread`
:class:`Identity`      identity          Computations -> :func:`~convcheck.stats.check_identity`
:class:`AtMost`,       property          Samples -> :func:`~convcheck.stats.check_property`,
:class:`AtLeast`                         the comparison made here with a named tolerance
:class:`Decreasing`    property          Curves: every recorded step decreases (round-off allowed)
:class:`Finite`        property          Curves -> :func:`~convcheck.stats.check_runs_finite`
:class:`Certified`     (the claim's)     WorstCases -> :func:`~convcheck.stats.check_certified`
:class:`Measures`      (its members')    {measure: evidence} -> :func:`~convcheck.stats.agree`
=====================  ================  ================================================

Tolerances are named, never written as numbers: ``Identity("IDENTITY_RTOL")`` reads
:mod:`convcheck.stats.thresholds` (a suite's own reading of a vague word may pass its own
named constant), and round-off tolerances are carried to the evidence's dtype
(:func:`~convcheck.stats.thresholds.carried`).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Callable, ClassVar

import numpy as np

from .claims import AS_WRITTEN, REFUTED, Verdict
from .evidence import Computations, Curves, Pair, Samples, Scaling, Sweep, WorstCases

__all__ = ["KINDS", "Judgment", "Bound", "Rate", "Linear", "Floor", "Exponent", "Mean", "Comparison", "Spread",
           "Identity", "AtMost", "AtLeast", "Decreasing", "Finite", "Certified", "Measures", "judge", "kinds_of"]

#: The kinds of claim (:class:`convcheck.claims.Claim.kind` names one or more of them).
KINDS = ("identity", "bound", "rate", "floor", "linear", "variance", "comparative", "property")


def kinds_of(text: str) -> set[str]:
    """The kinds a claim's ``kind`` text names ("bound + property", "identity (+ supporting rate)")."""
    words = str(text).replace("+", " ").replace("(", " ").replace(")", " ").replace(",", " ").split()
    return {w for w in words if w in KINDS}


def _expect(evidence, types, judgment) -> None:
    if not isinstance(evidence, types):
        names = " or ".join(t.__name__ for t in (types if isinstance(types, tuple) else (types,)))
        raise TypeError(f"{type(judgment).__name__} judges {names} evidence. Got {type(evidence).__name__} instead.")


def _tolerance(name: str | float, dtype: str | None = None, *, carry: bool = True) -> float:
    """A named tolerance of :mod:`convcheck.stats.thresholds` (or a suite's, passed as a number by
    name from its tolerance module), carried to ``dtype`` when it is a round-off tolerance."""
    from .stats import thresholds as th

    if isinstance(name, str):
        if not hasattr(th, name):
            raise ValueError(f"The 'tolerance' parameter must name a threshold of convcheck.stats.thresholds. "
                             f"Got {name!r} instead.")
        value = float(getattr(th, name))
    else:
        value = float(name)
    if carry and dtype:
        import torch

        value = th.carried(value, getattr(torch, dtype, torch.float64))
    return value


class Judgment:
    """Base class: ``kind`` (one of :data:`KINDS`), ``judge(evidence, claim=...)`` -> Verdict on one
    part, and ``describe()`` in words (shown with the claim)."""

    kind: ClassVar[str] = ""

    def judge(self, evidence, *, claim: str = "") -> Verdict:
        raise NotImplementedError

    def describe(self) -> str:
        fields = ", ".join(f"{f.name}={getattr(self, f.name)!r}" for f in dataclasses.fields(self)
                           if not callable(getattr(self, f.name)))
        return f"{type(self).__name__.lower()}({fields})"


@dataclass(frozen=True)
class Bound(Judgment):
    """``e_t <= B(t)`` at every checkpoint: ``bound`` is a formula in t (``"2/t"``), a callable of the
    step array, or a callable ``(t, constants) -> B`` of the instance's constants.
    ``stochastic``: test the seed mean (None: as the evidence says)."""

    bound: object
    stochastic: bool | None = None
    kind: ClassVar[str] = "bound"

    def judge(self, evidence, *, claim=""):
        from .stats import check_bound

        _expect(evidence, Curves, self)
        bound = self.bound
        if callable(bound) and _takes_two(bound):
            constants = evidence.provenance.constants
            bound = (lambda f: (lambda t: f(t, constants)))(bound)
        stochastic = evidence.stochastic if self.stochastic is None else self.stochastic
        return check_bound(evidence.values, evidence.steps, bound, stochastic=stochastic, claim=claim)


def _takes_two(fn) -> bool:
    import inspect

    try:
        return len(inspect.signature(fn).parameters) >= 2
    except (TypeError, ValueError):
        return False


@dataclass(frozen=True)
class Rate(Judgment):
    """``e_t = O(r(t))`` (``sense="upper"``), ``Theta(r(t))`` (``"theta"``) or ``Omega`` (``"lower"``)
    through the normalised curve; ``window``: the steps fitted (default chosen by the check)."""

    rate: object
    sense: str = "upper"
    window: tuple | None = None
    kind: ClassVar[str] = "rate"

    def judge(self, evidence, *, claim=""):
        from .stats import check_rate

        _expect(evidence, Curves, self)
        return check_rate(evidence.values, evidence.steps, self.rate, self.sense, scale=evidence.scale,
                          window=self.window, claim=claim)


@dataclass(frozen=True)
class Linear(Judgment):
    """Geometric decay with contraction ``rho`` per step: a number, or ``rho(constants)`` of the
    instance's constants (``lambda c: 1 - c["mu"] / c["L"]``)."""

    rho: object
    sense: str = "upper"
    window: tuple | None = None
    kind: ClassVar[str] = "linear"

    def judge(self, evidence, *, claim=""):
        from .stats import check_linear

        _expect(evidence, Curves, self)
        rho = self.rho(evidence.provenance.constants) if callable(self.rho) else float(self.rho)
        return check_linear(evidence.values, evidence.steps, rho, self.sense, window=self.window, scale=evidence.scale,
                            claim=claim)


@dataclass(frozen=True)
class Floor(Judgment):
    """The tail of each curve settles at a floor proportional to ``param ** slope`` (``sense``:
    "theta" two-sided, "upper" O(param^slope) as param -> 0)."""

    slope: float = 1.0
    sense: str = "theta"
    kind: ClassVar[str] = "floor"

    def judge(self, evidence, *, claim=""):
        from .stats import check_floors

        _expect(evidence, Sweep, self)
        verdict, _ = check_floors([c.values for c in evidence.curves], evidence.curves[0].steps, evidence.params,
                                  slope=self.slope, kind=self.sense, claim=claim, param_name=evidence.param_name)
        return verdict


@dataclass(frozen=True)
class Exponent(Judgment):
    """``y ~ x^k`` over a parameter grid (:class:`~convcheck.evidence.Scaling`): ``sense`` "theta"
    (the exponent is k), "at_least" or "at_most". A scaling law is the claim's kind as declared
    (``of``: a rate in a parameter, a property of growth)."""

    exponent: float
    sense: str = "theta"
    of: str = "rate"

    @property
    def kind(self) -> str:  # type: ignore[override]
        return self.of

    def judge(self, evidence, *, claim=""):
        from .stats import check_exponent

        _expect(evidence, Scaling, self)
        return check_exponent(evidence.values, evidence.params, self.exponent, kind=self.sense, what=evidence.what,
                              param_name=evidence.param_name, claim=claim)


@dataclass(frozen=True)
class Mean(Judgment):
    """A Monte-Carlo mean against formulas: ``formulas(constants) -> {name: value}`` and the name
    the claim states (``claimed``)."""

    formulas: Callable
    claimed: str
    kind: ClassVar[str] = "variance"

    def judge(self, evidence, *, claim=""):
        from .stats import check_mean

        _expect(evidence, Samples, self)
        return check_mean(evidence.values, self.formulas(evidence.provenance.constants), self.claimed, claim=claim)


@dataclass(frozen=True)
class Comparison(Judgment):
    """Method ``a`` beats ``b`` on the measure, paired over units: smaller (``smaller=True``) or
    larger, on logs with ``log=True``, by at least ``margin``."""

    smaller: bool = True
    log: bool = False
    margin: float = 0.0
    kind: ClassVar[str] = "comparative"

    def judge(self, evidence, *, claim=""):
        from .stats import check_paired

        _expect(evidence, Pair, self)
        return check_paired(evidence.a.values, evidence.b.values, smaller=self.smaller, log=self.log, margin=self.margin,
                            measure=evidence.a.what, names=evidence.names, claim=claim)


@dataclass(frozen=True)
class Spread(Judgment):
    """Method ``a``'s values spread less over units than ``b``'s (F-test of the variances)."""

    log: bool = False
    kind: ClassVar[str] = "comparative"

    def judge(self, evidence, *, claim=""):
        from .stats import check_spread

        _expect(evidence, Pair, self)
        return check_spread(evidence.a.values, evidence.b.values, log=self.log, measure=evidence.a.what,
                            names=evidence.names, claim=claim)


@dataclass(frozen=True)
class Identity(Judgment):
    """Two computations agree to the named tolerance, carried to their dtype (round-off tolerances)
    or not (a numerical solver's own tolerance: ``carry=False``). Where the evidence carries the
    instrument's own resolution per entry (:attr:`Computations.resolution`), the tolerance at that
    entry is the larger of the two."""

    tolerance: str = "IDENTITY_RTOL"
    carry: bool = True
    kind: ClassVar[str] = "identity"

    def judge(self, evidence, *, claim=""):
        from .stats import check_identity

        _expect(evidence, Computations, self)
        rtol = _tolerance(self.tolerance, evidence.provenance.dtype, carry=self.carry)
        return check_identity(evidence.a, evidence.b, rtol=rtol, what=evidence.what, claim=claim,
                              resolution=evidence.resolution)


@dataclass(frozen=True)
class _Compare(Judgment):
    """A property "the value is at most (at least) ``limit``" on every unit; ``limit`` is a number,
    the name of a threshold, or ``limit(constants)``; ``rtol`` names the round-off allowed (relative
    to the limit). ``sampled``: the units are random draws from a "for every" statement's range, so
    the verdict quotes a failure-rate bound."""

    limit: object
    rtol: str | None = "BOUND_RTOL"
    sampled: bool = False
    what: str = ""
    kind: ClassVar[str] = "property"
    _above: ClassVar[bool] = False

    def judge(self, evidence, *, claim=""):
        from .stats import check_property

        _expect(evidence, Samples, self)
        limit = self.limit
        if isinstance(limit, str):
            limit = _tolerance(limit, carry=False)
        elif callable(limit):
            limit = limit(evidence.provenance.constants)
        limit = np.broadcast_to(np.asarray(limit, dtype=np.float64), evidence.values.shape)
        slack = 0.0 if self.rtol is None else _tolerance(self.rtol, evidence.provenance.dtype) * np.abs(limit)
        v = evidence.values
        holds = (v >= limit - slack) if self._above else (v <= limit + slack)
        holds &= np.isfinite(v)
        sign = ">=" if self._above else "<="
        labels = evidence.labels or [str(i) for i in range(v.size)]
        shown = [f"{lab}: {x:.4g}" for lab, x in zip(labels, v)]
        worst = (np.nanmin if self._above else np.nanmax)(np.where(np.isfinite(v), v, np.nan)) if np.isfinite(v).any() else np.nan
        lim = float(limit.flat[0]) if np.all(limit == limit.flat[0]) else None
        what = self.what or f"{evidence.what} {sign} {lim:.4g}" if lim is not None else (self.what or f"{evidence.what} {sign} its limit")
        return check_property(holds, what=what, labels=shown, undecided=evidence.undecided, claim=claim,
                              sampled=self.sampled, detail=f"{'smallest' if self._above else 'largest'} {worst:.4g}",
                              statistic={"worst": float(worst), "limit": lim, "units": int(v.size)})


@dataclass(frozen=True)
class AtMost(_Compare):
    __doc__ = _Compare.__doc__


@dataclass(frozen=True)
class AtLeast(_Compare):
    __doc__ = _Compare.__doc__
    _above: ClassVar[bool] = True


@dataclass(frozen=True)
class Decreasing(Judgment):
    """"f decreases at every step": ``f_{k+1} <= f_k`` up to ``DESCENT_RTOL * max(1, |f_k|)`` (the
    round-off of evaluating f twice, carried to the run's dtype) at every recorded step of every run;
    a run that diverged does not decrease. The curves must record consecutive steps."""

    kind: ClassVar[str] = "property"

    def judge(self, evidence, *, claim=""):
        from .stats import check_property

        _expect(evidence, Curves, self)
        if evidence.steps.size > 1 and np.any(np.diff(evidence.steps) != 1):
            raise ValueError("Decreasing judges curves recorded at every step (checkpoints 0, 1, 2, ...).")
        f = evidence.values
        tol = _tolerance("DESCENT_RTOL", evidence.provenance.dtype) * np.maximum(1.0, np.abs(f[:, :-1]))
        with np.errstate(invalid="ignore"):
            up = f[:, 1:] > f[:, :-1] + tol
        up |= ~np.isfinite(f[:, 1:])
        holds = ~up.any(axis=1)
        first = [int(evidence.steps[1:][np.argmax(u)]) if u.any() else -1 for u in up]
        labels = [f"run {s}" + (f": f rises at step {k}" if k >= 0 else "") for s, k in enumerate(first)]
        return check_property(holds, what=f"{evidence.metric} decreases at every step", labels=labels, claim=claim,
                              statistic={"increases": int(up.sum())})


@dataclass(frozen=True)
class Finite(Judgment):
    """Every run stays finite (no divergence, the engine's rule)."""

    kind: ClassVar[str] = "property"

    def judge(self, evidence, *, claim=""):
        from .stats import check_runs_finite

        _expect(evidence, Curves, self)
        bad = ~np.isfinite(evidence.values).all(axis=1)
        return check_runs_finite(bad, what=f"runs of {evidence.provenance.describe()}", claim=claim)


@dataclass(frozen=True)
class Certified(Judgment):
    """A bound over a whole function class, from certified worst cases (performance estimation):
    ``bound(worst_case)`` is the claim's value for a cell (a number, or another worst case for "A's
    worst case is at most B's"), from the cell's horizon ``N`` and the class's ``L`` and ``mu``; None
    when the evidence's cells bring their bound. Its kind is the claim's (``of``: a bound, a rate,
    a contraction over the class)."""

    bound: Callable | None = None
    of: str = "bound"

    @property
    def kind(self) -> str:  # type: ignore[override]
        return self.of

    def judge(self, evidence, *, claim=""):
        from . import pep
        from .stats import check_certified

        _expect(evidence, WorstCases, self)
        cells = evidence.cells
        if self.bound is not None:
            def cells(raw=evidence.cells):  # called inside the check: PEPit missing is an inconclusive verdict
                raw = raw() if callable(raw) else raw
                return {label: (w, self.bound(w)) for label, w in raw.items()}
        return check_certified(cells, claim=claim, columns=evidence.columns, statistic={"instrument": pep.versions()})


@dataclass(frozen=True)
class Measures(Judgment):
    """Several natural measures of one vague word, each with its judgment: refuted only when every
    measure refutes (:func:`~convcheck.stats.agree`). The evidence is ``{measure: evidence}``."""

    judgments: dict = field(default_factory=dict)
    what: str = ""

    @property
    def kind(self) -> str:  # type: ignore[override]
        kinds = {j.kind for j in self.judgments.values()}
        return kinds.pop() if len(kinds) == 1 else "+".join(sorted(kinds))

    def judge(self, evidence, *, claim=""):
        from .stats import agree

        if not isinstance(evidence, dict) or set(evidence) != set(self.judgments):
            raise ValueError(f"Measures judges {{measure: evidence}} for the measures {sorted(self.judgments)}. "
                             f"Got {sorted(evidence) if isinstance(evidence, dict) else type(evidence).__name__} instead.")
        return agree(claim, "", {m: j.judge(evidence[m], claim=claim) for m, j in self.judgments.items()}, what=self.what)


def _instance(evidence):
    if isinstance(evidence, dict):  # Measures: every measure of one part is on one instance
        names = {_instance(e).name for e in evidence.values()}
        if len(names) != 1:
            raise ValueError(f"The measures of one part must come from one instance. Got {sorted(names)} instead.")
        return _instance(next(iter(evidence.values())))
    return evidence.instance


def judge(claim, reading: str, judgment: Judgment, parts: dict, *, study: str = "", findings=(), notes=(),
          seeds: int | None = None) -> Verdict:
    """The verdict on ``reading`` of ``claim`` from the evidence ``parts`` (label -> evidence): each
    part judged by ``judgment``, the parts combined (Holm inside the claim; refuted when a part is
    refuted, reproduced when every part is), and the instances recorded from the evidence's own
    provenance: an instance refutes when a part computed on it refutes."""
    from .stats import combine

    if not parts:
        raise ValueError(f"The 'parts' parameter must hold the evidence of {claim.id} [{reading}]. Got none.")
    judged = {label: dataclasses.replace(judgment.judge(ev, claim=claim.id), study=study) for label, ev in parts.items()}
    # each part's instance under the part's name (two settings of one objective class are two
    # instances), with the certificates its evidence carries
    instances = {label: dataclasses.replace(_instance(ev), name=str(label)) for label, ev in parts.items()}
    if len(judged) == 1:
        (label, v), = judged.items()
        out = dataclasses.replace(v, reading=reading, instances=(_instance_json(instances[label], v.outcome == REFUTED),))
        if seeds is not None and out.seeds is None:
            out = dataclasses.replace(out, seeds=seeds)
        return out.restated(findings=findings, notes=notes)
    out = combine(claim.id, study, judged, instances=instances, findings=list(findings), notes=list(notes),
                  **({"seeds": seeds} if seeds is not None else {}))
    return dataclasses.replace(out, reading=reading)


def _instance_json(instance, refutes: bool) -> dict:
    return instance.to_json(refutes=refutes)


AS_WRITTEN = AS_WRITTEN  # re-exported for studies that declare judgments per reading


def _unit_holds(compare: "_Compare", evidence) -> np.ndarray:
    """Per unit, whether ``compare`` (an :class:`AtMost` or :class:`AtLeast`) holds on ``evidence``
    (Samples): the comparison :class:`_Compare` makes, unit by unit; a non-finite value holds nothing."""
    _expect(evidence, Samples, compare)
    limit = compare.limit
    if isinstance(limit, str):
        limit = _tolerance(limit, carry=False)
    elif callable(limit):
        limit = limit(evidence.provenance.constants)
    limit = np.broadcast_to(np.asarray(limit, dtype=np.float64), evidence.values.shape)
    slack = 0.0 if compare.rtol is None else _tolerance(compare.rtol, evidence.provenance.dtype) * np.abs(limit)
    v = evidence.values
    with np.errstate(invalid="ignore"):
        out = (v >= limit - slack) if compare._above else (v <= limit + slack)
    return out & np.isfinite(v)


@dataclass(frozen=True)
class Holds(Judgment):
    """A property of every unit (a run, a critical point) read from several measured quantities: the
    evidence is ``{quantity: Samples}`` (one value per unit each, the same units, one instance), and
    each quantity named here is compared by an :class:`AtMost` or :class:`AtLeast`.

    ``holds``: the unit has the property when all of these comparisons hold (a run reaches the global
    value; a saddle curves downward). ``refutes``: a unit without the property is a counterexample
    only where all of these hold too, a certificate that it stopped where the statement says it cannot
    (a spurious minimum's gradient and Hessian, a saddle a run stalled at); elsewhere it is undecided
    (a run still moving at the end of its budget). Empty: every unit without the property refutes.
    ``applies``: the units the statement speaks of (a critical point that is not a global minimum);
    the others are left out (none left: inconclusive). ``assumes``: what the statement assumes of
    each unit; a unit where one fails makes the verdict inconclusive. ``can_refute=False``: no unit
    is a counterexample, one without the property is undecided (a statement that holds with high
    probability only, which a finite sample may miss). Maps to
    :func:`~convcheck.stats.check_property` (``sampled``: "for every start" read from random draws)."""

    holds: dict
    refutes: dict = field(default_factory=dict)
    applies: dict = field(default_factory=dict)
    assumes: dict = field(default_factory=dict)
    what: str = ""
    sampled: bool = False
    can_refute: bool = True
    kind: ClassVar[str] = "property"

    def judge(self, evidence, *, claim=""):
        from .claims import INCONCLUSIVE
        from .stats import check_property

        names = {n for g in (self.holds, self.refutes, self.applies, self.assumes) for n in g}
        if not isinstance(evidence, dict) or not names <= set(evidence):
            raise ValueError(f"Holds judges {{quantity: Samples}} for the quantities {sorted(names)}. Got "
                             f"{sorted(evidence) if isinstance(evidence, dict) else type(evidence).__name__} instead.")
        sizes = {evidence[n].values.size for n in names}
        if len(sizes) != 1:
            raise ValueError(f"The quantities {sorted(names)} must have one value per unit each. Got sizes {sorted(sizes)} "
                             "instead.")
        size = sizes.pop()
        holds, certified, applies = (self.select(evidence, g) for g in ("holds", "refutes", "applies"))
        first = evidence[next(iter(self.holds))]
        labels = list(first.labels or [str(i) for i in range(size)])
        shown = [f"{lab}: " + ", ".join(f"{n} {evidence[n].values[i]:.3g}" for n in sorted(names)) for i, lab in enumerate(labels)]
        assumed = {f"{n} ({evidence[n].what})": bool(_unit_holds(c, evidence[n]).all()) for n, c in self.assumes.items()}
        what = self.what or f"{first.what}: " + ", ".join(f"{n} {'at least' if c._above else 'at most'} {c.limit}"
                                                          for n, c in self.holds.items())
        if not applies.any():
            return Verdict(claim, "", INCONCLUSIVE, f"{what}: no unit the statement speaks of ({size} measured)",
                           statistic={"instances": 0})
        keep = np.flatnonzero(applies)
        undecided = ~holds & ~certified if self.refutes else ~holds if not self.can_refute else np.zeros(size, dtype=bool)
        return check_property(holds[keep], what=what, labels=[shown[i] for i in keep], undecided=undecided[keep],
                              assumptions=assumed or None, claim=claim, sampled=self.sampled,
                              detail=f"{keep.size} of {size} units the statement speaks of" if keep.size < size else "")

    def select(self, evidence: dict, group: str = "holds") -> np.ndarray:
        """The units of ``evidence`` where every comparison of ``group`` ("holds", "refutes", "applies"
        or "assumes") holds: the units this judgment speaks of, or finds with the property (a study
        starting a method next to the saddles its search found asks for them here)."""
        comparisons = getattr(self, group)
        size = next(iter(evidence.values())).values.size
        out = np.ones(size, dtype=bool)
        for n, c in comparisons.items():
            out &= _unit_holds(c, evidence[n])
        return out


@dataclass(frozen=True)
class All(Judgment):
    """Several statements of one claim, each with its judgment, that must all hold (a threshold: zero
    at or below it, positive above it): the evidence is ``{member: evidence}`` for the members
    measured (at least one); refuted when a member is refuted, reproduced when every measured member
    is (:func:`~convcheck.stats.combine`, Holm over the members). Its kind is its members', or the
    claim's (``of``: a linear convergence settled by a divergence check, a rate and a property)."""

    judgments: dict = field(default_factory=dict)
    of: str | None = None

    @property
    def kind(self) -> str:  # type: ignore[override]
        if self.of:
            return self.of
        kinds = {j.kind for j in self.judgments.values()}
        return kinds.pop() if len(kinds) == 1 else "+".join(sorted(kinds))

    def judge(self, evidence, *, claim=""):
        from .stats import combine

        if not isinstance(evidence, dict) or not evidence or not set(evidence) <= set(self.judgments):
            raise ValueError(f"All judges {{member: evidence}} for some of the members {sorted(self.judgments)}. "
                             f"Got {sorted(evidence) if isinstance(evidence, dict) else type(evidence).__name__} instead.")
        return combine(claim, "", {m: self.judgments[m].judge(e, claim=claim) for m, e in evidence.items()})


@dataclass(frozen=True)
class PerSeed(Judgment):
    """One number per seed (a fitted slope, a log cost ratio; Samples) against ``target``: the
    equivalence test with ``margin`` (``sided="upper"``: only an excess above ``target + margin``
    refutes); non-finite values are left out and counted (:func:`~convcheck.stats.check_per_seed`).
    Its kind is the claim's (``of``)."""

    target: float = 0.0
    margin: float = 0.1
    sided: str = "two"
    of: str = "rate"

    @property
    def kind(self) -> str:  # type: ignore[override]
        return self.of

    def judge(self, evidence, *, claim=""):
        from .stats import check_per_seed

        _expect(evidence, Samples, self)
        return check_per_seed(evidence.values, self.target, margin=self.margin, sided=self.sided, what=evidence.what,
                              claim=claim)


__all__ += ["Holds", "All", "PerSeed"]

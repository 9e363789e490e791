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
:class:`Limit`         (its rate's)      Curves: the gap bounded away from 0 refutes; else the rate
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
           "Identity", "AtMost", "AtLeast", "Decreasing", "Finite", "Certified", "Measures", "Limit", "judge", "kinds_of"]

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
    """Base class: ``kind`` (one of :data:`KINDS`), ``judge(evidence, claim=..., levels=...)`` ->
    Verdict on one part, decided at ``levels`` (a :class:`~convcheck.stats.thresholds.Levels`, handed
    to the check; None: nominal), and ``describe()`` in words (shown with the claim)."""

    kind: ClassVar[str] = ""

    def judge(self, evidence, *, claim: str = "", levels=None) -> Verdict:
        raise NotImplementedError

    def describe(self) -> str:
        fields = ", ".join(f"{f.name}={getattr(self, f.name)!r}" for f in dataclasses.fields(self)
                           if not callable(getattr(self, f.name)))
        return f"{type(self).__name__.lower()}({fields})"


class _DeclaredKind(Judgment):
    """A judgment whose kind is the one its claim declares (``of``): a certified worst case is a bound,
    a rate or a contraction over the class; a scaling law a rate in a parameter."""

    @property
    def kind(self) -> str:  # type: ignore[override]
        return self.of


@dataclass(frozen=True)
class Bound(Judgment):
    """``e_t <= B(t)`` at every checkpoint: ``bound`` is a formula in t (``"2/t"``), a callable of the
    step array, or a callable ``(t, constants) -> B`` of the instance's constants.
    ``stochastic``: test the seed mean (None: as the evidence says)."""

    bound: object
    stochastic: bool | None = None
    kind: ClassVar[str] = "bound"

    def judge(self, evidence, *, claim="", levels=None):
        from .stats import check_bound
        from .stats import thresholds as th

        _expect(evidence, Curves, self)
        bound = self.bound
        if callable(bound) and _takes_two(bound):
            constants = evidence.provenance.constants
            bound = (lambda f: (lambda t: f(t, constants)))(bound)
        stochastic = evidence.stochastic if self.stochastic is None else self.stochastic
        # the round-off of a ratio computed in the run's dtype (the values may have been widened to float64)
        rtol = max(th.BOUND_RTOL, th.ROUNDOFF_FACTOR * _eps(evidence.provenance.dtype))
        return check_bound(evidence.values, evidence.steps, bound, stochastic=stochastic, claim=claim, rtol=rtol, levels=levels)


def _eps(dtype: str) -> float:
    """The machine epsilon of a dtype named as the evidence names it (``"float32"``)."""
    import torch

    return float(torch.finfo(getattr(torch, dtype, torch.float64)).eps)


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

    def judge(self, evidence, *, claim="", levels=None):
        from .stats import check_rate

        _expect(evidence, Curves, self)
        return check_rate(evidence.values, evidence.steps, self.rate, self.sense, scale=evidence.scale,
                          window=self.window, claim=claim, levels=levels)


@dataclass(frozen=True)
class Linear(Judgment):
    """Geometric decay with contraction ``rho`` per step: a number, or ``rho(constants)`` of the
    instance's constants (``lambda c: 1 - c["mu"] / c["L"]``)."""

    rho: object
    sense: str = "upper"
    window: tuple | None = None
    kind: ClassVar[str] = "linear"

    def judge(self, evidence, *, claim="", levels=None):
        from .stats import check_linear

        _expect(evidence, Curves, self)
        rho = self.rho(evidence.provenance.constants) if callable(self.rho) else float(self.rho)
        return check_linear(evidence.values, evidence.steps, rho, self.sense, window=self.window, scale=evidence.scale,
                            claim=claim, levels=levels)


@dataclass(frozen=True)
class Floor(Judgment):
    """The tail of each curve settles at a floor proportional to ``param ** slope`` (``sense``:
    "theta" two-sided, "upper" O(param^slope) as param -> 0)."""

    slope: float = 1.0
    sense: str = "theta"
    kind: ClassVar[str] = "floor"

    def judge(self, evidence, *, claim="", levels=None):
        from .stats import check_floors

        _expect(evidence, Sweep, self)
        verdict, _ = check_floors([c.values for c in evidence.curves], evidence.curves[0].steps, evidence.params,
                                  slope=self.slope, kind=self.sense, claim=claim, param_name=evidence.param_name,
                                  levels=levels)
        return verdict


@dataclass(frozen=True)
class Exponent(_DeclaredKind):
    """``y ~ x^k`` over a parameter grid (:class:`~convcheck.evidence.Scaling`): ``sense`` "theta"
    (the exponent is k), "at_least" or "at_most". A scaling law is the claim's kind as declared
    (``of``: a rate in a parameter, a property of growth)."""

    exponent: float
    sense: str = "theta"
    of: str = "rate"

    def judge(self, evidence, *, claim="", levels=None):
        from .stats import check_exponent

        _expect(evidence, Scaling, self)
        return check_exponent(evidence.values, evidence.params, self.exponent, kind=self.sense, what=evidence.what,
                              param_name=evidence.param_name, claim=claim, levels=levels)


@dataclass(frozen=True)
class Mean(Judgment):
    """A Monte-Carlo mean against formulas: ``formulas(constants) -> {name: value}`` and the name
    the claim states (``claimed``)."""

    formulas: Callable
    claimed: str
    kind: ClassVar[str] = "variance"

    def judge(self, evidence, *, claim="", levels=None):
        from .stats import check_mean

        _expect(evidence, Samples, self)
        return check_mean(evidence.values, self.formulas(evidence.provenance.constants), self.claimed, claim=claim,
                          levels=levels)


@dataclass(frozen=True)
class Comparison(Judgment):
    """Method ``a`` beats ``b`` on the measure, paired over units: smaller (``smaller=True``) or
    larger, on logs with ``log=True``, by at least ``margin``."""

    smaller: bool = True
    log: bool = False
    margin: float = 0.0
    kind: ClassVar[str] = "comparative"

    def judge(self, evidence, *, claim="", levels=None):
        from .stats import check_paired

        _expect(evidence, Pair, self)
        return check_paired(evidence.a.values, evidence.b.values, smaller=self.smaller, log=self.log, margin=self.margin,
                            measure=evidence.a.what, names=evidence.names, claim=claim, levels=levels)


@dataclass(frozen=True)
class Spread(Judgment):
    """Method ``a``'s values spread less over units than ``b``'s (F-test of the variances)."""

    log: bool = False
    kind: ClassVar[str] = "comparative"

    def judge(self, evidence, *, claim="", levels=None):
        from .stats import check_spread

        _expect(evidence, Pair, self)
        return check_spread(evidence.a.values, evidence.b.values, log=self.log, measure=evidence.a.what,
                            names=evidence.names, claim=claim, levels=levels)


@dataclass(frozen=True)
class Identity(Judgment):
    """Two computations agree to the named tolerance, carried to their dtype (round-off tolerances)
    or not (a numerical solver's own tolerance: ``carry=False``). Where the evidence carries the
    instrument's own resolution per entry (:attr:`Computations.resolution`), the tolerance at that
    entry is the larger of the two."""

    tolerance: str = "IDENTITY_RTOL"
    carry: bool = True
    kind: ClassVar[str] = "identity"

    def judge(self, evidence, *, claim="", levels=None):
        from .stats import check_identity

        _expect(evidence, Computations, self)
        rtol = _tolerance(self.tolerance, evidence.provenance.dtype, carry=self.carry)
        return check_identity(evidence.a, evidence.b, rtol=rtol, what=evidence.what, claim=claim,
                              resolution=evidence.resolution, levels=levels)


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

    def judge(self, evidence, *, claim="", levels=None):
        from .stats import check_property

        holds = _unit_holds(self, evidence)
        limit, v = _limit_of(self.limit, evidence), evidence.values
        sign = ">=" if self._above else "<="
        labels = evidence.labels or [str(i) for i in range(v.size)]
        shown = [f"{lab}: {x:.4g}" for lab, x in zip(labels, v)]
        worst = (np.nanmin if self._above else np.nanmax)(np.where(np.isfinite(v), v, np.nan)) if np.isfinite(v).any() else np.nan
        lim = float(limit.flat[0]) if np.all(limit == limit.flat[0]) else None
        what = self.what or f"{evidence.what} {sign} {lim:.4g}" if lim is not None else (self.what or f"{evidence.what} {sign} its limit")
        return check_property(holds, what=what, labels=shown, undecided=evidence.undecided, claim=claim,
                              sampled=self.sampled, detail=f"{'smallest' if self._above else 'largest'} {worst:.4g}",
                              statistic={"worst": float(worst), "limit": lim, "units": int(v.size)}, levels=levels)


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
    a run that diverged does not decrease. The curves must record consecutive steps. The runs are
    the draws a "for every run" is read from: the verdict quotes the Clopper-Pearson bound on the
    rate of runs that rise (:func:`~convcheck.stats.check_property`, ``sampled``)."""

    kind: ClassVar[str] = "property"

    def judge(self, evidence, *, claim="", levels=None):
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
        # "at every step of every run", read from the runs made: the verdict quotes the failure rate they bound
        return check_property(holds, what=f"{evidence.metric} decreases at every step", labels=labels, claim=claim,
                              sampled=True, statistic={"increases": int(up.sum())}, levels=levels)


@dataclass(frozen=True)
class Finite(Judgment):
    """Every run stays finite (no divergence, the engine's rule); the verdict quotes the
    Clopper-Pearson bound on the divergence rate the runs made allow
    (:func:`~convcheck.stats.check_runs_finite`)."""

    kind: ClassVar[str] = "property"

    def judge(self, evidence, *, claim="", levels=None):
        from .stats import check_runs_finite

        _expect(evidence, Curves, self)
        bad = ~np.isfinite(evidence.values).all(axis=1)
        return check_runs_finite(bad, what=f"runs of {evidence.provenance.describe()}", claim=claim, levels=levels)


@dataclass(frozen=True)
class Certified(_DeclaredKind):
    """A bound over a whole function class, from certified worst cases (performance estimation):
    ``bound(worst_case)`` is the claim's value for a cell (a number, or another worst case for "A's
    worst case is at most B's"), from the cell's horizon ``N`` and the class's ``L`` and ``mu``; None
    when the evidence's cells bring their bound. Its kind is the claim's (``of``: a bound, a rate,
    a contraction over the class)."""

    bound: Callable | None = None
    of: str = "bound"

    def judge(self, evidence, *, claim="", levels=None):
        from . import pep
        from .stats import check_certified

        _expect(evidence, WorstCases, self)
        cells = evidence.cells
        if self.bound is not None:
            def cells(raw=evidence.cells):  # called inside the check: PEPit missing is an inconclusive verdict
                raw = raw() if callable(raw) else raw
                return {label: (w, self.bound(w)) for label, w in raw.items()}
        return check_certified(cells, claim=claim, columns=evidence.columns, statistic={"instrument": pep.versions()},
                               levels=levels)


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

    def judge(self, evidence, *, claim="", levels=None):
        from .stats import agree

        if not isinstance(evidence, dict) or set(evidence) != set(self.judgments):
            raise ValueError(f"Measures judges {{measure: evidence}} for the measures {sorted(self.judgments)}. "
                             f"Got {sorted(evidence) if isinstance(evidence, dict) else type(evidence).__name__} instead.")
        return agree(claim, "", {m: _judged(j, evidence[m], claim, levels) for m, j in self.judgments.items()},
                     what=self.what, levels=levels)


def _instance(evidence):
    if isinstance(evidence, dict):  # Measures: every measure of one part is on one instance
        names = {_instance(e).name for e in evidence.values()}
        if len(names) != 1:
            raise ValueError(f"The measures of one part must come from one instance. Got {sorted(names)} instead.")
        return _instance(next(iter(evidence.values())))
    return evidence.instance


def _judged(judgment: Judgment, evidence, claim: str, levels) -> Verdict:
    """``judgment.judge(evidence, claim=claim, levels=levels)``. A judgment whose ``judge`` takes no
    ``levels`` (written before levels were passed) is judged without them only at the nominal levels:
    at a look's levels it would decide at the wrong ones, so that is an error."""
    import inspect

    from .stats import thresholds as th

    try:
        params = inspect.signature(judgment.judge).parameters
    except (TypeError, ValueError):
        params = {"levels": None}
    if "levels" in params or any(p.kind == p.VAR_KEYWORD for p in params.values()):
        return judgment.judge(evidence, claim=claim, levels=levels)
    if th.Levels.of(levels) != th.NOMINAL:
        raise TypeError(f"{type(judgment).__name__}.judge must take 'levels' (a keyword, passed to its check) to be "
                        f"judged at a look's levels {th.Levels.of(levels)}.")
    return judgment.judge(evidence, claim=claim)


def judge(claim, reading: str, judgment: Judgment, parts: dict, *, study: str = "", findings=(), notes=(),
          seeds: int | None = None, levels=None) -> Verdict:
    """The verdict on ``reading`` of ``claim`` from the evidence ``parts`` (label -> evidence): each
    part judged by ``judgment``, the parts combined (Holm inside the claim; refuted when a part is
    refuted, reproduced when every part is), and the instances recorded from the evidence's own
    provenance: an instance refutes when a part computed on it refutes. ``levels``: the FAIL and PASS
    levels every part is judged and the parts combined at (:class:`~convcheck.stats.thresholds.Levels`;
    None: nominal)."""
    from .stats import combine

    if not parts:
        raise ValueError(f"The 'parts' parameter must hold the evidence of {claim.id} [{reading}]. Got none.")
    judged = {label: dataclasses.replace(_judged(judgment, ev, claim.id, levels), study=study) for label, ev in parts.items()}
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
                  levels=levels, **({"seeds": seeds} if seeds is not None else {}))
    return dataclasses.replace(out, reading=reading)


def _instance_json(instance, refutes: bool) -> dict:
    return instance.to_json(refutes=refutes)


AS_WRITTEN = AS_WRITTEN  # re-exported for studies that declare judgments per reading


@dataclass(frozen=True)
class Limit(Judgment):
    """"The gap goes to 0, at the rate ``then``": the limit first, then the rate where it holds.

    The limit is refuted by a gap bounded away from 0, which no horizon can hide: the instance
    certifies a spurious local minimum ``Delta`` above ``f*`` (a "spurious local minimum"
    certificate, with every point of its basin at least ``Delta`` above ``f*``), and on every
    checkpoint of the run's last decade the seed mean's one-sided lower confidence bound (each at
    ``1 - alpha_fail / 2``, ``alpha_fail`` the FAIL level it is judged at; "at every checkpoint" is an intersection of tests, whose p-value is the
    largest of theirs; a diverged run counts as an infinite gap) lies above
    ``fraction * Delta``: the runs sit in that basin and stay there, where a gap going to 0 would
    have fallen below any positive level. Where the instance certifies no spurious minimum, or the
    runs are not held above the level, the limit is not refuted and ``then`` (a :class:`Rate`)
    judges the curves."""

    then: Judgment
    fraction: float = 0.5

    @property
    def kind(self) -> str:  # type: ignore[override]
        return self.then.kind

    def judge(self, evidence, *, claim="", levels=None):
        from scipy import stats as sps

        from .claims import Test
        from .stats import thresholds as th

        levels = th.Levels.of(levels)
        _expect(evidence, Curves, self)
        cert = next((c for c in evidence.instance.certificates if c.property == "spurious local minimum" and c.holds), None)
        rate = _judged(self.then, evidence, claim, levels)
        if cert is None or not cert.value or not cert.value > 0:
            return rate.restated(notes=["limit: the instance certifies no spurious minimum, so the rate alone decides"])
        level = self.fraction * float(cert.value)
        last = evidence.steps >= evidence.steps[-1] / 10
        E = np.where(np.isfinite(evidence.values[:, last]), evidence.values[:, last], np.inf)
        S = E.shape[0]
        mean = E.mean(axis=0)
        with np.errstate(invalid="ignore"):
            se = np.nan_to_num(E.std(axis=0, ddof=1) / np.sqrt(S)) if S > 1 else np.zeros(E.shape[1])
            # "above the level at every checkpoint" is an intersection of one-sided tests: its p-value is
            # the largest of theirs, with no correction for the number of checkpoints
            tstat = np.where(se > 0, (mean - level) / np.where(se > 0, se, 1.0), np.where(mean > level, np.inf, -np.inf))
        p_fail = float(np.max(sps.t.sf(tstat, max(S - 1, 1))))
        lcb = np.where(np.isfinite(mean), mean - sps.t.ppf(1 - levels.fail / 2, max(S - 1, 1)) * se, np.inf)
        held = p_fail < levels.fail / 2
        words = (f"the gap stays bounded away from 0: over the last decade (steps {int(evidence.steps[last][0])}-"
                 f"{int(evidence.steps[-1])}) the seed mean's 99.8% lower bound is at least {lcb.min():.4g}, above the "
                 f"level {level:.4g} ({self.fraction:g} x the gap {cert.value:.4g} of the spurious minimum the instance "
                 f"certifies) at every checkpoint; the mean gap at the horizon is {mean[-1]:.4g} on {S} seeds")
        if held:
            return Verdict(claim, "", REFUTED, f"no limit 0: {words}",
                           statistic={"limit_lcb_min": float(lcb.min()), "limit_level": level, "final_mean_gap": float(mean[-1]),
                                      "rate_outcome": rate.outcome},
                           window=(int(evidence.steps[last][0]), int(evidence.steps[-1])), seeds=S,
                           test=Test(p_fail=p_fail, alpha_fail=levels.fail, alpha_pass=levels.pass_),
                           notes=[f"the rate alone: {rate.outcome}: {rate.summary}"])
        return rate.restated(notes=[f"limit not refuted: the lower bound falls to {lcb.min():.4g} <= {level:.4g}"])


@dataclass(frozen=True)
class RegimeRate(Rate):
    """:class:`Rate` where the claim's asymptotic regime starts at a step the evidence carries
    (:class:`~convcheck.evidence.Regime`): the fit window is ``[start, inf)``, and curves that stop
    short of two decades beyond it decide nothing (the verdict names the horizon that would).
    Plain :class:`~convcheck.evidence.Curves` are judged as :class:`Rate` judges them."""

    def judge(self, evidence, *, claim="", levels=None):
        from .claims import INCONCLUSIVE
        from .evidence import Regime

        if isinstance(evidence, Regime):
            v = Rate.judge(dataclasses.replace(self, window=(evidence.start, np.inf)), evidence.curves, claim=claim,
                           levels=levels)
            if not evidence.why:
                return v
            # what places the regime's start is part of the reason where it keeps the verdict undecided
            return v.restated(summary=f"{v.summary}; the regime starts where {evidence.why}") if v.outcome == INCONCLUSIVE \
                else v.restated(notes=[f"the regime starts where {evidence.why}"])
        return Rate.judge(self, evidence, claim=claim, levels=levels)


@dataclass(frozen=True)
class Exists(Judgment):
    """"Some member of the search shows it": an existence statement over a finite search (a grid
    of problem constants). The evidence is ``{member: evidence}``, each member judged by
    ``judgment``; reproduced when some member's verdict is reproduced (the first such is quoted
    as the witness), inconclusive otherwise: a finite search cannot refute an existence statement,
    whose witness may lie beyond it. Maps to :func:`~convcheck.stats.check_property` with the
    unshown search undecided."""

    judgment: Judgment
    what: str = ""
    kind: ClassVar[str] = "property"

    def judge(self, evidence, *, claim="", levels=None):
        from .claims import REPRODUCED
        from .stats import check_property

        if not isinstance(evidence, dict) or not evidence:
            raise ValueError(f"Exists judges {{member: evidence}} for at least one member. Got "
                             f"{type(evidence).__name__ if not isinstance(evidence, dict) else 'none'} instead.")
        verdicts = {str(m): _judged(self.judgment, e, claim, levels) for m, e in evidence.items()}
        shown = [m for m, v in verdicts.items() if v.outcome == REPRODUCED]
        what = (self.what or f"{self.judgment.describe()} for some member of the search") + (
            f" (witness: {shown[0]})" if shown else "")
        return check_property([bool(shown)], what=what, labels=[f"the {len(verdicts)} members searched"],
                              undecided=[not shown], claim=claim,
                              detail="; ".join(f"{m}: {v.outcome} ({v.summary})" for m, v in verdicts.items()),
                              statistic={"members": {m: v.outcome for m, v in verdicts.items()}, "shown": shown}, levels=levels)


# --- judgments of several aspects of one part, and of a vague word with an undecided band ---------

def _judge_aspects(judgments: dict, evidence, who, claim: str, levels=None) -> dict:
    """Each aspect's verdict by its own judgment: ``evidence`` is ``{aspect: evidence}`` with the same keys."""
    if not isinstance(evidence, dict) or set(evidence) != set(judgments):
        raise ValueError(f"{type(who).__name__} judges {{aspect: evidence}} for the aspects {sorted(judgments)}. Got "
                         f"{sorted(evidence) if isinstance(evidence, dict) else type(evidence).__name__} instead.")
    return {a: _judged(j, evidence[a], claim, levels) for a, j in judgments.items()}


@dataclass(frozen=True)
class AllOf(Judgment):
    """A statement that is several facts or aspects at once ("the step is at least 1/(2L), the halvings
    at most ceil(log2 L) + 1, and f decreases"; a floor that scales with eta and a 1/t transient; a
    gradient equal to autograd's to round-off and to central differences' to their truncation
    error), each measured and judged by its own judgment: refuted when any is refuted, reproduced
    when every one is (:func:`~convcheck.stats.combine`). The evidence of a part is
    ``{fact: evidence}`` on the part's instance; a part may measure only the facts its instance
    bears on (a stopping rule on a quadratic, the same rule at a saddle), and a part of one fact gets
    that fact's verdict. Its kind is ``of``, else the first fact's (the statement's own; the others
    support it)."""

    judgments: dict = field(default_factory=dict)
    of: str = ""

    @property
    def kind(self) -> str:  # type: ignore[override]
        return self.of or next(iter(self.judgments.values())).kind

    def judge(self, evidence, *, claim="", levels=None):
        from .stats import combine

        if not isinstance(evidence, dict) or not evidence or not set(evidence) <= set(self.judgments):
            raise ValueError(f"AllOf judges {{fact: evidence}} for some of the facts {sorted(self.judgments)}. "
                             f"Got {sorted(evidence) if isinstance(evidence, dict) else type(evidence).__name__} instead.")
        verdicts = {fact: _judged(self.judgments[fact], ev, claim, levels) for fact, ev in evidence.items()}
        return next(iter(verdicts.values())) if len(verdicts) == 1 else combine(claim, "", verdicts, levels=levels)

    def describe(self) -> str:
        return "all of(" + "; ".join(f"{a}: {j.describe()}" for a, j in self.judgments.items()) + ")"


@dataclass(frozen=True)
class Given(Judgment):
    """``judgment`` on the evidence ``measured``, a test of the claim only where the instance is what
    the claim speaks of: ``assumptions`` maps each condition (the rescalings preserve the loss) to the
    judgment that checks it on its own evidence. An assumption that is not reproduced makes the verdict
    inconclusive, whatever ``judgment`` says (the instance is no test of the claim: the assumptions of
    :func:`~convcheck.stats.check_property`). The evidence is ``{measured: evidence, assumption: evidence,
    ...}``, all on one instance; the kind is ``judgment``'s."""

    judgment: Judgment
    assumptions: dict = field(default_factory=dict)
    measured: str = "measured"

    @property
    def kind(self) -> str:  # type: ignore[override]
        return self.judgment.kind

    def judge(self, evidence, *, claim="", levels=None):
        from .claims import INCONCLUSIVE, REPRODUCED
        from .stats import check_property

        judgments = {self.measured: self.judgment, **self.assumptions}
        verdicts = _judge_aspects(judgments, evidence, self, claim, levels)
        main = verdicts.pop(self.measured)
        held = {f"{a} ({v.outcome}: {v.summary})": v.outcome == REPRODUCED for a, v in verdicts.items()}
        notes = [f"assumption: {a}" for a in held]
        if all(held.values()):
            return main.restated(notes=notes)
        void = check_property([True], what=main.summary, assumptions=held, claim=claim, levels=levels)
        return dataclasses.replace(main, outcome=INCONCLUSIVE, summary=void.summary, notes=(*main.notes, *notes),
                                   statistic={**main.statistic, "assumptions_unmet": void.statistic["assumptions_unmet"]})


@dataclass(frozen=True)
class Small(AtMost):
    """A vague "small compared to": small on a unit at most ``limit`` (as :class:`AtMost`), not small
    at least ``refuted_at`` (as large as what it is compared with), undecided in between (the
    undecided units of :func:`~convcheck.stats.check_property`). The values are ratios to what they
    are compared with; ``refuted_at``: a number, a threshold's name or a callable of the constants."""

    refuted_at: object = 1.0

    def judge(self, evidence, *, claim="", levels=None):
        _expect(evidence, Samples, self)
        lo, hi = (_limit_of(x, evidence) for x in (self.limit, self.refuted_at))
        slack = 0.0 if self.rtol is None else _tolerance(self.rtol, evidence.provenance.dtype) * np.abs(lo)
        v = evidence.values
        with np.errstate(invalid="ignore"):
            between = np.isfinite(v) & (v > lo + slack) & (v < hi)
        if evidence.undecided is not None:
            between |= evidence.undecided
        what = self.what or (f"{evidence.what} small (<= {float(lo.flat[0]):.4g}; at least {float(hi.flat[0]):.4g} is not, "
                             "undecided between)" if lo.size else evidence.what)
        return super(Small, dataclasses.replace(self, what=what)).judge(dataclasses.replace(evidence, undecided=between), levels=levels,
                                                                        claim=claim)


def _limit_of(limit, evidence) -> np.ndarray:
    """A limit (a number, a threshold's name, or a callable of the instance's constants) per unit."""
    if isinstance(limit, str):
        limit = _tolerance(limit, carry=False)
    elif callable(limit):
        limit = limit(evidence.provenance.constants)
    return np.broadcast_to(np.asarray(limit, dtype=np.float64), evidence.values.shape)


def _unit_holds(compare: "_Compare", evidence) -> np.ndarray:
    """Per unit, whether ``compare`` (an :class:`AtMost` or :class:`AtLeast`) holds on ``evidence``
    (Samples): the limit, with the round-off ``rtol`` allows relative to it; a non-finite value holds nothing."""
    _expect(evidence, Samples, compare)
    limit = _limit_of(compare.limit, evidence)
    slack = 0.0 if compare.rtol is None else _tolerance(compare.rtol, evidence.provenance.dtype) * np.abs(limit)
    v = evidence.values
    with np.errstate(invalid="ignore"):
        out = (v >= limit - slack) if compare._above else (v <= limit + slack)
    return out & np.isfinite(v)


@dataclass(frozen=True)
class MeanVector(Judgment):
    """A Monte-Carlo mean of a vector equals its target coordinate by coordinate (an unbiased
    estimator): :class:`~convcheck.evidence.Moments` -> :func:`~convcheck.stats.check_mean_vector`
    (a z-test per coordinate, Holm over the coordinates; inconclusive when the standard errors do
    not resolve ``MC_RESOLUTION`` of the target)."""

    kind: ClassVar[str] = "variance"

    def judge(self, evidence, *, claim="", levels=None):
        from .evidence import Moments
        from .stats import check_mean_vector

        _expect(evidence, Moments, self)
        return check_mean_vector(evidence.total, evidence.total_sq, evidence.n, evidence.target, what=evidence.what,
                                 claim=claim, levels=levels)


__all__ += ["AllOf", "Given", "Small", "MeanVector"]


# --- parts of one reading that measure different aspects, and exact expectations ----------------

#: The aspects of one reading (a floor and its transient; an accuracy and its cost): :class:`AllOf`.
Aspects = AllOf


@dataclass(frozen=True)
class Exact(Judgment):
    """An expectation computed exactly (every batch of a small data set enumerated) against formulas:
    ``formulas(constants) -> {name: value}`` and the name the claim states (``claimed``); equal to
    ``IDENTITY_RTOL`` (:func:`~convcheck.stats.check_exact`). The evidence is one value per unit."""

    formulas: Callable
    claimed: str
    kind: ClassVar[str] = "variance"

    def judge(self, evidence, *, claim="", levels=None):
        from .stats import check_exact, combine

        _expect(evidence, Samples, self)
        candidates = self.formulas(evidence.provenance.constants)
        verdicts = {lab: check_exact(float(v), candidates, self.claimed, claim=claim, levels=levels)
                    for lab, v in zip(evidence.labels or range(evidence.values.size), evidence.values)}
        return next(iter(verdicts.values())) if len(verdicts) == 1 else combine(claim, "", verdicts, levels=levels)


__all__ += ["Aspects", "Exact"]


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

    def judge(self, evidence, *, claim="", levels=None):
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
                              detail=f"{keep.size} of {size} units the statement speaks of" if keep.size < size else "",
                              levels=levels)

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

    def judge(self, evidence, *, claim="", levels=None):
        from .stats import combine

        if not isinstance(evidence, dict) or not evidence or not set(evidence) <= set(self.judgments):
            raise ValueError(f"All judges {{member: evidence}} for some of the members {sorted(self.judgments)}. "
                             f"Got {sorted(evidence) if isinstance(evidence, dict) else type(evidence).__name__} instead.")
        return combine(claim, "", {m: _judged(self.judgments[m], e, claim, levels) for m, e in evidence.items()},
                       levels=levels)


@dataclass(frozen=True)
class PerSeed(_DeclaredKind):
    """One number per seed (a fitted slope, a log cost ratio; Samples) against ``target``: the
    equivalence test with ``margin`` (``sided="upper"``: only an excess above ``target + margin``
    refutes); non-finite values are left out and counted (:func:`~convcheck.stats.check_per_seed`).
    Its kind is the claim's (``of``)."""

    target: float = 0.0
    margin: float = 0.1
    sided: str = "two"
    of: str = "rate"

    def judge(self, evidence, *, claim="", levels=None):
        from .stats import check_per_seed

        _expect(evidence, Samples, self)
        return check_per_seed(evidence.values, self.target, margin=self.margin, sided=self.sided, what=evidence.what,
                              claim=claim, levels=levels)


__all__ += ["Holds", "All", "PerSeed"]


@dataclass(frozen=True)
class AnyOf(_DeclaredKind):
    """A statement that holds on a part when any of its alternatives does ("the rate is not accelerated,
    or the method cycles on some function of the class"), each alternative measured and judged by its own
    judgment. The evidence is ``{alternative: evidence}`` for the alternatives measured on the part's
    instance (one part may measure only the alternative its instance bears on): reproduced when some
    alternative is reproduced (the first is quoted), refuted only when every declared alternative is
    measured and refuted, inconclusive otherwise (an alternative left unmeasured, a finite search that
    found no witness, may still hold). Maps to :func:`~convcheck.stats.check_property`, the unmeasured
    alternatives undecided. Its kind is ``of``."""

    judgments: dict = field(default_factory=dict)
    of: str = "property"
    what: str = ""

    def judge(self, evidence, *, claim="", levels=None):
        from .claims import REPRODUCED
        from .stats import check_property

        if not isinstance(evidence, dict) or not evidence or not set(evidence) <= set(self.judgments):
            raise ValueError(f"AnyOf judges {{alternative: evidence}} for some of the alternatives {sorted(self.judgments)}. "
                             f"Got {sorted(evidence) if isinstance(evidence, dict) else type(evidence).__name__} instead.")
        verdicts = {a: _judged(self.judgments[a], ev, claim, levels) for a, ev in evidence.items()}
        shown = [a for a, v in verdicts.items() if v.outcome == REPRODUCED]
        refuted = not shown and set(verdicts) == set(self.judgments) and all(v.outcome == REFUTED for v in verdicts.values())
        what = (self.what or " or ".join(self.judgments)) + (f" (shown: {shown[0]})" if shown else "")
        return check_property([bool(shown)], what=what, labels=[" / ".join(verdicts)], undecided=[not shown and not refuted],
                              claim=claim, detail="; ".join(f"{a}: {v.outcome} ({v.summary})" for a, v in verdicts.items()),
                              statistic={"alternatives": {a: v.outcome for a, v in verdicts.items()}}, levels=levels)

    def describe(self) -> str:
        return "any of(" + "; ".join(f"{a}: {j.describe()}" for a, j in self.judgments.items()) + ")"


__all__ += ["AnyOf"]

"""What a study measured, carrying what it was measured on.

A study measures; the library judges. What passes between them is *evidence*: numbers that
carry their provenance (:class:`Provenance`): the instance they were computed on (its name and
the certificates the instance computes of itself), the method and the role it filled, the dtype
and the device. The library reads which instance a verdict rests on from here, never from the
study's word, so a refutation computed on one problem cannot borrow another's certificates.

* :class:`Curves`: a metric of S runs at C checkpoints, ``(S, C)``. Made from an engine run by
  :meth:`Curves.of` (the :class:`~convcheck.trace.Trace` names the objective it ran on, set by
  the engine), or transformed by :meth:`Curves.map` (a normalisation keeps the provenance).
* :class:`Samples`: one number per unit (a seed, a start, a network): the end of a run
  (:meth:`Curves.final`, :meth:`Curves.at`), or a quantity a probe computed *on an objective*
  (:meth:`Samples.on`, whose certificates are then the objective's own).
* :class:`Computations`: two computations of one quantity (an identity), on an objective or on
  none (``Computations.on(None, ...)``: an identity of two computations assumes nothing).
* :class:`Pair`: the same measure of two methods on the same units (a comparison): both sides
  must come from the same instance.
* :class:`Scaling`: one quantity per unit at each value of a parameter (a scaling law).
* :class:`Sweep`: one metric over a parameter grid (a floor against eta), on one instance.
* :class:`WorstCases`: certified worst cases over a function class (performance estimation); the
  instance is the class, whose every member has the class's properties.

Certificates are computed once per objective object and kept (:func:`instance_of`).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Callable

import numpy as np
import torch

from .hypotheses import Instance, certify

__all__ = ["Provenance", "Curves", "Samples", "Computations", "Pair", "Scaling", "Sweep", "WorstCases", "Evidence", "instance_of",
           "NO_INSTANCE"]

#: The instance of an identity of two computations: it assumes nothing, so it certifies nothing.
NO_INSTANCE = Instance("none: an identity of two computations")


def instance_of(objective, name: str | None = None) -> Instance:
    """The objective's certificates as an :class:`~convcheck.hypotheses.Instance`, computed from the
    objective once (kept on it: spectra and Hessians are not recomputed for every piece of evidence)."""
    if objective is None:
        return NO_INSTANCE
    cached = getattr(objective, "_convcheck_instance", None)
    if cached is None:
        cached = certify(objective)
        try:
            object.__setattr__(objective, "_convcheck_instance", cached)
        except (AttributeError, TypeError):  # an object that takes no attributes: certify each time
            pass
    return cached if name is None or name == cached.name else dataclasses.replace(cached, name=name)


def _run_instance(objective, trace) -> Instance:
    """The objective's certificates, with those that hold along a run certified from that run: the
    objective's "bounded stochastic gradients" on the whole domain when it can show it, else the
    largest ``E_i ||grad f_i(w_k)||^2`` over the run's checkpoints, which a run that diverged (its
    second moment non-finite, or the run marked diverged) cannot certify."""
    from .hypotheses import Certificate

    cached = getattr(trace, "_convcheck_instance", None)
    if cached is not None:
        return cached
    base = instance_of(objective)
    moments = trace.info.get("stochastic_second_moment")
    if moments is None or base.has("bounded stochastic gradients"):
        return base
    m = np.asarray(moments, dtype=np.float64)
    diverged = int(np.asarray(trace.diverged).sum())
    finite = bool(np.isfinite(m).all()) and diverged == 0
    worst = float(np.max(m)) if finite else float("inf")
    how = (f"along this run: the largest E_i ||grad f_i(w_k)||^2 over its {m.shape[1]} checkpoints x {m.shape[0]} runs is "
           f"{worst:.4g}" if finite else f"not along this run: {diverged} of {m.shape[0]} runs diverged")
    certs = tuple(c for c in base.certificates if c.property != "bounded stochastic gradients")
    out = Instance(base.name, certs + (Certificate("bounded stochastic gradients", finite, how, worst if finite else None),))
    trace._convcheck_instance = out  # every piece of evidence of this run carries the same instance
    return out


def _dtype_name(dtype) -> str:
    return str(dtype).replace("torch.", "")


@dataclass(frozen=True)
class Provenance:
    """Where a piece of evidence came from: the certified instance, the method and its role, the
    dtype and device of the computation."""

    instance: Instance
    method: str = ""
    role: str | None = None
    dtype: str = "float64"
    device: str = "cpu"
    constants: dict = dataclasses.field(default_factory=dict)  # the objective's L, mu, f_star, ... (plain numbers)

    def describe(self) -> str:
        who = f"{self.method} (role {self.role})" if self.role else self.method
        return f"{self.instance.name}" + (f", {who}" if who else "")


def _as_array(values, name: str, ndim: int) -> np.ndarray:
    """``values`` as a numpy array in its own floating dtype (a float32 run's round-off is judged in
    float32); integers and booleans become float64."""
    if torch.is_tensor(values):
        values = values.detach().cpu().numpy()
    out = np.asarray(values)
    if not np.issubdtype(out.dtype, np.floating):
        out = out.astype(np.float64)
    if out.ndim != ndim:
        raise ValueError(f"The '{name}' parameter must have {ndim} dimension{'s' if ndim > 1 else ''}. "
                         f"Got shape {out.shape} instead.")
    return out


@dataclass(frozen=True, eq=False)
class Curves:
    """A metric of S runs at C checkpoints, with the provenance of the run.

    ``values``: (S, C) float64 (NaN after a run diverged); ``steps``: (C,); ``scale``: the
    magnitude the metric was computed at (its round-off: ``|f*| + max gap`` for a gap), or None
    for the largest value; ``stochastic``: the runs are draws of a random curve (their mean is
    what a bound on an expectation speaks of). The values keep the run's dtype: round-off is
    judged in it.
    """

    values: np.ndarray
    steps: np.ndarray
    provenance: Provenance
    metric: str = "gap"
    scale: float | None = None
    stochastic: bool = False

    def __post_init__(self):
        v = _as_array(self.values, "values", 2)
        t = np.asarray(self.steps)
        if t.ndim != 1 or t.shape[0] != v.shape[1]:
            raise ValueError(f"The 'steps' parameter must have one entry per checkpoint ({v.shape[1]}). "
                             f"Got shape {t.shape} instead.")
        object.__setattr__(self, "values", v)
        object.__setattr__(self, "steps", t)

    @classmethod
    def of(cls, trace, metric: str = "gap", *, role: str | None = None, stochastic: bool | None = None,
           scale: float | str | None = "auto") -> "Curves":
        """The metric ``metric`` of an engine run: the instance is the objective the engine ran on
        (``trace.objective``), the method ``trace.info["optimizer"]``. ``stochastic`` defaults to
        whether the run drew batches; ``scale="auto"`` is ``|f*| + max |gap|`` for gaps."""
        objective = getattr(trace, "objective", None)
        if objective is None:
            raise ValueError("The 'trace' parameter must come from convcheck.engine.run (it names the objective it "
                             "ran on); a hand-made Trace carries no instance.")
        if metric not in trace.metrics:
            raise ValueError(f"The 'metric' parameter must be one the run recorded, {sorted(trace.metrics)}. "
                             f"Got {metric!r} instead.")
        values = trace.metrics[metric]
        if scale == "auto":
            from .stats.seeds import difference_scale

            f_star = getattr(objective, "f_star", 0.0)
            scale = difference_scale(f_star, values) if metric in ("gap", "avg_gap") and np.isfinite(f_star) else None
        dtype = trace.info.get("dtype", "float64")
        prov = Provenance(_run_instance(objective, trace), str(trace.info.get("optimizer", "")), role, dtype,
                          str(trace.info.get("device", "cpu")), _constants(objective))
        sampled = bool(trace.info.get("sampled", False)) if stochastic is None else bool(stochastic)
        return cls(values, trace.steps, prov, metric, scale, sampled)

    @property
    def instance(self) -> Instance:
        return self.provenance.instance

    @property
    def seeds(self) -> int:
        return int(self.values.shape[0])

    def map(self, fn: Callable[[np.ndarray], np.ndarray], metric: str | None = None, *,
            scale: float | None = None) -> "Curves":
        """The same runs with ``fn(values)`` (a normalisation, ``gap / (L R^2)``): the provenance
        stays; ``fn`` must keep the shape."""
        out = np.asarray(fn(self.values), dtype=np.float64)
        if out.shape != self.values.shape:
            raise ValueError(f"The 'fn' parameter must keep the curves' shape {self.values.shape}. Got {out.shape} instead.")
        return dataclasses.replace(self, values=out, metric=metric or self.metric, scale=scale)

    def window(self, start: int | None = None, stop: int | None = None) -> "Curves":
        """The checkpoints with ``start <= step <= stop`` (a bound stated from step 1 on, a fitting window)."""
        keep = np.ones(self.steps.shape, dtype=bool)
        if start is not None:
            keep &= self.steps >= start
        if stop is not None:
            keep &= self.steps <= stop
        return dataclasses.replace(self, values=self.values[:, keep], steps=self.steps[keep])

    def rows(self, rows) -> "Curves":
        """Some of the runs (a setting of a sweep that ran as one batch)."""
        return dataclasses.replace(self, values=self.values[rows])

    def at(self, index: int, what: str | None = None) -> "Samples":
        """The value of every run at checkpoint ``index``."""
        return Samples(self.values[:, index], self.provenance, what or f"{self.metric} at step {int(self.steps[index])}")

    def final(self, what: str | None = None) -> "Samples":
        """The value of every run at the last checkpoint."""
        return self.at(-1, what or f"final {self.metric}")


def _constants(objective) -> dict:
    """The objective's known constants (``L``, ``mu``, ``f_star``, ...) as plain numbers, for
    judgments whose expression uses them (a contraction ``1 - mu/L``)."""
    try:
        return dict(objective.constants()) if objective is not None and hasattr(objective, "constants") else {}
    except Exception:  # an objective whose constants are not all defined: none are quoted
        return {}


@dataclass(frozen=True, eq=False)
class Samples:
    """One number per unit (a seed, a start, a network, a setting), with its provenance.

    ``labels`` name the units (a counterexample is quoted by its label); ``undecided`` marks the
    units where the quantity could not be settled (a run still moving at the end of its budget).
    """

    values: np.ndarray
    provenance: Provenance
    what: str = "value"
    labels: tuple | None = None
    undecided: np.ndarray | None = None

    def __post_init__(self):
        v = _as_array(self.values, "values", 1) if np.ndim(self.values) else _as_array([self.values], "values", 1)
        object.__setattr__(self, "values", v)
        if self.labels is not None:
            labels = tuple(str(x) for x in self.labels)
            if len(labels) != v.shape[0]:
                raise ValueError(f"The 'labels' parameter must name every unit ({v.shape[0]}). Got {len(labels)} instead.")
            object.__setattr__(self, "labels", labels)
        if self.undecided is not None:
            u = np.asarray(self.undecided, dtype=bool).reshape(-1)
            if u.shape != v.shape:
                raise ValueError(f"The 'undecided' parameter must have one entry per unit ({v.shape[0]}). "
                                 f"Got {u.shape[0]} instead.")
            object.__setattr__(self, "undecided", u)

    @classmethod
    def on(cls, objective, values, *, what: str, method: str = "", role: str | None = None, labels=None,
           undecided=None, name: str | None = None) -> "Samples":
        """Numbers a probe computed on ``objective`` (its certificates come with them; ``name``
        names the instance where one objective class serves several settings)."""
        dtype = values.dtype if torch.is_tensor(values) else np.asarray(values).dtype
        device = str(values.device) if torch.is_tensor(values) else "cpu"
        prov = Provenance(instance_of(objective, name), method, role, _dtype_name(dtype), device, _constants(objective))
        return cls(values, prov, what, labels, undecided)

    @property
    def instance(self) -> Instance:
        return self.provenance.instance


@dataclass(frozen=True, eq=False)
class Computations:
    """Two computations of one quantity (an identity): ``a`` under test, ``b`` the reference, of any
    equal shapes, computed on ``provenance.instance`` (or on none)."""

    a: object
    b: object
    provenance: Provenance
    what: str = "the two computations"
    resolution: object = None  # per entry of a: the instrument's own relative resolution (a search comparing f values)

    @classmethod
    def on(cls, objective, a, b, *, what: str, method: str = "", role: str | None = None,
           name: str | None = None, resolution=None) -> "Computations":
        dtype = a.dtype if torch.is_tensor(a) else np.asarray(a).dtype
        prov = Provenance(instance_of(objective, name), method, role, _dtype_name(dtype), constants=_constants(objective))
        return cls(a, b, prov, what, resolution)

    @property
    def instance(self) -> Instance:
        return self.provenance.instance


@dataclass(frozen=True, eq=False)
class Pair:
    """The same measure of two methods on the same units: ``a`` (the method the claim favours)
    and ``b`` (the one it is compared with). Both must come from one instance."""

    a: Samples
    b: Samples
    names: tuple[str, str] = ("A", "B")

    def __post_init__(self):
        if self.a.instance.name != self.b.instance.name:
            raise ValueError(f"The 'a' and 'b' parameters must be measured on the same instance. Got "
                             f"{self.a.instance.name!r} and {self.b.instance.name!r} instead.")
        if self.a.values.shape != self.b.values.shape:
            raise ValueError(f"The 'a' and 'b' parameters must have one value per unit each. Got "
                             f"{self.a.values.shape} and {self.b.values.shape} instead.")

    @property
    def instance(self) -> Instance:
        return self.a.instance

    @property
    def provenance(self) -> Provenance:
        return self.a.provenance


@dataclass(frozen=True, eq=False)
class Scaling:
    """One quantity per unit at each value of a parameter: ``values`` (S, K) at ``params`` (K,),
    for a scaling law ``y ~ x^k`` (a gap against rho, a movement against the width)."""

    values: np.ndarray
    params: np.ndarray
    provenance: Provenance
    what: str = "y"
    param_name: str = "x"

    def __post_init__(self):
        v = _as_array(self.values, "values", 2)
        p = np.asarray(self.params, dtype=np.float64).reshape(-1)
        if p.size != v.shape[1]:
            raise ValueError(f"The 'params' parameter must have one value per column of 'values' ({v.shape[1]}). "
                             f"Got {p.size} instead.")
        object.__setattr__(self, "values", v)
        object.__setattr__(self, "params", p)

    @classmethod
    def on(cls, objective, values, params, *, what: str, param_name: str, method: str = "", role: str | None = None,
           name: str | None = None) -> "Scaling":
        dtype = values.dtype if torch.is_tensor(values) else np.asarray(values).dtype
        prov = Provenance(instance_of(objective, name), method, role, _dtype_name(dtype), constants=_constants(objective))
        return cls(values, params, prov, what, param_name)

    @property
    def instance(self) -> Instance:
        return self.provenance.instance


@dataclass(frozen=True, eq=False)
class Sweep:
    """The same metric over a grid of a parameter (a floor against eta or 1/b): one :class:`Curves`
    per value of ``params``, all on one instance and at the same checkpoints."""

    curves: tuple
    params: np.ndarray
    param_name: str = "eta"

    def __post_init__(self):
        curves = tuple(self.curves)
        params = np.asarray(self.params, dtype=np.float64).reshape(-1)
        if not curves or len(curves) != params.size:
            raise ValueError(f"The 'curves' parameter must hold one Curves per parameter value ({params.size}). "
                             f"Got {len(curves)} instead.")
        names = {c.instance.name for c in curves}
        if len(names) != 1:
            raise ValueError(f"The 'curves' parameter must come from one instance. Got {sorted(names)} instead.")
        object.__setattr__(self, "curves", curves)
        object.__setattr__(self, "params", params)

    @property
    def instance(self) -> Instance:
        return self.curves[0].instance

    @property
    def provenance(self) -> Provenance:
        return self.curves[0].provenance


@dataclass(frozen=True, eq=False)
class WorstCases:
    """Certified worst cases over a function class (:mod:`convcheck.pep`): ``cells`` maps a cell
    label to ``(WorstCase, bound)``, or is a function returning that mapping (called by the
    judgment, so that a missing PEPit is an inconclusive verdict). The instance is the class
    itself: every function of it has the class's properties, by definition."""

    cells: object
    function_class: str
    hypotheses: tuple = ()
    columns: dict | None = None

    @property
    def instance(self) -> Instance:
        from .hypotheses import Certificate

        how = f"every function of the class {self.function_class} (the performance-estimation problem's constraints)"
        return Instance(f"the class {self.function_class}", tuple(Certificate(p, True, how) for p in self.hypotheses))

    @property
    def provenance(self) -> Provenance:
        return Provenance(self.instance, "performance estimation (PEPit)")


#: Any piece of evidence a judgment reads.
Evidence = Curves | Samples | Computations | Pair | Scaling | Sweep | WorstCases


@dataclass(frozen=True, eq=False)
class Regime:
    """Curves of a statement that speaks only from step ``start`` on: an asymptotic regime whose
    start the run's own parameters place (a coefficient that must first decay, ``1/(1 - lambda)``
    steps), computed by the study beside the run. A rate is judged on ``[start, inf)``; where
    the curves end before two decades of it, nothing is decided and the verdict names the horizon
    that would decide (:class:`convcheck.judgments.RegimeRate`). ``why`` says what places it."""

    curves: Curves
    start: float
    why: str = ""

    def __post_init__(self):
        if not isinstance(self.curves, Curves):
            raise TypeError(f"The 'curves' parameter must be Curves. Got {type(self.curves).__name__} instead.")
        start = float(self.start)
        if not start > 0:
            raise ValueError(f"The 'start' parameter must be a positive step. Got {self.start!r} instead.")
        object.__setattr__(self, "start", start)

    @property
    def instance(self) -> Instance:
        return self.curves.instance

    @property
    def provenance(self) -> Provenance:
        return self.curves.provenance


@dataclass(frozen=True, eq=False)
class Moments:
    """A Monte-Carlo mean of a vector from running sums over ``n`` draws (draws too many to keep):
    ``total`` and ``total_sq`` (d,), the sums of the draws and of their squares, and ``target`` (d,),
    the value the mean is claimed to equal (a closed form computed beside the draws)."""

    total: np.ndarray
    total_sq: np.ndarray
    n: int
    target: np.ndarray
    provenance: Provenance
    what: str = "the mean"

    def __post_init__(self):
        shapes = {np.shape(self.total), np.shape(self.total_sq), np.shape(self.target)}
        if len(shapes) != 1:
            raise ValueError(f"The 'total', 'total_sq' and 'target' parameters must have one shape. Got {sorted(shapes)} "
                             "instead.")

    @classmethod
    def on(cls, objective, total, total_sq, n: int, target, *, what: str, method: str = "", role: str | None = None,
           name: str | None = None) -> "Moments":
        prov = Provenance(instance_of(objective, name), method, role, _dtype_name(np.asarray(total).dtype),
                          constants=_constants(objective))
        return cls(np.asarray(total), np.asarray(total_sq), int(n), np.asarray(target), prov, what)

    @property
    def instance(self) -> Instance:
        return self.provenance.instance


__all__ += ["Moments"]
Evidence = Evidence | Moments


def above_roundoff(values, scale) -> np.ndarray:
    """Where ``values`` (a gap, an error; any shape, a tensor or an array in the dtype it was computed
    in) still lie above round-off: ``|value| > ROUNDOFF_FACTOR * eps(dtype) * scale`` (the library's rule,
    :func:`~convcheck.stats.roundoff_limit`), with ``scale`` the magnitude the values were computed at
    (a number, or one per run broadcast against ``values``). The steps a per-step property is measured
    on: past round-off a line search has nothing left to decrease and its step means nothing."""
    from .stats import thresholds as th
    from .stats.seeds import eps_of

    eps = eps_of(values)
    v = values.detach().cpu().numpy() if torch.is_tensor(values) else np.asarray(values)
    s = scale.detach().cpu().numpy() if torch.is_tensor(scale) else np.asarray(scale, dtype=np.float64)
    with np.errstate(invalid="ignore"):
        return np.abs(v) > th.ROUNDOFF_FACTOR * eps * np.abs(s)


__all__ += ["above_roundoff"]


def with_constants(evidence, **constants):
    """``evidence`` with the run's own constants beside its objective's (the step ``eta`` of a constant-step
    run, a batch size ``b``, a data set's ``sigma2``), so that a judgment's expression may use them
    (``Linear(lambda c: 1 - c["eta"] * c["mu"])``); a name the objective already gives is an error."""
    clash = sorted(set(constants) & set(evidence.provenance.constants))
    if clash:
        raise ValueError(f"The constants {clash} are the objective's own; name the run's constants otherwise.")
    prov = dataclasses.replace(evidence.provenance, constants={**evidence.provenance.constants, **constants})
    return dataclasses.replace(evidence, provenance=prov)


__all__ += ["with_constants"]

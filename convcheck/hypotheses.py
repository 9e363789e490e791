"""Hypotheses and scope of a claim, and the certificates of the instances a verdict rests on.

A claim's *hypotheses* are what its sentence or proposition assumes, no more (Prop. 2 of the
survey assumes f bounded below and L-smooth with bounded stochastic gradients, and no
convexity). Its *scope* is the cases the statement covers ("for non-convex and convex
functions": both). Both are names from :data:`PROPERTIES`.

An *instance* is a problem a study runs on, with a :class:`Certificate` for each property it
has, computed from the objective itself (``Objective.certificates()``): an exact Hessian
spectrum, a smoothness bound valid on the whole domain (not the curvature at one point), a
witness of non-convexity (a point and its negative curvature).

The library, not the study, holds a verdict on the statement as written to them
(:func:`enforce`, applied by :func:`convcheck.study.run_study`):

* a **refutation** must rest on an instance that certifies every hypothesis: a counterexample
  outside the hypotheses proves nothing about the claim;
* a **reproduction** must rest on instances inside the hypotheses and cover the scope: for each
  case the statement names, an instance that certifies that case and every hypothesis.

A verdict that breaks either rule becomes inconclusive, with the reason in its summary and a
note; it is never silently kept. A claim that declares no hypotheses and no scope is not held
to anything (``convcheck list`` says so).
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Iterable

__all__ = ["PROPERTIES", "Certificate", "Instance", "certify", "curvature_witness", "enforce", "problems", "describe"]

#: The properties a hypothesis or a scope item may name, and what a certificate of each must show.
PROPERTIES: dict[str, str] = {
    "finite sum": "f = 1/n sum_i f_i, each f_i differentiable (SGD draws one f_i per sample)",
    "bounded below": "f* = inf f is finite and attained",
    "L-smooth": "||grad f(u) - grad f(v)|| <= L ||u - v|| for all u, v: a bound valid on the whole domain",
    "each f_i L-smooth": "every component's gradient is Lipschitz on the whole domain",
    "bounded stochastic gradients": "E_i ||grad f_i(w)||^2 <= beta^2 at the iterates (Prop. 2): a bound on every bounded "
                                    "set, or on the whole domain",
    "convex": "f convex: its Hessian is positive semidefinite everywhere",
    "mu-strongly convex": "f's Hessian is at least mu I everywhere, mu > 0",
    "each f_i mu-strongly convex": "every component's Hessian is at least mu I everywhere, mu > 0",
    "non-convex": "a witness: a point where the Hessian of f has a negative eigenvalue",
    "strict saddles": "every critical point that is not a local minimum has a Hessian eigenvalue < 0 (saddles and maxima; "
                      "certified: every critical point, found in a region outside which a bound excludes them, with its "
                      "spectrum)",
    "spurious local minimum": "a local minimiser whose value lies above f* (certified by its gradient and Hessian)",
    "non-smooth": "f has a kink (its gradient jumps): outside every L-smooth class",
    "over-parameterised": "a network whose hidden width meets the width condition of the statement's theorem (a bound "
                          "polynomial in n, the depth and 1/delta)",
    "each f_t convex": "online losses: every round's loss f_t is convex on the feasible set",
    "bounded gradients": "online losses: ||grad f_t(x)|| <= G (and ||.||_inf <= G_inf) on the feasible set, every round",
    "bounded domain": "the feasible set has a finite diameter D: ||x - y|| <= D for all feasible x, y",
}


def _check_property(name: str, parameter: str) -> str:
    if name not in PROPERTIES:
        raise ValueError(f"The '{parameter}' parameter must name properties from {sorted(PROPERTIES)}. Got {name!r} instead.")
    return name


@dataclass(frozen=True)
class Certificate:
    """That an instance has (``holds``) or lacks a property, with the number and how it was found.

    ``value``: the constant where there is one (L, mu, beta^2, the negative curvature of a witness).
    ``how``: the computation, in words ("exact spectrum of the constant Hessian", "analytic bound
    sup|f''| <= ...").
    """

    property: str
    holds: bool
    how: str
    value: float | None = None

    def __post_init__(self):
        _check_property(self.property, "property")

    def to_json(self) -> dict:
        value = None if self.value is None or not math.isfinite(self.value) else float(self.value)
        return {"holds": bool(self.holds), "value": value, "how": self.how}


@dataclass(frozen=True)
class Instance:
    """A problem a verdict rests on: its name and the certificates of its properties."""

    name: str
    certificates: tuple[Certificate, ...] = ()

    def has(self, prop: str) -> bool:
        return any(c.property == prop and c.holds for c in self.certificates)

    def lacks(self, props: Iterable[str]) -> list[str]:
        """The properties of ``props`` this instance does not certify."""
        return [p for p in props if not self.has(p)]

    def to_json(self, refutes: bool = False) -> dict:
        return {"name": self.name, "refutes": bool(refutes),
                "certificates": {c.property: c.to_json() for c in self.certificates}}


def certify(objective, name: str | None = None, *extra: Certificate) -> Instance:
    """The objective's certificates (``objective.certificates()``) as an :class:`Instance`, plus
    ``extra`` ones a study computed (e.g. bounded gradients along its runs)."""
    own = tuple(objective.certificates()) if hasattr(objective, "certificates") else ()
    return Instance(name or getattr(objective, "name", type(objective).__name__), own + tuple(extra))


def curvature_witness(objective, w) -> Certificate:
    """"non-convex" at one point ``w: (d,)``: the full Hessian by autograd (small d), its smallest
    eigenvalue the witness (holds when it is below -1e-8 of the largest in magnitude)."""
    import torch

    x = w.detach().reshape(1, -1).double()
    H = torch.autograd.functional.hessian(lambda v: objective.loss(v.to(w.dtype)).sum().double(), x).reshape(x.numel(), -1)
    lam = torch.linalg.eigvalsh((H + H.T) / 2)
    lo, scale = float(lam[0]), float(lam.abs().max())
    return Certificate("non-convex", lo < -1e-8 * max(scale, 1e-300),
                       f"witness: the Hessian at a point (autograd, d = {x.numel()}) has smallest eigenvalue {lo:.4g}", lo)


def problems(claim, verdict) -> list[str]:
    """Why ``verdict`` (on ``claim`` as written) does not rest on what the claim assumes and
    covers; empty when it does, or when the claim declares nothing."""
    # the outcome and reading names of convcheck.claims, spelled here: claims imports this module
    hyp, scope = tuple(getattr(claim, "hypotheses", ())), tuple(getattr(claim, "scope", ()))
    if not (hyp or scope) or verdict.reading != "as written" or verdict.outcome == "inconclusive":
        return []
    rested = list(verdict.instances)
    if not rested:
        return [f"{claim.id} declares hypotheses {list(hyp)} and scope {list(scope)}, and the verdict names no certified "
                "instance it rests on"]

    def lacks(entry, props):
        certs = entry.get("certificates", {})
        return [p for p in props if not certs.get(p, {}).get("holds", False)]

    if verdict.outcome == "refuted":
        refuting = [e for e in rested if e.get("refutes")]
        inside = [e for e in refuting if not lacks(e, hyp)]
        if inside:
            return []
        if not refuting:
            return [f"the refutation of {claim.id} names no instance it rests on"]
        return [f"the refutation of {claim.id} rests on instances outside its hypotheses: " + "; ".join(
            f"{e['name']} lacks {', '.join(lacks(e, hyp))}" for e in refuting)]
    out = []
    valid = [e for e in rested if not lacks(e, hyp)]
    if not valid:
        return [f"the reproduction of {claim.id} rests on no instance inside its hypotheses {list(hyp)}: " + "; ".join(
            f"{e['name']} lacks {', '.join(lacks(e, hyp))}" for e in rested)]
    for case in scope:
        if not any(not lacks(e, (case,)) for e in valid):
            out.append(f"the reproduction of {claim.id} does not cover its scope: no instance certifies {case!r} and every "
                       f"hypothesis {list(hyp)} (instances: {', '.join(e['name'] for e in rested)})")
    return out


def enforce(claim, verdict):
    """``verdict`` if it rests on what ``claim`` assumes and covers (:func:`problems`), else the
    same verdict made inconclusive, with the reason. The library's rule, applied to every verdict
    a study returns (studies cannot skip it)."""
    why = problems(claim, verdict)
    if not why:
        return verdict
    reason = "; ".join(why)
    return dataclasses.replace(
        verdict, outcome="inconclusive", summary=f"withheld ({verdict.outcome} on instances the claim does not cover): "
        f"{reason}. The study's verdict was: {verdict.summary}",
        notes=(*verdict.notes, f"hypotheses and scope: {reason}"))


def describe(claim) -> dict:
    """A claim's hypotheses and scope with what each property means (``convcheck list --json``)."""
    return {"hypotheses": {h: PROPERTIES[h] for h in getattr(claim, "hypotheses", ())},
            "scope": {s: PROPERTIES[s] for s in getattr(claim, "scope", ())}}

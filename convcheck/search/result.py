"""What a search returns: data about how hard it looked and what it found, never a verdict."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

__all__ = ["SearchResult"]


@dataclass(frozen=True)
class SearchResult:
    """One search for an instance of a class that breaks a claim.

    ``found``: an instance was found AND certified inside the class AND its concrete run broke the
    claim; otherwise nothing was found within the budget (which says nothing about the claim's
    truth beyond how hard the search looked). ``best_violation``: the largest violation over every
    candidate that counted (positive: the claim broken by that much, in the search's measure).
    ``candidates``: how many candidates were evaluated; ``certified``: how many of them were
    certified inside the class (only those count). ``instance`` and ``start``: the best
    candidate as a concrete problem (an :class:`~convcheck.objectives.base.Objective` carrying its
    certificates) and where the method starts on it (``(1, d)``), with ``state`` the method's
    state there when it is not at rest. ``budget`` and ``seed``: what was spent and how it was
    seeded, so the search can be repeated. ``details``: the search's own readings (the worst
    case's solver status, a bracket, the run that reproduced the instance). ``certificates``: what
    the run that reproduced the instance certified besides the instance's own (a property that holds
    along the iterates, such as bounded stochastic gradients)."""

    question: str
    method: str
    found: bool
    candidates: int
    certified: int
    best_violation: float
    budget: dict
    seed: int | None = None
    seconds: float = 0.0
    instance: object = None
    start: object = None
    state: object = None
    details: dict = field(default_factory=dict)
    certificates: tuple = ()

    def certified_instance(self):
        """The instance's certificates and the reproducing run's, as a
        :class:`~convcheck.hypotheses.Instance` (None without an instance)."""
        from ..hypotheses import Instance

        if self.instance is None:
            return None
        own = tuple(getattr(self.instance, "certificates", lambda: [])())
        extra = {c.property for c in self.certificates}
        name = getattr(self.instance, "name", type(self.instance).__name__)
        return Instance(name, tuple(c for c in own if c.property not in extra) + tuple(self.certificates))

    @property
    def summary(self) -> str:
        """One line: what was asked, and either the instance or how hard the search looked."""
        v = "nan" if not math.isfinite(self.best_violation) else f"{self.best_violation:.6g}"
        if self.found:
            name = getattr(self.instance, "name", "an instance")
            return (f"{self.question}: found ({name}) by {self.method}, violation {v}, after {self.candidates} candidates "
                    f"({self.certified} certified inside the class)")
        return (f"{self.question}: not found within {self.candidates} candidates ({self.certified} certified inside the "
                f"class; budget {self.budget}); the largest violation seen: {v}")

    def to_json(self) -> dict:
        inst = self.instance
        return {"question": self.question, "method": self.method, "found": bool(self.found),
                "candidates": int(self.candidates), "certified": int(self.certified),
                "best_violation": self.best_violation if math.isfinite(self.best_violation) else None,
                "budget": dict(self.budget), "seed": self.seed, "seconds": self.seconds,
                "instance": None if inst is None else self.certified_instance().to_json(refutes=bool(self.found)),
                "start": None if self.start is None else self.start.detach().cpu().numpy().tolist(),
                "details": self.details, "summary": self.summary}

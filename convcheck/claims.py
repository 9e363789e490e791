"""Claims and verdicts as plain data.

A :class:`Claim` is what the survey states; a :class:`Verdict` is what a study found. Both
serialise to JSON. ``verdicts.json`` of a run is a JSON array of ``Verdict.to_json()``
objects, a contract other tools read:
``{"claim", "reading", "supporting", "study", "outcome", "summary", "statistic", "findings", ...}``.

**The statement as written comes first.** Every claim has one verdict with
``reading = "as written"``: the survey's own words, constants and equations. Where that
statement is false, unattainable or ill-posed, the verdict is refuted with the
counterexample, and the claim's named *readings* (the standard algorithm, the cited source's
constant, an added condition: ``Claim.readings``) get verdicts of their own beside it, never
in its place. *Supporting* checks (``Claim.supporting``, or a whole claim with
``role="supporting"``) are not survey statements and are reported apart; the headline counts
the as-written verdicts of the survey's claims only.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = ["Claim", "Verdict", "REPRODUCED", "REFUTED", "INCONCLUSIVE", "OUTCOMES", "AS_WRITTEN", "jsonable", "combine",
           "claim_order", "claim_sort_key", "sort_key", "headline"]

#: The survey's order of sections, for listing claims the way the paper reads.
SECTIONS = ("GD", "BP", "SGD", "MB", "AD", "SAM", "OP")


def claim_order(claim_id: str, sections: tuple[str, ...] | None = None) -> tuple:
    """Sort key: section in the paper's order (``sections``, the suite's prefixes; default the
    survey's), then the number (``"SGD-10"`` after ``"SGD-9"``)."""
    sections = SECTIONS if sections is None else tuple(sections)
    prefix, _, number = claim_id.partition("-")
    section = sections.index(prefix) if prefix in sections else len(sections)
    return (section, prefix, int(number) if number.isdigit() else 0, claim_id)

AS_WRITTEN = "as written"
REPRODUCED = "reproduced"
REFUTED = "refuted"
INCONCLUSIVE = "inconclusive"
OUTCOMES = (REPRODUCED, REFUTED, INCONCLUSIVE)


def jsonable(obj: Any) -> Any:
    """Recursively turn numpy/torch scalars and arrays into JSON-safe Python values.

    Non-finite floats become the strings "inf", "-inf" and "nan" so the file stays strict JSON.
    """
    if isinstance(obj, dict):
        return {str(k): jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [jsonable(v) for v in obj]
    if hasattr(obj, "detach"):  # torch tensor
        obj = obj.detach().cpu().numpy()
    if isinstance(obj, np.ndarray):
        return jsonable(obj.tolist())
    if isinstance(obj, (np.floating, float)):
        x = float(obj)
        return x if math.isfinite(x) else ("nan" if math.isnan(x) else ("inf" if x > 0 else "-inf"))
    if isinstance(obj, (np.integer,)):
        return int(obj)
    if isinstance(obj, (np.bool_,)):
        return bool(obj)
    return obj


@dataclass(frozen=True)
class Claim:
    """One checkable statement of the survey.

    Attributes:
      id: stable id within its suite (listed in the suite's suite.toml), e.g. ``"GD-1"``.
      equation: where the survey states it, e.g. ``"Prop. 1, Eq. (24)"``.
      text: the statement, in words and formula.
      kind: identity | bound | rate | floor | linear | variance | comparative | property.
      readings: names of the readings besides "as written" that get a verdict of their own
        (e.g. ``"eta < 2/L"``, ``"standard Adam (torch.optim)"``).
      supporting: names of supporting checks (not survey statements) reported apart.
      role: ``"survey"`` (a statement of the survey) or ``"supporting"`` (the whole claim is a
        supporting check, reported apart from the survey's claims).
      methods: the roles (:mod:`convcheck.roles`) whose method each verdict tests: a tuple of
        role names for every verdict of the claim, or ``{reading: roles}`` per verdict. A
        user's method put in a role is judged by the verdicts that name it.
    """

    id: str
    equation: str
    text: str
    kind: str
    readings: tuple[str, ...] = ()
    supporting: tuple[str, ...] = ()
    role: str = "survey"
    methods: tuple | dict = ()

    def __post_init__(self):
        if self.role not in ("survey", "supporting"):
            raise ValueError(f"The 'role' parameter must be one of ['survey', 'supporting']. Got {self.role!r} instead.")
        readings = {r for _, r in self.keys()}
        if isinstance(self.methods, dict) and not set(self.methods) <= readings:
            raise ValueError(f"The 'methods' parameter of {self.id} must name its readings {sorted(readings)}. "
                             f"Got {sorted(set(self.methods) - readings)} instead.")

    def roles_of(self, reading: str) -> tuple[str, ...]:
        """The roles whose method the verdict on ``reading`` tests."""
        if isinstance(self.methods, dict):
            return tuple(self.methods.get(reading, ()))
        return tuple(self.methods)

    def roles(self) -> tuple[str, ...]:
        """Every role a verdict of this claim tests, in order of first mention."""
        out = []
        for _, r in self.keys():
            out += [x for x in self.roles_of(r) if x not in out]
        return tuple(out)

    def keys(self) -> list[tuple[str, str]]:
        """The (claim, reading) pairs a study must give a verdict for: as written, each
        reading, each supporting check."""
        return [(self.id, AS_WRITTEN)] + [(self.id, r) for r in (*self.readings, *self.supporting)]

    def is_supporting(self, reading: str) -> bool:
        return self.role == "supporting" or reading in self.supporting

    def to_json(self) -> dict:
        out = dataclasses.asdict(self)
        out["methods"] = {r: list(self.roles_of(r)) for _, r in self.keys() if self.roles_of(r)}
        return out


@dataclass
class Verdict:
    """What a study found about one claim.

    ``statistic`` holds the numbers behind the outcome (e.g. max ratio, fitted slope),
    ``interval`` the confidence interval of the main statistic where there is one,
    ``window`` the checkpoint range used, ``seeds``/``diverged`` the counts, ``notes`` the
    reasoning and ``findings`` statements about where the survey is loose, with numbers.
    """

    claim: str
    study: str
    outcome: str
    summary: str
    statistic: dict = field(default_factory=dict)
    interval: list | None = None
    window: list | None = None
    seeds: int | None = None
    diverged: int = 0
    notes: list[str] = field(default_factory=list)
    findings: list[str] = field(default_factory=list)
    reading: str = AS_WRITTEN
    supporting: bool = False

    @property
    def key(self) -> tuple[str, str]:
        return (self.claim, self.reading)

    @property
    def label(self) -> str:
        """``"GD-2"`` as written, ``"GD-2 [eta < 2/L]"`` for a reading."""
        return self.claim if self.reading == AS_WRITTEN else f"{self.claim} [{self.reading}]"

    def __post_init__(self):
        if self.outcome not in OUTCOMES:
            raise ValueError(f"The 'outcome' parameter must be one of {list(OUTCOMES)}. Got {self.outcome!r} instead.")

    def to_json(self) -> dict:
        return jsonable(dataclasses.asdict(self))

    @classmethod
    def from_json(cls, data: dict) -> "Verdict":
        names = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in names})

    def evidence(self) -> str:
        """A multi-line text of the evidence, for assertion messages and the CLI."""
        kind = "supporting check" if self.supporting else "reading"
        where = [self.study] if self.study else []
        if self.reading != AS_WRITTEN:
            where.append(f"{kind}: {self.reading}")
        head = " ".join(x for x in (self.claim, f"[{'; '.join(where)}]" if where else "") if x)
        lines = [(f"{head}: " if head else "") + f"{self.outcome.upper()}: {self.summary}"]
        if self.interval is not None:
            lines.append(f"  interval: {self.interval}")
        if self.window is not None:
            lines.append(f"  window: {self.window}")
        lines += [f"  note: {n}" for n in self.notes]
        lines += [f"  finding: {f}" for f in self.findings]
        return "\n".join(lines)


def headline(verdicts: list["Verdict"]) -> dict[str, int]:
    """Counts of outcomes over the survey's claims as written (readings and supporting checks excluded)."""
    main = [v for v in verdicts if v.reading == AS_WRITTEN and not v.supporting]
    return {o: sum(v.outcome == o for v in main) for o in OUTCOMES}


def claim_sort_key(v: "Verdict", sections: tuple[str, ...] | None = None) -> tuple:
    """The paper's order, as written before its readings, supporting checks last within a claim."""
    return (*claim_order(v.claim, sections), v.supporting, v.reading != AS_WRITTEN)


def sort_key(sections: tuple[str, ...] | None = None):
    """:func:`claim_sort_key` for a suite's section prefixes."""
    return lambda v: claim_sort_key(v, sections)


def combine(claim: str, study: str, parts: dict[str, "Verdict"], summary: str | None = None, **fields) -> "Verdict":
    """One verdict from labelled sub-verdicts (instances, settings): refuted if any part is
    refuted, reproduced if every part is, inconclusive otherwise. Each part's summary becomes
    a note; ``summary`` (used when reproduced) defaults to the parts' summaries.

    Multiplicity inside the claim (:func:`convcheck.stats.multiple.claim_p`): the parts' FAIL
    p-values are Holm-corrected; a part's refutation counts only when its adjusted p-value is
    below ``ALPHA_FAIL / 2`` (otherwise that part reads as inconclusive here), and the claim
    carries the smallest adjusted p-value into the suite's family."""
    from .stats.multiple import claim_p
    from .stats.thresholds import ALPHA_FAIL

    adjusted, p_claim = claim_p(parts)
    outcome_of = {}
    for k, v in parts.items():
        withdrawn = v.outcome == REFUTED and adjusted.get(k, 0.0) > ALPHA_FAIL / 2
        outcome_of[k] = INCONCLUSIVE if withdrawn else v.outcome
    outcomes = list(outcome_of.values())
    if REFUTED in outcomes:
        outcome = REFUTED
        summary = "; ".join(f"{k}: {v.summary}" for k, v in parts.items() if outcome_of[k] == REFUTED)
    elif all(o == REPRODUCED for o in outcomes):
        outcome = REPRODUCED
        summary = summary or "; ".join(f"{k}: {v.summary}" for k, v in parts.items())
    else:
        outcome = INCONCLUSIVE
        summary = "; ".join(f"{k}: {v.summary}" for k, v in parts.items() if outcome_of[k] == INCONCLUSIVE)
    notes = fields.pop("notes", []) + [f"{k}: {outcome_of[k]}: {v.summary}" + (
        f" (refutation withdrawn: Holm-adjusted p = {adjusted[k]:.3g} over {len(adjusted)} parts)"
        if outcome_of[k] != v.outcome else "") for k, v in parts.items()]
    statistic = fields.pop("statistic", {})
    if p_claim is not None:
        statistic.setdefault("p_fail", p_claim)
        statistic.setdefault("p_fail_parts", adjusted)
    return Verdict(claim, study, outcome, summary, statistic=statistic, notes=notes,
                   seeds=fields.pop("seeds", max((v.seeds or 0) for v in parts.values()) if parts else None),
                   diverged=fields.pop("diverged", sum(v.diverged for v in parts.values())), **fields)

"""Claims and verdicts as plain data.

A :class:`Claim` is what a paper states; a :class:`Verdict` is what a study found. Both
serialise to JSON. ``verdicts.json`` of a run is a JSON array of ``Verdict.to_json()``
objects, a contract other tools read:
``{"claim", "reading", "supporting", "study", "outcome", "summary", "statistic", "findings", "test", ...}``.

``statistic`` holds the check's own numbers (a fitted slope, a tightness); ``test`` is the
decision's record (:class:`Test`), the same fields on every verdict, null where they do not apply::

    "test": {"p_fail": 1.2e-05,          // p-value of the FAIL test (H0: the claim holds); null: none
                                         //   (a deterministic check, or no test was run)
             "p_fail_family": 0.00048,   // after the suite's multiplicity correction; null before it
             "p_fail_parts": {"eta=0.1": 1.2e-05, ...},  // Holm-adjusted p of a combined claim's parts
             "alpha_fail": 0.002,        // the FAIL level the verdict was decided at (a look's own
             "alpha_pass": 0.1,          //   in a staged run), and the PASS level; null: not given
             "seeds_to_decide": null,    // inconclusive only: the seeds that would settle it ...
             "decide_toward": null}      //   ... and which way ("reproduce" or "refute")

Records written before the test record existed carried these as keys of ``statistic``;
:meth:`Verdict.from_json` reads them from there too.

**The statement as written comes first.** Every claim has one verdict with
``reading = "as written"``: the paper's own words, constants and equations. Where that
statement is false, unattainable or ill-posed, the verdict is refuted with the
counterexample, and the claim's named *readings* (the standard algorithm, the cited source's
constant, an added condition: ``Claim.readings``) get verdicts of their own beside it, never
in its place. *Supporting* checks (``Claim.supporting``, or a whole claim with
``statement="supporting"``) are not statements of the paper and are reported apart; the
headline counts the as-written verdicts of the paper's claims only.
"""

from __future__ import annotations

import copy
import dataclasses
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = ["Claim", "Verdict", "Test", "REPRODUCED", "REFUTED", "INCONCLUSIVE", "OUTCOMES", "AS_WRITTEN", "jsonable",
           "claim_order", "claim_sort_key", "sort_key", "headline", "STATEMENTS", "FrozenDict"]

def claim_order(claim_id: str, sections: tuple[str, ...] | None = None) -> tuple:
    """Sort key: section in the paper's order (``sections``, the suite's prefixes from its
    ``suite.toml``; without them, by prefix), then the number (``"SGD-10"`` after ``"SGD-9"``)."""
    sections = () if sections is None else tuple(sections)
    prefix, _, number = claim_id.partition("-")
    section = sections.index(prefix) if prefix in sections else len(sections)
    return (section, prefix, int(number) if number.isdigit() else 0, claim_id)

AS_WRITTEN = "as written"
#: Whose statement a claim is: the paper's, or a supporting check of ours.
STATEMENTS = ("paper", "supporting")
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
    """One checkable statement of a paper.

    Attributes:
      id: stable id within its suite (listed in the suite's suite.toml), e.g. ``"GD-1"``.
      equation: where the paper states it, e.g. ``"Prop. 1, Eq. (24)"``.
      text: the statement, in words and formula.
      kind: identity | bound | rate | floor | linear | variance | comparative | property.
      readings: names of the readings besides "as written" that get a verdict of their own
        (e.g. ``"eta < 2/L"``, ``"standard Adam (torch.optim)"``).
      supporting: names of supporting checks (not statements of the paper) reported apart.
      statement: whose statement the claim is: ``"paper"`` (the paper's own) or
        ``"supporting"`` (the whole claim is a supporting check of ours, reported apart from
        the paper's claims). Not to be confused with :attr:`methods`, the roles of methods.
      methods: the roles (:mod:`convcheck.roles`) whose method each verdict tests: a tuple of
        role names for every verdict of the claim, or ``{reading: roles}`` per verdict. A
        user's method put in a role is judged by the verdicts that name it.
      hypotheses: what the statement assumes, as names of :data:`convcheck.hypotheses.PROPERTIES`
        (``("bounded below", "L-smooth", ...)``): a refutation as written must rest on an
        instance certifying all of them.
      scope: the cases the statement covers (``("non-convex", "convex")``): a reproduction as
        written must rest on instances certifying each case (and every hypothesis).
      same_as: the id of a claim of the same study that states the same equation: the two get one
        verdict as written (the runner checks their outcomes agree).
      judgments: what decides each verdict (:mod:`convcheck.judgments`): one judgment for the
        statement as written, or ``{reading: judgment}``. A study then returns evidence for those
        verdicts and the library judges it; the judgment's kind must be one the ``kind`` names.
      assumes: for a claim whose sentence assumes no property of a function (an identity of two
        computations, a statement about a sampler or a construction), what it assumes instead, in
        words beginning "none: " (``"none: an identity of two computations"``). Every claim declares
        hypotheses, a scope, or this (a test holds them to it).
      coverage: which part of the sentence the study's instances cover and which they do not
        ("every beta_1 tested on a grid of 5", "least squares only"), shown beside a reproduction.
      search: the counterexample search the library runs for a verdict (:mod:`convcheck.search.declared`:
        one declaration for the statement as written, or ``{reading: declaration}``), whose result
        goes into that verdict's record (:attr:`Verdict.search`) beside the study's own instances;
        :class:`~convcheck.search.declared.NoSearch` says why none applies.
    """

    id: str
    equation: str
    text: str
    kind: str
    readings: tuple[str, ...] = ()
    supporting: tuple[str, ...] = ()
    statement: str = "paper"
    methods: tuple | dict = ()
    hypotheses: tuple[str, ...] = ()
    scope: tuple[str, ...] = ()
    same_as: str | None = None
    judgments: object = None
    assumes: str = ""
    coverage: str = ""
    search: object = None

    def __post_init__(self):
        from .hypotheses import PROPERTIES

        for name in ("hypotheses", "scope"):
            value = tuple(getattr(self, name))
            unknown = [p for p in value if p not in PROPERTIES]
            if isinstance(getattr(self, name), str) or unknown:
                raise ValueError(f"The '{name}' parameter of {self.id} must be a tuple of properties from "
                                 f"{sorted(PROPERTIES)}. Got {unknown or getattr(self, name)!r} instead.")
            object.__setattr__(self, name, value)
        if self.assumes and not self.assumes.startswith("none: "):
            raise ValueError(f"The 'assumes' parameter of {self.id} must begin 'none: ' and say what the claim assumes "
                             f"instead of a property of a function. Got {self.assumes!r} instead.")
        if self.statement not in STATEMENTS:
            raise ValueError(f"The 'statement' parameter must be one of {list(STATEMENTS)}. Got {self.statement!r} instead.")
        readings = {r for _, r in self.keys()}
        if self.judgments is not None and not isinstance(self.judgments, dict):
            object.__setattr__(self, "judgments", {AS_WRITTEN: self.judgments})
        if self.judgments is not None and not set(self.judgments) <= readings:
            raise ValueError(f"The 'judgments' parameter of {self.id} must name its readings {sorted(readings)}. "
                             f"Got {sorted(set(self.judgments) - readings)} instead.")
        if self.search is not None and not isinstance(self.search, dict):
            object.__setattr__(self, "search", {AS_WRITTEN: self.search})
        if self.search is not None and not set(self.search) <= readings:
            raise ValueError(f"The 'search' parameter of {self.id} must name its readings {sorted(readings)}. "
                             f"Got {sorted(set(self.search) - readings)} instead.")
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
        return self.statement == "supporting" or reading in self.supporting

    def judgment_of(self, reading: str):
        """The judgment declared for ``reading`` (None when the study still decides it by a check it calls)."""
        return (self.judgments or {}).get(reading)

    def search_of(self, reading: str):
        """The counterexample search declared for ``reading`` (None: none declared)."""
        return (self.search or {}).get(reading)

    def to_json(self) -> dict:
        out = {f.name: getattr(self, f.name) for f in dataclasses.fields(self) if f.name not in ("judgments", "search")}
        out = copy.deepcopy(out)
        out["methods"] = {r: list(self.roles_of(r)) for _, r in self.keys() if self.roles_of(r)}
        out["judgments"] = {r: j.describe() for r, j in (self.judgments or {}).items()}
        if self.search:
            out["search"] = {r: s.describe() for r, s in self.search.items()}
        return out


class FrozenDict(dict):
    """A dict that cannot change after it is made (a verdict's statistic): reads, JSON and pickling
    as a dict; every mutating method raises."""

    def _immutable(self, *args, **kwargs):
        raise TypeError("A verdict's statistic cannot change after the verdict is built; pass every number "
                        "when it is built (or use Verdict.restated for words around it).")

    __setitem__ = __delitem__ = update = setdefault = pop = popitem = clear = __ior__ = _immutable

    def __reduce__(self):
        return (FrozenDict, (dict(self),))

    def __copy__(self):
        return self

    def __deepcopy__(self, memo):
        return FrozenDict(copy.deepcopy(dict(self), memo))


def _number(x) -> float | None:
    """A p-value or level as a float (the JSON strings "nan", "inf" back to floats), or None."""
    if x is None:
        return None
    if isinstance(x, bool) or not isinstance(x, (int, float, np.integer, np.floating, str)):
        raise TypeError(f"A test record's p-values and levels must be numbers or None. Got {x!r} instead.")
    return float(x)


@dataclass(frozen=True)
class Test:
    """The record of a verdict's decision (:attr:`Verdict.test`), beside the check's own numbers.

    Attributes:
      p_fail: p-value of the FAIL test, whose null hypothesis is "the claim holds"
        (:mod:`convcheck.stats.multiple` corrects it over a claim's parts and over the suite);
        None for a deterministic check or when no test was run.
      p_fail_family: ``p_fail`` after the suite's multiplicity correction (None before it).
      p_fail_parts: a combined claim's parts' Holm-adjusted p-values, by part.
      alpha_fail, alpha_pass: the FAIL and PASS levels the verdict was decided at (the nominal
        ``ALPHA_FAIL``/``ALPHA_PASS``, or a look's levels in a staged run); None when not given.
      seeds_to_decide, decide_toward: the price of settling an inconclusive verdict: the seeds at
        which it would be decided at the observed mean and spread, and which way (``"reproduce"``
        or ``"refute"``); None when seeds cannot settle it.
    """

    __test__ = False  # not a pytest test class

    p_fail: float | None = None
    p_fail_family: float | None = None
    p_fail_parts: dict = field(default_factory=dict)
    alpha_fail: float | None = None
    alpha_pass: float | None = None
    seeds_to_decide: int | None = None
    decide_toward: str | None = None

    def __post_init__(self):
        for name in ("p_fail", "p_fail_family", "alpha_fail", "alpha_pass"):
            object.__setattr__(self, name, _number(getattr(self, name)))
        object.__setattr__(self, "p_fail_parts", FrozenDict({str(k): _number(v) for k, v in (self.p_fail_parts or {}).items()}))
        if self.seeds_to_decide is not None:
            object.__setattr__(self, "seeds_to_decide", int(self.seeds_to_decide))
        if self.decide_toward not in (None, "reproduce", "refute"):
            raise ValueError(f"The 'decide_toward' parameter must be 'reproduce', 'refute' or None. "
                             f"Got {self.decide_toward!r} instead.")

    def to_json(self) -> dict:
        return jsonable({f.name: getattr(self, f.name) for f in dataclasses.fields(self)})

    @classmethod
    def from_json(cls, data: dict | None) -> "Test":
        names = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in (data or {}).items() if k in names})


#: The test record's fields: never keys of a verdict's ``statistic``.
TEST_FIELDS = tuple(f.name for f in dataclasses.fields(Test))


@dataclass(frozen=True)
class Verdict:
    """What a study found about one claim: an immutable value, built once.

    ``statistic`` holds the numbers behind the outcome (e.g. max ratio, fitted slope),
    ``interval`` the confidence interval of the main statistic where there is one,
    ``window`` the checkpoint range used, ``seeds``/``diverged`` the counts, ``notes`` the
    reasoning and ``findings`` statements about where the paper is loose, with numbers.
    ``test`` is the decision's record (:class:`Test`: the FAIL p-value, the levels it was decided
    at, the price of settling it), written by the statistics alone.

    Outcomes come from :mod:`convcheck.stats` alone; nothing changes a verdict after it is built
    (lists become tuples, the statistic a :class:`FrozenDict`). A study that puts its words
    around a verdict the statistics decided gets a new verdict from :meth:`restated`, which
    cannot change the outcome.
    """

    claim: str
    study: str
    outcome: str
    summary: str
    statistic: dict = field(default_factory=dict)
    interval: tuple | None = None
    window: tuple | None = None
    seeds: int | None = None
    diverged: int = 0
    notes: tuple[str, ...] = ()
    findings: tuple[str, ...] = ()
    reading: str = AS_WRITTEN
    supporting: bool = False
    instances: tuple = ()
    test: Test = field(default_factory=Test)
    search: dict = field(default_factory=dict)

    def __post_init__(self):
        if self.outcome not in OUTCOMES:
            raise ValueError(f"The 'outcome' parameter must be one of {list(OUTCOMES)}. Got {self.outcome!r} instead.")
        for name in ("notes", "findings"):
            value = getattr(self, name)
            if isinstance(value, str):
                raise ValueError(f"The '{name}' parameter must be a list of strings. Got the string {value!r} instead.")
            object.__setattr__(self, name, tuple(str(x) for x in value))
        for name in ("interval", "window"):
            value = getattr(self, name)
            if value is not None:
                object.__setattr__(self, name, tuple(value))
        reserved = sorted(k for k in (self.statistic or {}) if k in TEST_FIELDS)
        if reserved:
            raise ValueError(f"The 'statistic' parameter must hold the check's own numbers only. Got {reserved}, "
                             f"fields of the test record (Verdict.test) instead.")
        if self.test is None or isinstance(self.test, dict):
            object.__setattr__(self, "test", Test.from_json(self.test))
        elif not isinstance(self.test, Test):
            raise TypeError(f"The 'test' parameter must be a convcheck.claims.Test. Got {type(self.test).__name__} instead.")
        object.__setattr__(self, "statistic", FrozenDict(self.statistic or {}))
        object.__setattr__(self, "search", FrozenDict(jsonable(dict(self.search or {}))))
        object.__setattr__(self, "instances", tuple(FrozenDict(_instance_json(e)) for e in self.instances))

    def restated(self, *, summary: str | None = None, prefix: str = "", findings=(), notes=(), statistic=None,
                 reading: str | None = None, window=None, study: str | None = None,
                 supporting: bool | None = None, instances=None) -> "Verdict":
        """The same verdict (same outcome) with a study's words around it: a new ``summary`` (or a
        ``prefix`` to the old one), ``findings`` and ``notes`` added after the verdict's own, more
        numbers in ``statistic`` (added, never replacing the check's own), the ``reading`` it
        answers, the ``window`` read, the certified ``instances`` it rests on (given as
        :class:`~convcheck.hypotheses.Instance`, each refuting when the verdict is refuted, or as
        their JSON; added to those it had). The outcome and the test record (:class:`Test`) are the
        statistics' and are not arguments."""
        extra = dict(statistic or {})
        clash = sorted(k for k in extra if k in self.statistic)
        if clash:
            raise ValueError(f"The 'statistic' parameter must not replace the check's own numbers. Got {clash} again.")
        return dataclasses.replace(
            self, summary=prefix + (self.summary if summary is None else summary), findings=(*self.findings, *findings),
            notes=(*self.notes, *notes), statistic={**self.statistic, **extra},
            reading=self.reading if reading is None else reading, window=self.window if window is None else window,
            study=self.study if study is None else study, supporting=self.supporting if supporting is None else supporting,
            instances=(*self.instances, *(_instance_json(e, self.outcome == REFUTED) for e in (instances or ()))))

    def searched(self, record: dict) -> "Verdict":
        """The same verdict with the record of the counterexample search its claim declares
        (:func:`convcheck.search.declared.run_declared`) beside it: the outcome is unchanged."""
        if self.search:
            raise ValueError(f"The verdict {self.label} already holds a search record; a verdict gets one search.")
        return dataclasses.replace(self, search=dict(record))

    @property
    def key(self) -> tuple[str, str]:
        return (self.claim, self.reading)

    @property
    def label(self) -> str:
        """``"GD-2"`` as written, ``"GD-2 [eta < 2/L]"`` for a reading."""
        return self.claim if self.reading == AS_WRITTEN else f"{self.claim} [{self.reading}]"

    def to_json(self) -> dict:
        out = jsonable({f.name: getattr(self, f.name) for f in dataclasses.fields(self) if f.name != "test"})
        out["test"] = self.test.to_json()
        return out

    @classmethod
    def from_json(cls, data: dict) -> "Verdict":
        """A verdict from :meth:`to_json`; a record written before :class:`Test` existed (its
        ``p_fail``, prices, ... among the ``statistic``) has them moved to the test record."""
        names = {f.name for f in dataclasses.fields(cls)}
        data = {k: v for k, v in data.items() if k in names}
        statistic = dict(data.get("statistic") or {})
        legacy = {k: statistic.pop(k) for k in TEST_FIELDS if k in statistic}
        if legacy:
            data["statistic"] = statistic
            data["test"] = {**legacy, **(data.get("test") or {})}
        return cls(**data)

    def evidence(self) -> str:
        """A multi-line text of the evidence, for assertion messages and the CLI."""
        kind = "supporting check" if self.supporting else "reading"
        where = [self.study] if self.study else []
        if self.reading != AS_WRITTEN:
            where.append(f"{kind}: {self.reading}")
        head = " ".join(x for x in (self.claim, f"[{'; '.join(where)}]" if where else "") if x)
        lines = [(f"{head}: " if head else "") + f"{self.outcome.upper()}: {self.summary}"]
        if self.interval is not None:
            lines.append(f"  interval: {list(self.interval)}")
        if self.window is not None:
            lines.append(f"  window: {list(self.window)}")
        lines += [f"  note: {n}" for n in self.notes]
        lines += [f"  finding: {f}" for f in self.findings]
        lines += [f"  instance: {e['name']}" + (" (refutes)" if e.get("refutes") else "") + ": " + ", ".join(
            p for p, c in e.get("certificates", {}).items() if c.get("holds")) for e in self.instances]
        if self.search:
            lines.append(f"  search: {self.search.get('summary', '')}")
        return "\n".join(lines)


def _instance_json(entry, refutes: bool = False) -> dict:
    """An instance a verdict rests on, as JSON (:meth:`convcheck.hypotheses.Instance.to_json`)."""
    if hasattr(entry, "to_json") and hasattr(entry, "certificates"):
        return entry.to_json(refutes=refutes)
    return dict(entry)


def headline(verdicts: list["Verdict"]) -> dict[str, int]:
    """Counts of outcomes over the paper's claims as written (readings and supporting checks excluded)."""
    main = [v for v in verdicts if v.reading == AS_WRITTEN and not v.supporting]
    return {o: sum(v.outcome == o for v in main) for o in OUTCOMES}


def claim_sort_key(v: "Verdict", sections: tuple[str, ...] | None = None) -> tuple:
    """The paper's order, as written before its readings, supporting checks last within a claim."""
    return (*claim_order(v.claim, sections), v.supporting, v.reading != AS_WRITTEN)


def sort_key(sections: tuple[str, ...] | None = None):
    """:func:`claim_sort_key` for a suite's section prefixes."""
    return lambda v: claim_sort_key(v, sections)

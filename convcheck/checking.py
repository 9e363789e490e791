"""``convcheck check``: put a user's optimizer in a claim's role and get the claim's verdicts.

    result = convcheck.check(torch.optim.Adam, claim="AD-3", reading="standard Adam")
    result.assert_reproduced()

The target is a ``torch.optim.Optimizer`` subclass (one instance per seed, each with its own
step size where the study sweeps step sizes) or a convcheck factory with the role's keyword
arguments (:mod:`convcheck.roles`). The study that holds the claim runs with the target in the
role; every verdict of the claim whose reading tests that role is returned, corrected for
multiplicity over the whole suite exactly as in ``convcheck run``, so a user's optimizer that
IS the library's algorithm gets the library's verdict.
"""

from __future__ import annotations

import ast
import re
import importlib
import importlib.util
import sys
from dataclasses import dataclass, field
from pathlib import Path

import torch

from .claims import REFUTED, REPRODUCED, Verdict
from .departures import (DEPARTURE_PROBLEM, ROUNDOFF_RTOL, SAME_PATH_RTOL, departure,  # noqa: F401  (their home was here)
                         departure_data, departure_words)

__all__ = ["check", "CheckResult", "load_target", "parse_hyper", "find_claim", "default_scale", "set_default_scale"]


@dataclass
class CheckResult:
    """The verdicts of the claims asked for, with the target in the role each tests."""

    target: str
    role: str
    claim: str
    study: str
    scale: str
    verdicts: list[Verdict] = field(default_factory=list)
    #: per role filled: where the target's iterates depart from the role's own algorithm (convcheck's
    #: method), on a small least-squares run: the first thing to read when a verdict differs
    departures: dict = field(default_factory=dict)
    #: the same, as data (:func:`departure_data`): first step, relative differences, the problem
    departure_records: dict = field(default_factory=dict)
    _asked: tuple = field(default=(), repr=False)  # (claims as asked, suite): what assert_like_reference reruns
    #: per role filled, for a class whose step depends on its parameters' shape (a layer-wise method): the
    #: algorithm its vector path runs, which is what every study judges (:func:`convcheck.layerwise.vector_fallback`)
    fallbacks: dict = field(default_factory=dict)

    @property
    def refuted(self) -> bool:
        return any(v.outcome == REFUTED for v in self.verdicts)

    @property
    def exit_code(self) -> int:
        """0 when nothing is refuted, 1 when something is (the CLI's exit status)."""
        return 1 if self.refuted else 0

    def evidence(self) -> str:
        head = f"{self.target} in role {self.role!r} of study {self.study!r} ({self.scale} scale):"
        from .layerwise import fallback_note

        return "\n".join([head] + [v.evidence() for v in self.verdicts]
                         + [f"against convcheck's {r}: {d}" for r, d in self.departures.items()]
                         + [f"in role {r}: {fallback_note(f)}" for r, f in self.fallbacks.items() if f])

    def _assert(self, outcome: str) -> "CheckResult":
        bad = [v for v in self.verdicts if v.outcome != outcome]
        if bad:
            raise AssertionError(f"expected every verdict {outcome}; "
                                 + ", ".join(f"{v.label} is {v.outcome}" for v in bad) + "\n" + self.evidence())
        return self

    def assert_reproduced(self) -> "CheckResult":
        """Raise AssertionError, with the verdicts' evidence, unless every verdict is reproduced."""
        return self._assert(REPRODUCED)

    def assert_refuted(self) -> "CheckResult":
        """Raise AssertionError, with the verdicts' evidence, unless every verdict is refuted."""
        return self._assert(REFUTED)

    def assert_like_reference(self, reference=None) -> "CheckResult":
        """Raise AssertionError, with the evidence, unless the target behaves as the role's reference
        does: the same outcome on every behavioural claim (a rate, a counterexample, a comparison),
        and on identity claims the reference's outcome too unless the target departs from the role's
        algorithm (then it is another algorithm, which is no failure). ``reference``: a CheckResult
        of the reference (default: run the role's reference class, else convcheck's own method, on
        the same claims at the same scale)."""
        from .wording import cell_label, reference_target
        from .roles import ROLES

        if reference is None:
            role = self.role.split(", ")[0]
            spec = ROLES.get(role)
            ref = reference_target(spec) if spec is not None else None
            claims, suite = self._asked
            reference = check(ref, list(claims), role=role, scale=self.scale, suite=suite,
                              hyper=(dict(spec.requires) or None) if ref is not None else None)
        theirs = {(v.claim, v.reading): v.outcome for v in reference.verdicts}
        rec = self.departure_records.get(self.role.split(", ")[0], {})
        departs = bool(rec) and not (rec.get("compared") and (rec.get("same") or rec.get("roundoff")))
        bad = []
        for v in self.verdicts:
            kind = _kind_of(v.claim, self.study)
            want = theirs.get((v.claim, v.reading))
            if want is None or (kind == "identity" and departs):
                continue
            if v.outcome != want:
                bad.append(f"{v.label}: {cell_label(kind, v.outcome)} where the reference is {cell_label(kind, want)}")
        if bad:
            raise AssertionError("the class does not behave as the role's reference: " + "; ".join(bad) + "\n"
                                 + self.evidence())
        return self

    def to_json(self) -> list[dict]:
        """The same records as ``verdicts.json``."""
        return [v.to_json() for v in self.verdicts]

    def document(self, *, seeds=None, dtype="float64", device="cpu", targets=()) -> dict:
        """``convcheck check --json``: the provenance header (:mod:`convcheck.provenance`), the target,
        role, claims and studies, the verdicts (the records of ``verdicts.json``, each with its claim's
        kind and, for a layer-wise class, ``fallback``: "fell back to Adam on vector parameters") and,
        per role, where the target departs from the role's algorithm (:func:`departure_data`) and the
        algorithm its vector path falls back to (``fallbacks``), as data."""
        from .provenance import header

        label = next((f["label"] for f in self.fallbacks.values() if f), None)  # one class: one vector path
        return {**header("convcheck.check", scale=self.scale, seeds=seeds, dtype=dtype, device=device, targets=targets),
                "target": self.target, "role": self.role, "claim": self.claim, "study": self.study,
                "verdicts": [{**v, "kind": _kind_of(v["claim"], self.study), "fallback": label} for v in self.to_json()],
                "departures": self.departure_records, "fallbacks": self.fallbacks}


def _kind_of(claim_id: str, studies: str) -> str:
    """The kind of a claim (identity, rate, ...) of one of the named studies, "" when not found."""
    from .suites import list_suites
    from .study import discover

    names = set(studies.split(", "))
    for suite in list_suites():
        for name, mod in discover(suite=suite).items():
            if name in names:
                for c in mod.CLAIMS:
                    if c.id == claim_id:
                        return c.kind
    return ""


def load_target(spec: str):
    """``module:attr`` (an importable module, or a path to a .py file) -> the object."""
    if not isinstance(spec, str) or ":" not in spec:
        raise ValueError(f"The 'target' parameter must be 'module:attr' (e.g. torch.optim:Adam or my_opt.py:MyAdam). "
                         f"Got {spec!r} instead.")
    mod_name, _, attr = spec.rpartition(":")
    try:
        if mod_name.endswith(".py"):
            path = Path(mod_name).resolve()
            if not path.is_file():
                raise ValueError(f"The 'target' parameter names the file {mod_name!r}, which does not exist.")
            name = f"convcheck_target_{path.stem}"
            spec_ = importlib.util.spec_from_file_location(name, path)
            module = importlib.util.module_from_spec(spec_)
            sys.modules[name] = module
            spec_.loader.exec_module(module)
        else:
            if "" not in sys.path and str(Path.cwd()) not in sys.path:
                sys.path.insert(0, str(Path.cwd()))  # a user's module beside where they run the command
            module = importlib.import_module(mod_name)
    except ImportError as exc:
        raise ValueError(f"The 'target' parameter's module {mod_name!r} cannot be imported: {exc}") from None
    obj = module
    for part in attr.split("."):
        if not hasattr(obj, part):
            raise ValueError(f"The 'target' parameter names {attr!r}, which module {mod_name!r} does not define.")
        obj = getattr(obj, part)
    return obj


#: A value naming an object: an importable module or a .py file, a colon, an attribute path.
_TARGET = re.compile(r"[\w./\\-]+:[A-Za-z_][\w.]*")


def parse_hyper(items) -> dict:
    """``["weight_decay=0.0", "foreach=False", "base=torch.optim:SGD", "name=x"]`` -> a dict: values read as
    Python literals, ``module:attr`` as the object it names, anything else as text."""
    out = {}
    for item in items or ():
        key, eq, value = item.partition("=")
        if not eq or not key.isidentifier():
            raise ValueError(f"The '--hyper' parameter must be KEY=VALUE with KEY a name. Got {item!r} instead.")
        try:
            out[key] = ast.literal_eval(value)
        except (ValueError, SyntaxError):
            # module:attr passes an object (a base optimizer's class for a wrapper); else the text itself
            out[key] = load_target(value) if _TARGET.fullmatch(value) else value
    return out


def parse_rename(items) -> dict:
    """``["momentum=beta"]`` -> ``{"momentum": "beta"}``: a role's argument -> the class's own name for it."""
    out = {}
    for item in items or ():
        key, eq, value = item.partition("=")
        if not eq or not key.isidentifier() or not value.isidentifier():
            raise ValueError(f"The '--rename' parameter must be ROLE_ARG=CLASS_ARG, two names (e.g. momentum=beta). "
                             f"Got {item!r} instead.")
        out[key] = value
    return out


def find_claim(claim: str, studies=None, suite: str | None = None):
    """(study module, Claim) for a claim id of a suite (default: the default suite); the id is
    case-insensitive, and an id that belongs to another suite is named with its suite."""
    from .study import discover
    from .suites import list_suites

    studies = discover(suite=suite) if studies is None else studies
    for mod in studies.values():
        for c in mod.CLAIMS:
            if c.id.upper() == str(claim).upper():
                return mod, c
    for other in list_suites():  # a helpful word when the id is another suite's
        if other == suite:
            continue
        try:
            ids = {c.id.upper(): c.id for m in discover(suite=other).values() for c in m.CLAIMS}
        except ValueError:
            continue
        if str(claim).upper() in ids:
            raise ValueError(f"The 'claim' parameter {claim!r} is a claim of suite {other!r}: name the suite with "
                             f"--suite {other} (or {other}:{ids[str(claim).upper()]}).")
    ids = sorted(c.id for m in studies.values() for c in m.CLAIMS)
    raise ValueError(f"The 'claim' parameter must be a claim id ({', '.join(ids)}). Got {claim!r} instead.")


def _match_reading(c, reading: str | None) -> str | None:
    if reading is None:
        return None
    names = [r for _, r in c.keys()]
    if reading in names:
        return reading
    hits = [r for r in names if r.startswith(reading)]
    if len(hits) == 1:
        return hits[0]
    raise ValueError(f"The 'reading' parameter must name one reading of {c.id}: {names}. Got {reading!r} instead.")


def check(target, claim, *, reading: str | None = None, role: str | None = None, hyper: dict | None = None,
          scale: str | None = None, seeds: int | None = None, device: str = "cpu", dtype=torch.float64,
          suite: str | None = None, rename: dict | None = None) -> CheckResult:
    """Run what ``claim`` needs with ``target`` in its role and return the verdicts that test it.

    Args:
      target: a ``torch.optim.Optimizer`` subclass, a convcheck factory, or ``"module:attr"``;
        None runs the library's own method (the reference a user's verdicts compare with).
      claim: a claim id (``convcheck list`` shows them, with their readings and roles;
        case-insensitive), or a list of ids: each study holding some runs once, for those alone.
      reading: one reading of the claim (a unique prefix of its name is enough); default all
        readings that test the role.
      role: the role to fill; default each claim's first (its primary method).
      hyper: fixed keyword arguments passed to the target on every construction.
      scale: ``tiny``, ``quick`` or ``full``; default ``quick``, or inside pytest the value of
        ``--convcheck-scale`` (the pytest plugin).
      suite: the suite holding the claim (default: the default suite); ``claim="adam2015:AMS-1"`` names it too.
      rename: the class's own names for the role's arguments (``{"momentum": "beta"}``).
    """
    from .study import run_study

    scale = default_scale() if scale is None else scale
    spec = target if isinstance(target, str) else None
    if spec is not None:
        target = load_target(spec)
    claims = [claim] if isinstance(claim, str) else list(claim)
    if not claims:
        raise ValueError("The 'claim' parameter must name at least one claim. Got none.")
    if reading is not None and len(claims) > 1:
        raise ValueError(f"The 'reading' parameter names one reading of one claim. Got {len(claims)} claims.")
    asked = []  # (module, claim, reading, role)
    for cid in claims:
        where = suite
        if ":" in cid:
            where, cid = cid.split(":", 1)
        module, c = find_claim(cid, suite=where)
        r = _match_reading(c, reading)
        candidates = c.roles_of(r) if r is not None else c.roles()
        if not candidates:
            raise ValueError(f"{c.id}{' (' + r + ')' if r else ''} tests no method that can be replaced "
                             f"(it is a statement about {c.kind}); claims with roles are listed by 'convcheck list'.")
        if role is not None and role not in candidates:
            raise ValueError(f"The 'role' parameter must be one of the roles {c.id} tests: {list(candidates)}. Got {role!r} instead.")
        asked.append((module, c, r, role or candidates[0]))
    verdicts, studies, departures, records, fallbacks = [], [], {}, {}, {}
    for module in dict.fromkeys(m for m, *_ in asked):  # each study once, in the order asked
        mine = [(c, r, ro) for m, c, r, ro in asked if m is module]
        methods = {} if target is None else {ro: target for _, _, ro in mine}  # {}: the library's own methods
        study_hyper = hyper
        if rename and target is not None:  # the class under its own names: resolved here, with hyper inside
            from .roles import resolve as _resolve

            methods = {ro: _resolve(ro, target, hyper, table=module.ROLE_TABLE, rename=rename) for ro in methods}
            study_hyper = None
        # only what the claims need: the study skips the parts of its other claims, and of the readings
        # that do not test the role filled
        wanted = [(c.id, rd) for c, r, ro in mine for _, rd in c.keys() if ro in c.roles_of(rd) and r in (None, rd)]
        result = run_study(module, scale, seeds=seeds, device=device, dtype=dtype, methods=methods, hyper=study_hyper,
                           claims=[c.id for c, _, _ in mine], readings=wanted)
        for c, r, ro in mine:
            verdicts += [v for v in result.verdicts if v.claim == c.id and ro in c.roles_of(v.reading)
                         and (r is None or v.reading == r)]
        studies.append(module.NAME)
        if target is not None:
            from .roles import resolve

            for ro in dict.fromkeys(ro for *_, ro in mine):
                if ro not in departures:
                    records[ro] = departure_data(resolve(ro, target, hyper, table=module.ROLE_TABLE, rename=rename),
                                                 resolve(ro, None, table=module.ROLE_TABLE))
                    departures[ro] = departure_words(records[ro])
                    if _is_torch_class(target):  # a layer-wise class: the algorithm its vector path runs
                        from .layerwise import vector_fallback

                        fallbacks[ro] = vector_fallback(target, _role_of(ro, module.ROLE_TABLE), hyper, module.ROLE_TABLE,
                                                        rename)
    if spec is not None:
        label = spec
    elif target is None:
        label = "convcheck default"
    else:
        label = f"{getattr(target, '__module__', '?')}.{getattr(target, '__qualname__', repr(target))}"
    return CheckResult(label, ", ".join(dict.fromkeys(ro for *_, ro in asked)), ", ".join(c.id for _, c, _, _ in asked),
                       ", ".join(studies), scale, verdicts, departures, records, (tuple(claims), suite), fallbacks)


def _is_torch_class(obj) -> bool:
    return isinstance(obj, type) and issubclass(obj, torch.optim.Optimizer)


def _role_of(name: str, table: dict):
    """The Role called ``name``: a study's own (``table``) or a standard one."""
    from .roles import ROLES

    return table.get(name) or ROLES[name]


#: The scale check() runs at when none is given; the pytest plugin sets it from --convcheck-scale.
_DEFAULT_SCALE = ["quick"]


def default_scale() -> str:
    """The scale :func:`check` runs at when none is given."""
    return _DEFAULT_SCALE[0]


def set_default_scale(scale: str) -> None:
    """Set the scale :func:`check` runs at when none is given (the pytest plugin's --convcheck-scale)."""
    from ._validation import check_choice

    _DEFAULT_SCALE[0] = check_choice("scale", scale, ("tiny", "quick", "full"))

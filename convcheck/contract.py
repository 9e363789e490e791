"""The study contract: what a study module declares and what its ``run`` returns.

A study is a module in ``studies/<suite>/`` with one shape (PEPit's examples are the model: one
docstring template, one signature, the same steps in the same order). Its docstring::

    '''<claim ids>: <what the study checks> (<where the paper states it>).

    Claims:
        the statements judged, as written, and each named reading or supporting check
    Kind:
        rate | bound | floor | linear | variance | comparative | identity | property
    Objective:
        the instances and their constants
    Optimizer:
        the methods (roles) and their settings
    Fit:
        what is measured and how it is reduced (per seed, per cell)
    Verdict rule:
        the judgment each reading declares (convcheck.judgments) and the check it maps to
    Certified:
        (optional) the worst case over the claim's class (convcheck.pep), where there is one
    Findings:
        (optional) what is reported beside the verdicts
    References:
        the sources
    '''

(:data:`DOCSTRING_HEADINGS`, held by :func:`docstring_problems`; every other line of the
docstring is indented under one of them), and at module level::

    CLAIMS: list[Claim]
    SCALES: dict[str, dict]        # at least "quick" and "full"; "tiny" for smoke tests
    ROLES: tuple[str, ...]         # the methods it runs, as roles (convcheck.roles); may be empty
    INJECTIONS: dict[str, str]     # optional: run()'s other keyword parameters (a bound, a sampler,
                                   # a perturbation function, a fixed setting), each with what it is
    DTYPE: torch.dtype             # optional: the dtype it always runs in (certificates that need float64)
    DEVICE: str                    # optional: "cpu" for a study that must run there (small nets, SciPy
                                   # solvers); the manifest and the report then say it ran on the CPU
    def run(ctx: Context, *, <the scale's config keys>, <the injections>) -> StudyResult

(:class:`~convcheck.context.Context`; :func:`check_contract` holds a loaded module to this).

Each claim declares the judgment of each of its readings (:mod:`convcheck.judgments`: a bound
with its expression, a rate, a contraction, a property as a named predicate, ...). ``run`` only
measures: it returns *evidence* (:mod:`convcheck.evidence`: curves and samples made on an
instance object, carrying its certificates), the findings beside each verdict, tidy tables and
figure *specs* (plain dicts the report turns into pictures); the library judges the evidence,
combines its parts, holds it to the claim's hypotheses and scope from the evidence's own
instances, and corrects for multiplicity (:func:`convcheck.study.run_study`). It never renders
anything, so the report is rebuilt from the store alone. A study builds each method it runs
through ``ctx.method(role)(**kwargs)``, so a user's optimizer (a torch.optim class or a
convcheck factory) stands in for the library's by ``run_study(module, methods={role: method})``;
the injections are how tests plant wrong inputs (``run_study(module, eps_fn=...)``), checked
against the declaration.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass, field
from types import ModuleType

import pandas as pd

from .claims import Claim, Verdict

#: The headings of a study's docstring, in this order; those in :data:`OPTIONAL_HEADINGS` may be left out.
DOCSTRING_HEADINGS = ("Claims:", "Kind:", "Objective:", "Optimizer:", "Fit:", "Verdict rule:", "Certified:", "Findings:",
                      "References:")
#: Certified: the worst case over a class (convcheck.pep), where there is one; Findings: what is reported beside.
OPTIONAL_HEADINGS = ("Certified:", "Findings:")

__all__ = ["Claim", "StudyResult", "DOCSTRING_HEADINGS", "OPTIONAL_HEADINGS", "docstring_problems", "check_contract",
           "config_keys", "injections_of"]


@dataclass
class StudyResult:
    """What a study returns: its evidence (judged by the library), tidy tables (name -> DataFrame),
    figure specs, setup, and the findings reported beside each verdict.

    ``evidence``: ``{claim id or (claim id, reading): {part label: evidence}}``
    (:mod:`convcheck.evidence`), one entry per verdict whose claim declares a judgment
    (:attr:`convcheck.claims.Claim.judgments`); a claim id alone means its statement as written.
    ``findings`` and ``notes``: the same keys -> sentences with numbers, added to that verdict.
    ``verdicts``: the library's verdicts on that evidence (:func:`convcheck.study.run_study` fills
    them; a study returns none). ``device``, ``dtype`` and ``compile``: where it ran, in what
    precision, and which engine runs were compiled (filled by ``run_study`` too).
    """

    verdicts: list[Verdict] = field(default_factory=list)
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    figures: list[dict] = field(default_factory=list)
    setup: dict = field(default_factory=dict)
    compile: dict | None = None  # the tally of compiled and eager engine runs (convcheck.compiling)
    device: str = ""  # "cpu" or "cuda" (convcheck.placement)
    dtype: str = ""  # "float64" or "float32"
    evidence: dict = field(default_factory=dict)
    findings: dict = field(default_factory=dict)
    notes: dict = field(default_factory=dict)

    @classmethod
    def merge(cls, *parts: "StudyResult") -> "StudyResult":
        """One result from a study's parts (one per claim, or per group of claims that share a
        computation), in the order given; a table or setup key made by two parts is an error."""
        merged = {"tables": {}, "setup": {}, "evidence": {}, "findings": {}, "notes": {}}
        for part in parts:
            for name, into in merged.items():
                mapping = getattr(part, name)
                twice = sorted(map(str, set(mapping) & set(into)))
                if twice:
                    raise ValueError(f"Two parts of a study made the {name} {twice}.")
                into.update(mapping)
        return cls([v for p in parts for v in p.verdicts], figures=[f for p in parts for f in p.figures], **merged)


def check_contract(mod: ModuleType, filename: str) -> None:
    """Hold a loaded study module to the contract; fill in ``ROLE_TABLE``, ``ROLES`` (as names) and
    ``INJECTIONS``. Raises ValueError naming the study and what it lacks."""
    for attr in ("CLAIMS", "SCALES", "run"):
        if not hasattr(mod, attr):
            raise ValueError(f"Study {filename} must define {attr!r} (see convcheck.contract).")
    for scale in ("quick", "full"):
        if scale not in mod.SCALES:
            raise ValueError(f"Study {filename} must declare the scale {scale!r} in SCALES.")
    from .stats.thresholds import MIN_SEEDS

    for scale, config in mod.SCALES.items():  # every interval over seeds needs MIN_SEEDS of them
        if config.get("seeds", MIN_SEEDS) < MIN_SEEDS:
            raise ValueError(f"Study {filename}: scale {scale!r} must have at least {MIN_SEEDS} seeds. "
                             f"Got {config['seeds']} instead.")
    from .roles import ROLES, Role

    declared = tuple(getattr(mod, "ROLES", ()))
    unknown = [r for r in declared if not isinstance(r, Role) and r not in ROLES]
    if unknown:
        raise ValueError(f"Study {filename} declares unknown roles {unknown}; the roles are {sorted(ROLES)} "
                         "(a suite's own method is declared as a convcheck.roles.Role).")
    mod.ROLE_TABLE = {r.name: r for r in (x if isinstance(x, Role) else ROLES[x] for x in declared)}
    mod.ROLES = tuple(mod.ROLE_TABLE)
    mod.INJECTIONS = _check_injections(mod, filename)


def config_keys(module: ModuleType) -> set[str]:
    """The keys the study's scales set (its seed count aside)."""
    return {k for config in module.SCALES.values() for k in config} - {"seeds"}


def _check_injections(mod: ModuleType, filename: str) -> dict[str, str]:
    """run()'s keyword parameters are the scales' config keys and the declared INJECTIONS, nothing else."""
    injections = dict(getattr(mod, "INJECTIONS", {}))
    params = [n for n, p in inspect.signature(mod.run).parameters.items() if p.kind is inspect.Parameter.KEYWORD_ONLY]
    config = config_keys(mod)
    undeclared = [n for n in params if n not in config and n not in injections]
    if undeclared:
        raise ValueError(f"Study {filename}: run() takes {undeclared}, which no scale sets; declare each in INJECTIONS "
                         "with what it is (see convcheck.contract).")
    absent = sorted(set(injections) - set(params))
    if absent:
        raise ValueError(f"Study {filename} declares the injections {absent}, which run() does not take.")
    unused = sorted(config - set(params))
    if unused:
        raise ValueError(f"Study {filename}: its scales set {unused}, which run() does not take.")
    return injections


def injections_of(module: ModuleType) -> dict[str, str]:
    """What a test or a user may pass to the study besides its scale's config: name -> what it is."""
    return dict(getattr(module, "INJECTIONS", {}))


def docstring_problems(doc: str | None) -> list[str]:
    """Where a study's docstring departs from the template (:data:`DOCSTRING_HEADINGS`): an empty
    list when it follows it."""
    if not doc or not doc.strip():
        return ["no docstring"]
    lines = doc.strip("\n").splitlines()
    problems = [] if lines[0].strip() else ["the first line must say what the study checks"]
    headings = [l.rstrip() for l in lines[1:] if l.strip() and not l.startswith(" ")]
    expected = [h for h in DOCSTRING_HEADINGS if h not in OPTIONAL_HEADINGS or h in headings]
    if headings != expected:
        problems.append(f"headings {headings} must be {expected} (each other line indented under one of them)")
    return problems

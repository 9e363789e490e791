"""The study contract, discovery, and the context a study runs in.

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
        which check of ``convcheck.stats`` decides each verdict
    Findings:
        (optional) what is reported beside the verdicts
    References:
        the sources
    '''

(:data:`DOCSTRING_HEADINGS`; every other line of the docstring is indented under one of them),
and at module level::

    CLAIMS: list[Claim]
    SCALES: dict[str, dict]        # at least "quick" and "full"; "tiny" for smoke tests
    ROLES: tuple[str, ...]         # the methods it runs, as roles (convcheck.roles); may be empty
    INJECTIONS: dict[str, str]     # optional: run()'s other keyword parameters (a bound, a sampler,
                                   # a perturbation function, a fixed setting), each with what it is
    DTYPE: torch.dtype             # optional: the dtype it always runs in (certificates that need float64)
    DEVICE: str                    # optional: "cpu" for a study that must run there (small nets, SciPy
                                   # solvers); the manifest and the report then say it ran on the CPU
    def run(ctx: Context, *, <the scale's config keys>, <the injections>) -> StudyResult

Each claim declares the judgment of each of its readings (:mod:`convcheck.judgments`: a bound
with its expression, a rate, a contraction, a property as a named predicate, ...). ``run`` only
measures: it returns *evidence* (:mod:`convcheck.evidence`: curves and samples made on an
instance object, carrying its certificates), the findings beside each verdict, tidy tables and
figure *specs* (plain dicts the report turns into pictures); the library judges the evidence,
combines its parts, holds it to the claim's hypotheses and scope from the evidence's own
instances, and corrects for multiplicity. It never renders anything, so the report is rebuilt
from the store alone. A study builds each method it runs
through ``ctx.method(role)(**kwargs)``, so a user's optimizer (a torch.optim class or a
convcheck factory) stands in for the library's by ``run_study(module, methods={role: method})``;
the injections are how tests plant wrong inputs (``run_study(module, eps_fn=...)``), checked
against the declaration.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import inspect
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType

import numpy as np
import pandas as pd
import torch

from ._hashing import hash_files
from ._validation import check_choice, check_int
from .claims import AS_WRITTEN, Claim, Verdict
from .hypotheses import enforce
from .seeding import seed_from, torch_generator
from .stats.thresholds import NOMINAL, Levels

#: The headings of a study's docstring, in this order; "Findings:" may be left out.
DOCSTRING_HEADINGS = ("Claims:", "Kind:", "Objective:", "Optimizer:", "Fit:", "Verdict rule:", "Certified:", "Findings:",
                      "References:")
OPTIONAL_HEADINGS = ("Certified:", "Findings:")  # Certified: the worst case over a class (convcheck.pep), where there is one

__all__ = ["Claim", "Context", "StudyResult", "DOCSTRING_HEADINGS", "docstring_problems", "injections_of", "discover",
           "load_study", "studies_dir", "source_hash", "run_study", "main", "family_size", "study_files", "study_record",
           "declared_device"]


@dataclass
class Context:
    """Where and how a study runs: device, dtype, seed count, and named generators."""

    study: str
    scale: str = "quick"
    seeds: int = 32
    device: str = "cpu"
    dtype: torch.dtype = torch.float64
    roles: tuple = ()
    methods: dict = field(default_factory=dict)  # role -> convcheck.roles.Method
    role_table: dict = field(default_factory=dict)  # role name -> convcheck.roles.Role
    claims: frozenset | None = None  # the claim ids asked for (None: all of the study's)
    readings: frozenset | None = None  # the (claim, reading) pairs asked for (None: every reading of those claims)
    # the FAIL and PASS levels its verdicts are judged at (a look's, in a staged run): a study that still
    # calls a check itself passes ``levels=ctx.levels`` to it
    levels: Levels = NOMINAL

    def wants(self, *claims: str) -> bool:
        """Whether any of ``claims`` was asked for: a study computes a claim's part only then, so
        ``convcheck check --claim X`` runs only what X needs (parts two claims share run for either)."""
        return self.claims is None or any(c in self.claims for c in claims)

    def wants_reading(self, claim: str, reading: str) -> bool:
        """Whether the verdict on ``reading`` of ``claim`` was asked for (``convcheck check`` asks
        only for the readings that test the role it fills): a study may skip another reading's part."""
        return self.wants(claim) and (self.readings is None or (claim, reading) in self.readings)

    def generator(self, *names) -> torch.Generator:
        """A CPU ``torch.Generator`` seeded from (study, *names).

        Random draws are made on the CPU and moved to the run's device, so the same seeds give
        the same data, starts and batches on every device (and on CPU, the same bits)."""
        return torch_generator(self.study, *names, device="cpu")

    def seed(self, *names) -> int:
        return seed_from(self.study, *names)

    def normal(self, shape, *names) -> torch.Tensor:
        """Standard normal draws of ``shape`` from the generator named ``names``, drawn on the CPU
        in the run's dtype and moved to its device (the same draws on every device)."""
        shape = (shape,) if isinstance(shape, int) else tuple(shape)
        return torch.randn(shape, generator=self.generator(*names), dtype=self.dtype, device="cpu").to(self.device)

    def start_near(self, center, *names, scale: float = 1.0, rows: int | None = None,
                   sphere: bool = False) -> torch.Tensor:
        """Starts ``center + scale * N(0, I)``, one per row (``rows``, default one per seed), the draws
        named ``names``: the "start near w*" of most studies. ``center``: (d,) tensor. ``sphere``:
        each draw normalised to unit length first, so every start lies at distance ``scale``."""
        rows = self.seeds if rows is None else int(rows)
        noise = self.normal((rows, center.shape[-1]), *names)
        if sphere:
            noise = noise / torch.linalg.vector_norm(noise, dim=-1, keepdim=True)
        return center + (noise if scale == 1.0 else scale * noise)

    def rows(self, values, per: int | None = None) -> torch.Tensor:
        """A sweep as rows: each of ``values`` repeated ``per`` times (default: once per seed), in
        the run's dtype and device, e.g. per-row step sizes for ``values`` x seeds runs."""
        return torch.tensor(np.repeat(np.asarray(values, dtype=float), self.seeds if per is None else int(per)),
                            dtype=self.dtype, device=self.device)

    def map(self, fn, settings) -> list:
        """``[fn(s) for s in settings]``: independent units of a study (the cells of a sweep).

        In this process by default; when the study itself runs on a Dask worker
        (``--executor dask``), the units become tasks of their own on the cluster. ``fn`` must
        draw its randomness from ``ctx.generator(...)`` named by the setting, never from shared
        state, so the results are the same bits wherever and in whatever order the units run.
        Units may run as threads of one worker process beside each other: a unit must be
        thread-safe (measured: quadratic_net's L-BFGS/LAPACK units hung with an MKL error when two
        ran in one process, so that study keeps its loop; reddi's Adam runs are fine).
        """
        settings = list(settings)
        try:
            from distributed import get_worker, worker_client

            get_worker()  # raises outside a Dask worker
        except (ImportError, ValueError):
            return [fn(s) for s in settings]
        import cloudpickle

        # a study and its suite's helpers are loaded from files, not importable by name on other
        # workers: their functions travel by value
        folder = str(Path(sys.modules[fn.__module__].__file__).parent)
        for mod in list(sys.modules.values()):
            if str(Path(getattr(mod, "__file__", "") or "/").parent) == folder:
                cloudpickle.register_pickle_by_value(mod)
        with worker_client() as client:  # leaves the worker's thread free for the units
            return client.gather(client.map(fn, settings, pure=False))

    def label(self, role: str) -> str:
        """What is in ``role`` for this run, in words: the user's class or factory, or convcheck's
        own method (for a verdict's line: the method actually under test)."""
        m = self.methods.get(role)
        return m.label if m is not None else f"convcheck's {role}"

    def method(self, role: str):
        """The method in ``role``: call it with the role's keyword arguments (torch.optim's
        names, see :mod:`convcheck.roles`) to get an Optimizer."""
        from .roles import resolve

        if role not in self.roles:
            raise ValueError(f"Study {self.study!r} declares the roles {list(self.roles)}; it asked for {role!r} "
                             "(add it to the study's ROLES).")
        return self.methods.get(role) or resolve(role, table=self.role_table)


@dataclass
class StudyResult:
    """What a study returns: its evidence (judged by the library), tidy tables (name -> DataFrame),
    figure specs, setup, and the findings reported beside each verdict.

    ``evidence``: ``{claim id or (claim id, reading): {part label: evidence}}``
    (:mod:`convcheck.evidence`), one entry per verdict whose claim declares a judgment
    (:attr:`convcheck.claims.Claim.judgments`); a claim id alone means its statement as written.
    ``findings`` and ``notes``: the same keys -> sentences with numbers, added to that verdict.
    ``verdicts``: the library's verdicts on that evidence (:func:`run_study` fills them; a study
    returns none).
    """

    verdicts: list[Verdict] = field(default_factory=list)
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    figures: list[dict] = field(default_factory=list)
    setup: dict = field(default_factory=dict)
    compile: dict | None = None  # the tally of compiled and eager engine runs (convcheck.compiling)
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


def studies_dir(suite: str | None = None) -> Path:
    """The folder of a suite's studies (default: the default suite's); see :mod:`convcheck.suites`."""
    from .suites import load_suite

    return load_suite(suite).path


def load_study(path: Path) -> ModuleType:
    """Import a study module from its file path, and check its contract."""
    path = Path(path)
    name = f"convcheck_studies.{path.parent.name}.{path.stem}"  # qualified by the suite's folder
    if name in sys.modules and getattr(sys.modules[name], "__file__", None) == str(path):
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, path)
    mod = importlib.util.module_from_spec(spec)
    sys.modules[name] = mod
    # a suite's helper modules (files starting with "_") import by name, as when the study runs
    # as a script; their names are unique across suites (e.g. _adam2015.py)
    if str(path.parent) not in sys.path:
        sys.path.append(str(path.parent))
    spec.loader.exec_module(mod)
    for attr in ("CLAIMS", "SCALES", "run"):
        if not hasattr(mod, attr):
            raise ValueError(f"Study {path.name} must define {attr!r} (see convcheck.study).")
    for scale in ("quick", "full"):
        if scale not in mod.SCALES:
            raise ValueError(f"Study {path.name} must declare the scale {scale!r} in SCALES.")
    from .stats.thresholds import MIN_SEEDS

    for scale, config in mod.SCALES.items():  # every interval over seeds needs MIN_SEEDS of them
        if config.get("seeds", MIN_SEEDS) < MIN_SEEDS:
            raise ValueError(f"Study {path.name}: scale {scale!r} must have at least {MIN_SEEDS} seeds. "
                             f"Got {config['seeds']} instead.")
    from .roles import ROLES, Role

    declared = tuple(getattr(mod, "ROLES", ()))
    unknown = [r for r in declared if not isinstance(r, Role) and r not in ROLES]
    if unknown:
        raise ValueError(f"Study {path.name} declares unknown roles {unknown}; the roles are {sorted(ROLES)} "
                         "(a suite's own method is declared as a convcheck.roles.Role).")
    mod.ROLE_TABLE = {r.name: r for r in (x if isinstance(x, Role) else ROLES[x] for x in declared)}
    mod.ROLES = tuple(mod.ROLE_TABLE)
    mod.INJECTIONS = _check_injections(mod, path.name)
    mod.NAME = path.stem
    return mod


def _config_keys(module: ModuleType) -> set[str]:
    """The keys the study's scales set (its seed count aside)."""
    return {k for config in module.SCALES.values() for k in config} - {"seeds"}


def _check_injections(mod: ModuleType, filename: str) -> dict[str, str]:
    """run()'s keyword parameters are the scales' config keys and the declared INJECTIONS, nothing else."""
    injections = dict(getattr(mod, "INJECTIONS", {}))
    params = [n for n, p in inspect.signature(mod.run).parameters.items() if p.kind is inspect.Parameter.KEYWORD_ONLY]
    config = _config_keys(mod)
    undeclared = [n for n in params if n not in config and n not in injections]
    if undeclared:
        raise ValueError(f"Study {filename}: run() takes {undeclared}, which no scale sets; declare each in INJECTIONS "
                         "with what it is (see convcheck.study).")
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


def discover(folder: Path | None = None, suite: str | None = None) -> dict[str, ModuleType]:
    """Every study of a suite (``<suite>/*.py`` not starting with an underscore), by name, sorted.
    ``folder`` names the suite's folder directly; else ``suite`` (default: the default suite)."""
    folder = studies_dir(suite) if folder is None else Path(folder)
    if not folder.is_dir():
        raise ValueError(f"The studies folder must exist. Got {str(folder)!r} instead (set CONVCHECK_STUDIES).")
    return {p.stem: load_study(p) for p in study_files(folder)}


def family_size(studies: dict[str, ModuleType]) -> int:
    """The suite's multiplicity family: the verdicts its studies register (every claim as
    written, each named reading, each supporting check), fixed before anything runs."""
    return sum(len(c.keys()) for m in studies.values() for c in m.CLAIMS)


def source_hash(study: ModuleType | Path) -> str:
    """SHA-256 of the study's source (a loaded module or its file) and of the convcheck package's sources.

    The library is part of the key because a study's numbers depend on the engine and the
    statistics as much as on its own file.
    """
    path = Path(study.__file__) if isinstance(study, ModuleType) else Path(study)
    return hash_files([path, *sorted(Path(__file__).resolve().parent.rglob("*.py"))])


def study_files(folder: Path) -> list[Path]:
    """A suite folder's study files, sorted: ``*.py`` not starting with an underscore (helpers)."""
    return [p for p in sorted(Path(folder).glob("*.py")) if not p.name.startswith("_")]



def _check_same_statement(study: str, by_id: dict, verdicts: list) -> None:
    """One equation, one verdict: claims declared ``same_as`` each other must agree as written."""
    written = {v.claim: v.outcome for v in verdicts if v.reading == AS_WRITTEN}
    for c in by_id.values():
        other = c.same_as
        if other and c.id in written and other in written and written[c.id] != written[other]:
            raise RuntimeError(f"Study {study!r} gave {c.id} ({written[c.id]}) and {other} ({written[other]}) different "
                               f"verdicts as written, and they state the same equation.")


def run_study(module: ModuleType, scale: str = "quick", seeds: int | None = None, device: str = "cpu",
              dtype: torch.dtype = torch.float64, family: int | str | None = "suite", methods: dict | None = None,
              hyper: dict | None = None, compile: bool | str = "auto", claims=None, readings=None,
              judgments: dict | None = None, levels: Levels | None = None, **overrides) -> StudyResult:
    """Run one study at a scale; ``seeds`` overrides the scale's default count.

    ``claims``: the claim ids to evaluate (case-insensitive; default all of the study's): the
    study computes only their parts (:meth:`Context.wants`) and must return a verdict for each of
    their readings; the result holds those verdicts, and the tables and figures that were made.
    ``readings``: (claim id, reading) pairs, narrower still: only those verdicts are owed and kept
    (:meth:`Context.wants_reading`); their claims are asked for.

    ``compile``: the mode its engine runs compile their step in (:mod:`convcheck.compiling`:
    ``auto``, ``on``, ``off`` or a bool); ``result.compile`` tallies the runs compiled and those
    run eagerly, and why.

    ``methods``: ``{role: method}``, a torch.optim class or a convcheck factory in each named
    role (:mod:`convcheck.roles`); ``hyper``: fixed keyword arguments for those methods.

    ``judgments``: ``{claim id or (claim id, reading): judgment}`` in place of the declared ones
    (a planted wrong bound, a user's stricter reading); each of the kind its claim names.

    ``levels``: the FAIL and PASS levels the evidence is judged and the family corrected at
    (:class:`~convcheck.stats.thresholds.Levels`: a look's, :mod:`convcheck.sequential`; None: the
    nominal ``ALPHA_FAIL``/``ALPHA_PASS``). On the context as ``ctx.levels``, for a study that
    still calls a check itself (one that does not pass them gets the nominal levels).

    ``family``: the multiplicity family the verdicts are corrected over
    (:func:`convcheck.stats.family_adjust`): ``"suite"`` (the claims of every study in the
    study's folder, so a study run alone gets the verdicts it gets in a full run), a number,
    or None for raw verdicts (the runner corrects a whole run itself, after caching them raw).
    """
    check_choice("scale", scale, tuple(module.SCALES))
    levels = Levels.of(levels)
    allowed = _config_keys(module) | set(injections_of(module))
    unknown = sorted(set(overrides) - allowed)
    if unknown:
        raise ValueError(f"The keyword arguments of study {module.NAME!r} must be among its config and injections "
                         f"{sorted(allowed)}. Got {unknown} instead.")
    config = {**module.SCALES[scale], **overrides}
    if seeds is not None:
        from .stats.thresholds import MIN_SEEDS

        config["seeds"] = check_int("seeds", seeds, MIN_SEEDS)
    from .roles import resolve

    methods = dict(methods or {})
    unknown = [r for r in methods if r not in module.ROLES]
    if unknown:
        raise ValueError(f"The 'methods' parameter must name roles of study {module.NAME!r}, which are "
                         f"{list(module.ROLES) or 'none'}. Got {unknown} instead.")
    resolved = {r: resolve(r, m, hyper, table=module.ROLE_TABLE) for r, m in methods.items()}
    dtype = getattr(module, "DTYPE", dtype)  # a study whose certificates need float64 says so
    device = declared_device(module) or device  # a study that must run on the CPU says so
    wanted = _readings_asked(module, readings)
    if wanted is not None:
        claims = sorted({c for c, _ in wanted} | set(_claims_asked(module, claims) or ()))
    asked = _claims_asked(module, claims)
    ctx = Context(study=module.NAME, scale=scale, seeds=config.pop("seeds", 32), device=device, dtype=dtype,
                  roles=module.ROLES, methods=resolved, role_table=module.ROLE_TABLE, claims=asked, readings=wanted,
                  levels=levels)
    from .compiling import compiling

    with compiling(compile) as tally:
        result = module.run(ctx, **config)
    result = dataclasses.replace(result, compile=tally)
    by_id = {c.id: c for c in module.CLAIMS}
    # judged here, where the study runs (at its look's levels), and then dropped: the evidence holds the
    # objectives themselves, which neither the store nor a worker's reply carries
    result = dataclasses.replace(result, verdicts=[*result.verdicts, *judge_evidence(module, result, judgments,
                                                                                     levels=levels)],
                                 evidence={}, findings={}, notes={})
    verdicts = [v.restated(study=module.NAME, supporting=by_id[v.claim].is_supporting(v.reading) if v.claim in by_id
                           else v.supporting) for v in result.verdicts
                if (asked is None or v.claim in asked) and (wanted is None or v.key in wanted)]
    # The library's rule, not the study's: as written, a refutation rests on an instance inside the
    # claim's hypotheses and a reproduction covers its scope (convcheck.hypotheses).
    verdicts = [enforce(by_id[v.claim], v) if v.claim in by_id else v for v in verdicts]
    # the counterexample search each claim declares for a verdict, run here beside it (convcheck.search.declared)
    verdicts = [_searched(by_id[v.claim], v, ctx, scale) if v.claim in by_id else v for v in verdicts]
    _check_same_statement(module.NAME, by_id, verdicts)
    if asked is not None:  # the contract: every reading of every claim asked for has its verdict
        missing = [k for c in by_id.values() if c.id in asked for k in c.keys()
                   if k not in {v.key for v in verdicts} and (wanted is None or k in wanted)]
        if missing:
            raise RuntimeError(f"Study {module.NAME!r} gave no verdict for {missing} when asked for {sorted(asked)}.")
        result = dataclasses.replace(result, figures=[f for f in result.figures if f.get("table") in result.tables])
    if family == "suite":
        family = family_size(discover(Path(module.__file__).parent))
    if family is not None:
        from .stats.multiple import family_adjust

        verdicts = family_adjust(verdicts, int(family), levels=levels)
    return dataclasses.replace(result, verdicts=verdicts)


def _searched(claim, verdict, ctx: Context, scale: str):
    """``verdict`` with the record of the search ``claim`` declares for its reading, if any."""
    declaration = claim.search_of(verdict.reading)
    if declaration is None:
        return verdict
    from .search.declared import run_declared

    return verdict.searched(run_declared(claim, verdict, declaration, ctx, scale))


def _key(module: ModuleType, key) -> tuple[str, str]:
    """A result's key (a claim id, or (claim id, reading)) as (claim id, reading), checked."""
    claim, reading = (key, AS_WRITTEN) if isinstance(key, str) else tuple(key)
    known = {k for c in module.CLAIMS for k in c.keys()}
    if (claim, reading) not in known:
        raise ValueError(f"Study {module.NAME!r} returned evidence or findings for {(claim, reading)!r}, which none of its "
                         f"claims registers (its verdicts: {sorted(known)}).")
    return claim, reading


def judge_evidence(module: ModuleType, result: StudyResult, replaced: dict | None = None, *,
                   levels: Levels | None = None) -> list[Verdict]:
    """The verdicts the library gives from a study's evidence: each by the judgment its claim
    declares for that reading (:func:`convcheck.judgments.judge`; ``replaced`` puts others in their
    place), with the study's findings and notes for it. A verdict a claim declares a judgment for
    must come from evidence, never from the study's own check. ``levels``: the FAIL and PASS levels
    every verdict is judged at (None: nominal)."""
    from .judgments import judge, kinds_of

    by_id = {c.id: c for c in module.CLAIMS}
    replaced = {_key(module, k): j for k, j in (replaced or {}).items()}
    for (claim_id, reading), j in replaced.items():
        if not kinds_of(j.kind) <= kinds_of(by_id[claim_id].kind):
            raise ValueError(f"The 'judgments' parameter must give {claim_id} a judgment of a kind it names "
                             f"({by_id[claim_id].kind!r}). Got a {j.kind} judgment instead.")
    if result.verdicts:
        raise RuntimeError(f"Study {module.NAME!r} returned verdicts ({sorted({v.key for v in result.verdicts})}): a study "
                           "returns evidence (StudyResult.evidence) for the judgments its claims declare, and the "
                           "library judges it.")
    findings = {_key(module, k): list(v) for k, v in result.findings.items()}
    notes = {_key(module, k): list(v) for k, v in result.notes.items()}
    out = []
    for key, parts in result.evidence.items():
        claim_id, reading = _key(module, key)
        claim = by_id[claim_id]
        judgment = replaced.get((claim_id, reading)) or claim.judgment_of(reading)
        if judgment is None:
            raise RuntimeError(f"Study {module.NAME!r} returned evidence for {claim_id} [{reading}], which declares no "
                               "judgment (Claim(..., judgments=...)).")
        out.append(judge(claim, reading, judgment, dict(parts), study=module.NAME,
                         findings=findings.get((claim_id, reading), ()), notes=notes.get((claim_id, reading), ()),
                         levels=levels))
    return out


def _claims_asked(module: ModuleType, claims) -> frozenset | None:
    """The study's claim ids named by ``claims`` (case-insensitive), or None for all of them."""
    if claims is None:
        return None
    claims = [claims] if isinstance(claims, str) else list(claims)
    ids = {c.id.upper(): c.id for c in module.CLAIMS}
    unknown = [c for c in claims if str(c).upper() not in ids]
    if unknown or not claims:
        raise ValueError(f"The 'claims' parameter must name claims of study {module.NAME!r}, which are {sorted(ids.values())}. "
                         f"Got {unknown or claims} instead.")
    return frozenset(ids[str(c).upper()] for c in claims)


def _readings_asked(module: ModuleType, readings) -> frozenset | None:
    """The (claim id, reading) pairs named by ``readings``, checked against the study's claims."""
    if readings is None:
        return None
    by_id = {c.id.upper(): c for c in module.CLAIMS}
    out = set()
    for pair in readings:
        claim, reading = pair
        c = by_id.get(str(claim).upper())
        if c is None or (c.id, reading) not in c.keys():
            raise ValueError(f"The 'readings' parameter must name (claim, reading) pairs of study {module.NAME!r}. "
                             f"Got {tuple(pair)!r} instead.")
        out.add((c.id, reading))
    if not out:
        raise ValueError("The 'readings' parameter must name at least one (claim, reading) pair. Got none.")
    return frozenset(out)


def declared_device(module: ModuleType) -> str:
    """The device a study always runs on (its ``DEVICE``: "cpu" for small nets and SciPy
    solvers), or "" when it runs where the run does."""
    return str(getattr(module, "DEVICE", "") or "")


def study_record(module: ModuleType, result: StudyResult, *, scale: str, seeds: int, device: str, dtype: str,
                 cache_key: str, source_hash: str, wall_time_s: float) -> dict:
    """The study's record in a run (``studies.json``, and the cache's ``study.json``): its claims,
    figure specs, setup and provenance; plain JSON-ready data."""
    import socket

    return {"study": module.NAME, "doc": (module.__doc__ or "").strip(), "claims": [c.to_json() for c in module.CLAIMS],
            "figures": result.figures, "setup": result.setup, "scale": scale, "config": dict(module.SCALES[scale]),
            "seeds": seeds, "seed_root": seed_from(module.NAME), "cache_key": cache_key, "source_hash": source_hash,
            "device": declared_device(module) or device,
            "dtype": str(getattr(module, "DTYPE", getattr(torch, dtype))).replace("torch.", ""),
            "host": socket.gethostname(), "wall_time_s": wall_time_s, "compile": result.compile}


def main(path: str) -> None:
    """``python studies/x.py [scale]``: run one study alone and print its verdicts.

    Runs on one torch thread, like ``convcheck run`` (small batched kernels are fastest so;
    on 2 shared cores two threads made this project's studies up to 60x slower).
    """
    torch.set_num_threads(int(os.environ.get("CONVCHECK_THREADS", "1")))
    scale = sys.argv[1] if len(sys.argv) > 1 else "quick"
    module = load_study(Path(path))
    if scale not in module.SCALES:
        print(f"{Path(path).name}: error: the scale must be one of {sorted(module.SCALES)}. Got {scale!r} instead.",
              file=sys.stderr)
        raise SystemExit(2)
    result = run_study(module, scale)
    for v in result.verdicts:
        print(v.evidence())

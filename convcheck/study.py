"""Running a study: its context built, its ``run`` called, its evidence judged, its verdicts corrected.

:func:`run_study` runs one study module (:mod:`convcheck.contract`) where this process is, and
:func:`judge_evidence` turns the evidence it returns into verdicts by the judgments its claims
declare. :func:`main` runs a study file alone (``python studies/<suite>/<study>.py [scale]``).

What studies and tests import from here: ``Claim`` and ``StudyResult`` (the contract), ``Context``,
``load_study``, ``discover`` and ``studies_dir`` (discovery), ``docstring_problems``.
"""

from __future__ import annotations

import dataclasses
import os
import sys
from pathlib import Path
from types import ModuleType

import torch

from ._validation import check_choice, check_int
from .claims import AS_WRITTEN, Claim, Verdict
from .context import Context
from .contract import DOCSTRING_HEADINGS, StudyResult, config_keys, docstring_problems, injections_of
from .discovery import discover, family_size, load_study, studies_dir
from .hypotheses import enforce
from .placement import dtype_name, placement
from .stats.thresholds import Levels

__all__ = ["Claim", "Context", "StudyResult", "DOCSTRING_HEADINGS", "docstring_problems", "injections_of", "discover",
           "load_study", "studies_dir", "run_study", "judge_evidence", "main"]


def _check_same_statement(study: str, by_id: dict, verdicts: list) -> None:
    """One equation, one verdict: claims declared ``same_as`` each other must agree as written."""
    written = {v.claim: v.outcome for v in verdicts if v.reading == AS_WRITTEN}
    for c in by_id.values():
        other = c.same_as
        if other and c.id in written and other in written and written[c.id] != written[other]:
            raise RuntimeError(f"Study {study!r} gave {c.id} ({written[c.id]}) and {other} ({written[other]}) different "
                               f"verdicts as written, and they state the same equation.")


def run_study(module: ModuleType, scale: str = "quick", seeds: int | None = None, device: str = "cpu",
              dtype="float64", family: int | str | None = "suite", methods: dict | None = None,
              hyper: dict | None = None, compile: bool | str = "auto", claims=None, readings=None,
              judgments: dict | None = None, levels: Levels | None = None, **overrides) -> StudyResult:
    """Run one study at a scale; ``seeds`` overrides the scale's default count.

    ``device`` (``auto``, ``cpu``, ``cuda``) and ``dtype`` (``float64``, ``float32`` or a
    ``torch.dtype``): what the run asks for; :func:`convcheck.placement.placement` decides where
    this study runs (its own ``DEVICE`` and ``DTYPE`` win), and ``result.device`` and
    ``result.dtype`` say what it decided.

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
    allowed = config_keys(module) | set(injections_of(module))
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
    device, dtype = placement(module, device, dtype)
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
    result = dataclasses.replace(result, compile=tally, device=device, dtype=dtype_name(dtype))
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


def main(path: str) -> None:
    """``python studies/x.py [scale]``: run one study alone and print its verdicts with their evidence.

    Runs on one torch thread (``CONVCHECK_THREADS`` sets another count), like ``convcheck run``:
    the studies' small batched kernels are fastest on one thread.
    """
    torch.set_num_threads(int(os.environ.get("CONVCHECK_THREADS", "1")))
    scale = sys.argv[1] if len(sys.argv) > 1 else "quick"
    module = load_study(Path(path))
    if scale not in module.SCALES:
        print(f"{Path(path).name}: error: the scale must be one of {sorted(module.SCALES)}. Got {scale!r} instead.",
              file=sys.stderr)
        raise SystemExit(2)
    from .printing import print_verdicts

    print_verdicts(run_study(module, scale).verdicts, detail=True)

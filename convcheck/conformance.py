"""A conformance matrix: every optimizer class of a module against every claim it can be judged on.

    convcheck check torch.optim --scale tiny            # every class of the module
    convcheck check my_opts.py:MyAdam,my_opts.py:MySAM  # a list of classes

For each class, the roles it fits (:mod:`convcheck.roles`, the standard ones and those the
suites declare), then every claim of every suite with a reading that tests the role:
:func:`convcheck.check` runs them (each study once, for those claims alone) and the page shows
class x claim with each verdict linked to its evidence. A class fits a role

* as its **reference**: the role names it (``Role.torch_class``: torch.optim.SGD for gd, sgd,
  momentum and, with ``nesterov=True``, nesterov; torch.optim.Adam for adam; ...), with the
  switches the role requires (``Role.requires``); a reference class is checked in its own roles
  only;
* **by argument names**, for any other class: the role has an argument besides ``lr``, and the
  class's signature names every argument of the role (and every switch it requires). The
  verdict is then about that class in that role, whatever the class means by the names: a
  class's own meaning of ``rho`` or ``momentum`` is not known here, which the page says.

Roles that take only ``lr`` (gd, sgd, line_search) fit their reference classes alone: every
class takes a step size, and GD's claims say nothing about Adam. A class that cannot be built
with the role's arguments, that swallows one, or that fails in a study gets its reason in the
cell instead of a verdict. Nothing here decides a verdict: the cells are the claims' own
verdicts, corrected for multiplicity as in ``convcheck run``.
"""

from __future__ import annotations

import inspect
import json
import time
from dataclasses import dataclass, field
from pathlib import Path

import torch

__all__ = ["Fit", "Row", "classes_of", "fitting_roles", "conformance", "write_page"]


@dataclass
class Fit:
    role: object          # convcheck.roles.Role
    hyper: dict           # the switches passed (nesterov=True, amsgrad=True)
    how: str              # "reference" or "by argument names"


@dataclass
class Row:
    """One class in one role: its verdicts (per suite), or why there are none."""

    target: str
    role: str
    how: str
    hyper: dict
    verdicts: list = field(default_factory=list)
    error: str = ""
    seconds: float = 0.0
    departure: str = ""  # where its iterates depart from the role's own algorithm (convcheck.checking.departure)
    failed_by: str = ""  # who failed when error is set: "class", "fit" or "convcheck" (convcheck.failures)


def _name(cls) -> str:
    """The name a user imports the class by: ``torch.optim.Adam``, not ``torch.optim.adam.Adam``."""
    if getattr(torch.optim, cls.__name__, None) is cls:
        return f"torch.optim.{cls.__name__}"
    return f"{cls.__module__}.{cls.__qualname__}"


def classes_of(spec: str) -> list:
    """The optimizer classes named by ``spec``: a module (every public ``torch.optim.Optimizer``
    subclass it holds, Optimizer itself aside) or a comma-separated list of ``module:attr``."""
    from .checking import load_target

    if ":" in spec:
        out = [load_target(part.strip()) for part in spec.split(",") if part.strip()]
        bad = [getattr(c, "__name__", repr(c)) for c in out
               if not (inspect.isclass(c) and issubclass(c, torch.optim.Optimizer))]
        if bad:
            raise ValueError(f"The 'target' parameter's classes must be torch.optim.Optimizer subclasses. Got {bad} instead.")
        return out
    import importlib

    try:
        module = importlib.import_module(spec)
    except ImportError as exc:
        raise ValueError(f"The 'target' parameter must be module:attr, a list of them, or an importable module. "
                         f"Got {spec!r}: {exc}") from None
    found = {}
    for attr in sorted(dir(module)):
        obj = getattr(module, attr)
        if (not attr.startswith("_") and inspect.isclass(obj) and issubclass(obj, torch.optim.Optimizer)
                and obj is not torch.optim.Optimizer):
            found.setdefault(obj, None)  # a class exported under two names is one row
    if not found:
        raise ValueError(f"The 'target' parameter's module {spec!r} holds no torch.optim.Optimizer subclass.")
    return list(found)


def _reference_of(role) -> str | None:
    """The class a role names as its reference (``torch.optim.Adam`` of ``torch.optim.Adam(...)``)."""
    return (role.torch_class or "").split("(")[0] or None


def _named_arguments(cls) -> set[str]:
    try:
        sig = inspect.signature(cls.__init__)
    except (TypeError, ValueError):
        return set()
    return {n for n, p in sig.parameters.items() if p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL)} - {"self", "params"}


def fitting_roles(cls, roles: dict) -> list[Fit]:
    """The roles ``cls`` fits (the rule of the module docstring), in the table's order."""
    ref = [Fit(r, dict(r.requires), "reference") for r in roles.values() if _reference_of(r) == _name(cls)]
    if ref:
        return ref
    named = _named_arguments(cls)
    return [Fit(r, dict(r.requires), "by argument names") for r in roles.values()
            if len(r.params) > 1 and set(r.params) | set(r.requires) <= named]


def _claims_by_role(suites) -> tuple[dict, dict]:
    """(every role of the suites by name, {role: [(suite, claim id), ...]})."""
    from .roles import ROLES
    from .study import discover

    roles, claims = dict(ROLES), {}
    for suite in suites:
        for mod in discover(suite=suite).values():
            roles.update(mod.ROLE_TABLE)
            for c in mod.CLAIMS:
                for r in c.roles():
                    claims.setdefault(r, []).append((suite, c.id))
    return roles, claims


def _spec_of(cls) -> str:
    """``module:attr`` that loads ``cls`` in a fresh process (a class from a .py file: its path)."""
    mod = inspect.getmodule(cls)
    if mod is not None and mod.__name__.startswith("convcheck_target_") and getattr(mod, "__file__", None):
        return f"{mod.__file__}:{cls.__qualname__}"
    return f"{cls.__module__}:{cls.__qualname__}"


def _row(cls, role: str, how: str, hyper: dict, todo, scale, device, dtype) -> Row:
    """One class in one role against its claims ``todo`` ((suite, claim id) pairs), each suite's at once."""
    from .checking import check

    row = Row(_name(cls), role, how, hyper)
    start = time.perf_counter()
    for suite in dict.fromkeys(s for s, _ in todo):
        ids = [c for s, c in todo if s == suite]
        try:
            result = check(cls, ids, role=role, hyper=hyper or None, scale=scale, suite=suite, device=device, dtype=dtype)
            row.verdicts += [(suite, v) for v in result.verdicts]
            row.departure = row.departure or result.departures.get(role, "")
        except Exception as exc:  # the class in this role, whatever went wrong: its reason and who failed, not a crash
            from .failures import describe_failure

            row.failed_by, row.error = describe_failure(exc, cls)
            break
    row.seconds = time.perf_counter() - start
    return row


def _row_in_worker(spec: str, *args) -> Row:
    """:func:`_row` in a worker process of the pool: the class loaded from its spec, one thread."""
    from ._runtime import blas_limits, tune_process
    from .checking import load_target

    tune_process()
    torch.set_num_threads(1)
    with blas_limits(1):
        return _row(load_target(spec), *args)


def conformance(classes, *, scale: str = "tiny", suites=None, claims=None, device: str = "cpu",
                dtype=torch.float64, progress=None, workers: int = 1) -> list[Row]:
    """Every class in every role it fits, against every claim (of ``suites``, default all; of
    ``claims`` alone when given) with a reading that tests the role. ``progress(row)`` is called
    as each row ends (the command line prints a line). ``workers`` > 1 runs the rows in a pool of
    spawned processes, one thread each (the rows are independent and deterministic: the same
    verdicts as one process, in the same order)."""
    from .suites import list_suites

    suites = list(suites or list_suites())
    roles, by_role = _claims_by_role(suites)
    wanted = None if claims is None else {str(c).upper() for c in claims}
    jobs = []  # (class, role name, how, hyper, todo) or a finished Row for a class that fits nothing
    for cls in classes:
        fits = fitting_roles(cls, roles)
        if not fits:
            jobs.append(Row(_name(cls), "", "", {}, error="fits no role: its signature names no role's arguments "
                                                           "beyond lr (convcheck list shows the roles)"))
        for fit in fits:
            todo = [(s, c) for s, c in by_role.get(fit.role.name, []) if wanted is None or c.upper() in wanted]
            if todo:
                jobs.append((cls, fit.role.name, fit.how, fit.hyper, todo))
    rows: list = [j if isinstance(j, Row) else None for j in jobs]
    for r in rows:
        if r is not None and progress:
            progress(r)
    pending = [i for i, j in enumerate(jobs) if not isinstance(j, Row)]
    if workers <= 1 or len(pending) <= 1:
        for i in pending:
            rows[i] = _row(*jobs[i], scale, device, dtype)
            if progress:
                progress(rows[i])
        return rows
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor, as_completed

    with ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        futures = {pool.submit(_row_in_worker, _spec_of(jobs[i][0]), *jobs[i][1:], scale, device, dtype): i
                   for i in pending}
        for fut in as_completed(futures):
            i = futures[fut]
            try:
                rows[i] = fut.result()
            except Exception as exc:  # the worker itself failed (killed, a class that cannot be loaded there)
                cls, role, how, hyper, _ = jobs[i]
                rows[i] = Row(_name(cls), role, how, hyper, error=f"{type(exc).__name__}: {exc}")
            if progress:
                progress(rows[i])
    return rows


def _records(rows) -> list[dict]:
    out = []
    for r in rows:
        base = {"target": r.target, "role": r.role, "fit": r.how, "hyper": {k: repr(v) for k, v in r.hyper.items()},
                "departure": r.departure, "seconds": round(r.seconds, 2)}
        if r.error:
            out.append({**base, "error": r.error})
        out += [{**base, "suite": s, "claim": v.claim, "reading": v.reading, "outcome": v.outcome,
                 "summary": v.summary} for s, v in r.verdicts]
    return out


def write_page(rows, out: Path, *, scale: str, spec: str) -> Path:
    """``conformance.html`` (class x claim, each verdict linked to its evidence below) and
    ``conformance.json`` (one record per verdict or error) in ``out``, written atomically."""
    from .claims import AS_WRITTEN, claim_order
    from .report.render import _ENV  # the run report's templates and settings (the page shares its style)
    from .store import atomic_write_text
    from .suites import load_suite

    out.mkdir(parents=True, exist_ok=True)
    suites = list(dict.fromkeys(s for r in rows for s, _ in r.verdicts))
    prefixes = {s: load_suite(s).prefixes for s in suites}  # the paper's section order
    columns = sorted(dict.fromkeys((s, v.claim) for r in rows for s, v in r.verdicts),
                     key=lambda sc: (suites.index(sc[0]), *claim_order(sc[1], prefixes[sc[0]])))
    table = []
    for i, r in enumerate(rows):
        cells = {}
        for k, (s, v) in enumerate(r.verdicts):
            cells.setdefault((s, v.claim), []).append(
                {"outcome": v.outcome, "reading": v.reading, "anchor": f"r{i}v{k}",
                 "short": "as written" if v.reading == AS_WRITTEN else v.reading.split(":")[0][:28]})
        table.append({"row": r, "cells": [cells.get(c, []) for c in columns], "index": i})
    html = _ENV.get_template("conformance.html.j2").render(
        rows=table, columns=columns, spec=spec, scale=scale, torch_version=torch.__version__,
        counts={o: sum(v.outcome == o for r in rows for _, v in r.verdicts) for o in ("reproduced", "refuted", "inconclusive")})
    atomic_write_text(out / "conformance.html", html)
    atomic_write_text(out / "conformance.json", json.dumps(_records(rows), indent=1) + "\n")
    return out / "conformance.html"

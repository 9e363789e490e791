"""A conformance matrix: every optimizer class of a module against every claim it can be judged on.

    convcheck check torch.optim --scale tiny            # every class of the module
    convcheck check my_opts.py:MyAdam,my_opts.py:MySAM  # a list of classes

For each class, the roles it fits (:mod:`convcheck.roles`, the standard ones and those the
suites declare), then every claim of every suite with a reading that tests the role:
:func:`convcheck.check` runs them (each study once, for those claims alone) and the page shows
class x claim with each verdict linked to its evidence. A class enters a role when its algorithm
can be that role's:

* as its **reference**: the role names it (``Role.torch_class``: torch.optim.SGD for gd, sgd,
  momentum and, with ``nesterov=True``, nesterov; torch.optim.Adam for adam; ...), with the
  switches the role requires (``Role.requires``); a reference class is checked in its own roles
  only;
* **by its defining arguments**: the class's signature names every argument of the role and the
  role's defining ones (:func:`defining`: ``betas`` for Adam, ``momentum`` for heavy ball, with the
  switches it requires), not merely an argument many algorithms share (``eps``, ``rho``,
  ``alpha``, ``weight_decay``, ``beta``, ``eta``: :data:`SHARED_NAMES`);
* a role whose point is read in eval mode (``Role.modes``: schedule-free) is entered only by a
  class with ``train()``/``eval()`` modes;
* **by its first steps**, for a role with no defining argument: the class takes the role's
  arguments and its first :data:`FAMILY_STEPS` iterates are the role's reference algorithm's
  (AdaGrad, RMSProp, GD), or, for a role whose step takes its gradient away from the iterate
  (SAM, SWP, ASAM: :data:`PERTURBING`), its first step does so too.

Roles that take only ``lr`` (gd, sgd) are entered by the reference or by the first steps (every
class takes a step size, and GD's claims say nothing about Adam); a line search by its reference
alone. A class that cannot be built with the role's arguments, that swallows one, or that fails
in a study gets its reason in the row, with who failed (:mod:`convcheck.failures`).

**What a cell says.** A claim is about the role's algorithm (an *identity*: AD-3's "Adam is
momentum + RMSProp with bias correction") or about behaviour any method in the role may have (a
rate, a counterexample, a comparison). Each cell is worded by that (:func:`cell_label`): on an
identity claim a class whose iterates depart from the role's algorithm (:func:`convcheck.checking.
departure_data`) is "another algorithm", never "refuted"; on a behavioural claim the verdict
reads "as claimed" (green: the class behaves as the claim says, whether the claim says a method
converges or fails to) or "not as claimed", beside the verdict of the role's reference (the
reference class, else convcheck's own method) on the same claim. A class whose step depends on
the shape of its parameters (a layer-wise method: Muon, LARS) is seen holding vectors only, as
every study hands it: its cells carry the algorithm its vector path runs, "fell back to heavy-ball
momentum on vector parameters" (:func:`convcheck.layerwise.vector_fallback`).

Nothing here decides a verdict: the cells are the claims' own verdicts, corrected for
multiplicity as in ``convcheck run``. Rows are written to ``<out>/rows/`` as they finish
(atomically), so an interrupted matrix keeps them and the same command resumes.
"""

from __future__ import annotations

import contextlib
import hashlib
import inspect
import io
import json
import logging
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import torch

from .wording import ANOTHER, cell_label
from .wording import reference_of as _reference_of
from .wording import reference_target as _reference_target

__all__ = ["Fit", "Row", "classes_of", "fitting_roles", "defining", "conformance", "write_page", "document",
           "cell_label", "shape_dependence", "SHARED_NAMES", "PERTURBING", "FAMILY_STEPS"]

#: Argument names many algorithms share: naming one says nothing about which algorithm a class runs
#: (Adam-type classes take eps, Adadelta rho, Lookahead alpha, heavyball's SGD beta).
SHARED_NAMES = frozenset({"lr", "eps", "rho", "alpha", "weight_decay", "beta", "eta"})
#: Roles whose step takes its gradient away from the iterate: entered by a class whose first step does.
PERTURBING = frozenset({"sam", "swp", "asam"})
#: Roles entered by the reference class alone.
REFERENCE_ONLY = frozenset({"line_search"})
#: Steps whose iterates must be the reference algorithm's for a class to enter a role by its first steps.
FAMILY_STEPS = 3
@dataclass
class Fit:
    role: object          # convcheck.roles.Role
    hyper: dict           # the switches passed (nesterov=True, amsgrad=True)
    how: str              # "reference", "by defining arguments", "by its first steps" or "by its step's perturbation"


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
    departure_record: dict = field(default_factory=dict)  # the same as data (convcheck.checking.departure_data)
    notes: list = field(default_factory=list)  # what the page must say about the row (a layer-wise class's fallback)
    warnings: list = field(default_factory=list)  # what the class printed or warned while it ran, kept out of the terminal
    fallback: dict = field(default_factory=dict)  # a layer-wise class: its vector path's algorithm (convcheck.layerwise)

    def to_json(self) -> dict:
        return {"target": self.target, "role": self.role, "fit": self.how, "hyper": {k: repr(v) for k, v in self.hyper.items()},
                "seconds": round(self.seconds, 2), "error": self.error, "failed_by": self.failed_by,
                "departure": self.departure, "departure_record": self.departure_record, "notes": self.notes,
                "warnings": self.warnings, "fallback": self.fallback,
                "verdicts": [{"suite": s, **v.to_json()} for s, v in self.verdicts]}

    @classmethod
    def from_json(cls, d: dict) -> "Row":
        from .claims import Verdict

        return cls(d["target"], d["role"], d["fit"], dict(d["hyper"]),
                   [(v["suite"], Verdict.from_json({k: x for k, x in v.items() if k != "suite"})) for v in d["verdicts"]],
                   d["error"], d["seconds"], d["departure"], d["failed_by"], d["departure_record"], d["notes"],
                   d["warnings"], d.get("fallback", {}))

    @property
    def departs(self) -> bool:
        """Whether its iterates left the role's own algorithm's (a class not compared counts as departing)."""
        rec = self.departure_record
        return bool(rec) and not (rec.get("compared") and (rec.get("same") or rec.get("roundoff")))


def _name(cls) -> str:
    """The name a user imports the class by: ``torch.optim.Adam``, not ``torch.optim.adam.Adam``."""
    if getattr(torch.optim, cls.__name__, None) is cls:
        return f"torch.optim.{cls.__name__}"
    return f"{cls.__module__}.{cls.__qualname__}"


def classes_of(spec: str) -> list:
    """The optimizer classes named by ``spec``: a module (every public ``torch.optim.Optimizer``
    subclass it holds, Optimizer itself aside; a class exported under several names once) or a
    comma-separated list of ``module:attr``."""
    from .checking import load_target

    if ":" in spec:
        out = [load_target(part.strip()) for part in spec.split(",") if part.strip()]
        bad = [getattr(c, "__name__", repr(c)) for c in out
               if not (inspect.isclass(c) and issubclass(c, torch.optim.Optimizer))]
        if bad:
            raise ValueError(f"The 'target' parameter's classes must be torch.optim.Optimizer subclasses. Got {bad} instead.")
        return list(dict.fromkeys(out))
    import importlib

    try:
        with _quiet():  # a library's import-time warnings are not the user's business here
            module = importlib.import_module(spec)
    except ImportError as exc:
        raise ValueError(f"The 'target' parameter must be module:attr, a list of them, or an importable module. "
                         f"Got {spec!r}: {exc}") from None
    found = {}
    for attr in sorted(dir(module)):
        obj = getattr(module, attr, None)
        if (not attr.startswith("_") and inspect.isclass(obj) and issubclass(obj, torch.optim.Optimizer)
                and obj is not torch.optim.Optimizer):
            found.setdefault(obj, None)  # a class exported under two names is one row
    if not found:
        raise ValueError(f"The 'target' parameter's module {spec!r} holds no torch.optim.Optimizer subclass.")
    return list(found)


def _has_modes(cls) -> bool:
    from .optim.torch_adapter import _has_modes as modal

    return modal(cls)


def _named_arguments(cls) -> set[str]:
    try:
        sig = inspect.signature(cls.__init__)
    except (TypeError, ValueError):
        return set()
    return {n for n, p in sig.parameters.items() if p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL)} - {"self", "params"}


def defining(role) -> tuple[str, ...]:
    """The arguments that make a class a candidate for ``role`` by its signature: the role's own
    arguments that not many algorithms share, and the switches it requires."""
    return tuple(p for p in role.params if p not in SHARED_NAMES) + tuple(role.requires)


def _family(cls, role, hyper) -> str | None:
    """How ``cls`` enters a role with no defining argument by what it does (None: it does not):
    its first :data:`FAMILY_STEPS` iterates are the reference's, or (:data:`PERTURBING`) its first
    step takes the gradient away from the iterate."""
    from .checking import departure_data
    from .roles import COMMON_ARGS, resolve

    try:
        with _quiet():
            method = resolve(role, cls, hyper or None)
            if role.name in PERTURBING:
                from .probes import Linear, ascent_step

                kw = {k: (0.05 if k == "lr" else COMMON_ARGS[k]) for k in role.params}
                g = torch.tensor([[1.0, -2.0, 0.5, 3.0]], dtype=torch.float64)
                eps = ascent_step(lambda: method(**kw, instances="per-seed"), lambda rows: Linear(g[rows]),
                                  torch.tensor([[0.3, -0.1, 0.2, 0.4]], dtype=torch.float64))
                return "by its step's perturbation" if bool((eps != 0).any()) else None
            rec = departure_data(method, resolve(role, None), steps=FAMILY_STEPS)
    except Exception:  # a class that cannot even be run so is not of the family
        return None
    return "by its first steps" if rec.get("compared") and (rec.get("same") or rec.get("roundoff")) else None


#: Names a wrapper gives the optimizer it wraps (SAM-type classes, Lookahead): the matrix passes
#: torch.optim.SGD there, so the wrapper's own algorithm is judged around plain gradient steps.
WRAPPED = ("base_optimizer", "optimizer", "wrapped_optimizer", "inner_optimizer")


def _wrapped(cls) -> dict:
    """{argument: torch.optim.SGD} for a wrapper whose constructor needs the optimizer it wraps, else {}."""
    try:
        params = inspect.signature(cls.__init__).parameters
    except (TypeError, ValueError):
        return {}
    for name in WRAPPED:
        p = params.get(name)
        if p is not None and p.default is inspect.Parameter.empty:
            return {name: torch.optim.SGD}
    return {}


def _takes_kwargs(cls) -> bool:
    try:
        return any(p.kind is p.VAR_KEYWORD for p in inspect.signature(cls.__init__).parameters.values())
    except (TypeError, ValueError):
        return False


def fitting_roles(cls, roles: dict) -> list[Fit]:
    """The roles ``cls`` fits (the rule of the module docstring), in the table's order. A wrapper
    (:data:`WRAPPED`) gets torch.optim.SGD as the optimizer it wraps, and the step size it hands on
    through ``**kwargs`` counts as taken (its construction checks it)."""
    ref = [Fit(r, dict(r.requires), "reference") for r in roles.values() if _reference_of(r) == _name(cls)]
    if ref:
        return ref
    named = _named_arguments(cls)
    wrap = _wrapped(cls)
    if wrap and _takes_kwargs(cls):
        named = named | {"lr"}
    out = []
    for r in roles.values():
        if r.name in REFERENCE_ONLY or not set(r.params) <= named:
            continue
        if getattr(r, "modes", False) and not _has_modes(cls):  # its point is read in eval mode: a class without modes has none
            continue
        keys = defining(r)
        hyper = dict(r.requires) | wrap
        if keys:
            if set(keys) <= named:
                out.append(Fit(r, hyper, "by defining arguments"))
            continue
        how = _family(cls, r, hyper)
        if how:
            out.append(Fit(r, hyper, how + (f" (wrapping torch.optim.SGD)" if wrap else "")))
    return out


#: Names libraries give a role's arguments (heavyball's SGD calls its momentum beta): a no-fit reason
#: suggests the --rename that would let a single check run the class in the role.
ALIASES = {"momentum": ("beta", "mu", "beta1"), "eps": ("epsilon", "eps1"), "rho": ("ball", "radius")}


def no_fit_reason(cls, roles: dict) -> str:
    """Why ``cls`` enters no role, in words: the roles whose defining arguments it names and the
    arguments it lacks for them (Lion names Adam's betas but takes no eps), the roles whose
    arguments it takes without their algorithm's first steps, or the required arguments convcheck
    cannot supply (a model, a schedule)."""
    named = _named_arguments(cls)
    if _wrapped(cls) and _takes_kwargs(cls):
        named = named | {"lr"}
    try:
        params = inspect.signature(cls.__init__).parameters.values()
        required = [p.name for p in params if p.default is inspect.Parameter.empty and p.name not in ("self", "params")
                    and p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL) and p.name not in WRAPPED]
    except (TypeError, ValueError):
        required = []
    parts = []
    lacking = [(r, [p for p in r.params if p not in named]) for r in roles.values()
               if r.name not in REFERENCE_ONLY and defining(r) and set(defining(r)) <= named]
    lacking = [(r, miss) for r, miss in lacking if miss]
    grouped: dict = {}
    for r, miss in lacking:
        grouped.setdefault((defining(r), tuple(miss)), []).append(r.name)
    for (keys, miss), names in grouped.items():
        parts.append(f"it names {', '.join(keys)}, defining {', '.join(names)}, but takes no {', '.join(miss)}")
    near = [r.name for r in roles.values() if r.name not in REFERENCE_ONLY and set(r.params) <= named
            and not (set(defining(r)) <= named and defining(r))]
    if near:
        parts.append(f"it takes the arguments of {', '.join(near)} but its first steps are not their algorithm's "
                     "(nor, for SAM's roles, does its step leave the iterate)")
    hints = [f"--rename {arg}={alias} if its {alias} is {arg}" for arg, aliases in ALIASES.items() if arg not in named
             for alias in aliases if alias in named and any(arg in r.params for r in roles.values())]
    if hints:
        parts.append("for one class: " + "; ".join(hints))
    extra = [p for p in required if p not in {q for r in roles.values() for q in r.params}]
    if extra:
        parts.append(f"it needs {', '.join(extra)}, which no role supplies (give a subclass that fixes them)")
    if not parts:
        parts.append("its signature does not take every argument of any role ("
                     + "; ".join(f"{r.name}: {', '.join(r.params)}" for r in roles.values() if len(r.params) > 1) + ")")
    return "fits no role: " + "; ".join(parts) + " (convcheck list shows the roles; --rename maps a class's own names)"


def shape_dependence(cls, role, hyper=None) -> str:
    """A note when ``cls`` in ``role`` steps a matrix otherwise than the same numbers as a vector (a
    layer-wise method falling back to another algorithm on vectors: Muon, LARS), naming the algorithm
    its vector path runs (:func:`convcheck.layerwise.vector_fallback`), else ""."""
    from .layerwise import fallback_note, vector_fallback

    return fallback_note(vector_fallback(cls, role, hyper, table=_ROLE_CACHE))


def _claims_by_role(suites) -> tuple[dict, dict, dict]:
    """(every role of the suites by name, {role: [(suite, claim id), ...]}, {(suite, id): Claim})."""
    from .roles import ROLES
    from .study import discover

    roles, claims, by_id = dict(ROLES), {}, {}
    for suite in suites:
        for mod in discover(suite=suite).values():
            roles.update(mod.ROLE_TABLE)
            for c in mod.CLAIMS:
                by_id[suite, c.id] = c
                for r in c.roles():
                    claims.setdefault(r, []).append((suite, c.id))
    return roles, claims, by_id


def _spec_of(cls) -> str:
    """``module:attr`` that loads ``cls`` in a fresh process (a class from a .py file: its path)."""
    mod = inspect.getmodule(cls)
    if mod is not None and mod.__name__.startswith("convcheck_target_") and getattr(mod, "__file__", None):
        return f"{mod.__file__}:{cls.__qualname__}"
    return f"{cls.__module__}:{cls.__qualname__}"


class _Captured(logging.Handler):
    def __init__(self, sink):
        super().__init__(logging.WARNING)
        self.sink = sink

    def emit(self, record):
        self.sink.append(f"{record.name}: {record.getMessage().splitlines()[0] if record.getMessage() else ''}")


@contextlib.contextmanager
def _quiet(sink: list | None = None):
    """Warnings, prints and log records of third-party code kept out of the terminal (into ``sink``), and
    ``torch.compile`` inside it run eagerly (``torch.compiler.set_stance("force_eager")``)."""
    sink = [] if sink is None else sink
    out, handler = io.StringIO(), _Captured(sink)
    root = logging.getLogger()
    root.addHandler(handler)
    # loggers that write to a stream of their own (torch's compile logs): their streams point here meanwhile
    streams = [(h, h.setStream(out)) for lg in [root, *logging.root.manager.loggerDict.values()]
               for h in getattr(lg, "handlers", ()) if type(h) is logging.StreamHandler]
    try:
        # a class's torch.compile runs eagerly: the same numbers, no minutes of compiling on a CPU (force_eager, not
        # dynamo's disable switch, under which a fullgraph compile raises, as heavyball's do)
        with warnings.catch_warnings(record=True) as caught, contextlib.redirect_stdout(out), \
                contextlib.redirect_stderr(out), _eager():
            warnings.simplefilter("always")
            yield sink
    finally:
        for h, stream in streams:
            h.setStream(stream)
        root.removeHandler(handler)
        sink += [f"{w.category.__name__}: {str(w.message).splitlines()[0] if str(w.message) else ''}" for w in caught]
        sink += [line for line in out.getvalue().splitlines() if line.strip() and not line.startswith((" ", "\t"))]


def _eager():
    """``torch.compile`` as a no-op while a class runs (torch >= 2.6; before, compiling as the class asks)."""
    stance = getattr(torch.compiler, "set_stance", None)
    return stance("force_eager") if stance is not None else contextlib.nullcontext()


def _dedup(lines, most: int = 20) -> list:
    seen = list(dict.fromkeys(lines))
    return seen[:most] + ([f"... and {len(seen) - most} more"] if len(seen) > most else [])


def _row(cls, role: str, how: str, hyper: dict, todo, scale, device, dtype) -> Row:
    """One class in one role against its claims ``todo`` ((suite, claim id) pairs), each suite's at once."""
    from .checking import check
    from .failures import describe_failure

    row = Row(_name(cls) if cls is not None else f"convcheck default ({role})", role, how, hyper)
    start = time.perf_counter()
    said, fallbacks = [], {}
    with _quiet(said):
        for suite in dict.fromkeys(s for s, _ in todo):
            ids = [c for s, c in todo if s == suite]
            try:
                result = check(cls, ids, role=role, hyper=hyper or None, scale=scale, suite=suite, device=device, dtype=dtype)
                row.verdicts += [(suite, v) for v in result.verdicts]
                if not row.departure_record and role in result.departure_records:
                    row.departure_record = result.departure_records[role]
                    row.departure = result.departures[role]
                if role in result.fallbacks:
                    fallbacks[role] = result.fallbacks[role]
            except Exception as exc:  # the class in this role, whatever went wrong: its reason and who failed, not a crash
                row.failed_by, row.error = describe_failure(exc, cls)
                row.error += f" (while running {suite}: {', '.join(ids)})"
                break
        if cls is not None and how != "reference":
            if role not in _ROLE_CACHE:  # a worker process: the suites' roles looked up once
                from .suites import list_suites

                _ROLE_CACHE.update(_claims_by_role(list(list_suites()))[0])
            from .layerwise import fallback_note, vector_fallback

            # the check's record where it ran; else probed here (a class that failed in its study)
            row.fallback = fallbacks[role] if role in fallbacks else vector_fallback(cls, _ROLE_CACHE[role], hyper,
                                                                                      table=_ROLE_CACHE)
            if row.fallback:
                row.notes.append(fallback_note(row.fallback))
    row.warnings = _dedup(said)
    row.seconds = time.perf_counter() - start
    return row


#: Roles by name, filled by :func:`conformance` (a worker's rows look suite roles up here).
_ROLE_CACHE: dict = {}


def _row_in_worker(spec: str | None, *args) -> Row:
    """:func:`_row` in a worker process of the pool: the class loaded from its spec, one thread, and
    what it writes to the process's stderr (compile tracebacks, C++ warnings) kept in the row."""
    import os
    import tempfile

    from ._runtime import blas_limits, tune_process
    from .checking import load_target

    tune_process()
    torch.set_num_threads(1)
    with tempfile.TemporaryFile(mode="w+b") as err:
        saved = os.dup(2)
        os.dup2(err.fileno(), 2)
        try:
            with blas_limits(1):
                with _quiet():
                    cls = None if spec is None else load_target(spec)
                row = _row(cls, *args)
        finally:
            os.dup2(saved, 2)
            os.close(saved)
        err.seek(0)
        lines = [x for x in err.read().decode("utf-8", "replace").splitlines() if x.strip()]
    row.warnings = _dedup(row.warnings + [x for x in lines if not x.startswith((" ", "\t"))])
    return row


def _key(spec, role, how, hyper, todo, scale, device, dtype) -> str:
    """A row's file name under ``<out>/rows``: what it ran, at which scale, with which versions."""
    from . import __version__

    text = json.dumps([spec, role, how, {k: repr(v) for k, v in sorted(hyper.items())}, todo, scale, str(device), str(dtype),
                       __version__, torch.__version__])
    return hashlib.sha256(text.encode()).hexdigest()[:24]


def conformance(classes, *, scale: str = "tiny", suites=None, claims=None, device: str = "cpu",
                dtype=torch.float64, progress=None, workers: int = 1, out: Path | None = None,
                references: bool = True, planned=None) -> list[Row]:
    """Every class in every role it fits, against every claim (of ``suites``, default all; of
    ``claims`` alone when given) with a reading that tests the role; with ``references``, a row for
    each role's reference (its class, else convcheck's method) where the classes hold none.
    ``progress(row)`` is called as each row ends; ``planned(n)`` once the rows are known. ``workers``
    > 1 runs the rows in a pool of spawned processes, one thread each (the same verdicts as one
    process, in the same order). With ``out``, each row is written to ``out/rows/<key>.json`` as
    it ends and a row already there is read back instead of run (an interrupted matrix resumes)."""
    from ._runtime import blas_limits

    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # tiny kernels: one thread (two on 2 shared cores made the fitting probes 20x slower)
    try:
        with blas_limits(1):
            return _conformance(classes, scale, suites, claims, device, dtype, progress, workers, out, references, planned)
    finally:
        torch.set_num_threads(threads)


def _conformance(classes, scale, suites, claims, device, dtype, progress, workers, out, references, planned) -> list[Row]:
    from .store import atomic_write_text
    from .suites import list_suites

    suites = list(suites or list_suites())
    roles, by_role, _ = _claims_by_role(suites)
    _ROLE_CACHE.update(roles)
    wanted = None if claims is None else {str(c).upper() for c in claims}
    jobs = []  # (class, role name, how, hyper, todo) or a finished Row for a class that fits nothing
    referenced = set()
    for cls in classes:
        with _quiet():
            fits = fitting_roles(cls, roles)
        if not fits:
            jobs.append(Row(_name(cls), "", "", {}, error=no_fit_reason(cls, roles), failed_by="fit"))
        for fit in fits:
            todo = [(s, c) for s, c in by_role.get(fit.role.name, []) if wanted is None or c.upper() in wanted]
            if todo:
                jobs.append((cls, fit.role.name, fit.how, fit.hyper, todo))
                if fit.how == "reference":
                    referenced.add(fit.role.name)
    if references:
        for role_name in dict.fromkeys(j[1] for j in jobs if not isinstance(j, Row)):
            if role_name not in referenced:
                r = roles[role_name]
                todo = [(s, c) for s, c in by_role.get(role_name, []) if wanted is None or c.upper() in wanted]
                jobs.append((_reference_target(r), role_name, "reference (for comparison)",
                             dict(r.requires) if _reference_target(r) is not None else {}, todo))
    if planned:
        planned(len(jobs))
    rows: list = [j if isinstance(j, Row) else None for j in jobs]
    for r in rows:
        if r is not None and progress:
            progress(r)
    store = None if out is None else Path(out) / "rows"
    if store is not None:
        store.mkdir(parents=True, exist_ok=True)
    keys = {i: _key(None if j[0] is None else _spec_of(j[0]), *j[1:], scale, device, dtype)
            for i, j in enumerate(jobs) if not isinstance(j, Row)}
    pending = []
    for i in keys:
        kept = None if store is None else store / f"{keys[i]}.json"
        if kept is not None and kept.is_file():
            try:
                rows[i] = Row.from_json(json.loads(kept.read_text(encoding="utf-8")))
                if progress:
                    progress(rows[i])
                continue
            except (ValueError, KeyError, TypeError):  # a damaged file: run the row again
                pass
        pending.append(i)
    # the references first: an interrupted matrix still has the verdicts its cells are shown beside
    pending.sort(key=lambda i: not jobs[i][2].startswith("reference"))

    def finished(i, row):
        rows[i] = row
        if store is not None:
            atomic_write_text(store / f"{keys[i]}.json", json.dumps(row.to_json()) + "\n")
        if progress:
            progress(row)

    if workers <= 1 or len(pending) <= 1:
        for i in pending:
            finished(i, _row(*jobs[i], scale, device, dtype))
        return rows
    from .executors import LocalPool, as_completed

    pool = LocalPool(workers)
    try:
        futures = {pool.submit(_row_in_worker, None if jobs[i][0] is None else _spec_of(jobs[i][0]),
                               *jobs[i][1:], scale, device, dtype): i for i in pending}
        for fut in as_completed(futures):
            i = futures[fut]
            try:
                row = fut.result()
            except Exception as exc:  # the worker itself failed (killed, a class that cannot be loaded there)
                cls, role, how, hyper, _ = jobs[i]
                row = Row(_name(cls) if cls is not None else f"convcheck default ({role})", role, how, hyper,
                          error=f"the worker process failed: {type(exc).__name__}: {exc}", failed_by="convcheck")
            finished(i, row)
    except BaseException:  # Ctrl-C: stop the workers now; the finished rows are on disk
        pool.stop()
        raise
    pool.close()
    return rows


def _reference_rows(rows) -> dict:
    """{role: the row of the role's reference} among ``rows``."""
    out = {}
    for r in rows:
        if r is not None and r.how.startswith("reference") and r.role and r.role not in out:
            out[r.role] = r
    return out


def cells(rows, by_id: dict | None = None) -> list[list[dict]]:
    """Per row, one record per verdict: the claim, what it is about, the verdict, the cell's words, and
    the reference's verdict and words on the same claim and reading."""
    if by_id is None:
        _, _, by_id = _claims_by_role(list(dict.fromkeys(s for r in rows for s, _ in r.verdicts)))
    refs = _reference_rows(rows)
    out = []
    for r in rows:
        ref = refs.get(r.role)
        ref_of = {} if ref is None else {(s, v.claim, v.reading): v for s, v in ref.verdicts}
        mine = []
        for s, v in r.verdicts:
            c = by_id.get((s, v.claim))
            kind = getattr(c, "kind", "")
            about = "identity" if kind == "identity" else "behaviour"
            rv = ref_of.get((s, v.claim, v.reading))
            mine.append({"suite": s, "claim": v.claim, "reading": v.reading, "kind": kind, "about": about,
                         "text": getattr(c, "text", ""), "outcome": v.outcome,
                         "cell": cell_label(kind, v.outcome, r.departs and not r.how.startswith("reference")),
                         "fallback": (r.fallback or {}).get("label"),
                         "reference": None if ref is None else ref.target,
                         "reference_outcome": None if rv is None else rv.outcome,
                         "reference_cell": None if rv is None else cell_label(kind, rv.outcome),
                         "summary": v.summary})
        out.append(mine)
    return out


def document(rows, *, scale: str, spec: str, seeds=None, dtype="float64", device="cpu", classes=(),
             interrupted: bool = False) -> dict:
    """``conformance.json``: the provenance header (:mod:`convcheck.provenance`), then one record per
    row with its cells."""
    from .provenance import header

    rows = [r for r in rows if r is not None]
    table = cells(rows)
    return {**header("convcheck.conformance", scale=scale, seeds=seeds, dtype=dtype, device=device, targets=classes),
            "spec": spec, "complete": not interrupted,
            "rows": [{**{k: v for k, v in r.to_json().items() if k != "verdicts"}, "cells": c} for r, c in zip(rows, table)]}


#: Colour class of each cell's words on the page.
_TONE = {"same algorithm": "reproduced", "as claimed": "reproduced", "not the algorithm": "refuted",
         "not as claimed": "refuted", "inconclusive": "inconclusive", ANOTHER: "another"}


def write_page(rows, out: Path, *, scale: str, spec: str, seeds=None, dtype="float64", device="cpu", classes=(),
               interrupted: bool = False) -> Path:
    """``conformance.html`` (class x claim, each cell worded by what the claim is about, beside the
    reference's, linked to its evidence below) and ``conformance.json`` (:func:`document`) in
    ``out``, written atomically."""
    from .claims import AS_WRITTEN, claim_order
    from .report.render import _ENV  # the run report's templates and settings (the page shares its style)
    from .store import atomic_write_text
    from .suites import load_suite

    rows = [r for r in rows if r is not None]
    out.mkdir(parents=True, exist_ok=True)
    doc = document(rows, scale=scale, spec=spec, seeds=seeds, dtype=dtype, device=device, classes=classes,
                   interrupted=interrupted)
    suites = list(dict.fromkeys(s for r in rows for s, _ in r.verdicts))
    prefixes = {s: load_suite(s).prefixes for s in suites}  # the paper's section order
    columns = sorted(dict.fromkeys((s, v.claim) for r in rows for s, v in r.verdicts),
                     key=lambda sc: (suites.index(sc[0]), *claim_order(sc[1], prefixes[sc[0]])))
    texts = {(c["suite"], c["claim"]): (c["about"], c["text"]) for rec in doc["rows"] for c in rec["cells"]}
    table = []
    for i, (r, rec) in enumerate(zip(rows, doc["rows"])):
        by = {}
        for k, c in enumerate(rec["cells"]):
            by.setdefault((c["suite"], c["claim"]), []).append(
                {**c, "anchor": f"r{i}v{k}", "tone": _TONE[c["cell"]],
                 "ref_tone": _TONE.get(c["reference_cell"] or "", ""),
                 "short": "as written" if c["reading"] == AS_WRITTEN else c["reading"].split(":")[0][:28]})
        table.append({"row": r, "cells": [by.get(c, []) for c in columns], "index": i})
    counts = {}
    for rec in doc["rows"]:
        for c in rec["cells"]:
            counts[c["cell"]] = counts.get(c["cell"], 0) + 1
    html = _ENV.get_template("conformance.html.j2").render(
        rows=table, columns=[(s, c, *texts[s, c]) for s, c in columns], spec=spec, scale=scale, doc=doc,
        torch_version=torch.__version__, counts=counts, interrupted=interrupted,
        failed={w: sum(r.failed_by == w for r in rows) for w in ("class", "fit", "convcheck")})
    atomic_write_text(out / "conformance.html", html)
    atomic_write_text(out / "conformance.json", json.dumps(doc, indent=1) + "\n")
    return out / "conformance.html"

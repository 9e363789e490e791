"""The study contract, discovery, and the context a study runs in.

A study is a module in ``studies/`` that states its claims in its docstring (Claim, Kind,
Objective, Optimizer, Fit, Verdict rule, References) and defines::

    CLAIMS: list[Claim]
    SCALES: dict[str, dict]        # at least "quick" and "full"; "tiny" for smoke tests
    ROLES: tuple[str, ...]         # the methods it runs, as roles (convcheck.roles); may be empty
    DTYPE: torch.dtype             # optional: the dtype it always runs in (certificates that need float64)
    DEVICE: str                    # optional: "cpu" for a study that must run there (small nets, SciPy
                                   # solvers); the manifest and the report then say it ran on the CPU
    def run(ctx: Context, **config) -> StudyResult

``run`` never renders anything: it returns verdicts, tidy tables and figure *specs*
(plain dicts the report turns into pictures), so the report is rebuilt from the store
alone. A study builds each method it runs through ``ctx.method(role)(**kwargs)``, so a
user's optimizer (a torch.optim class or a convcheck factory) stands in for the library's by
``run_study(module, methods={role: method})``; other config parameters (a bound, a sampler,
a perturbation) are fixtures the tests plant wrong inputs through.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType

import pandas as pd
import torch

from ._hashing import hash_files
from ._validation import check_choice, check_int
from .claims import Claim, Verdict
from .seeding import seed_from, torch_generator

__all__ = ["Claim", "Context", "StudyResult", "discover", "load_study", "studies_dir", "source_hash", "run_study", "main",
           "family_size"]


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

    def generator(self, *names) -> torch.Generator:
        """A CPU ``torch.Generator`` seeded from (study, *names).

        Random draws are made on the CPU and moved to the run's device, so the same seeds give
        the same data, starts and batches on every device (and on CPU, the same bits)."""
        return torch_generator(self.study, *names, device="cpu")

    def seed(self, *names) -> int:
        return seed_from(self.study, *names)

    def zeros(self, *shape) -> torch.Tensor:
        return torch.zeros(*shape, dtype=self.dtype, device=self.device)

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
    """What a study returns: verdicts, tidy tables (name -> DataFrame), figure specs, setup."""

    verdicts: list[Verdict]
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    figures: list[dict] = field(default_factory=list)
    setup: dict = field(default_factory=dict)
    compile: dict | None = None  # the tally of compiled and eager engine runs (convcheck.compiling)


def studies_dir(suite: str | None = None) -> Path:
    """The folder of a suite's studies (default: the survey's); see :mod:`convcheck.suites`."""
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
    mod.NAME = path.stem
    return mod


def discover(folder: Path | None = None, suite: str | None = None) -> dict[str, ModuleType]:
    """Every study of a suite (``<suite>/*.py`` not starting with an underscore), by name, sorted.
    ``folder`` names the suite's folder directly; else ``suite`` (default: the survey)."""
    folder = studies_dir(suite) if folder is None else Path(folder)
    if not folder.is_dir():
        raise ValueError(f"The studies folder must exist. Got {str(folder)!r} instead (set CONVCHECK_STUDIES).")
    return {p.stem: load_study(p) for p in sorted(folder.glob("*.py")) if not p.name.startswith("_")}


def family_size(studies: dict[str, ModuleType]) -> int:
    """The suite's multiplicity family: the verdicts its studies register (every claim as
    written, each named reading, each supporting check), fixed before anything runs."""
    return sum(len(c.keys()) for m in studies.values() for c in m.CLAIMS)


def source_hash(module: ModuleType) -> str:
    """SHA-256 of the study's source and of the convcheck package's sources.

    The library is part of the key because a study's numbers depend on the engine and the
    statistics as much as on its own file.
    """
    return hash_files([Path(module.__file__), *sorted(Path(__file__).resolve().parent.rglob("*.py"))])



def run_study(module: ModuleType, scale: str = "quick", seeds: int | None = None, device: str = "cpu",
              dtype: torch.dtype = torch.float64, family: int | str | None = "suite", methods: dict | None = None,
              hyper: dict | None = None, compile: bool | str = "auto", **overrides) -> StudyResult:
    """Run one study at a scale; ``seeds`` overrides the scale's default count.

    ``compile``: the mode its engine runs compile their step in (:mod:`convcheck.compiling`:
    ``auto``, ``on``, ``off`` or a bool); ``result.compile`` tallies the runs compiled and those
    run eagerly, and why.

    ``methods``: ``{role: method}``, a torch.optim class or a convcheck factory in each named
    role (:mod:`convcheck.roles`); ``hyper``: fixed keyword arguments for those methods.

    ``family``: the multiplicity family the verdicts are corrected over
    (:func:`convcheck.stats.family_adjust`): ``"suite"`` (the claims of every study in the
    study's folder, so a study run alone gets the verdicts it gets in a full run), a number,
    or None for raw verdicts (the runner corrects a whole run itself, after caching them raw).
    """
    check_choice("scale", scale, tuple(module.SCALES))
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
    device = getattr(module, "DEVICE", device)  # a study that must run on the CPU says so
    ctx = Context(study=module.NAME, scale=scale, seeds=config.pop("seeds", 32), device=device, dtype=dtype,
                  roles=module.ROLES, methods=resolved, role_table=module.ROLE_TABLE)
    from .compiling import compiling

    with compiling(compile) as tally:
        result = module.run(ctx, **config)
    result.compile = tally
    claims = {c.id: c for c in module.CLAIMS}
    for v in result.verdicts:
        v.study = module.NAME
        if v.claim in claims:
            v.supporting = claims[v.claim].is_supporting(v.reading)
    if family == "suite":
        family = family_size(discover(Path(module.__file__).parent))
    if family is not None:
        from .stats.multiple import family_adjust

        family_adjust(result.verdicts, int(family))
    return result


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

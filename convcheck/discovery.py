"""Discovery: a suite's study files, loaded as modules and held to the contract, and their sources' hash.

A suite's studies are the ``*.py`` files of its folder whose names do not start with an
underscore (those are the suite's helpers); :func:`discover` loads them, in file order, each
checked by :func:`convcheck.contract.check_contract`.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

from ._hashing import hash_files
from .contract import check_contract

__all__ = ["studies_dir", "load_study", "discover", "study_files", "family_size", "source_hash"]


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
    check_contract(mod, path.name)
    mod.NAME = path.stem
    return mod


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
    """SHA-256 of the study's source (a loaded module or its file), of its suite's helper modules
    (``_*.py`` beside it: tolerances, instances, declared searches) and of the convcheck package's sources.

    The helpers and the library are part of the key because a study's numbers depend on them as
    much as on its own file.
    """
    path = Path(study.__file__) if isinstance(study, ModuleType) else Path(study)
    helpers = sorted(path.parent.glob("_*.py"))
    return hash_files([path, *helpers, *sorted(Path(__file__).resolve().parent.rglob("*.py"))])


def study_files(folder: Path) -> list[Path]:
    """A suite folder's study files, sorted: ``*.py`` not starting with an underscore (helpers)."""
    return [p for p in sorted(Path(folder).glob("*.py")) if not p.name.startswith("_")]

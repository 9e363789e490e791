"""Suites: a paper's claims as a folder of studies plus a descriptor.

A suite is a folder under the studies root (``$CONVCHECK_STUDIES``, else ``studies/`` beside
the package, else ``./studies``) holding study modules (``*.py``; files starting with ``_`` are
helpers, not studies) and ``suite.toml``::

    name = "mypaper"
    title = "..."                  # the paper's title
    authors = "..."; year = 2024
    source = "..."                 # the full reference
    subject = "paper"              # how reports name the paper whose statements are judged
    default = true                 # optional: the suite run when none is named (one suite at most)
    [[sections]]                   # in the paper's reading order
    prefix = "GD"; title = "Gradient descent (Sec. 2)"

Each claim lives with the study that tests it (:class:`~convcheck.claims.Claim`: its id,
statement, kind, readings and roles), and nowhere else: a section holds the claims whose ids
start with its prefix (``GD-2`` in section ``GD``), in their natural order (``GD-2`` before
``GD-10``; :func:`section_claims`). The descriptor fixes the sections' order and titles, and
:func:`check_suite` holds the studies' ids to it (every id in a section, none twice). Claim ids
are unique within a suite; the suite's name qualifies them elsewhere (``adam2015:KB-1``).
Adding a paper adds a folder; the library does not change.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["Suite", "default_suite", "studies_root", "list_suites", "load_suite", "section_claims", "check_suite"]


@dataclass(frozen=True)
class Suite:
    name: str
    path: Path
    title: str
    authors: str = ""
    year: int | None = None
    source: str = ""
    subject: str = "paper"
    sections: tuple[dict, ...] = field(default_factory=tuple)
    default: bool = False

    @property
    def prefixes(self) -> tuple[str, ...]:
        return tuple(s["prefix"] for s in self.sections)

    @property
    def citation(self) -> str:
        return f"{self.authors} ({self.year}), {self.title}" if self.authors else self.title

    def to_json(self) -> dict:
        return {"name": self.name, "title": self.title, "authors": self.authors, "year": self.year,
                "source": self.source, "subject": self.subject, "sections": [dict(s) for s in self.sections],
                "default": self.default}


def studies_root() -> Path:
    """``$CONVCHECK_STUDIES``, else the ``studies/`` folder beside the package, else ``./studies``."""
    env = os.environ.get("CONVCHECK_STUDIES")
    if env:
        return Path(env)
    beside = Path(__file__).resolve().parents[1] / "studies"
    return beside if beside.is_dir() else Path.cwd() / "studies"


def _read(folder: Path) -> Suite:
    with open(folder / "suite.toml", "rb") as f:
        d = tomllib.load(f)
    missing = [k for k in ("title", "sections") if k not in d]
    if missing:
        raise ValueError(f"The suite descriptor {folder / 'suite.toml'} must define {missing}.")
    for i, section in enumerate(d["sections"]):
        lacking = [k for k in ("prefix", "title") if k not in section]
        if lacking:
            raise ValueError(f"The suite descriptor {folder / 'suite.toml'}: section {i + 1} must define {lacking}. "
                             f"Got {sorted(section)} instead.")
    return Suite(name=folder.name, path=folder, title=d["title"], authors=d.get("authors", ""), year=d.get("year"),
                 source=d.get("source", ""), subject=d.get("subject", "paper"), sections=tuple(d["sections"]),
                 default=bool(d.get("default", False)))


def list_suites(root: Path | None = None) -> dict[str, Suite]:
    """Every suite under the studies root, by name."""
    root = studies_root() if root is None else Path(root)
    if not root.is_dir():
        raise ValueError(f"The studies folder must exist. Got {str(root)!r} instead (set CONVCHECK_STUDIES).")
    return {p.parent.name: _read(p.parent) for p in sorted(root.glob("*/suite.toml"))}


def default_suite(root: Path | None = None) -> str:
    """The name of the suite run when none is named: the one whose descriptor says ``default =
    true``, else the only suite, else the first by name."""
    suites = list_suites(root)
    marked = [n for n, s in suites.items() if s.default]
    if len(marked) > 1:
        raise ValueError(f"At most one suite may say 'default = true' in its suite.toml. Got {marked} instead.")
    if not suites:
        raise ValueError(f"The studies folder {str(studies_root() if root is None else root)!r} holds no suite "
                         "(a folder with a suite.toml).")
    return marked[0] if marked else next(iter(suites))


def load_suite(name: str | None = None, root: Path | None = None) -> Suite:
    """The suite called ``name`` (default: :func:`default_suite`)."""
    suites = list_suites(root)
    name = default_suite(root) if name is None else name
    if name not in suites:
        raise ValueError(f"The 'suite' parameter must be one of {sorted(suites)}. Got {name!r} instead.")
    return suites[name]


def section_claims(suite: Suite, studies: dict) -> dict[str, list[str]]:
    """``{section prefix: its claim ids}``: the ids the studies declare, each under the section its
    prefix names, in the paper's section order and, within a section, by number (``GD-2`` before
    ``GD-10``); ids whose prefix names no section are left out (:func:`check_suite` reports them)."""
    from .claims import claim_order

    prefixes = suite.prefixes
    ids = sorted((c.id for m in studies.values() for c in m.CLAIMS), key=lambda c: claim_order(c, prefixes))
    return {p: [c for c in ids if c.partition("-")[0] == p] for p in prefixes}


def check_suite(suite: Suite, studies: dict) -> list[str]:
    """Disagreements between the descriptor and the studies' claims (empty when they agree)."""
    problems = []
    prefixes = suite.prefixes
    found = [c.id for m in studies.values() for c in m.CLAIMS]
    if len(set(prefixes)) != len(prefixes):
        problems.append("the descriptor lists a section prefix twice")
    if len(set(found)) != len(found):
        problems.append("two studies declare the same claim id")
    for cid in sorted(set(found)):
        if cid.partition("-")[0] not in prefixes:
            problems.append(f"{cid} is declared by a study but its prefix names no section of suite.toml "
                            f"(the sections are {list(prefixes)})")
    for s in suite.sections:
        if "claims" in s:  # the claims are the studies' alone: a list here would be a second copy
            problems.append(f"section {s['prefix']} lists claims in suite.toml; a section holds the claims whose ids "
                            "start with its prefix (remove the list)")
    return problems

"""What convcheck prints: verdicts for the terminal, and a run's verdicts as a JSON document.

One printer for every command: ``convcheck run`` and ``python studies/<suite>/<study>.py`` list
verdicts with :func:`verdict_lines` (the paper's claims as written, in the paper's order, each
with its readings under it, supporting checks apart, then the headline counts); ``convcheck
check`` prints a :class:`~convcheck.checking.CheckResult` with :func:`check_lines`.
``convcheck run --json`` and ``convcheck report RUN --json`` print :func:`run_document`: the
provenance header (:mod:`convcheck.provenance`) and the records of the run's ``verdicts.json``,
the same the report reads.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from .claims import AS_WRITTEN, headline, sort_key

__all__ = ["verdict_lines", "print_verdicts", "check_lines", "print_lines", "run_document", "print_json"]


def verdict_lines(verdicts, sections: tuple[str, ...] | None = None, *, detail: bool = False) -> list[str]:
    """The verdicts as lines: each claim as written with its readings under it, in the paper's order
    (``sections``: the suite's prefixes), supporting checks apart, then the headline counts.
    ``detail``: each verdict's evidence (:meth:`~convcheck.claims.Verdict.evidence`) under its line."""
    ordered = sorted(verdicts, key=sort_key(sections))
    width = max((len(v.claim) for v in verdicts), default=5)
    lines = []

    def more(v):  # the declared counterexample search beside the verdict, then its evidence where asked
        searched = [f"  {'':<{width}}      search: {v.search.get('summary', '')}"] if getattr(v, "search", None) else []
        return searched + ([f"    {x}" for x in v.evidence().splitlines()[1:]] if detail else [])

    for v in (v for v in ordered if not v.supporting):
        if v.reading == AS_WRITTEN:
            lines.append(f"  {v.claim:<{width}}  {v.outcome.upper():<12}  {v.summary}")
        else:
            lines.append(f"  {'':<{width}}    reading {v.reading!r}: {v.outcome.upper()}: {v.summary}")
        lines += more(v)
    support = [v for v in ordered if v.supporting]
    if support:
        lines.append("supporting checks (not statements of the paper):")
        for v in support:
            lines.append(f"  {v.label}: {v.outcome.upper()}: {v.summary}")
            lines += more(v)
    counts = headline(verdicts)
    lines.append(f"{sum(counts.values())} claims as written: " + ", ".join(f"{n} {o}" for o, n in counts.items()))
    return lines


def check_lines(result) -> list[str]:
    """A :class:`~convcheck.checking.CheckResult` as lines: the target and its role, each verdict,
    where the target departs from each role's own algorithm, and the algorithm a layer-wise class
    fell back to on the studies' vector parameters."""
    from .layerwise import fallback_note

    lines = [f"{result.target} in role {result.role!r}, study {result.study} ({result.scale} scale):"]
    lines += [f"  {v.label}: {v.outcome.upper()}: {v.summary}" for v in result.verdicts]
    lines += [f"  against convcheck's {role}: {words}" for role, words in result.departures.items()]
    lines += [f"  in role {role!r}: {fallback_note(record)}" for role, record in getattr(result, "fallbacks", {}).items()
              if record]
    return lines


def print_lines(lines, file=None) -> None:
    """Print ``lines`` to ``file`` (default: standard output)."""
    print("\n".join(lines), file=file or sys.stdout)


def print_verdicts(verdicts, sections: tuple[str, ...] | None = None, *, detail: bool = False, file=None) -> None:
    """Print :func:`verdict_lines`."""
    print_lines(verdict_lines(verdicts, sections, detail=detail), file)


def run_document(run_dir: Path | str) -> dict:
    """A run's verdicts as one JSON document, from its stored files: the provenance header (schema
    ``convcheck.run``, the versions of convcheck, torch and python, the scale, dtype and device of
    the run), the run, its suite, the study that failed and why, each study's seeds, device, dtype
    and whether it came from the cache, and the verdicts (the records of ``verdicts.json``)."""
    from .provenance import header
    from .store import read_json

    run_dir = Path(run_dir)
    manifest = read_json(run_dir / "manifest.json")
    verdicts = read_json(run_dir / "verdicts.json")
    head = header("convcheck.run", scale=manifest.get("scale"), seeds=None, dtype=manifest.get("dtype", "float64"),
                  device=manifest.get("device", "cpu"))
    versions = manifest.get("versions") or {}
    # the versions that made the run, where the manifest has them (a stored run read later)
    head.update({k: versions[k] for k in ("convcheck", "torch", "python") if versions.get(k)})
    studies = {name: {k: info.get(k) for k in ("seeds", "device", "dtype", "cached", "wall_time_s")}
               for name, info in (manifest.get("studies") or {}).items()}
    return {**head, "run": manifest.get("run", run_dir.name), "run_dir": str(run_dir), "created": manifest.get("created"),
            "suite": (manifest.get("suite") or {}).get("name"), "failed": manifest.get("failed") or {},
            "studies": studies, "verdicts": verdicts}


def print_json(document: dict, file=None) -> None:
    """Print a JSON document (one object, indented) to ``file`` (default: standard output)."""
    print(json.dumps(document, indent=1), file=file or sys.stdout)

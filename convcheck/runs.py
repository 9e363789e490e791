"""Run folders: create one, point ``latest``/``last`` at it, find one, and clean old ones.

A run folder is ``<out>/<YYYYmmdd-HHMMSS>[-k]/`` (its files: :mod:`convcheck.store`).
``<out>/last`` names the newest run of any selection; ``<out>/latest`` only the newest complete
run of a whole suite, so it never silently becomes a subset. Cleaning reads manifests and
source files; it imports no study.
"""

from __future__ import annotations

import datetime as _dt
import os
import re
import shutil
from pathlib import Path

from .store import atomic_write_text, read_json

__all__ = ["new_run_dir", "point_latest", "run_folders", "clean", "RUN_NAME"]

#: The name of a run folder: its creation time, and a counter when two start in one second.
RUN_NAME = re.compile(r"\d{8}-\d{6}(-\d+)?")


def new_run_dir(out: Path) -> Path:
    """A new, empty run folder under ``out`` named for the time now."""
    out = Path(out)
    stamp = _dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    for i in range(1000):
        p = out / (stamp if i == 0 else f"{stamp}-{i}")
        try:
            p.mkdir(parents=True)
            return p
        except FileExistsError:
            continue
    raise RuntimeError(f"could not create a run folder under {out}")


def point_latest(out: Path, run_dir: Path, name: str = "latest") -> None:
    """Point ``<out>/<name>`` at ``run_dir`` (a relative symlink, replaced atomically)."""
    link = Path(out) / name
    tmp = Path(out) / f".{name}-{os.getpid()}"
    tmp.unlink(missing_ok=True)
    try:
        os.symlink(run_dir.name, tmp)
        os.replace(tmp, link)
    except OSError:  # no symlinks on this file system: a text file naming the run
        tmp.unlink(missing_ok=True)
        atomic_write_text(link if not link.is_dir() else Path(out) / name.upper(), run_dir.name + "\n")


def run_folders(out: Path | str) -> list[Path]:
    """The run folders under ``out``, oldest first (links and other folders are not runs)."""
    out = Path(out)
    return sorted((p for p in out.iterdir() if p.is_dir() and not p.is_symlink() and RUN_NAME.fullmatch(p.name)),
                  key=lambda p: p.name)


def clean(out: Path | str, keep: int = 5, cache: bool = False, stale: bool = False) -> list[Path]:
    """Delete run folders under ``out`` but the newest ``keep`` and those ``latest``/``last`` name;
    with ``cache``, also the cache of finished studies; with ``stale``, the cache entries no run
    can hit again (made from other sources than the studies' and the library's now, and linked by
    no kept run), leftovers of interrupted saves, and the drawn figures (redrawn on the next
    render). Returns what was deleted."""
    out = Path(out)
    if not out.is_dir():
        raise ValueError(f"The 'out' parameter must be a folder of runs. Got {str(out)!r} instead.")
    named = {(out / n).resolve() for n in ("latest", "last") if (out / n).exists()}
    runs = run_folders(out)
    doomed = [p for p in runs[:max(len(runs) - keep, 0)] if p.resolve() not in named]
    if cache and (out / ".cache").is_dir():
        doomed.append(out / ".cache")
    elif stale and (out / ".cache").is_dir():
        kept = [p for p in runs if p not in doomed]
        doomed += _stale_entries(out / ".cache", kept)
    for p in doomed:
        shutil.rmtree(p) if p.is_dir() else p.unlink()
    return doomed


def _stale_entries(root: Path, kept_runs: list[Path]) -> list[Path]:
    """Cache entries under ``root`` that no kept run links and whose sources changed since."""
    from .discovery import source_hash, study_files
    from .suites import default_suite, list_suites

    linked = set()
    for run in kept_runs:
        try:
            manifest = read_json(run / "manifest.json")
        except (OSError, ValueError):
            continue
        suite = (manifest.get("suite") or {}).get("name") or default_suite()  # runs from before suites
        linked |= {f"{suite}.{n}-{s.get('cache_key')}" for n, s in manifest.get("studies", {}).items()}
    # hashes of the study files as they are now: read from disk, no study is imported
    current = {f"{name}.{p.stem}": source_hash(p) for name, s in list_suites().items() for p in study_files(s.path)}
    out = []
    for p in root.iterdir():
        if p.name == "figures" or p.name.startswith("."):  # drawn figures; a save cut off before its rename
            out.append(p)
            continue
        if p.name in linked:
            continue
        try:
            made_from = read_json(p / "study.json").get("source_hash")
        except (OSError, ValueError):
            made_from = None
        if made_from is None or made_from != current.get(p.name.rsplit("-", 1)[0]):
            out.append(p)
    return out

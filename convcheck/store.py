"""The store: one folder per run, written atomically, and a cache of finished studies.

Layout under ``out``::

    <out>/<run-id>/results/<study>.parquet   tidy rows: table x setting x seed x checkpoint
    <out>/<run-id>/verdicts.json     JSON array, one object per claim (see convcheck.claims)
    <out>/<run-id>/studies.json      per study: claims, figure specs, setup, wall time
    <out>/<run-id>/manifest.json     provenance: versions, device, dtype, seeds, commit, times
    <out>/<run-id>/index.html ...    the report (convcheck.report), rebuilt from the above
    <out>/latest                     symlink to the newest run
    <out>/.cache/<study>-<key>/      a finished study: tables.parquet, verdicts.json, study.json

Every file is written to a temporary name in its folder and renamed into place, and a cache
entry is a folder renamed into place whole, so an interrupted run leaves either a complete
entry or none. A re-run finds finished studies in the cache (keyed by the study's source
hash, the library's, its config and its seeds) and resumes with the rest.

A run's per-study tables are hard links to the cache entry's ``tables.parquet`` (a copy where
the file system cannot link): entries are never modified in place, only replaced whole, so the
link stays valid after the cache is emptied, and a run made from the cache costs no new bytes.
Runs written before this layout hold one ``results.parquet``; :func:`read_results` reads both.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from pathlib import Path

import pandas as pd

from .claims import Verdict, jsonable

__all__ = ["study_record", "atomic_write_text", "atomic_write_bytes", "cache_key", "Cache", "write_json", "read_json",
           "tables_to_frame", "frame_to_tables", "combine_frames", "read_results", "link_results"]


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _publish(tmp: str | Path, path: Path) -> None:
    """Give a temporary file the permissions of a normal new file, then rename it into place."""
    os.chmod(tmp, 0o666 & ~_umask())
    os.replace(tmp, path)


def atomic_write_text(path: Path, text: str) -> None:
    atomic_write_bytes(path, text.encode("utf-8"))


def atomic_write_bytes(path: Path, data: bytes) -> None:
    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        _publish(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_json(path: Path, obj) -> None:
    atomic_write_text(path, json.dumps(jsonable(obj), indent=2, sort_keys=False) + "\n")


def read_json(path: Path):
    return json.loads(Path(path).read_text(encoding="utf-8"))


def cache_key(source_hash: str, config: dict, seeds: int, device: str, dtype: str, compile: str = "auto") -> str:
    # the compile mode too: compiled steps round differently from eager ones
    fields = {"source": source_hash, "config": jsonable(config), "seeds": seeds, "device": device, "dtype": dtype,
              "compile": compile}
    blob = json.dumps(fields, sort_keys=True, default=repr)
    return hashlib.sha256(blob.encode()).hexdigest()[:20]


def tables_to_frame(study: str, tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Stack a study's tables into one tidy frame with ``study`` and ``table`` columns."""
    parts = [df.assign(study=study, table=name) for name, df in tables.items()]
    if not parts:
        return pd.DataFrame({"study": [], "table": []})
    frame = pd.concat(parts, ignore_index=True)
    front = ["study", "table"]
    return frame[front + [c for c in frame.columns if c not in front]]


def combine_frames(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """Stack several studies' frames into one Parquet-ready table.

    Studies name their columns freely, so one column can hold numbers in one study and
    labels in another (``v``: a coordinate here, a sign pattern there). Parquet needs one
    type per column: such mixed columns are stored as text (``repr`` of floats, which
    round-trips exactly), and :func:`frame_to_tables` turns them back into numbers per table.
    """
    frame = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    for col in frame.columns:
        if not pd.api.types.is_numeric_dtype(frame[col]):
            kinds = {type(x) for x in frame[col].dropna()}
            if len(kinds) > 1:
                frame[col] = frame[col].map(lambda x: x if x is None or (isinstance(x, float) and x != x) else repr(x)
                                            if isinstance(x, float) else str(x))
    return frame


def link_results(run_dir: Path, study: str, source: Path) -> None:
    """Put a study's tables (a cache entry's ``tables.parquet``) into ``run_dir/results/``."""
    folder = Path(run_dir) / "results"
    folder.mkdir(exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{study}.")
    os.close(fd)
    os.unlink(tmp)
    try:
        try:
            os.link(source, tmp)
        except OSError:  # another file system, or one without hard links
            shutil.copyfile(source, tmp)
        os.replace(tmp, folder / f"{study}.parquet")
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def read_results(run_dir: Path, study: str | None = None) -> pd.DataFrame:
    """A run's tidy results (one study's, or all studies' stacked by :func:`combine_frames`)."""
    run_dir = Path(run_dir)
    folder = run_dir / "results"
    if not folder.is_dir():  # the one-file layout of earlier runs
        frame = pd.read_parquet(run_dir / "results.parquet")
        return frame if study is None else frame[frame.study == study].reset_index(drop=True)
    if study is not None:
        return pd.read_parquet(folder / f"{study}.parquet")
    names = sorted(p.stem for p in folder.glob("*.parquet"))
    manifest = run_dir / "manifest.json"
    if manifest.is_file():  # the suite's order, as the run listed its studies
        listed = list(read_json(manifest).get("studies", {}))
        names = [n for n in listed if n in names] + [n for n in names if n not in listed]
    return combine_frames([pd.read_parquet(folder / f"{n}.parquet") for n in names])


def frame_to_tables(frame: pd.DataFrame, study: str) -> dict[str, pd.DataFrame]:
    """The inverse of :func:`tables_to_frame` for one study (all-NaN columns dropped; text
    columns that hold only numbers within a table turned back into numbers)."""
    sub = frame[frame.study == study]
    out = {}
    for name, g in sub.groupby("table", sort=False):
        g = g.drop(columns=["study", "table"]).dropna(axis=1, how="all").reset_index(drop=True)
        for col in g.columns:
            if not (pd.api.types.is_numeric_dtype(g[col]) or pd.api.types.is_bool_dtype(g[col])):
                try:
                    g[col] = pd.to_numeric(g[col]).astype(float)
                except (ValueError, TypeError):
                    pass
        out[name] = g
    return out


class Cache:
    """Finished studies under ``<out>/.cache``; each entry a folder renamed into place whole."""

    def __init__(self, root: Path):
        self.root = Path(root) / ".cache"

    def path(self, study: str, key: str) -> Path:
        return self.root / f"{study}-{key}"

    def load(self, study: str, key: str):
        """``(verdicts, info)`` of a finished study, or None (its tables: :meth:`tables`)."""
        p = self.path(study, key)
        if not ((p / "study.json").is_file() and (p / "tables.parquet").is_file()):
            return None
        verdicts = [Verdict.from_json(v) for v in read_json(p / "verdicts.json")]
        return verdicts, read_json(p / "study.json")

    def last_wall_time(self, study: str, scale: str) -> float | None:
        """The wall time of the newest entry of ``study`` at ``scale`` (any sources), or None: the
        runner starts the longest studies first, so that a pool of workers ends together."""
        best = None
        for info_file in self.root.glob(f"{study}-*/study.json"):
            try:
                info, mtime = read_json(info_file), info_file.stat().st_mtime
            except (OSError, ValueError):
                continue
            if info.get("scale") == scale and (best is None or mtime > best[0]):
                best = (mtime, float(info.get("wall_time_s", 0.0)))
        return None if best is None else best[1]

    def tables(self, study: str, key: str) -> Path:
        """The entry's tables file (for :func:`link_results`)."""
        return self.path(study, key) / "tables.parquet"

    def save(self, study: str, key: str, frame: pd.DataFrame, verdicts: list[Verdict], info: dict) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        final = self.path(study, key)
        tmp = Path(tempfile.mkdtemp(dir=self.root, prefix=f".{study}-"))
        try:
            frame.to_parquet(tmp / "tables.parquet", index=False)
            write_json(tmp / "verdicts.json", [v.to_json() for v in verdicts])
            write_json(tmp / "study.json", info)  # written last: its presence marks the entry complete
            os.chmod(tmp, 0o777 & ~_umask())
            if final.exists():
                shutil.rmtree(final)
            os.replace(tmp, final)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise


def study_record(module, result, *, scale: str, seeds: int, cache_key: str, source_hash: str,
                 wall_time_s: float) -> dict:
    """A study's record in a run (``studies.json``, and the cache entry's ``study.json``): its claims,
    figure specs, setup and provenance, the device and dtype it ran in as its result says
    (:class:`~convcheck.contract.StudyResult`); plain JSON-ready data."""
    import socket

    from .seeding import seed_from

    return {"study": module.NAME, "doc": (module.__doc__ or "").strip(), "claims": [c.to_json() for c in module.CLAIMS],
            "figures": result.figures, "setup": result.setup, "scale": scale, "config": dict(module.SCALES[scale]),
            "seeds": seeds, "seed_root": seed_from(module.NAME), "cache_key": cache_key, "source_hash": source_hash,
            "device": result.device, "dtype": result.dtype, "host": socket.gethostname(), "wall_time_s": wall_time_s,
            "compile": result.compile}

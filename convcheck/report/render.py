"""Render a run folder's HTML from its stored files (results, verdicts, studies, manifest)."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
from pathlib import Path

import jinja2
import pandas as pd

from ..claims import Verdict, headline, sort_key
from ..store import atomic_write_bytes, atomic_write_text, frame_to_tables, read_json, read_results
from . import figures as _figures
from .figures import caption, draw, to_png

__all__ = ["render_run"]

_ENV = jinja2.Environment(loader=jinja2.PackageLoader("convcheck.report", "templates"),
                          autoescape=jinja2.select_autoescape(["html", "j2"]), trim_blocks=True, lstrip_blocks=True)


def _fmt(value) -> str:
    """A value as a reader wants it: 4 significant digits, yes/no, short lists, compact mappings."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if value is None:
        return "-"
    if isinstance(value, float):
        return "n/a" if value != value else f"{value:.4g}"
    if isinstance(value, (list, tuple)):
        return f"[{len(value)} values]" if len(value) > 8 else "[" + ", ".join(_fmt(v) for v in value) + "]"
    if isinstance(value, dict):
        return "; ".join(f"{k}: {_fmt(v)}" for k, v in value.items())
    return str(value)


# statistic keys, and the fields of the test record (shown after them), under a readable name; keys
# mapped to None are not shown (arrays for the figures, the same number as the verdict's interval, the
# levels a verdict was decided at: its looks show them)
_STAT_LABELS = {"slope": "fitted slope (window)", "slope_end": "fitted slope (end segment)", "p_fail": "p-value of the failure test",
                "delta": "margin", "rate": "claimed rate", "kind": "kind of claim", "roundoff_limit": "round-off level",
                "mean_curve_slope": "slope of the seed-mean curve", "mean_curve_ci90": "its 90% bootstrap interval",
                "slope_end_ci90": "end-segment slope, 90% CI", "p_fail_family": "p-value after the suite's multiplicity correction",
                "p_fail_parts": "p-values of the parts (Holm within the claim)", "n_diverged": "seeds diverged", "slope_ci_fail": "slope, interval of the failure test",
                "per_seed_slopes": None, "certified": None, "stages": "looks (seeds, levels, outcome at each)",
                "seeds_to_decide": "seeds that would decide it", "alpha_fail": None, "alpha_pass": None, "decide_toward": "which way", "horizon_to_decide": "horizon that would decide it", "instrument": "instrument (versions)", "z_mean": None, "t_window": None, "slope_ci90": None, "t_end": "end segment (steps)"}


_LONG = 8  # more entries than this: a one-line summary, the whole list folded under it


def _stat_rows(v) -> list[tuple[str, str, str | None]]:
    """``(label, value, folded)`` per shown statistic; ``folded`` holds the full text of a long
    mapping (a p-value per part of a claim with dozens of parts), shown on demand."""
    rows = []
    test = {k: val for k, val in v.test.to_json().items() if val is not None and val != {}}
    for k, val in [*v.statistic.items(), *test.items()]:
        label = _STAT_LABELS.get(k, k.replace("_", " "))
        if label is None or (k.startswith("p_fail") and v.outcome == "reproduced"):
            continue
        if isinstance(val, (list, tuple)) and len(val) > _LONG:
            continue
        if isinstance(val, dict) and len(val) > _LONG:
            nums = [x for x in val.values() if isinstance(x, (int, float)) and not isinstance(x, bool)]
            short = f"{len(val)} parts" + (f", smallest {_fmt(float(min(nums)))}, largest {_fmt(float(max(nums)))}" if nums else "")
            rows.append((label, short, _fmt(val)))
        else:
            rows.append((label, _fmt(val), None))
    return rows


def _notes_summary(notes: list[str]) -> str:
    """'54 parts: 18 reproduced, 33 refuted, 3 inconclusive' for a long list of part notes."""
    counts = {o: sum(f": {o}:" in n for n in notes) for o in ("reproduced", "refuted", "inconclusive")}
    told = ", ".join(f"{c} {o}" for o, c in counts.items() if c)
    return f"{len(notes)} notes" + (f" ({told})" if told else "")


def _anchor(v) -> str:
    """The id of a verdict on its study page: the claim id, plus the reading's slug."""
    if v.reading == "as written":
        return v.claim
    return v.claim + "--" + re.sub(r"[^a-z0-9]+", "-", v.reading.lower()).strip("-")


def _setup_rows(setup: dict) -> list[tuple[str, str]]:
    rows = []
    for k, val in setup.items():
        if isinstance(val, dict) and val and all(isinstance(x, dict) for x in val.values()):
            rows += [(f"{k}: {kk}", _fmt(vv)) for kk, vv in val.items()]
        else:
            rows.append((k, _fmt(val)))
    return rows


def _certified_table(v) -> tuple[list[str], list[tuple[str, list[str]]]]:
    """A certified check's cells as a table: (columns, [(cell, values)]); empty when there are none."""
    rows = v.statistic.get("certified") or {}
    cols = []
    for r in rows.values():
        cols += [c for c in r if c not in cols]
    return cols, [(label, [_fmt(r.get(c)) for c in cols]) for label, r in rows.items()]


_ENV.filters["fmt"] = _fmt
_ENV.filters["certified_table"] = _certified_table
_ENV.filters["anchor"] = _anchor
_ENV.filters["stat_rows"] = _stat_rows
_ENV.filters["notes_summary"] = _notes_summary
_ENV.globals["LONG"] = _LONG


class _FigureCache:
    """Drawn figures kept beside the study cache (``<out>/.cache/figures/<key>.png``).

    A figure is a function of the study's stored tables, its spec and the drawing code, so the
    key hashes those three (and matplotlib's version); rebuilding a run that came from the
    cache then redraws nothing. Used only where the run folder sits in an output folder that
    has a cache; elsewhere every figure is drawn."""

    def __init__(self, out: Path):
        """``out``: the output folder (a run's parent), whose ``.cache/figures`` keeps them."""
        root = Path(out) / ".cache"
        self.root = root / "figures" if root.is_dir() else None
        import matplotlib

        code = Path(_figures.__file__).read_bytes() + matplotlib.__version__.encode()
        self._code = hashlib.sha256(code).hexdigest()
        self._tables: dict[Path, bytes] = {}  # each study's table file hashed once

    def path(self, spec: dict, tables_file: Path) -> Path | None:
        """Where the figure is kept (None: not kept, drawn every time)."""
        if self.root is None or not tables_file.is_file():  # no cache, or a run of the one-file layout
            return None
        if tables_file not in self._tables:
            self._tables[tables_file] = hashlib.sha256(tables_file.read_bytes()).digest()
        h = hashlib.sha256(self._code.encode())
        h.update(json.dumps(spec, sort_keys=True, default=repr).encode())
        h.update(self._tables[tables_file])
        return self.root / f"{h.hexdigest()[:24]}.png"

    def missing(self, specs: list[dict], tables_file: Path) -> list[tuple[dict, Path]]:
        """The specs whose figures would be kept but are not yet, with where each goes."""
        return [(spec, p) for spec in specs if (p := self.path(spec, tables_file)) is not None and not p.is_file()]

    def keep(self, path: Path, data: bytes) -> None:
        self.root.mkdir(exist_ok=True)
        atomic_write_bytes(path, data)

    def png(self, spec: dict, tables_file: Path, tables) -> bytes:
        path = self.path(spec, tables_file)
        if path is not None and path.is_file():
            return path.read_bytes()
        data = to_png(draw(spec, tables()))
        if path is not None:
            self.keep(path, data)
        return data

    def draw_missing(self, run_dir: Path, studies: dict, workers: int | None = None) -> int:
        """Draw every figure not kept yet, the studies side by side in worker processes; returns
        how many were drawn. Does nothing where figures are not kept, or where too few are missing
        to pay for starting the workers (each imports matplotlib)."""
        missing = {}
        for name, info in studies.items():
            tables_file = run_dir / "results" / f"{name}.parquet"
            todo = self.missing(info["figures"], tables_file)
            if todo:
                missing[name] = todo
        workers = min(workers or os.cpu_count() or 1, len(missing))
        if workers < 2 or sum(map(len, missing.values())) < PARALLEL_MIN_FIGURES:
            return 0
        from ..executors import LocalPool

        with LocalPool(workers) as pool:
            jobs = {name: pool.submit(_draw_study, run_dir, name, [spec for spec, _ in todo])
                    for name, todo in sorted(missing.items(), key=lambda kv: -len(kv[1]))}
            for name, job in jobs.items():
                for (_, path), data in zip(missing[name], job.result()):
                    self.keep(path, data)
        return sum(map(len, missing.values()))


PARALLEL_MIN_FIGURES = 12  # fewer are drawn in this process: starting workers would cost more


def draw_ahead(out: Path, study: str, tables_file: Path, specs: list[dict]) -> int:
    """Draw a finished study's figures into the output folder's figure cache now, from its cache
    entry's tables: the runner calls it in its own process while other studies still run in
    worker processes, so the report at the end finds them drawn (and no pool of drawing workers
    is started for them). Returns how many were drawn."""
    cache = _FigureCache(Path(out))
    todo = cache.missing(specs, tables_file)
    if todo:
        tables = frame_to_tables(pd.read_parquet(tables_file), study)
        for spec, p in todo:
            cache.keep(p, to_png(draw(spec, tables)))
    return len(todo)


def _draw_study(run_dir: Path, name: str, specs: list[dict]) -> list[bytes]:
    """One study's figures as PNG bytes (run in a worker process)."""
    tables = frame_to_tables(read_results(run_dir, name), name)
    return [to_png(draw(spec, tables)) for spec in specs]


def render_run(run_dir: Path | str) -> Path:
    """Write ``index.html`` and one ``<study>.html`` per study into ``run_dir``; return the index."""
    run_dir = Path(run_dir)
    verdicts = [Verdict.from_json(v) for v in read_json(run_dir / "verdicts.json")]
    studies = read_json(run_dir / "studies.json")
    manifest = read_json(run_dir / "manifest.json")
    claims = {c["id"]: c for info in studies.values() for c in info["claims"]}
    suite = manifest.get("suite") or _default_suite_json()  # runs from before suites ran the default one
    order = sort_key(tuple(s["prefix"] for s in suite.get("sections", [])) or None)

    drawn = _FigureCache(run_dir.parent)
    drawn.draw_missing(run_dir, studies)
    for name, info in studies.items():
        loaded = {}

        def tables(name=name):  # read only when a figure must be drawn
            if "t" not in loaded:
                loaded["t"] = frame_to_tables(read_results(run_dir, name), name)
            return loaded["t"]

        figures = [{"title": spec.get("title", ""), "caption": caption(spec),
                    "uri": "data:image/png;base64," + base64.b64encode(
                        drawn.png(spec, run_dir / "results" / f"{name}.parquet", tables)).decode("ascii")}
                   for spec in info["figures"]]
        page = _ENV.get_template("study.html.j2").render(
            study=name, info=info, figures=figures, manifest=manifest, claims=claims,
            verdicts=sorted((v for v in verdicts if v.study == name), key=order),
            setup=_setup_rows(info.get("setup", {})))
        atomic_write_text(run_dir / f"{name}.html", page)
    ordered = sorted(verdicts, key=order)
    index = _ENV.get_template("index.html.j2").render(suite=suite,
        main=[v for v in ordered if not v.supporting], support=[v for v in ordered if v.supporting], counts=headline(verdicts),
        claims=claims, manifest=manifest, studies=studies)
    atomic_write_text(run_dir / "index.html", index)
    return run_dir / "index.html"


def _default_suite_json() -> dict:
    """The default suite's descriptor, for a run whose manifest predates suites."""
    from ..suites import load_suite

    try:
        return load_suite().to_json()
    except ValueError:
        return {"name": "", "subject": "paper", "title": "", "authors": "", "year": None, "sections": []}

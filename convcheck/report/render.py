"""Render a run folder's HTML from its stored files (results, verdicts, studies, manifest)."""

from __future__ import annotations

import json
from pathlib import Path

import jinja2
import pandas as pd

from ..claims import Verdict, headline, sort_key
from ..store import atomic_write_text, frame_to_tables, read_json
from .figures import draw, to_data_uri

__all__ = ["render_run"]

_ENV = jinja2.Environment(loader=jinja2.PackageLoader("convcheck.report", "templates"),
                          autoescape=jinja2.select_autoescape(["html", "j2"]), trim_blocks=True, lstrip_blocks=True)


def _fmt(value) -> str:
    if isinstance(value, float):
        return f"{value:.6g}"
    if isinstance(value, list) and len(value) > 12:
        return f"[{len(value)} values]"
    if isinstance(value, (dict, list)):
        return json.dumps(value)[:400]
    return str(value)


_ENV.filters["fmt"] = _fmt


_SURVEY_TITLE = "Backpropagation and Optimization in Deep Learning: Tutorial and Survey"


def render_run(run_dir: Path | str) -> Path:
    """Write ``index.html`` and one ``<study>.html`` per study into ``run_dir``; return the index."""
    run_dir = Path(run_dir)
    verdicts = [Verdict.from_json(v) for v in read_json(run_dir / "verdicts.json")]
    studies = read_json(run_dir / "studies.json")
    manifest = read_json(run_dir / "manifest.json")
    results = pd.read_parquet(run_dir / "results.parquet")
    claims = {c["id"]: c for info in studies.values() for c in info["claims"]}
    # runs written before suites existed are runs of the survey
    suite = manifest.get("suite") or {"name": "survey", "subject": "survey", "title": _SURVEY_TITLE,
                                      "authors": "Ghojogh & Ghodsi", "year": 2024, "sections": []}
    order = sort_key(tuple(s["prefix"] for s in suite.get("sections", [])) or None)

    for name, info in studies.items():
        tables = frame_to_tables(results, name)
        figures = [{"title": spec.get("title", ""), "uri": to_data_uri(draw(spec, tables))} for spec in info["figures"]]
        page = _ENV.get_template("study.html.j2").render(
            study=name, info=info, figures=figures, manifest=manifest, claims=claims,
            verdicts=sorted((v for v in verdicts if v.study == name), key=order),
            setup=json.dumps(info.get("setup", {}), indent=2, default=str))
        atomic_write_text(run_dir / f"{name}.html", page)
    ordered = sorted(verdicts, key=order)
    index = _ENV.get_template("index.html.j2").render(suite=suite,
        main=[v for v in ordered if not v.supporting], support=[v for v in ordered if v.supporting], counts=headline(verdicts),
        claims=claims, manifest=manifest, studies=studies)
    atomic_write_text(run_dir / "index.html", index)
    return run_dir / "index.html"

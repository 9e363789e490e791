"""What a check's JSON says about itself: a versioned schema, the versions that made it, the date.

``convcheck check --json``, ``conformance.json`` and ``convcheck run --json`` are read by other
tools (a library's CI, ``convcheck diff``), so each is one JSON object whose first keys are this
header:

    {"schema": "convcheck.conformance", "schema_version": 1, "convcheck": "0.1.0", "torch": "2.13.0",
     "python": "3.11.9", "libraries": {"pytorch_optimizer": "3.4.2"}, "scale": "tiny", "seeds": null,
     "dtype": "float64", "device": "cpu", "date": "2026-12-08T01:02:03Z", ...}

``seeds`` is null where each study used its scale's own count (seeds derive from hashed names, so a
scale and the versions fix them). A reader checks ``schema`` and ``schema_version`` with
:func:`read_document`, which names what it got when it cannot read a file.
"""

from __future__ import annotations

import datetime
import importlib.metadata
import inspect
import json
import platform
from pathlib import Path

__all__ = ["SCHEMA_VERSION", "SCHEMAS", "header", "libraries_of", "read_document"]

#: The version of the JSON layout of ``check --json``, ``conformance.json`` and ``run --json``; raised on any change a
#: reader must know about (a key removed or its meaning changed; new keys do not raise it).
SCHEMA_VERSION = 1
#: The documents that carry the header.
SCHEMAS = ("convcheck.check", "convcheck.conformance", "convcheck.run")


def libraries_of(targets) -> dict:
    """{distribution: version} of the packages the classes ``targets`` come from (torch's own aside)."""
    try:
        dists = importlib.metadata.packages_distributions()
    except Exception:  # an unusual environment: versions unknown, not an error
        dists = {}
    out = {}
    for t in targets:
        mod = inspect.getmodule(t)
        top = (getattr(mod, "__name__", "") or "").split(".")[0]
        if not top or top in ("torch", "convcheck", "__main__") or top.startswith("convcheck_target_"):
            continue
        for dist in dists.get(top, [top]):
            try:
                out[dist] = importlib.metadata.version(dist)
            except importlib.metadata.PackageNotFoundError:
                out[dist] = getattr(mod, "__version__", None)
    return dict(sorted(out.items()))


def header(schema: str, *, scale: str, seeds=None, dtype="float64", device="cpu", targets=()) -> dict:
    """The first keys of a ``schema`` document (one of :data:`SCHEMAS`)."""
    import torch

    from . import __version__

    if schema not in SCHEMAS:
        raise ValueError(f"The 'schema' parameter must be one of {list(SCHEMAS)}. Got {schema!r} instead.")
    return {"schema": schema, "schema_version": SCHEMA_VERSION, "convcheck": __version__, "torch": torch.__version__,
            "python": platform.python_version(), "libraries": libraries_of(targets), "scale": scale, "seeds": seeds,
            "dtype": str(dtype).replace("torch.", ""), "device": str(device),
            "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")}


def read_document(path, schemas=SCHEMAS) -> dict:
    """A document of one of ``schemas`` (default: any of :data:`SCHEMAS`), its schema and version checked."""
    p = Path(path)
    try:
        doc = json.loads(p.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ValueError(f"The file {str(p)!r} must be a readable JSON document written by convcheck. "
                         f"Reading it failed: {type(exc).__name__}: {exc}") from None
    got = doc.get("schema") if isinstance(doc, dict) else f"a JSON {type(doc).__name__} without a header"
    if got not in schemas:
        raise ValueError(f"The file {str(p)!r} must hold one of the schemas {list(schemas)}. Got {got!r} instead "
                         "(files from before schema_version 1 are bare lists: run the check again).")
    if doc.get("schema_version") != SCHEMA_VERSION:
        raise ValueError(f"The file {str(p)!r} must have schema_version {SCHEMA_VERSION} (this convcheck's). "
                         f"Got {doc.get('schema_version')!r} instead.")
    return doc

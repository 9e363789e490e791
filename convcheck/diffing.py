"""``convcheck diff OLD NEW``: the cells that changed between two runs, and whether any got worse.

A cell is one verdict of one class in one role on one claim and reading (``conformance.json``'s
``rows[].cells[]``, or ``check --json``'s ``verdicts``). What "worse" means follows what the
cell says (:func:`convcheck.conformance.cell_label`), never the colour alone: a claim that Adam
fails to converge is "as claimed" for a class that fails, and a library that fixed its class
should not be told it got worse. So a change is

* **worse** when the cell agreed with the role's reference on that claim and no longer does,
  when a verdict becomes inconclusive or an error, when a class that was the role's algorithm
  becomes another, or when a cell or row disappears;
* **better** in the opposite cases;
* **changed** otherwise (both runs disagree with the reference, in different ways).

Without a reference verdict (a ``check --json`` file, a role with none), "as claimed" / "same
algorithm" rank above "inconclusive", above "not as claimed" / "not the algorithm".
"""

from __future__ import annotations

import json
from pathlib import Path

__all__ = ["diff", "run_diff", "cells_of"]

_RANK = {"same algorithm": 3, "as claimed": 3, "another algorithm": 2, "inconclusive": 1, "not as claimed": 0,
         "not the algorithm": 0, "error": -1}


def _load(path) -> dict:
    from .provenance import read_document

    p = Path(path)
    return read_document(p / "conformance.json" if p.is_dir() else p, ("convcheck.check", "convcheck.conformance"))


def cells_of(doc: dict) -> dict:
    """{(target, role, suite, claim, reading): cell} of a document; a row without verdicts is one
    cell keyed with claim ``"*"`` whose word is ``"error"``."""
    from .wording import cell_label

    out = {}
    if doc["schema"] == "convcheck.check":
        for v in doc["verdicts"]:
            rec = (doc.get("departures") or {}).get(doc["role"].split(", ")[0], {})
            departs = bool(rec) and not (rec.get("compared") and (rec.get("same") or rec.get("roundoff")))
            kind = "identity" if v.get("kind") == "identity" else v.get("kind", "")
            out[doc["target"], doc["role"], "", v["claim"], v["reading"]] = {
                "cell": cell_label(kind, v["outcome"], departs), "outcome": v["outcome"], "reference_cell": None}
        return out
    for row in doc["rows"]:
        if row["error"] and not row["cells"]:
            out[row["target"], row["role"], "", "*", ""] = {"cell": "error", "outcome": None, "reference_cell": None,
                                                           "error": row["error"]}
        for c in row["cells"]:
            out[row["target"], row["role"], c["suite"], c["claim"], c["reading"]] = c
    return out


def _judge(old: dict | None, new: dict | None) -> str:
    if new is None:
        return "worse"  # a cell that disappeared: coverage lost
    if old is None:
        return "better" if new["cell"] != "error" else "worse"
    if old["cell"] == new["cell"]:
        return "same"
    ref_o, ref_n = old.get("reference_cell"), new.get("reference_cell")
    if "error" in (old["cell"], new["cell"]) or "inconclusive" in (old["cell"], new["cell"]) or not (ref_o and ref_n):
        return "worse" if _RANK[new["cell"]] < _RANK[old["cell"]] else "better"
    agreed, agrees = old["cell"] == ref_o, new["cell"] == ref_n
    if agreed and not agrees:
        return "worse"
    if agrees and not agreed:
        return "better"
    return "changed"


def diff(old_doc: dict, new_doc: dict) -> list[dict]:
    """The cells that changed: ``{"key", "old", "new", "change"}`` with change worse, better or changed."""
    a, b = cells_of(old_doc), cells_of(new_doc)
    out = []
    for key in list(a) + [k for k in b if k not in a]:
        o, n = a.get(key), b.get(key)
        change = _judge(o, n)
        if change != "same":
            out.append({"target": key[0], "role": key[1], "suite": key[2], "claim": key[3], "reading": key[4],
                        "old": None if o is None else o["cell"], "new": None if n is None else n["cell"],
                        "old_reference": None if o is None else o.get("reference_cell"),
                        "new_reference": None if n is None else n.get("reference_cell"), "change": change})
    return out


def run_diff(old, new, as_json: bool = False) -> int:
    """``convcheck diff``: print the changes; 1 when a cell got worse, else 0."""
    a, b = _load(old), _load(new)
    changes = diff(a, b)
    if as_json:
        print(json.dumps({"old": {k: a.get(k) for k in ("convcheck", "torch", "libraries", "scale", "date")},
                          "new": {k: b.get(k) for k in ("convcheck", "torch", "libraries", "scale", "date")},
                          "changes": changes}, indent=1))
    else:
        if a.get("scale") != b.get("scale"):
            print(f"note: the runs are at different scales ({a.get('scale')} and {b.get('scale')})")
        for ch in changes:
            where = ch["claim"] + ("" if ch["reading"] in ("", "as written") else f" [{ch['reading']}]")
            ref = f" (reference: {ch['new_reference']})" if ch["new_reference"] else ""
            print(f"{ch['change']:>7}: {ch['target']} [{ch['role']}] {where}: {ch['old']} -> {ch['new']}{ref}")
        worse = sum(c["change"] == "worse" for c in changes)
        print(f"{len(changes)} cells changed, {worse} worse")
    return 1 if any(c["change"] == "worse" for c in changes) else 0

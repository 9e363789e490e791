"""Certified worst cases against claimed bounds: one verdict from performance-estimation readings.

Each cell is a :class:`~convcheck.pep.WorstCase` (the primal ``value`` attained by a function
of the class, the dual ``upper`` bound certified by the multipliers, the solver's ``status`` and
``accuracy``) and the bound a claim states for it: a number, or another worst case (the claim
"method A's worst case is at most method B's"). With ``tol`` the cell's accuracy (plus the
other worst case's, when the bound is one):

* **reproduced** when ``upper <= bound + tol``: the dual certificate says no function of the
  class exceeds the bound (a numerical certificate, accurate to ``tol``; not a proof);
* **refuted** when ``value > bound + tol``: the solver returned iterates, gradients and function
  values of a function of the class (up to ``tol``) on which the measure exceeds the bound, the
  counterexample recorded in the verdict;
* **inconclusive** when the solver's status is not "optimal", its residuals exceed
  :data:`~.thresholds.CERT_MAX_ACCURACY`, PEPit is not installed, or the bound lies within
  ``tol`` of the worst case.

Cells combine as every other check's parts (:func:`~.multiple.combine`): refuted when any cell
is, reproduced when every cell is. A cell keyed ``(cell, measure)`` is one of several measures of
one vague word in that cell (an "oscillation" measured two ways): the measures of a cell combine
first by :func:`~.multiple.agree` (refuted only when every measure refutes). Nothing here is
random: no p-value, no multiplicity.
"""

from __future__ import annotations

import math

from ..claims import INCONCLUSIVE, REFUTED, REPRODUCED, Verdict
from . import thresholds as th
from ._record import records_levels
from .multiple import agree, combine

__all__ = ["check_certified", "judge_cell"]


def _bound_of(bound):
    """(low, high, accuracy, label) of a bound: a number is exact; a worst case spans
    [value, upper] and brings its accuracy."""
    if hasattr(bound, "upper"):
        ok = bound.status == "optimal" and bound.accuracy <= th.CERT_MAX_ACCURACY
        return bound.value, bound.upper, (bound.accuracy if ok else math.inf), f"the worst case of {bound.method}"
    b = float(bound)
    return b, b, 0.0, f"{b:.10g}"


def judge_cell(worst, bound, *, claim: str = "", study: str = "", label: str = "") -> Verdict:
    """One cell's verdict (the rule of the module's docstring)."""
    lo, hi, bound_acc, bound_label = _bound_of(bound)
    row = {"N": worst.N, "bound": hi, "worst case": worst.value, "certified upper": worst.upper,
           "accuracy": worst.accuracy, "solver": worst.solver, "status": worst.status}
    if worst.value and math.isfinite(worst.value) and worst.value > 0 and hi > 0:
        row["bound / worst case"] = hi / worst.value
    stat = {"cell": row}

    def verdict(outcome, summary):
        return Verdict(claim, study, outcome, summary, statistic=stat)

    from ..pep import INITIAL

    where = (f"{worst.method}, {worst.metric} after N = {worst.N} over {worst.function_class} "
             f"(start: {INITIAL.get(worst.initial, worst.initial)})")
    if worst.status != "optimal":
        return verdict(INCONCLUSIVE, f"{where}: the SDP solver did not certify a worst case (status {worst.status}; "
                                     f"tried {', '.join(worst.attempts) or worst.solver})")
    if not worst.accuracy <= th.CERT_MAX_ACCURACY or not math.isfinite(bound_acc):
        return verdict(INCONCLUSIVE, f"{where}: the solver's residuals ({worst.accuracy:.2g}"
                                     + (f"; the bound's {bound_label} is itself not certified" if not math.isfinite(bound_acc) else "")
                                     + f") exceed {th.CERT_MAX_ACCURACY:g}: too inaccurate to decide")
    tol = worst.accuracy + bound_acc
    if worst.upper <= lo + tol:
        return verdict(REPRODUCED, f"{where}: certified worst case <= {worst.upper:.10g} <= {bound_label} "
                                   f"(solver accuracy {tol:.2g}); attained {worst.value:.10g}")
    if worst.value > hi + tol:
        ex = worst.example.get("f_minus_fstar")
        told = (f"; the counterexample (dimension {worst.example.get('dimension')}): f(w_k) - f* = "
                + ", ".join(f"{x:.6g}" for x in ex)) if ex else ""
        return verdict(REFUTED, f"{where}: a function of the class reaches {worst.value:.10g} > {bound_label} "
                                f"(by {worst.value - hi:.3g}, solver accuracy {tol:.2g}){told}")
    return verdict(INCONCLUSIVE, f"{where}: the worst case [{worst.value:.10g}, {worst.upper:.10g}] lies within the "
                                 f"solver's accuracy {tol:.2g} of {bound_label}")


def _name(label) -> str:
    return ", ".join(map(str, label)) if isinstance(label, tuple) else str(label)


@records_levels
def check_certified(cells, *, claim: str = "", study: str = "", summary: str | None = None,
                    unavailable: str | None = None, columns: dict | None = None, levels: th.Levels | None = None,
                    **fields) -> Verdict:
    """One verdict from ``{label: (worst_case, bound)}`` (see the module's docstring), or from a
    function returning that mapping (called here, so that PEPit missing is an inconclusive
    verdict saying so rather than an error).

    ``unavailable`` (a reason) gives an inconclusive verdict saying so. The statistic
    ``certified`` holds one row per cell: the bound, the attained worst case, the certified upper
    bound, their ratio, the solver, its status and accuracy, and the study's own ``columns``
    (``{label: {name: value}}``, e.g. the worst measured instance at that horizon). ``levels``: those
    the cells are combined at (:func:`~.multiple.combine`; None: nominal)."""
    if callable(cells):
        from ..pep import PEPUnavailable

        try:
            cells = cells()
        except PEPUnavailable as exc:
            unavailable = str(exc)
    if unavailable:
        return Verdict(claim, study, INCONCLUSIVE, f"no certified worst case: {unavailable}", **fields)
    if not cells:
        raise ValueError("The 'cells' parameter must hold at least one (worst case, bound) pair. Got none.")
    judged = {label: judge_cell(w, b, claim=claim, study=study) for label, (w, b) in cells.items()}
    columns = columns or {}
    rows = {_name(label): {**v.statistic["cell"], **columns.get(label, {}), "outcome": v.outcome} for label, v in judged.items()}
    for r in rows.values():  # how close the instances came to the certified worst case
        for name in [c for c in r if c.startswith("worst measured")]:
            if isinstance(r[name], (int, float)) and r["worst case"] and math.isfinite(r["worst case"]):
                r[f"{name} / worst case"] = r[name] / r["worst case"]
    parts = {}
    for label, v in judged.items():
        if isinstance(label, tuple):
            parts.setdefault(label[0], {})[label[1]] = v
        else:
            parts[label] = v
    parts = {cell: agree(claim, study, v, levels=levels) if isinstance(v, dict) else v for cell, v in parts.items()}
    statistic = {"certified": rows, **dict(fields.pop("statistic", None) or {})}
    if summary is None:
        classes = {w.function_class for w, _ in cells.values()}
        where = classes.pop() if len(classes) == 1 else "each cell's class"
        summary = (f"over {where}: certified worst case <= bound at "
                   + ", ".join(f"{lab} ({r['certified upper']:.6g} <= {r['bound']:.6g})" for lab, r in rows.items())
                   + f"; solver accuracy <= {max(r['accuracy'] for r in rows.values()):.2g}")
    return combine(claim, study, parts, summary=summary, statistic=statistic, levels=levels, **fields)

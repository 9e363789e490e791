"""Holm's correction across the refutations of a run.

A run tests many claims; each "refuted" rests on a FAIL test at level ALPHA_FAIL. Holm's
step-down procedure (statsmodels) adjusts the FAIL p-values of all verdicts that carry one
(``statistic["p_fail"]``); a refutation whose adjusted p-value exceeds ALPHA_FAIL becomes
inconclusive, with a note. A FAIL is a 99.8% two-sided interval outside the margin, i.e. a
one-sided p-value below ALPHA_FAIL / 2, so adjusted p-values are held to that level. Verdicts without a p-value (deterministic checks) are untouched.
"""

from __future__ import annotations

from statsmodels.stats.multitest import multipletests

from ..claims import INCONCLUSIVE, REFUTED, Verdict
from . import thresholds as th

__all__ = ["holm_adjust"]


def holm_adjust(verdicts: list[Verdict]) -> list[Verdict]:
    tested = [v for v in verdicts if isinstance(v.statistic.get("p_fail"), (int, float))]
    if not tested:
        return verdicts
    _, adjusted, _, _ = multipletests([float(v.statistic["p_fail"]) for v in tested], method="holm")
    for v, p in zip(tested, adjusted):
        v.statistic["p_fail_holm"] = float(p)
        if v.outcome == REFUTED and p > th.ALPHA_FAIL / 2:
            v.outcome = INCONCLUSIVE
            v.notes.append(f"refutation withdrawn by Holm's correction over {len(tested)} tests: adjusted p = {p:.3g} > {th.ALPHA_FAIL / 2}")
    return verdicts

"""Multiplicity: one family of FAIL tests per suite, fixed in advance.

Every check that yields a p-value records it as ``verdict.test.p_fail``: the p-value of its
FAIL test, whose null hypothesis is "the claim holds" (rate, linear, floor, paired, Monte-Carlo
mean, stochastic bound). A refutation rests on such a test at level ``ALPHA_FAIL`` (a 99.8%
interval outside the margin, i.e. a one-sided p-value below ``ALPHA_FAIL / 2``). Two levels
of correction keep the family-wise rate of false refutations at that level (``ALPHA_FAIL`` here
stands for the FAIL level a verdict is judged at: the nominal one, or a look's in a staged run,
passed as ``levels``):

1. **Inside a claim** (:func:`claim_p`, used by :func:`combine`): the parts
   of a claim (instances, settings, iterates) are Holm-corrected among themselves; a part's
   refutation counts only when its Holm-adjusted p-value is below ``ALPHA_FAIL / 2``, and the
   claim's p-value is the smallest adjusted one (Bonferroni of the minimum).
2. **Across a suite** (:func:`family_adjust`): each claim's p-value is multiplied by the
   number of claims the suite registers (Bonferroni over a family fixed in advance). The
   verdict of a claim therefore depends on its own data and on the suite, never on which
   other studies were selected in a run (Holm's step-down would make it depend on them).

Deterministic checks (identities, properties, single curves) carry no p-value and are not
corrected: a deterministic counterexample is not a sampling accident. A refuted part without
a p-value counts as p = 0.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from ..claims import INCONCLUSIVE, REFUTED, REPRODUCED, Test, Verdict
from . import thresholds as th
from ._record import records_levels
from .intervals import price_fields, price_of

__all__ = ["claim_p", "combine", "agree", "family_adjust", "p_fail_of", "holm"]


def holm(pvalues) -> np.ndarray:
    """Holm's step-down adjusted p-values: sorted ascending, ``p_(i) (m - i + 1)``, made monotone
    and capped at 1; the values statsmodels' ``multipletests(method="holm")`` returns (a test
    compares them). Computed here because that function runs a full ``gc.collect()`` on every
    call, a cost paid on every claim combined from parts and in every replication of a
    calibration test."""
    p = np.asarray(pvalues, dtype=float).reshape(-1)
    order = np.argsort(p, kind="stable")
    m = p.size
    adjusted = np.minimum(1.0, np.maximum.accumulate(p[order] * np.arange(m, 0, -1)))
    out = np.empty(m)
    out[order] = adjusted
    return out


def _priced(outcome: str, v: Verdict) -> tuple:
    """A part as :func:`~.intervals.price_of` reads it: (its outcome here, its price, which way)."""
    return outcome, v.test.seeds_to_decide, v.test.decide_toward


def p_fail_of(v: Verdict) -> float | None:
    """The FAIL p-value of a verdict: its own, 0 for a refutation without one, None otherwise."""
    p = v.test.p_fail
    if p is not None:
        return p
    return 0.0 if v.outcome == REFUTED else None


def claim_p(parts: dict[str, Verdict]) -> tuple[dict[str, float], float | None]:
    """Holm-adjusted FAIL p-values of a claim's parts (those that have one), and the claim's p-value."""
    labelled = [(k, p_fail_of(v)) for k, v in parts.items()]
    labelled = [(k, p) for k, p in labelled if p is not None]
    if not labelled:
        return {}, None
    adjusted = holm([p for _, p in labelled])
    adj = {k: float(p) for (k, _), p in zip(labelled, adjusted)}
    return adj, min(adj.values())


def family_adjust(verdicts: list[Verdict], family_size: int, *, levels: th.Levels | None = None) -> list[Verdict]:
    """Bonferroni over a suite of ``family_size`` claims: a refutation whose p-value times the
    family size exceeds ``levels.fail / 2`` (None: the nominal ``ALPHA_FAIL / 2``) becomes
    inconclusive, with a note. Returns new verdicts (the given ones are immutable), their test
    records holding the adjusted p-value; those without a p-value come back as they were."""
    alpha = th.Levels.of(levels).fail
    if family_size < 1:
        raise ValueError(f"The 'family_size' parameter must be an int in the range [1, inf). Got {family_size!r} instead.")
    out = []
    for v in verdicts:
        p = v.test.p_fail
        if p is None:
            out.append(v)
            continue
        adj = min(1.0, float(p) * family_size)
        withdrawn = v.outcome == REFUTED and adj > alpha / 2
        notes = [f"refutation withdrawn by the suite's multiplicity correction (Bonferroni over {family_size} "
                 f"claims): adjusted p = {adj:.3g} > {alpha / 2:g}"] if withdrawn else []
        summary = (f"refuted before the suite's multiplicity correction (p = {float(p):.3g}, adjusted {adj:.3g} > "
                   f"{alpha / 2:g}): {v.summary}") if withdrawn else v.summary  # the reason, in the one line
        out.append(dataclasses.replace(v, outcome=INCONCLUSIVE if withdrawn else v.outcome, summary=summary,
                                       test=dataclasses.replace(v.test, p_fail_family=adj), notes=(*v.notes, *notes)))
    return out


@records_levels
def combine(claim: str, study: str, parts: dict[str, Verdict], summary: str | None = None, *,
            levels: th.Levels | None = None, **fields) -> Verdict:
    """One verdict from labelled sub-verdicts (instances, settings): refuted if any part is
    refuted, reproduced if every part is, inconclusive otherwise. Each part's summary becomes
    a note; ``summary`` (used when reproduced) defaults to the parts' summaries.

    Multiplicity inside the claim (:func:`claim_p`): the parts' FAIL
    p-values are Holm-corrected; a part's refutation counts only when its adjusted p-value is
    below ``levels.fail / 2`` (``levels``: those the claim is judged at, None: nominal; otherwise
    that part reads as inconclusive here), and the claim carries the smallest adjusted p-value into
    the suite's family (its test record's ``p_fail``, the parts' in ``p_fail_parts``).

    ``instances``: part label -> :class:`~convcheck.hypotheses.Instance` the part ran on (a part
    not named there brings the instances its verdict names); the verdict records each instance
    once, refuting when one of its parts refutes (the rule of
    :func:`convcheck.hypotheses.enforce` reads it)."""
    instance_of = dict(fields.pop("instances", None) or {})
    unknown = sorted(set(instance_of) - set(parts))
    if unknown:
        raise ValueError(f"The 'instances' parameter must be keyed by the parts {sorted(parts)}. Got {unknown} instead.")
    adjusted, p_claim = claim_p(parts)
    outcome_of = {}
    for k, v in parts.items():
        withdrawn = v.outcome == REFUTED and adjusted.get(k, 0.0) > levels.fail / 2
        outcome_of[k] = INCONCLUSIVE if withdrawn else v.outcome
    outcomes = list(outcome_of.values())
    if REFUTED in outcomes:
        outcome = REFUTED
        summary = "; ".join(f"{k}: {v.summary}" for k, v in parts.items() if outcome_of[k] == REFUTED)
    elif all(o == REPRODUCED for o in outcomes):
        outcome = REPRODUCED
        summary = summary or "; ".join(f"{k}: {v.summary}" for k, v in parts.items())
    else:
        outcome = INCONCLUSIVE
        summary = "; ".join(f"{k}: " + (f"refuted before Holm's correction over the claim's {len(adjusted)} parts "
                                         f"(adjusted p = {adjusted[k]:.3g}): " if outcome_of[k] != v.outcome else "")
                            + v.summary for k, v in parts.items() if outcome_of[k] == INCONCLUSIVE)
    statistic = dict(fields.pop("statistic", {}))
    test = {}
    if outcome == INCONCLUSIVE:  # the price of settling it: every undecided part must be priced
        need, way, sentence = price_of([_priced(outcome_of[k], v) for k, v in parts.items()], refute_any=True)
        if need:
            test.update(price_fields(need, way))
            if sentence not in summary:
                summary += f"; settling it: {sentence} (the undecided parts' own prices)"
    notes = list(fields.pop("notes", [])) + [f"{k}: {outcome_of[k]}: {v.summary}" + (
        f" (refutation withdrawn: Holm-adjusted p = {adjusted[k]:.3g} over {len(adjusted)} parts)"
        if outcome_of[k] != v.outcome else "") for k, v in parts.items()]
    rested: dict[str, dict] = {}
    for k, v in parts.items():  # a part's own instances (a verdict that named them), unless mapped here
        entries = [instance_of[k].to_json()] if k in instance_of else [dict(e) for e in v.instances]
        for e in entries:
            entry = rested.setdefault(e["name"], {**e, "refutes": False})
            entry["refutes"] = entry["refutes"] or (outcome_of[k] == REFUTED and (k in instance_of or e.get("refutes", True)))
    fields["instances"] = list(rested.values())
    if p_claim is not None:
        test.update(p_fail=p_claim, p_fail_parts=adjusted)
    return Verdict(claim, study, outcome, summary, statistic=statistic, notes=notes, test=Test(**test),
                   seeds=fields.pop("seeds", max((v.seeds or 0) for v in parts.values()) if parts else None),
                   diverged=fields.pop("diverged", sum(v.diverged for v in parts.values())), **fields)


@records_levels
def agree(claim: str, study: str, measures: dict[str, Verdict], *, what: str = "", levels: th.Levels | None = None,
          **fields) -> Verdict:
    """One verdict from several natural measures of one vague word (an oscillation measured by
    amplitude, by direction reversals and by path length): refuted only when every measure
    refutes, reproduced only when every measure reproduces, otherwise inconclusive with the
    disagreement shown. Its FAIL p-value is the largest of the measures' (an intersection-union
    test: rejecting only when every test rejects keeps the level without a correction). ``levels``:
    those the verdict records (the measures were judged at them; None: nominal)."""
    if not measures:
        raise ValueError("The 'measures' parameter must hold at least one verdict. Got none instead.")
    outcomes = {k: v.outcome for k, v in measures.items()}
    head = f"{what}: " if what else ""
    listing = "; ".join(f"{k}: {v.outcome} ({v.summary})" for k, v in measures.items())
    if all(o == REFUTED for o in outcomes.values()):
        outcome, summary = REFUTED, f"{head}every measure refutes: {listing}"
    elif all(o == REPRODUCED for o in outcomes.values()):
        outcome, summary = REPRODUCED, f"{head}every measure agrees: {listing}"
    else:
        outcome = INCONCLUSIVE
        summary = f"{head}the measures disagree or are undecided (" + ", ".join(f"{k}: {o}" for k, o in outcomes.items()) + f"): {listing}"
    ps = [p_fail_of(v) for v in measures.values()]
    statistic = {"measures": outcomes, **dict(fields.pop("statistic", {}))}
    price = {}
    if outcome == INCONCLUSIVE:  # settled by seeds only when every measure points the same way
        need, way, sentence = price_of([_priced(v.outcome, v) for v in measures.values()], refute_any=False)
        if need:
            price = price_fields(need, way)
            summary += f"; {sentence} by every measure"
    test = Test(p_fail=max(1.0 if p is None else p for p in ps), **price)
    return Verdict(claim, study, outcome, summary, statistic=statistic, test=test,
                   seeds=fields.pop("seeds", max((v.seeds or 0) for v in measures.values())),
                   diverged=fields.pop("diverged", max(v.diverged for v in measures.values())), **fields)

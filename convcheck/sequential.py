"""Seeds on demand: a study runs at a pilot seed count and its undecided claims get more seeds, in
stages, up to a budget, with the error rates controlled across the looks.

A group-sequential design (Lan & DeMets 1983) with O'Brien-Fleming-type spending: after stage k
with ``S_k`` seeds of a budget ``B``, the information fraction is ``t_k = S_k / B`` and the error
spent so far is

    alpha(t) = 2 - 2 Phi(z_{1 - alpha/2} / sqrt(t)),

so the look at stage k runs every check at the increment ``alpha(t_k) - alpha(t_{k-1})``
(for the FAIL level ``ALPHA_FAIL`` and, alike, the PASS level ``ALPHA_PASS``), passed to the look's
``run_study(..., levels=...)`` as a :class:`~convcheck.stats.thresholds.Levels` value (no module
global changes, so looks and studies judged concurrently cannot see each other's). The increments sum
to at most alpha, so by the union bound the chance of a false refutation (or reproduction) over
every look together stays at or below the single-look level, however many looks are taken
(``tests/test_sequential.py`` shows it with many looks, and shows naive re-testing at the full
level exceeding it). O'Brien-Fleming spends almost nothing early: the pilot decides only on
overwhelming evidence, the last look gets nearly the whole level.

Stages rerun the study with the larger count, so a stage's verdicts are bit for bit those of one
run with that count (at that stage's levels; a test checks it). The error control does not need
the stages' samples nested (the union bound holds whatever their dependence): seed k draws the
same numbers at every count only where a draw's size is a multiple of torch's 16-value normal
chunk, not yet everywhere. A claim decided at a look keeps that look's verdicts (stopping for it is part of the
design); a claim left inconclusive for a reason seeds cannot fix (its price, :func:`~convcheck.
stats.intervals.price_of`, is None) stops too. The next count is the largest price quoted by the
claims still undecided (``verdict.test.seeds_to_decide``), at least double the last, at most the
budget. Each verdict records its stages (``statistic["stages"]``: seeds, levels, outcome at each
look) and the levels of its deciding look (``test.alpha_fail``, ``test.alpha_pass``).

Every verdict is the library's judgment of a study's evidence, made at the look's levels (passed
to every check explicitly).
"""

from __future__ import annotations

import time

import dataclasses
from types import ModuleType

import numpy as np
from scipy import stats as sps

from .claims import INCONCLUSIVE
from .stats import thresholds as th

__all__ = ["spent", "stage_levels", "next_count", "run_staged"]


def spent(fraction, alpha: float) -> np.ndarray:
    """O'Brien-Fleming-type alpha spending: ``2 - 2 Phi(z_{1-alpha/2} / sqrt(t))`` at information
    fraction t in [0, 1] (0 at t = 0, alpha at t = 1)."""
    t = np.clip(np.asarray(fraction, dtype=float), 0.0, 1.0)
    with np.errstate(divide="ignore"):
        return np.where(t > 0, 2.0 - 2.0 * sps.norm.cdf(sps.norm.ppf(1 - alpha / 2) / np.sqrt(t)), 0.0)


def stage_levels(counts, budget: int, alpha_fail: float | None = None, alpha_pass: float | None = None) -> list[dict]:
    """The levels of each look at seed counts ``counts`` (increasing, at most ``budget``): the
    increments of the spending function, for the FAIL and the PASS decisions."""
    counts = [int(c) for c in counts]
    if not counts or any(b <= a for a, b in zip(counts, counts[1:])) or counts[-1] > budget or counts[0] < 1:
        raise ValueError(f"The 'counts' parameter must increase from 1 up to the budget {budget}. Got {counts} instead.")
    a_fail = th.ALPHA_FAIL if alpha_fail is None else alpha_fail
    a_pass = th.ALPHA_PASS if alpha_pass is None else alpha_pass
    t = np.array([0.0, *counts]) / budget
    fail, pas = np.diff(spent(t, a_fail)), np.diff(spent(t, a_pass))
    return [{"seeds": c, "alpha_fail": float(f), "alpha_pass": float(p)} for c, f, p in zip(counts, fail, pas)]


def next_count(current: int, prices: list[int], budget: int) -> int:
    """The next stage's seeds: the largest price asked, at least double the current count, at most the budget."""
    return int(min(budget, max(2 * current, *prices) if prices else 2 * current))


def run_staged(module: ModuleType, scale: str = "quick", *, pilot: int | None = None, budget: int, claims=None,
               seconds: float | None = None, **kwargs):
    """Run ``module`` in stages (see the module's docstring): ``pilot`` seeds first (default the
    scale's count), more for the claims still undecided, up to ``budget`` seeds. Returns the
    :class:`~convcheck.contract.StudyResult` of the last stage, its verdicts replaced by each claim's
    deciding look, each with its ``stages``; ``result.setup["stages"]`` lists every look.

    ``seconds``: a budget of wall time too. No look starts that would end past it, its time
    predicted from the last look's, in proportion to the seeds. The last look that fits *closes*:
    it tests at all the alpha the earlier looks left unspent (when no larger look fits, the same
    seeds are looked at again so), so a time budget still decides at the full levels; the error
    rate stays bounded by the union bound over the looks, as for any spending. Claims still open
    when even that cannot run keep their last verdict and say where the time ran out. Which look
    closes depends on the machine's speed, so a run under a time budget is reproduced bit for bit
    by the seed counts and levels its manifest records, not by the same budget elsewhere."""
    from .stats.thresholds import MIN_SEEDS
    from .study import _claims_asked, run_study
    from ._validation import check_int, check_real

    if "levels" in kwargs:
        raise ValueError("The 'levels' parameter is set by run_staged for each look (the spending function's "
                         "increments); it cannot be given.")
    pilot = check_int("pilot", pilot if pilot is not None else module.SCALES[scale].get("seeds", 32), MIN_SEEDS)
    budget = check_int("budget", budget, pilot)
    asked = _claims_asked(module, claims)
    pending = set(asked) if asked is not None else {c.id for c in module.CLAIMS}
    if seconds is not None:
        seconds = check_real("seconds", seconds, 0.0, None, low_open=True)
    final, history, looks, done, tables, figures = {}, {}, [], [], {}, {}
    decided: set = set()  # (claim, reading) pairs whose verdict a look has decided
    plan = [(pilot, False)]  # (seeds, whether the look spends all the alpha left)
    result, start, last = None, time.perf_counter(), 0.0
    while pending:
        count, closing = plan[-1]
        # a closing look (the last a time budget allows) tests at what the earlier looks left unspent
        level = stage_levels(done + [budget if closing else count], budget)[-1]
        level = {**level, "seeds": count, **({"closing": True} if closing else {})}
        t0 = time.perf_counter()
        result = run_study(module, scale, seeds=count, claims=sorted(pending),
                           levels=th.Levels(level["alpha_fail"], level["alpha_pass"]), **kwargs)
        last = time.perf_counter() - t0
        done.append(count)
        tables.update(result.tables)  # a claim decided earlier keeps the tables of its deciding look
        figures.update({f.get("title", str(i)): f for i, f in enumerate(result.figures)})
        by_claim: dict[str, list] = {}
        for v in result.verdicts:
            if v.key in decided:  # a reading decided at an earlier look keeps that look's verdict
                continue
            by_claim.setdefault(v.claim, []).append(v)
            history.setdefault(v.key, []).append({**level, "outcome": v.outcome})
        prices, undecided = [], set()
        for claim, vs in by_claim.items():
            for v in vs:
                final[v.key] = v
                if v.outcome == INCONCLUSIVE and v.test.seeds_to_decide and count < budget and not closing:
                    undecided.add(claim)
                    prices.append(int(v.test.seeds_to_decide))
                else:
                    decided.add(v.key)
        looks.append({**level, "claims": sorted(by_claim), "undecided": sorted(undecided), "seconds": round(last, 2)})
        pending = undecided
        if not pending:
            break
        nxt = next_count(count, prices, budget)
        if seconds is None:
            plan.append((nxt, False))
            continue
        left = seconds - (time.perf_counter() - start)
        p_next = last * nxt / count  # a look's time grows with its seeds
        if p_next <= left:  # it fits; it closes when no look after it would
            plan.append((nxt, nxt < budget and p_next + last * next_count(nxt, [], budget) / count > left))
        elif last <= left:  # no larger look fits: the same seeds again, at the alpha left (a union bound over looks)
            plan.append((count, True))
        else:
            why = (f"the time budget of {seconds:g} s stops the looks at {count} seeds: the next look ({nxt} seeds) "
                   f"would take about {p_next:.0f} s more")
            final.update({v.key: v.restated(findings=[why]) for c in pending for v in by_claim[c] if v.key not in decided})
            looks[-1]["stopped"] = why
            break
    verdicts = [v.restated(statistic={"stages": history[v.key]}) for v in final.values()]
    keys = [k for c in module.CLAIMS for k in c.keys()]
    verdicts.sort(key=lambda v: keys.index(v.key) if v.key in keys else len(keys))
    return dataclasses.replace(result, verdicts=verdicts, tables=tables, figures=list(figures.values()),
                               setup={**result.setup, "stages": looks})

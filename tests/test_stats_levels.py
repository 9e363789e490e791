"""Levels as values and the verdict's test record: every check decides at the levels it is given
(None: the nominal ALPHA_FAIL/ALPHA_PASS) and records them in ``Verdict.test``; nothing rebinds the
module's levels, so checks judged at once at different levels do not interfere; the test record
round-trips through ``verdicts.json``."""

import dataclasses
import json
import threading

import numpy as np
import pytest

from convcheck.claims import AS_WRITTEN, INCONCLUSIVE, REFUTED, REPRODUCED, Claim, Test, Verdict
from convcheck.evidence import NO_INSTANCE, Curves, Provenance
from convcheck.judgments import Measures, Rate, judge
from convcheck.stats import (check_bound, check_mean, check_paired, check_per_seed, check_property, check_rate,
                             combine, family_adjust, thresholds as th)
from convcheck.stats.thresholds import NOMINAL, Levels

#: An early look of a staged run: it spends almost nothing, so only overwhelming evidence decides.
EARLY = Levels(1e-9, 1e-9)


def _planted(mean=0.35, n=8):
    """Per-seed values with exactly this mean and unit-0.1 spread: 0.35 is outside the margin
    [-inf, 0.1] at the nominal 99.8% level, not at an early look's 1 - 1e-9."""
    z = np.random.default_rng(0).standard_normal(n)
    return mean + 0.1 * (z - z.mean()) / z.std(ddof=1)


def test_levels_are_a_checked_value_with_the_nominal_ones_by_default():
    assert Levels() == NOMINAL == Levels(th.ALPHA_FAIL, th.ALPHA_PASS) and Levels.of(None) is NOMINAL
    assert Levels(0.0, 0.0).fail == 0.0  # a look that cannot decide
    for bad in (1.0, -0.1, float("nan"), True, "0.1"):
        with pytest.raises(ValueError, match="must be in the range"):
            Levels(bad, 0.1)
    with pytest.raises(TypeError, match="'levels' parameter must be"):
        check_per_seed(_planted(), 0.0, margin=0.1, sided="upper", what="x", levels=(0.002, 0.1))
    with pytest.raises(dataclasses.FrozenInstanceError):
        NOMINAL.fail = 0.5
    assert not hasattr(th, "levels") and not hasattr(th, "nominal")  # no way left to rebind the module's levels


def test_a_check_decides_at_the_levels_it_is_given():
    """The planted values are refuted at the nominal level and not at an early look's; each verdict
    says which levels it was decided at, and the price is quoted at the nominal levels either way."""
    x = _planted()
    nominal = check_per_seed(x, 0.0, margin=0.1, sided="upper", what="x")
    assert nominal.outcome == REFUTED and (nominal.test.alpha_fail, nominal.test.alpha_pass) == (0.002, 0.10)
    assert check_per_seed(x, 0.0, margin=0.1, sided="upper", what="x", levels=NOMINAL).to_json() == nominal.to_json()
    early = check_per_seed(x, 0.0, margin=0.1, sided="upper", what="x", levels=EARLY)
    assert early.outcome == INCONCLUSIVE and (early.test.alpha_fail, early.test.alpha_pass) == (1e-9, 1e-9)
    assert early.test.p_fail == nominal.test.p_fail < th.ALPHA_FAIL / 2  # the same evidence, a stricter level
    assert early.test.decide_toward == "refute" and early.test.seeds_to_decide == 9  # what one run at 9 would decide
    # the paired comparison and the stochastic bound take their levels the same way
    a, b = np.zeros(8), x
    assert check_paired(b, a).outcome == REFUTED and check_paired(b, a, levels=EARLY).outcome == INCONCLUSIVE
    steps = np.array([1.0, 10.0])
    curves = np.stack([x + 1.0, x + 1.0], axis=1)
    assert check_bound(curves, steps, np.array([1.1, 1.1]), stochastic=True).outcome == REFUTED
    assert check_bound(curves, steps, np.array([1.1, 1.1]), stochastic=True, levels=EARLY).outcome == INCONCLUSIVE
    draws = 1.0 + _planted(0.35, 64) - 0.35
    assert check_mean(draws * 1.1, {"f": 1.0}, "f").outcome == REFUTED
    assert check_mean(draws * 1.1, {"f": 1.0}, "f", levels=Levels(1e-12, 0.1)).outcome != REFUTED
    # a deterministic check records the levels it ran at and decides the same
    assert check_property([True], what="a fact", levels=EARLY).test.alpha_fail == 1e-9


T = np.unique(np.round(np.logspace(0, 4, 30)))


def _slow_curves(seeds=8):
    """t^-0.8 against O(1/t), with a per-seed spread of the slope: refuted at the nominal level with
    8 seeds, not at an early look's."""
    z = np.random.default_rng(1).standard_normal((seeds, T.size + 1))
    return T ** -0.8 * np.exp(0.3 * z[:, 1:] + 1.2 * z[:, :1] * np.log(T) / np.log(1e4))


def test_a_judgment_passes_its_levels_to_the_check_and_the_parts_combination():
    e = _slow_curves()
    assert check_rate(e, T, "1/t", "upper").outcome == REFUTED
    assert check_rate(e, T, "1/t", "upper", levels=EARLY).outcome == INCONCLUSIVE
    claim = Claim("X-1", "Eq. (1)", "O(1/t)", "rate", judgments=Rate("1/t", "upper"))
    ev = Curves(e, T, Provenance(NO_INSTANCE), stochastic=True)
    for parts in ({"a": ev}, {"a": ev, "b": ev}):  # one part, and parts combined (Holm at the same levels)
        at = {lv: judge(claim, AS_WRITTEN, Rate("1/t", "upper"), parts, levels=lv) for lv in (None, EARLY)}
        assert at[None].outcome == REFUTED and at[EARLY].outcome == INCONCLUSIVE
        assert at[None].test.alpha_fail == th.ALPHA_FAIL and at[EARLY].test.alpha_fail == 1e-9
    measures = Measures({"rate": Rate("1/t", "upper"), "again": Rate("1/t", "upper")})
    assert measures.judge({"rate": ev, "again": ev}).outcome == REFUTED
    v = measures.judge({"rate": ev, "again": ev}, levels=EARLY)
    assert v.outcome == INCONCLUSIVE and v.test.alpha_pass == 1e-9


def test_a_judgment_written_without_levels_is_judged_only_at_the_nominal_ones():
    """A judgment class whose judge takes no 'levels' (written before they were passed) still judges
    a single run; at a look's levels it would decide at the wrong ones, so that is an error."""
    @dataclasses.dataclass(frozen=True)
    class Old(Rate):
        def judge(self, evidence, *, claim=""):
            return check_rate(evidence.values, evidence.steps, self.rate, self.sense, claim=claim)

    claim = Claim("X-1", "Eq. (1)", "O(1/t)", "rate", judgments=Old("1/t", "upper"))
    ev = Curves(_slow_curves(), T, Provenance(NO_INSTANCE), stochastic=True)
    assert judge(claim, AS_WRITTEN, Old("1/t", "upper"), {"a": ev}).outcome == REFUTED
    with pytest.raises(TypeError, match="Old.judge must take 'levels'"):
        judge(claim, AS_WRITTEN, Old("1/t", "upper"), {"a": ev}, levels=EARLY)


def test_the_family_correction_and_the_parts_use_the_levels_given():
    v = Verdict("A-1", "s", REFUTED, "x", test=Test(p_fail=1e-5, alpha_fail=0.002, alpha_pass=0.1))
    kept, = family_adjust([v], family_size=40)
    assert kept.outcome == REFUTED and kept.test.p_fail_family == pytest.approx(4e-4)
    withdrawn, = family_adjust([v], family_size=40, levels=Levels(1e-4, 0.1))
    assert withdrawn.outcome == INCONCLUSIVE and "adjusted p = 0.0004 > 5e-05" in withdrawn.notes[-1]
    assert withdrawn.test.p_fail == 1e-5 and withdrawn.test.alpha_fail == 0.002  # the rest of the record stays
    parts = {f"setting {i}": Verdict("X-1", "s", REFUTED, "marginal", test=Test(p_fail=1e-4)) for i in range(2)}
    assert combine("X-1", "s", parts).outcome == REFUTED
    early = combine("X-1", "s", parts, levels=Levels(1e-4, 0.1))
    assert early.outcome == INCONCLUSIVE and early.test.p_fail_parts == {"setting 0": 2e-4, "setting 1": 2e-4}


def test_checks_judged_at_once_at_different_levels_do_not_interfere():
    """Two threads, one at the nominal levels and one at an early look's, each judge the same planted
    values many times: every verdict is the one its own levels give, and the module's levels never move."""
    x = _planted()
    want = {lv: check_per_seed(x, 0.0, margin=0.1, sided="upper", what="x", levels=lv).outcome for lv in (NOMINAL, EARLY)}
    assert want == {NOMINAL: REFUTED, EARLY: INCONCLUSIVE}
    got, module_levels, barrier = {NOMINAL: [], EARLY: []}, set(), threading.Barrier(2)

    def work(lv):
        barrier.wait()
        for _ in range(200):
            v = check_per_seed(x, 0.0, margin=0.1, sided="upper", what="x", levels=lv)
            got[lv].append((v.outcome, v.test.alpha_fail))
            module_levels.add((th.ALPHA_FAIL, th.ALPHA_PASS))

    threads = [threading.Thread(target=work, args=(lv,)) for lv in got]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(g == (want[lv], lv.fail) for lv, gs in got.items() for g in gs) and len(got[EARLY]) == 200
    assert module_levels == {(0.002, 0.10)}


def test_the_test_record_round_trips_through_json():
    """verdicts.json carries the test record under "test"; from_json gives the same verdict back,
    and reads a record written before the test record existed (its keys among the statistic)."""
    parts = {"a": check_per_seed(_planted(0.12), 0.0, margin=0.1, sided="upper", what="x"),
             "b": Verdict("X-1", "s", REPRODUCED, "fine", test=Test(p_fail=0.5))}
    v = family_adjust([combine("X-1", "s", parts, levels=Levels(0.001, 0.05))], family_size=3)[0]
    assert v.test.p_fail is not None and v.test.p_fail_parts and v.test.p_fail_family is not None
    assert v.test.seeds_to_decide and v.test.decide_toward == "refute" and v.test.alpha_fail == 0.001
    data = json.loads(json.dumps(v.to_json()))
    assert set(data["test"]) == {"p_fail", "p_fail_family", "p_fail_parts", "alpha_fail", "alpha_pass",
                                 "seeds_to_decide", "decide_toward"}
    assert not set(data["statistic"]) & set(data["test"])  # the check's numbers only
    assert Verdict.from_json(data) == v and Verdict.from_json(data).to_json() == data
    assert Verdict.from_json(json.loads(json.dumps(Verdict("X-1", "s", REFUTED, "x").to_json()))).test == Test()
    old = {"claim": "X-1", "study": "s", "outcome": "refuted", "summary": "x",
           "statistic": {"slope": 0.5, "p_fail": 1e-4, "p_fail_family": 4e-3, "seeds_to_decide": 12,
                         "decide_toward": "refute"}}
    legacy = Verdict.from_json(old)
    assert legacy.statistic == {"slope": 0.5}
    assert legacy.test == Test(p_fail=1e-4, p_fail_family=4e-3, seeds_to_decide=12, decide_toward="refute")
    with pytest.raises(ValueError, match="fields of the test record"):
        Verdict("X-1", "s", REFUTED, "x", statistic={"p_fail": 1e-4})

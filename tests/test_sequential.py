"""Seeds on demand (convcheck.sequential): alpha spending keeps the false-refutation rate at its
level however many looks are taken, naive re-testing does not; a staged study gives each claim
the verdict of one run at its deciding count, bit for bit; each look's levels reach its checks as a
value, never by rebinding the module's levels."""

import threading

import numpy as np
import pytest

from convcheck.claims import INCONCLUSIVE, REFUTED, REPRODUCED
from convcheck.sequential import next_count, run_staged, spent, stage_levels
from convcheck.stats import equivalence, thresholds as th
from convcheck.stats.thresholds import Levels
from convcheck.study import load_study, run_study


def test_spending_function():
    assert spent(0.0, 0.05) == 0.0 and spent(1.0, 0.05) == pytest.approx(0.05)
    t = np.linspace(0, 1, 50)
    assert np.all(np.diff(spent(t, 0.05)) >= 0)
    lv = stage_levels([4, 8, 16], 16, alpha_fail=0.002, alpha_pass=0.1)
    assert sum(x["alpha_fail"] for x in lv) == pytest.approx(0.002) and lv[0]["alpha_fail"] < 1e-6
    with pytest.raises(ValueError, match="'counts' parameter must increase"):
        stage_levels([8, 4], 16)
    assert next_count(8, [11], 64) == 16 and next_count(8, [40], 64) == 40 and next_count(8, [500], 64) == 64


def test_many_looks_keep_the_false_refutation_rate():
    """Six looks (4 ... 128 nested seeds) at the edge of the margin (the null's worst case): spending
    keeps the refutation rate at the single look's one-sided alpha/2 = 2.5%; re-testing at the full
    level each time roughly quadruples it."""
    counts, alpha, reps = [4, 8, 16, 32, 64, 128], 0.05, 2000
    X = np.random.default_rng(0).standard_normal((reps, counts[-1])) + 0.1  # mean = delta: H0 true

    def rate(levels):
        return np.mean([any(equivalence(x[:c], 0.0, 0.1, sided="upper", alpha_fail=a).outcome == REFUTED
                            for c, a in zip(counts, levels)) for x in X])
    staged = rate([x["alpha_fail"] for x in stage_levels(counts, counts[-1], alpha_fail=alpha, alpha_pass=0.1)])
    naive = rate([alpha] * len(counts))
    print(f"\nsix looks: spending {staged:.2%}, naive {naive:.2%} (level 2.5%)")
    assert staged <= 0.025 + 3 * np.sqrt(0.025 * 0.975 / reps) and naive >= 0.06


STUDY = '''"""A staged study: one claim decided only with more seeds, one decided at once.

Claims:
    S-1: the curve decays like 1/t (it decays like t^-0.8: refuted given enough seeds).
    S-2: a fact that holds.
Kind:
    rate; property.
Objective:
    synthetic curves.
Optimizer:
    none.
Fit:
    slopes.
Verdict rule:
    declared: Rate (S-1) and AtMost (S-2), judged from evidence.
References:
    none.
"""
import numpy as np
from convcheck.claims import Claim
from convcheck.evidence import NO_INSTANCE, Curves, Provenance, Samples
from convcheck.judgments import AtMost, Rate
from convcheck.study import StudyResult

CLAIMS = [Claim("S-1", "Eq. (1)", "O(1/t)", "rate", judgments=Rate("1/t", "upper")),
          Claim("S-2", "Eq. (2)", "a fact", "property", judgments=AtMost(0.0))]
ROLES = ()
SCALES = {"quick": {"seeds": 4}, "full": {"seeds": 4}}
T = np.unique(np.round(np.logspace(0, 4, 30)))


def run(ctx):
    evidence = {}
    if ctx.wants("S-1"):
        z = ctx.normal((ctx.seeds, T.size + 1), "curves").cpu().numpy()
        e = T ** -0.8 * np.exp(0.3 * z[:, 1:] + 1.2 * z[:, :1] * np.log(T) / np.log(1e4))
        evidence["S-1"] = {"synthetic": Curves(e, T, Provenance(NO_INSTANCE), stochastic=True)}
    if ctx.wants("S-2"):
        evidence["S-2"] = {"it": Samples([0.0], Provenance(NO_INSTANCE), "a fact")}
    return StudyResult(evidence=evidence)
'''


@pytest.fixture
def staged_study(tmp_path):
    folder = tmp_path / "staged"
    folder.mkdir()
    (folder / "staged.py").write_text(STUDY)
    return load_study(folder / "staged.py")


def test_a_staged_study_decides_with_more_seeds_and_matches_one_run(staged_study):
    pilot = run_study(staged_study, "quick", family=None)
    assert {v.claim: v.outcome for v in pilot.verdicts} == {"S-1": INCONCLUSIVE, "S-2": REPRODUCED}
    res = run_staged(staged_study, "quick", budget=256, family=None)
    by = {v.claim: v for v in res.verdicts}
    assert by["S-1"].outcome == REFUTED and by["S-2"].outcome == REPRODUCED
    stages = by["S-1"].statistic["stages"]
    assert len(stages) >= 2 and stages[0]["seeds"] == 4 and [s["seeds"] for s in by["S-2"].statistic["stages"]] == [4]
    assert [s["seeds"] for s in res.setup["stages"]] == [s["seeds"] for s in stages]
    # bit for bit the verdict of one run at the deciding count and that look's levels
    last = stages[-1]
    one = run_study(staged_study, "quick", seeds=last["seeds"], claims=["S-1"], family=None,
                    levels=Levels(last["alpha_fail"], last["alpha_pass"])).verdicts[0]
    got = by["S-1"].to_json()
    got["statistic"].pop("stages")
    assert got == one.to_json()
    # each verdict records the levels of its deciding look: S-1 the last, S-2 the pilot's
    assert (by["S-1"].test.alpha_fail, by["S-1"].test.alpha_pass) == (last["alpha_fail"], last["alpha_pass"])
    pilot_look = by["S-2"].statistic["stages"][0]
    assert by["S-2"].test.alpha_fail == pilot_look["alpha_fail"] < 1e-6 < th.ALPHA_FAIL


TWO_READINGS = STUDY.replace(
    'CLAIMS = [Claim("S-1", "Eq. (1)", "O(1/t)", "rate", judgments=Rate("1/t", "upper")),',
    'CLAIMS = [Claim("S-1", "Eq. (1)", "O(1/t)", "rate + property", readings=("fragile",), '
    'judgments={"as written": Rate("1/t", "upper"), "fragile": AtMost(0.0)}),').replace(
    '        evidence["S-1"] = {"synthetic": Curves(e, T, Provenance(NO_INSTANCE), stochastic=True)}',
    '        evidence["S-1"] = {"synthetic": Curves(e, T, Provenance(NO_INSTANCE), stochastic=True)}\n'
    '        # decided at once, and the other way with more seeds: a later look must not overturn it\n'
    '        evidence[("S-1", "fragile")] = {"it": Samples([0.0 if ctx.seeds < 8 else 1.0], Provenance(NO_INSTANCE), "x")}')


def test_a_reading_decided_at_a_look_is_not_judged_again_when_its_claim_is_rerun(tmp_path):
    folder = tmp_path / "staged2"
    folder.mkdir()
    (folder / "staged2.py").write_text(TWO_READINGS)
    module = load_study(folder / "staged2.py")
    res = run_staged(module, "quick", budget=256, family=None)
    by = {v.key: v for v in res.verdicts}
    assert len(by[("S-1", "as written")].statistic["stages"]) >= 2  # the claim was rerun for its undecided reading
    fragile = by[("S-1", "fragile")]
    assert fragile.outcome == REPRODUCED and [s["seeds"] for s in fragile.statistic["stages"]] == [4]
    # the planted wrong protocol (re-judging every reading of a rerun claim) would overturn it
    again = {v.key: v for v in run_study(module, "quick", seeds=8, family=None, claims=["S-1"]).verdicts}
    assert again[("S-1", "fragile")].outcome == REFUTED


def test_a_budget_no_larger_than_the_pilot_is_one_look_at_the_full_level(staged_study):
    res = run_staged(staged_study, "quick", budget=4, family=None)
    one = run_study(staged_study, "quick", family=None)
    assert {v.key: v.outcome for v in res.verdicts} == {v.key: v.outcome for v in one.verdicts}
    assert res.verdicts[0].statistic["stages"][0]["alpha_fail"] == pytest.approx(th.ALPHA_FAIL)
    assert res.verdicts[0].test.alpha_fail == pytest.approx(th.ALPHA_FAIL)


def test_bad_budget_is_a_clear_error(staged_study):
    with pytest.raises(ValueError, match="'budget'"):
        run_staged(staged_study, "quick", budget=2, family=None)


def test_the_runner_stages_a_suite_and_records_the_looks(tmp_path, staged_study):
    import json

    from convcheck.runner import run_suite

    folder = __import__("pathlib").Path(staged_study.__file__).parent
    record = run_suite(None, scale="quick", seeds="auto", budget=256, out=tmp_path / "out", studies_folder=folder,
                       progress=False, render=False)
    assert {v.claim: v.outcome for v in record.verdicts} == {"S-1": REFUTED, "S-2": REPRODUCED}
    manifest = json.loads((record.run_dir / "manifest.json").read_text())
    looks = manifest["studies"]["staged"]["stages"]
    assert looks[0]["seeds"] == 4 and looks[0]["undecided"] == ["S-1"] and manifest["studies"]["staged"]["seeds"] == looks[-1]["seeds"]
    with pytest.raises(ValueError, match="'budget' parameter needs seeds = 'auto'"):
        run_suite(None, scale="quick", seeds=8, budget=16, out=tmp_path / "out", studies_folder=folder, progress=False)


def test_a_time_budget_stops_the_looks_and_says_where(staged_study):
    """A budget of wall time no look can fit after the pilot: S-1 keeps the pilot's inconclusive verdict
    and says the time ran out; a generous one decides it as the seed budget alone does."""
    res = run_staged(staged_study, "quick", budget=256, seconds=1e-9, family=None)
    by = {v.claim: v for v in res.verdicts}
    assert by["S-1"].outcome == INCONCLUSIVE and len(by["S-1"].statistic["stages"]) == 1
    assert any("the time budget of 1e-09 s stops the looks at 4 seeds" in f for f in by["S-1"].findings)
    assert "stopped" in res.setup["stages"][-1]
    roomy = run_staged(staged_study, "quick", budget=256, seconds=3600, family=None)
    assert [v.to_json() for v in roomy.verdicts] == [v.to_json() for v in run_staged(staged_study, "quick", budget=256,
                                                                                       family=None).verdicts]


def test_budget_in_seeds_seconds_or_both():
    from convcheck.runner import parse_budget

    assert parse_budget(None) == (None, None) and parse_budget(64) == (64, None)
    assert parse_budget("64") == (64, None) and parse_budget("300s") == (None, 300.0)
    assert parse_budget("64, 300s") == (64, 300.0)
    for bad in ("fast", "-5s", "0s"):
        with pytest.raises(ValueError, match="'budget' parameter must be seeds"):
            parse_budget(bad)


def test_the_last_look_a_time_budget_allows_spends_the_alpha_left(staged_study, monkeypatch):
    """On a clock where a look takes 10 s per 4 seeds and the budget is 25 s, no larger look fits after
    the pilot: the same seeds are looked at again at the alpha the pilot left (almost all of it)."""
    import convcheck.sequential as sq
    import convcheck.study as st

    clock, real = [0.0], st.run_study

    def slow(module, scale, seeds=None, **kw):
        clock[0] += 10.0 * seeds / 4
        return real(module, scale, seeds=seeds, **kw)

    monkeypatch.setattr(sq.time, "perf_counter", lambda: clock[0])
    monkeypatch.setattr(st, "run_study", slow)
    res = run_staged(staged_study, "quick", budget=256, seconds=25, family=None)
    stages = {v.claim: v for v in res.verdicts}["S-1"].statistic["stages"]
    assert [s["seeds"] for s in stages] == [4, 4] and stages[-1]["closing"]
    pilot_spent = stages[0]["alpha_fail"]
    assert stages[-1]["alpha_fail"] == pytest.approx(th.ALPHA_FAIL - pilot_spent, rel=1e-9)
    assert pilot_spent < 1e-6 < stages[-1]["alpha_fail"]


def test_looks_pass_their_levels_and_never_rebind_the_modules(staged_study, monkeypatch):
    """Each look hands its levels to run_study as a value: the module's ALPHA_FAIL/ALPHA_PASS read the
    nominal levels during every look and after, and the looks' levels are those of the spending."""
    import convcheck.study as st

    seen, real = [], st.run_study

    def watched(module, scale, seeds=None, levels=None, **kw):
        seen.append((seeds, levels, th.ALPHA_FAIL, th.ALPHA_PASS))
        return real(module, scale, seeds=seeds, levels=levels, **kw)

    monkeypatch.setattr(st, "run_study", watched)
    res = run_staged(staged_study, "quick", budget=256, family=None)
    assert len(seen) >= 2 and all((f, p) == (0.002, 0.10) for _, _, f, p in seen)
    assert (th.ALPHA_FAIL, th.ALPHA_PASS) == (0.002, 0.10) and not hasattr(th, "levels")
    looks = res.setup["stages"]
    assert [lv for _, lv, _, _ in seen] == [Levels(x["alpha_fail"], x["alpha_pass"]) for x in looks]
    with pytest.raises(ValueError, match="'levels' parameter is set by run_staged"):
        run_staged(staged_study, "quick", budget=256, family=None, levels=Levels())


def test_studies_judged_at_once_at_different_levels_do_not_interfere(staged_study):
    """Two threads run the study at 8 seeds, one at the nominal levels and one at an early look's:
    each gets the verdict it gets alone (under the old global rebinding, one thread's look would
    have set the other's levels)."""
    early = Levels(1e-9, 1e-9)
    alone = {lv: run_study(staged_study, "quick", seeds=8, claims=["S-1"], family=None, levels=lv).verdicts[0].to_json()
             for lv in (th.NOMINAL, early)}
    assert alone[th.NOMINAL]["outcome"] == REFUTED and alone[early]["outcome"] == INCONCLUSIVE
    got, barrier = {th.NOMINAL: [], early: []}, threading.Barrier(2)

    def work(lv):
        barrier.wait()
        for _ in range(3):
            got[lv].append(run_study(staged_study, "quick", seeds=8, claims=["S-1"], family=None,
                                     levels=lv).verdicts[0].to_json())

    threads = [threading.Thread(target=work, args=(lv,)) for lv in got]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(v == alone[lv] for lv, vs in got.items() for v in vs) and all(len(vs) == 3 for vs in got.values())



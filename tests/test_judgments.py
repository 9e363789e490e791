"""Declared judgments (convcheck.judgments) over evidence that carries its instance
(convcheck.evidence): each judgment passes on the right input and FAILS on a planted wrong one,
the instance a verdict rests on comes from the evidence, and every claim's judgment is of a kind
its claim names."""

import numpy as np
import pytest
import torch

from convcheck import engine
from convcheck.claims import AS_WRITTEN, REFUTED, REPRODUCED, Claim
from convcheck.evidence import Computations, Curves, Pair, Samples, Scaling, instance_of
from convcheck.hypotheses import enforce
from convcheck.judgments import (KINDS, AtLeast, AtMost, Bound, Comparison, Decreasing, Exponent, Finite, Holds,
                                 Identity, Linear, Rate, judge, kinds_of)
from convcheck.objectives import Quadratic, Rosenbrock
from convcheck.optim import gradient_descent
from convcheck.study import discover
from convcheck.suites import list_suites


def _gen(seed=0):
    return torch.Generator().manual_seed(seed)


def _quadratic_run(steps=200, lr=1.0, seeds=4):
    q = Quadratic.random(10, _gen(1), L=1.0, kappa=10.0)
    w0 = q.w_star + torch.randn(seeds, 10, generator=_gen(2), dtype=torch.float64)
    return q, engine.run(q, gradient_descent(lr), w0, steps, checkpoints=np.arange(steps + 1))


def _claim(judgment, kind, **kw):
    return Claim("X-1", "Eq. (1)", "a planted claim", kind, judgments=judgment, **kw)


# --- evidence carries its instance -------------------------------------------------------------

def test_curves_of_a_run_carry_the_objective_the_engine_ran_on():
    q, tr = _quadratic_run()
    c = Curves.of(tr, role="gd")
    assert tr.objective is q
    assert c.instance.name == instance_of(q).name and c.instance.has("convex") and c.instance.has("L-smooth")
    assert c.instance.has("bounded stochastic gradients") and not instance_of(q).has("bounded stochastic gradients")
    assert c.provenance.method == tr.info["optimizer"] and c.provenance.role == "gd"
    assert c.provenance.constants["L"] == pytest.approx(1.0)
    normalised = c.map(lambda g: g / 2.0, "half gap")
    assert normalised.instance is c.instance and normalised.metric == "half gap"


def test_a_hand_made_trace_carries_no_instance():
    _, tr = _quadratic_run()
    tr.objective = None
    with pytest.raises(ValueError, match="carries no instance"):
        Curves.of(tr)


def test_a_refutation_on_an_instance_outside_the_hypotheses_is_withheld_whatever_the_study_says():
    """The planted case of a refutation computed on Rosenbrock (not convex) judged for a claim on
    convex functions: the instance is read from the run, so the refutation cannot borrow a convex
    problem's certificates; the library withholds it."""
    r = Rosenbrock(dtype=torch.float64)
    w0 = r.w_star + torch.full((4, 2), 0.5, dtype=torch.float64)
    tr = engine.run(r, gradient_descent(1e-4), w0, 50, checkpoints=np.arange(51))
    claim = _claim(Bound("1e-30 / t"), "bound", hypotheses=("convex", "L-smooth"), scope=("convex",))
    v = judge(claim, AS_WRITTEN, Bound("1e-30 / t"), {"rosenbrock": Curves.of(tr).window(start=1)})
    assert v.outcome == REFUTED
    assert enforce(claim, v).outcome == "inconclusive"  # withheld: the refutation cannot borrow certificates
    q, trq = _quadratic_run()
    v2 = judge(claim, AS_WRITTEN, Bound("1e-30 / t"), {"quadratic": Curves.of(trq).window(start=1)})
    assert enforce(claim, v2).outcome == REFUTED  # the same judgment on a convex instance keeps it


def test_a_pair_must_be_measured_on_one_instance():
    q, tr = _quadratic_run()
    r = Rosenbrock(dtype=torch.float64)
    a = Samples.on(q, np.ones(4), what="x")
    with pytest.raises(ValueError, match="same instance"):
        Pair(a, Samples.on(r, np.ones(4), what="x"))


# --- each judgment passes on the right input and fails on a planted wrong one ------------------------

def test_bound_holds_on_gd_and_fails_on_a_bound_too_strong():
    q, tr = _quadratic_run()
    c = Curves.of(tr).window(start=1)
    assert Bound(lambda t, k: 1e6 * k["L"] / t).judge(c).outcome == REPRODUCED  # a callable of the constants
    assert Bound("1e-12 / t^2").judge(c).outcome == REFUTED


def test_rate_reads_a_planted_slow_curve_as_refuted():
    t = np.unique(np.geomspace(1, 1e5, 60).astype(int))
    rng = np.random.default_rng(0)
    S = 16
    fast = np.exp(np.log(1 / t) + 0.05 * rng.standard_normal((S, t.size)))
    slow = np.exp(np.log(1 / np.sqrt(t)) + 0.05 * rng.standard_normal((S, t.size)))
    q, _ = _quadratic_run()
    prov = Curves.of(_quadratic_run()[1]).provenance
    assert Rate("1/t", "upper").judge(Curves(fast, t, prov, stochastic=True)).outcome == REPRODUCED
    assert Rate("1/t", "upper").judge(Curves(slow, t, prov, stochastic=True)).outcome == REFUTED


def test_linear_reads_the_instance_constants():
    q, tr = _quadratic_run(steps=100)
    c = Curves.of(tr, "dist")
    # GD with step 1/L contracts the distance by 1 - mu/L per step on a quadratic
    assert Linear(lambda k: 1 - k["mu"] / k["L"], "upper").judge(c).outcome == REPRODUCED
    assert Linear(lambda k: 0.5 * (1 - k["mu"] / k["L"]), "upper").judge(c).outcome == REFUTED


def test_identity_uses_the_named_tolerance_and_the_instruments_resolution():
    q, _ = _quadratic_run()
    a = torch.linspace(1, 2, 20, dtype=torch.float64)
    assert Identity().judge(Computations.on(q, a * (1 + 1e-13), a, what="x")).outcome == REPRODUCED
    assert Identity().judge(Computations.on(q, a * (1 + 1e-6), a, what="x")).outcome == REFUTED
    coarse = torch.full_like(a, 1e-6)  # an instrument that resolves to 1e-6 relative
    assert Identity().judge(Computations.on(q, a * (1 + 1e-6), a, what="x", resolution=coarse)).outcome == REPRODUCED
    assert Identity().judge(Computations.on(q, a * (1 + 1e-4), a, what="x", resolution=coarse)).outcome == REFUTED
    with pytest.raises(ValueError, match="threshold"):
        Identity("NO_SUCH_TOLERANCE").judge(Computations.on(q, a, a, what="x"))


def test_at_most_and_at_least_compare_with_round_off_allowed():
    q, _ = _quadratic_run()
    s = Samples.on(q, np.array([0.5, 1.0 + 1e-12, 0.9]), what="ratio", labels=["a", "b", "c"])
    assert AtMost(1.0).judge(s).outcome == REPRODUCED
    assert AtMost(0.95).judge(s).outcome == REFUTED
    assert AtLeast(0.5).judge(s).outcome == REPRODUCED
    assert AtLeast(0.6).judge(s).outcome == REFUTED
    undecided = Samples.on(q, np.array([0.5, 2.0]), what="ratio", undecided=[False, True])
    assert AtMost(1.0).judge(undecided).outcome == "inconclusive"


def test_decreasing_holds_for_gd_below_2_over_L_and_fails_above():
    _, below = _quadratic_run(steps=50, lr=1.0)
    _, above = _quadratic_run(steps=50, lr=2.5)
    assert Decreasing().judge(Curves.of(below)).outcome == REPRODUCED
    assert Decreasing().judge(Curves.of(above)).outcome == REFUTED
    assert Finite().judge(Curves.of(below)).outcome == REPRODUCED


def test_comparison_and_exponent():
    q, _ = _quadratic_run()
    rng = np.random.default_rng(1)
    a, b = rng.random(16), rng.random(16) + 1.0
    assert Comparison().judge(Pair(Samples.on(q, a, what="m"), Samples.on(q, b, what="m"))).outcome == REPRODUCED
    assert Comparison().judge(Pair(Samples.on(q, b, what="m"), Samples.on(q, a, what="m"))).outcome == REFUTED
    rho = np.geomspace(1e-3, 1e-1, 6)
    y = rho ** 2 * np.exp(0.01 * rng.standard_normal((16, 6)))
    assert Exponent(2.0).judge(Scaling.on(q, y, rho, what="gap", param_name="rho")).outcome == REPRODUCED
    assert Exponent(1.0).judge(Scaling.on(q, y, rho, what="gap", param_name="rho")).outcome == REFUTED


def test_a_judgment_refuses_evidence_of_another_type():
    q, tr = _quadratic_run()
    with pytest.raises(TypeError, match="Curves"):
        Bound("1/t").judge(Samples.on(q, np.ones(3), what="x"))


# --- claims and their judgments ------------------------------------------------------------------------

def test_kinds_are_read_from_the_claims_kind_text():
    assert kinds_of("bound + property") == {"bound", "property"}
    assert kinds_of("identity (+ supporting rate)") == {"identity", "rate"}
    assert kinds_of("nonsense") == set()


@pytest.mark.parametrize("suite", sorted(list_suites()))
def test_every_declared_judgment_is_of_a_kind_its_claim_names(suite):
    for module in discover(suite=suite).values():
        for c in module.CLAIMS:
            assert kinds_of(c.kind), f"{c.id}: kind {c.kind!r} names none of {KINDS}"
            for reading, j in (c.judgments or {}).items():
                assert kinds_of(j.kind) <= kinds_of(c.kind), (f"{c.id} [{reading}] declares a {j.kind} judgment; its "
                                                              f"kind is {c.kind!r}")


def test_the_kind_check_fails_on_a_planted_mismatch(tmp_path):
    from convcheck.study import run_study

    module = discover()["gd_bound"]
    with pytest.raises(ValueError, match="kind"):
        run_study(module, "tiny", judgments={"GD-1": Identity()})


def test_a_study_cannot_build_the_verdict_of_a_claim_that_declares_its_judgment(monkeypatch):
    from convcheck.stats import check_property
    from convcheck.study import StudyResult, run_study

    module = discover()["gd_bound"]
    monkeypatch.setattr(module, "run", lambda ctx, **kw: StudyResult([check_property([True], what="x", claim="GD-1")]))
    with pytest.raises(RuntimeError, match="returns evidence"):
        run_study(module, "tiny")


# --- limits judged as limits ------------------------------------------------------------------------------

def _wells_curves(values, t):
    from convcheck.evidence import Provenance
    from convcheck.objectives import TwoWells

    tw = TwoWells(100, _gen(3))
    return Curves(values, t, Provenance(instance_of(tw)), stochastic=True), tw


def test_a_gap_held_at_a_certified_spurious_minimum_refutes_the_limit_at_any_horizon():
    from convcheck.judgments import Limit

    rng = np.random.default_rng(0)
    for T in (200, 20_000, 2_000_000):  # the verdict does not depend on how far the run went
        t = np.unique(np.geomspace(1, T, 40).astype(int))
        _, tw = _wells_curves(np.ones((2, t.size)), t)
        delta = tw.f_local - tw.f_star
        stuck = delta * (1 + 0.01 * rng.standard_normal((32, t.size)))
        c, _ = _wells_curves(stuck, t)
        assert Limit(Rate("1/log(t)")).judge(c).outcome == REFUTED, T


def test_a_gap_that_decays_on_the_same_instance_is_left_to_the_rate():
    from convcheck.judgments import Limit

    t = np.unique(np.geomspace(2, 2e5, 50).astype(int))
    rng = np.random.default_rng(1)
    decaying = 0.3 / np.log(t) * np.exp(0.05 * rng.standard_normal((32, t.size)))
    c, _ = _wells_curves(decaying, t)
    v = Limit(Rate("1/log(t)")).judge(c)
    assert v.outcome == REPRODUCED and "limit not refuted" in " ".join(v.notes)
    # a convex instance certifies no spurious minimum: a constant gap there is the rate's to judge
    q, tr = _quadratic_run()
    flat = Curves(np.full((32, t.size), 0.5), t, Curves.of(tr).provenance)
    v = Limit(Rate("1/log(t)")).judge(flat)
    assert "no spurious minimum" in " ".join(v.notes) and "limit_level" not in v.statistic


def test_a_bound_allows_the_round_off_of_the_runs_dtype_and_no_more():
    """A float32 run's ratio to its bound carries float32's round-off (GD-6's contraction on the 2-D
    worst case equals its bound, to 1e-7 in float32): not a counterexample; a 1% excess is, and in
    float64 so is 1e-6."""
    import dataclasses

    from convcheck.evidence import Provenance

    t = np.arange(1, 11)
    for dtype, excess, outcome in (("float32", 1e-6, REPRODUCED), ("float32", 1e-2, REFUTED),
                                   ("float64", 1e-6, REFUTED), ("float64", 1e-12, REPRODUCED)):
        prov = Provenance(instance_of(None), dtype=dtype)
        c = Curves(np.full((3, t.size), 1.0 + excess), t, prov)
        assert Bound(lambda s: np.ones_like(s, dtype=float)).judge(c).outcome == outcome, (dtype, excess)


@pytest.mark.parametrize("suite", sorted(list_suites()))
def test_every_claim_declares_its_hypotheses_or_what_it_assumes_instead(suite):
    """A claim states what its sentence assumes (hypotheses), the cases it covers (scope), or, where it
    assumes no property of a function, what it assumes instead ("none: an identity of two computations")."""
    for module in discover(suite=suite).values():
        for c in module.CLAIMS:
            assert c.hypotheses or c.scope or c.assumes, f"{c.id} declares no hypotheses, no scope and no 'assumes'"


def test_a_claim_that_declares_nothing_is_caught(tmp_path):
    bare = Claim("X-1", "Eq. (1)", "planted", "property")
    assert not (bare.hypotheses or bare.scope or bare.assumes)
    with pytest.raises(ValueError, match="must begin 'none: '"):
        Claim("X-1", "Eq. (1)", "planted", "property", assumes="nothing at all")


# --- every "for every run/start/seed" verdict quotes its failure-rate bound -------------------------

def test_a_for_every_run_verdict_quotes_the_failure_rate_bound_and_one_failure_in_32_refutes():
    """0 failures in 8 runs bound the rate only by 31.2% (1 - 0.05^(1/8)); 1 failing run in 32 refutes
    "every run" (a decided failure is a counterexample) and still quotes the bound of 1 in 32."""
    q, _ = _quadratic_run()
    eight = Samples.on(q, np.zeros(8), what="final gap", labels=[f"run {i}" for i in range(8)])
    v = AtMost(1.0, sampled=True).judge(eight)
    assert v.outcome == REPRODUCED and "0 failures in 8 random draws: failure rate below 31.23%" in v.summary
    assert v.statistic["failure_rate_upper95"] == pytest.approx(1 - 0.05 ** (1 / 8), rel=1e-9)
    planted = Samples.on(q, np.r_[np.zeros(31), 2.0], what="final gap")
    w = AtMost(1.0, sampled=True).judge(planted)
    assert w.outcome == REFUTED and "1 failures in 32 random draws" in w.summary
    assert w.statistic["failure_rate_upper95"] == pytest.approx(0.1398, abs=1e-4)
    held = Holds({"gap": AtMost(1.0)}, sampled=True).judge({"gap": eight})
    assert held.outcome == REPRODUCED and "failure rate below 31.23%" in held.summary


def test_decreasing_and_finite_quote_the_rate_of_runs_that_fail():
    _, below = _quadratic_run(steps=50, lr=1.0, seeds=8)
    d = Decreasing().judge(Curves.of(below))
    assert d.outcome == REPRODUCED and "0 failures in 8 random draws: failure rate below 31.23%" in d.summary
    f = Finite().judge(Curves.of(below))
    assert f.outcome == REPRODUCED and "divergence rate below 31.23%" in f.summary
    _, above = _quadratic_run(steps=50, lr=2.5, seeds=8)
    assert Decreasing().judge(Curves.of(above)).outcome == REFUTED


def test_every_declared_for_every_run_judgment_is_sampled():
    """A declared property whose words say "every run/seed/start/init" is read from the runs made:
    it must quote the failure-rate bound (``sampled=True``); a planted bare one is caught."""
    import re

    from convcheck.judgments import Judgment

    def members(j):
        yield j
        for attr in ("judgments", "holds", "refutes", "applies", "assumes"):
            sub = getattr(j, attr, None)
            if isinstance(sub, dict):
                for x in sub.values():
                    yield from members(x)
        if isinstance(getattr(j, "judgment", None), Judgment):
            yield from members(j.judgment)
        if isinstance(getattr(j, "then", None), Judgment):
            yield from members(j.then)

    every = re.compile(r"\bevery (L-BFGS |GD )?(run|seed|start|init)|\bno GD run\b")

    def bare(j):
        return [m for m in members(j) if hasattr(m, "sampled") and every.search(getattr(m, "what", "") or "") and not m.sampled]

    assert bare(AtMost(1.0, what="every run reaches the target")), "the planted bare judgment is not caught"
    found = []
    for suite in list_suites():
        for module in discover(suite=suite).values():
            for claim in module.CLAIMS:
                for cid, reading in claim.keys():
                    found += [(cid, reading, m.what) for m in bare(claim.judgment_of(reading))]
    assert not found, found

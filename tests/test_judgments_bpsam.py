"""The judgments appended for the backprop and SAM studies (AllOf, Given, Small, MeanVector over
Moments): each passes on the right input and FAILS on a planted wrong one."""

import numpy as np
import torch

from convcheck.claims import AS_WRITTEN, INCONCLUSIVE, REFUTED, REPRODUCED, Claim
from convcheck.evidence import Computations, Moments, Samples
from convcheck.judgments import AllOf, AtLeast, Given, Identity, MeanVector, Small, judge
from convcheck.objectives import Quadratic


def _q():
    return Quadratic.random(5, torch.Generator().manual_seed(0), L=1.0, kappa=10.0)


def _verdict(judgment, part, kind):
    claim = Claim("X-1", "Eq. (1)", "a planted claim", kind, judgments=judgment)
    return judge(claim, AS_WRITTEN, judgment, {"part": part})


def test_all_of_judges_each_aspect_by_its_own_tolerance():
    q, x = _q(), torch.linspace(1.0, 2.0, 6, dtype=torch.float64)
    both = AllOf({"exact": Identity("IDENTITY_RTOL"), "truncated": Identity("FINITE_DIFFERENCE_RTOL", carry=False)})
    assert both.kind == "identity"
    right = {"exact": Computations.on(q, x, x.clone(), what="a"), "truncated": Computations.on(q, x * (1 + 1e-7), x, what="b")}
    assert _verdict(both, right, "identity").outcome == REPRODUCED
    # a difference the truncated aspect allows refutes the exact one
    wrong = {"exact": Computations.on(q, x * (1 + 1e-7), x, what="a"), "truncated": right["truncated"]}
    assert _verdict(both, wrong, "identity").outcome == REFUTED


def test_given_is_void_when_an_assumption_fails_and_the_judgment_otherwise():
    q, x = _q(), torch.linspace(1.0, 2.0, 6, dtype=torch.float64)
    given = Given(Identity("IDENTITY_RTOL"), {"the test moves": AtLeast(0.01, rtol=None)}, measured="invariant")
    assert given.kind == "identity"
    moves, still = Samples.on(q, np.array([0.5]), what="change"), Samples.on(q, np.array([0.0]), what="change")
    same, differ = Computations.on(q, x, x.clone(), what="a"), Computations.on(q, x * 1.01, x, what="a")
    assert _verdict(given, {"invariant": same, "the test moves": moves}, "identity").outcome == REPRODUCED
    assert _verdict(given, {"invariant": differ, "the test moves": moves}, "identity").outcome == REFUTED
    # the planted void test: whatever the identity says, an unmet assumption is inconclusive
    void = _verdict(given, {"invariant": differ, "the test moves": still}, "identity")
    assert void.outcome == INCONCLUSIVE and "assumption does not hold" in void.summary


def test_small_has_an_undecided_band_between_small_and_as_large():
    q, small = _q(), Small(0.1, refuted_at=1.0, rtol=None)
    assert small.kind == "property"
    outcome = lambda v: _verdict(small, Samples.on(q, np.asarray(v, dtype=float), what="ratio"), "property").outcome
    assert outcome([0.01, 0.1]) == REPRODUCED
    assert outcome([0.01, 0.5]) == INCONCLUSIVE
    assert outcome([0.01, 0.5, 1.0]) == REFUTED  # planted: a term as large as the kept one


def test_mean_vector_reads_moments_and_fails_on_a_biased_estimator():
    q, gen = _q(), np.random.default_rng(0)
    target, n = np.array([1.0, -2.0, 0.5]), 200_000
    for bias, expected in ((1.0, REPRODUCED), (1.05, REFUTED)):  # planted: a mean 5% off
        draws = bias * target + 0.5 * gen.standard_normal((n, 3))
        ev = Moments.on(q, draws.sum(0), (draws * draws).sum(0), n, target, what="the mean")
        assert _verdict(MeanVector(), ev, "variance").outcome == expected

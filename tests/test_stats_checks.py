"""The checks that used to live in studies, each passing on the right input and failing on a
planted wrong one: floors over a grid (one divergence and settling rule), scaling exponents,
per-seed numbers against a margin, a vector Monte-Carlo mean, divergence, and properties with
undecided instances and assumptions."""

import numpy as np
import pytest

from convcheck.claims import INCONCLUSIVE, REFUTED, REPRODUCED
from test_stats_bounds_floors import _floor_curves  # a transient plus an AR(1) lognormal floor

from convcheck.stats import (check_exponent, check_floors, check_mean_vector, check_per_seed, check_property,
                             check_runs_finite, log_log_slopes)

ETAS = np.array([0.01, 0.02, 0.04, 0.08])
T = np.arange(0, 20001, 10, dtype=float)


# --- check_floors ---------------------------------------------------------------------------------

def test_floors_proportional_to_eta_are_reproduced_and_flat_floors_refuted():
    rng = np.random.default_rng(10)
    right, tails = check_floors([_floor_curves(rng, 64, T, 3 * e) for e in ETAS], T, ETAS, claim="X-1")
    assert right.outcome == REPRODUCED and len(tails) == 4 and all(t.settled for t in tails)
    assert right.window == (2000, 20000) and any("tail stationarity" in n for n in right.notes)
    flat, _ = check_floors([_floor_curves(rng, 64, T, 0.1) for _ in ETAS], T, ETAS, claim="X-1")  # planted: no eta in it
    assert flat.outcome == REFUTED


def test_a_diverged_seed_refutes_a_floor_claim():
    rng = np.random.default_rng(11)
    curves = [_floor_curves(rng, 16, T, 3 * e) for e in ETAS]
    curves[-1][3, 1500:] = np.inf  # one seed of the largest eta blows up
    v, _ = check_floors(curves, T, ETAS, claim="X-1")
    assert v.outcome == REFUTED and v.diverged == 1 and "diverged" in v.summary


def test_an_unsettled_tail_makes_a_floor_claim_inconclusive_even_when_the_slope_is_wrong():
    """A tail still decaying biases its time average: the floors are not read, so neither a right
    nor a planted wrong slope decides."""
    rng = np.random.default_rng(12)
    slow = [_floor_curves(rng, 32, T, 0.01, tau=400.0 * (1 + k)) for k in range(4)]  # transients not over
    v, tails = check_floors([c[:, :201] for c in slow], T[:201], ETAS)
    assert not all(t.settled for t in tails)
    assert v.outcome == INCONCLUSIVE and v.summary.startswith("tail not settled")
    assert "slope" in v.statistic and v.test.p_fail is None  # the number is kept, it is not evidence


def test_check_floors_bad_input():
    with pytest.raises(ValueError, match="'curves' parameter must hold one curve per value"):
        check_floors([np.ones((3, T.size))], T, ETAS)


# --- check_exponent and check_per_seed ------------------------------------------------------------

RHOS = np.geomspace(0.003, 0.1, 6)


def _powers(rng, k, S=24, sd=0.05):
    return 0.7 * RHOS**k * rng.lognormal(0, sd, size=(S, RHOS.size))


@pytest.mark.parametrize("kind,true,claimed,expected", [
    ("at_least", 2.0, 2.0, REPRODUCED), ("at_least", 3.0, 2.0, REPRODUCED), ("at_least", 1.0, 2.0, REFUTED),
    ("theta", 2.0, 2.0, REPRODUCED), ("theta", 1.5, 2.0, REFUTED), ("at_most", 1.0, 2.0, REPRODUCED),
    ("at_most", 3.0, 2.0, REFUTED)])
def test_check_exponent(kind, true, claimed, expected):
    v = check_exponent(_powers(np.random.default_rng(20), true), RHOS, claimed, kind=kind, what="gap", param_name="rho")
    assert v.outcome == expected, v.summary
    assert v.statistic["exponent"] == pytest.approx(true, abs=0.05)
    assert v.seeds == 24 and v.statistic["exponent_ci998"][0] < true < v.statistic["exponent_ci998"][1]


def test_check_exponent_leaves_out_seeds_with_a_zero_and_checks_its_input():
    Y = _powers(np.random.default_rng(21), 2.0)
    Y[0, 2] = 0.0
    assert check_exponent(Y, RHOS, 2.0, kind="at_least").seeds == 23
    assert log_log_slopes(Y, RHOS)[1] == pytest.approx(2.0, abs=0.1)
    with pytest.raises(ValueError, match="'kind' parameter"):
        check_exponent(Y, RHOS, 2.0, kind="upper")
    with pytest.raises(ValueError, match="'params' parameter must be in the range"):
        log_log_slopes(Y, -RHOS)


def test_check_per_seed():
    rng = np.random.default_rng(22)
    assert check_per_seed(rng.normal(0.0, 0.1, 40), 0.0, margin=0.2, sided="upper", what="x").outcome == REPRODUCED
    assert check_per_seed(rng.normal(-1.0, 0.1, 40), 0.0, margin=0.2, sided="upper", what="x").outcome == REPRODUCED
    assert check_per_seed(rng.normal(1.0, 0.1, 40), 0.0, margin=0.2, sided="upper", what="x").outcome == REFUTED
    assert check_per_seed(rng.normal(-1.0, 0.1, 40), 0.0, margin=0.2, what="x").outcome == REFUTED
    assert check_per_seed(rng.normal(0.0, 3.0, 4), 0.0, margin=0.2, what="x").outcome == INCONCLUSIVE


# --- check_mean_vector ----------------------------------------------------------------------------

def _sums(rng, mean, n):
    x = mean + rng.standard_normal((n, mean.size))
    return x.sum(0), (x * x).sum(0)


def test_check_mean_vector_passes_an_unbiased_mean_and_fails_a_biased_one():
    rng = np.random.default_rng(30)
    target = np.linspace(1.0, 3.0, 10)
    assert check_mean_vector(*_sums(rng, target, 400_000), 400_000, target).outcome == REPRODUCED
    bias = target.copy()
    bias[4] *= 1.01  # planted: one coordinate off by 1%
    wrong = check_mean_vector(*_sums(rng, bias, 400_000), 400_000, target)
    assert wrong.outcome == REFUTED and wrong.statistic["rejected"] == 1 and wrong.test.p_fail < 1e-4
    few = check_mean_vector(*_sums(rng, target, 100), 100, target)  # standard errors far above 1%
    assert few.outcome == INCONCLUSIVE and "too few draws" in few.summary


def test_check_mean_vector_calibration():
    """Unbiased draws are refuted in at most ALPHA_FAIL-ish of 200 replications (Holm over 10)."""
    rng = np.random.default_rng(31)
    target = np.linspace(1.0, 3.0, 10)
    refuted = sum(check_mean_vector(*_sums(rng, target, 20_000), 20_000, target).outcome == REFUTED for _ in range(200))
    assert refuted <= 2


# --- divergence and properties --------------------------------------------------------------------

def test_check_runs_finite():
    ok = check_runs_finite(np.zeros(8, bool), np.full(8, -1), what="GD")
    assert ok.outcome == REPRODUCED and ok.diverged == 0
    d = np.zeros(8, bool)
    d[[2, 5]] = True
    bad = check_runs_finite(d, np.where(d, [0, 0, 40, 0, 0, 17, 0, 0], -1), what="GD")
    assert bad.outcome == REFUTED and bad.diverged == 2 and "first recorded at step 17" in bad.summary


def test_check_property_with_undecided_instances_and_assumptions():
    assert check_property([True, True], what="x").outcome == REPRODUCED
    assert check_property([True, False], what="x", labels=["a", "b"]).summary.endswith("(first: b)")
    open_ = check_property([True, False], undecided=[False, True], what="x", labels=["a", "b"])
    assert open_.outcome == INCONCLUSIVE and "undecided on 1" in open_.summary
    # a decided failure refutes whatever else is undecided
    assert check_property([False, False], undecided=[False, True], what="x").outcome == REFUTED
    unmet = check_property([True, False], what="x", assumptions={"the instance is convex": False})
    assert unmet.outcome == INCONCLUSIVE and "not a test of the claim" in unmet.summary
    assert unmet.statistic["assumptions_unmet"] == ["the instance is convex"]
    with pytest.raises(ValueError, match="'undecided' parameter"):
        check_property([True], undecided=[True, False], what="x")


def test_rank_trend():
    from convcheck.stats import rank_trend

    t = np.arange(10.0)
    E = np.stack([10 - t, t, np.ones(10), np.where(t == 4, np.nan, t), 10 - t + 3 * (t % 2)])
    r = rank_trend(E, t)
    assert r[0] == pytest.approx(-1) and r[1] == pytest.approx(1) and r[2] == 0 and np.isnan(r[3]) and -0.99 < r[4] < 0
    # all rows at once give scipy's spearmanr row by row, ties included
    from scipy import stats as sps

    walks = np.random.default_rng(0).integers(-2, 3, size=(40, 30)).cumsum(1).astype(float)  # integer walks: ties
    expected = [sps.spearmanr(np.arange(30.0), w).statistic if np.ptp(w) > 0 else 0.0 for w in walks]
    np.testing.assert_allclose(rank_trend(walks, np.arange(30.0)), expected, rtol=0, atol=1e-12)


def test_an_identity_refuted_at_a_lower_precisions_round_off_says_so():
    """A float64 identity missed by 5e-8 (a method keeping a weight in float32) is refuted, and the
    line says the gap is float32 round-off; a gap of 1e-1 is a real difference and says nothing."""
    from convcheck.stats import check_identity

    b = np.linspace(1.0, 2.0, 10)
    near = check_identity(b * (1 + 5e-8), b, what="x and y")
    assert near.outcome == REFUTED and "within float32 round-off" in near.summary
    far = check_identity(b * 1.1, b, what="x and y")
    assert far.outcome == REFUTED and "round-off" not in far.summary
    assert "round-off" not in check_identity(b * (1 + 1e-3), b, what="x and y").summary  # above float32's 1.2e-4


# --- agree: several measures of one vague word ------------------------------------------------------

def test_agree_refutes_only_when_every_measure_refutes():
    from convcheck.stats import agree, check_paired

    rng = np.random.default_rng(0)
    base, noise = rng.normal(size=32), rng.normal(scale=0.3, size=(4, 32))
    worse = {"a": check_paired(base + 1.0 + noise[0], base, measure="a"), "b": check_paired(base + 2.0 + noise[1], base, measure="b")}
    v = agree("X-1", "s", worse)
    assert v.outcome == "refuted" and v.test.p_fail == max(x.test.p_fail for x in worse.values())
    split = {"a": check_paired(base + 1.0 + noise[2], base, measure="a"), "b": check_paired(base - 1.0 + noise[3], base, measure="b")}
    v = agree("X-1", "s", split, what="cell")
    assert v.outcome == "inconclusive" and "disagree" in v.summary and "a: refuted" in v.summary
    better = {"a": check_paired(base - 1.0 + noise[0], base, measure="a"), "b": check_paired(base - 2.0 + noise[1], base, measure="b")}
    assert agree("X-1", "s", better).outcome == "reproduced"
    with pytest.raises(ValueError, match="'measures' parameter"):
        agree("X-1", "s", {})


# --- "for every start": Clopper-Pearson bounds on the failure rate ----------------------------------

def test_failure_rate_bound_is_clopper_pearson_and_sizes_a_search():
    from convcheck.stats import failure_rate_bound

    upper, detectable = failure_rate_bound(0, 299)
    assert upper == pytest.approx(1 - 0.05 ** (1 / 299), rel=1e-6) and detectable == pytest.approx(upper)
    assert detectable < 0.01  # 299 starts find a 1% failure rate with probability 95%
    assert failure_rate_bound(0, 64)[1] > 0.04  # 64 starts could miss a 4% rate
    upper5, _ = failure_rate_bound(5, 300)
    assert 5 / 300 < upper5 < 0.04
    with pytest.raises(ValueError, match="'failures' and 'n' parameters"):
        failure_rate_bound(3, 2)


def test_a_sampled_property_quotes_the_rate_it_could_have_missed():
    from convcheck.stats import check_property

    held = check_property([True] * 64, what="decreasing", sampled=True)
    assert held.outcome == "reproduced" and "failure rate below 4.57%" in held.summary
    assert held.statistic["detectable_rate95"] > 0.04
    failed = check_property([True] * 63 + [False], what="decreasing", sampled=True)
    assert failed.outcome == "refuted" and "1 failures in 64" in failed.summary


def test_check_exponent_says_which_seeds_it_left_out():
    """A value at round-off (0) or blown up (NaN) has no logarithm: the seed is left out, and the
    verdict says so in its summary and counts it, instead of dropping it silently."""
    from convcheck.stats import check_exponent

    rho = np.geomspace(0.003, 0.1, 6)
    G = (rho**3)[None] * np.exp(0.05 * np.random.default_rng(0).normal(size=(16, 6)))
    clean = check_exponent(G, rho, 2.0, kind="at_least")
    assert "left out" not in clean.summary and clean.seeds == 16
    G[2, 0], G[5, 3] = 0.0, np.nan
    v = check_exponent(G, rho, 2.0, kind="at_least", what="gap")
    assert "1 of 16 seeds have a gap of 0" in v.summary and "1 a non-finite one" in v.summary
    assert v.seeds == 14 and v.diverged == 1 and v.statistic["left_out"] == 2


def test_holm_adjusted_p_values_are_statsmodels():
    from statsmodels.stats.multitest import multipletests

    from convcheck.stats.multiple import holm

    rng = np.random.default_rng(5)
    for m in (1, 2, 7, 40):
        p = rng.uniform(0, 0.2, m) ** 2
        p[rng.integers(m)] = p[0]  # ties
        np.testing.assert_allclose(holm(p), multipletests(p, method="holm")[1], rtol=0, atol=1e-15)
        assert ((holm(p) <= 0.002) == multipletests(p, alpha=0.002, method="holm")[0]).all()

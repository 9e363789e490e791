"""Rate, linear, variance and comparative checks, with calibration over replications.

Synthetic curves are ``C r(t) x noise`` with lognormal AR(1) noise across checkpoints
(phi = 0.9, sd 0.25 on the log scale) and a per-seed random effect (lognormal, sd 0.5),
S = 20 seeds, 40 log-spaced checkpoints on [1, 1e4]. The replications' data are drawn in
one vectorised call; the observed rates are printed (``pytest -s``) and quoted in the README.
"""

import numpy as np
import pytest

from convcheck.claims import INCONCLUSIVE, REFUTED, REPRODUCED, Test, Verdict
from convcheck.stats import check_exact, check_linear, check_mean, check_paired, check_rate, family_adjust
from convcheck.testing import assert_bound, assert_floor, assert_rate

T = np.unique(np.round(np.logspace(0, 4, 40)))
REPS = 500


def synthetic(rate, reps=REPS, S=20, phi=0.9, sd=0.25, effect=0.5, seed=0):
    """(reps, S, C) curves: 3 r(t) x exp(AR(1) noise + per-seed random effect)."""
    rng = np.random.default_rng(seed)
    C = T.size
    z = np.empty((reps, S, C))
    z[..., 0] = rng.standard_normal((reps, S))
    eps = rng.standard_normal((reps, S, C))
    for k in range(1, C):
        z[..., k] = phi * z[..., k - 1] + np.sqrt(1 - phi**2) * eps[..., k]
    return 3.0 * rate(T) * np.exp(sd * z + effect * rng.standard_normal((reps, S, 1)))


def rates_of(curves, claim, kind="theta"):
    out = [check_rate(c, T, claim, kind).outcome for c in curves]
    return {o: out.count(o) / len(out) for o in (REPRODUCED, REFUTED, INCONCLUSIVE)}


def test_true_theta_claim_calibration():
    r = rates_of(synthetic(lambda t: 1 / t), "1/t")
    print(f"\ntrue Theta(1/t): {r}")
    assert r[REFUTED] <= 0.01 and r[REPRODUCED] >= 0.90


def test_exponent_off_by_half_is_refuted():
    r = rates_of(synthetic(lambda t: 1 / np.sqrt(t), seed=1), "1/t")
    print(f"\n1/sqrt(t) data vs Theta(1/t): {r}")
    assert r[REFUTED] >= 0.99


@pytest.mark.parametrize("truth, claim", [
    (lambda t: np.log(t) / np.sqrt(t), "1/sqrt(t)"),
    (lambda t: 1 / np.sqrt(t), "log(t)/sqrt(t)"),
])
def test_log_factor_is_detected(truth, claim):
    r = rates_of(synthetic(truth, seed=2), claim)
    print(f"\nlog factor vs Theta({claim}): {r}")
    assert r[REFUTED] >= 0.98


def test_upper_claim_passes_faster_decay_and_fails_slower():
    faster = rates_of(synthetic(lambda t: 1 / t, reps=100, seed=3), "1/log(t)", "upper")
    slower = rates_of(synthetic(lambda t: 1 / np.sqrt(t), reps=100, seed=4), "1/t", "upper")
    assert faster[REPRODUCED] >= 0.99 and slower[REFUTED] >= 0.99


def test_true_upper_claim_on_its_tight_curve():
    r = rates_of(synthetic(lambda t: 1 / np.log(t + 1), reps=100, seed=5), "1/log(t)", "upper")
    assert r[REFUTED] <= 0.01 and r[REPRODUCED] >= 0.9


def test_transient_is_cut_as_burn_in():
    curves = synthetic(lambda t: 1 / t + 5 * np.exp(-t / 5), reps=100, seed=6)
    v = check_rate(curves[0], T, "1/t", "theta")
    assert v.window[0] > 20
    assert rates_of(curves, "1/t")[REPRODUCED] >= 0.9


def test_round_off_floor_ends_the_window():
    e = np.tile(np.maximum(1 / T**2, 1e-17), (5, 1)) * np.exp(0.01 * np.random.default_rng(7).standard_normal((5, T.size)))
    v = check_rate(e, T, "t^-2", "theta")
    assert v.outcome == REPRODUCED and v.window[1] < 1e8


def test_too_short_a_window_is_inconclusive_with_reason():
    t = np.unique(np.round(np.logspace(0, 1.5, 12)))
    v = check_rate(np.tile(1 / t, (5, 1)), t, "1/t", "theta")
    assert v.outcome == INCONCLUSIVE and "decades" in v.summary


def test_a_diverged_seed_fails_the_rate_and_is_counted():
    e = synthetic(lambda t: 1 / t, reps=1)[0]
    e[3, 20:] = np.nan
    v = check_rate(e, T, "1/t", "theta")
    assert v.outcome == REFUTED and v.diverged == 1 and v.seeds == 20
    assert "1 of 20 seeds diverged" in v.summary and v.statistic["diverged_at"] == [T[20]]


def test_rate_names_and_errors():
    v = check_rate(synthetic(lambda t: t**-0.7, reps=1)[0], T, "t^-0.7", "theta")
    assert v.outcome == REPRODUCED
    # any formula in t is a rate: "1/t^3" reads as t^-3
    assert check_rate(synthetic(lambda t: t**-3.0, reps=1)[0], T, "1/t^3", "theta").outcome == REPRODUCED
    with pytest.raises(ValueError, match="'rate' parameter must be a callable of t or a formula in t"):
        check_rate(np.ones((3, 4)), np.arange(1, 5), "1/x^3", "theta")
    with pytest.raises(ValueError, match="'rate' parameter"):
        check_rate(np.ones((3, 4)), np.arange(1, 5), "__import__('os')", "theta")
    with pytest.raises(ValueError, match="'kind' parameter"):
        check_rate(np.ones((3, 4)), np.arange(1, 5), "1/t", kind="below")


def test_linear_rate():
    rng = np.random.default_rng(8)
    t = np.arange(0, 200, 5, dtype=float)
    true = np.exp(-0.05 * t)[None] * np.exp(0.05 * rng.standard_normal((20, t.size)))
    assert check_linear(true, t, np.exp(-0.05), "theta").outcome == REPRODUCED
    assert check_linear(true, t, np.exp(-0.03), "upper").outcome == REPRODUCED  # faster than claimed is fine
    assert check_linear(true, t, np.exp(-0.08), "upper").outcome == REFUTED     # slower than claimed
    floor = np.maximum(true, 1e-3)
    v = check_linear(floor, t, np.exp(-0.05), "theta")
    assert v.outcome == REPRODUCED and v.window[1] <= 140


def test_variance_exact_and_monte_carlo():
    v = check_exact(0.95, {"n-1 reading": 0.95, "n reading": 1.0}, "n-1 reading")
    assert v.outcome == REPRODUCED and v.statistic["matches"] == ["n-1 reading"]
    assert check_exact(0.95, {"n-1 reading": 0.95, "n reading": 1.0}, "n reading").outcome == REFUTED
    x = np.random.default_rng(9).exponential(1.0, 200_000)
    good = check_mean(x, {"right": 1.0, "5% off": 1.05}, "right")
    assert good.outcome == REPRODUCED and good.statistic["contains"] == ["right"]
    assert check_mean(x, {"right": 1.0, "5% off": 1.05}, "5% off").outcome == REFUTED


def test_paired_comparison():
    rng = np.random.default_rng(10)
    base = rng.lognormal(0, 1, 30)
    better = base * 0.5 * rng.lognormal(0, 0.1, 30)
    assert check_paired(better, base, log=True).outcome == REPRODUCED
    assert check_paired(base, better, log=True).outcome == REFUTED
    assert check_paired(base, base * rng.lognormal(0, 0.1, 30), log=True).outcome == INCONCLUSIVE


def test_deterministic_comparison_ties_at_round_off():
    """Seeds that agree to round-off are one number: a difference of a few ulps is a tie (once
    read as 'A credibly worse'), while a real deterministic difference still decides."""
    base = np.full(8, 14.3)
    tie = check_paired(base, base * (1 + 2.2e-16), log=True)
    assert tie.outcome == INCONCLUSIVE and "tie" in tie.summary
    assert check_paired(base * 0.99, base, log=True).outcome == REPRODUCED
    assert check_paired(base, base * 0.99, log=True).outcome == REFUTED
    assert check_paired(base + 1e-9, base).outcome == REFUTED  # 1e-9 on 14.3 is far above round-off


def test_family_correction_withdraws_marginal_refutations_only():
    strong = Verdict("A-1", "s", REFUTED, "x", test=Test(p_fail=1e-8))
    marginal = Verdict("A-2", "s", REFUTED, "x", test=Test(p_fail=8e-4))
    exact = Verdict("A-3", "s", REFUTED, "deterministic counterexample")  # no p-value: not corrected
    strong, marginal, exact = family_adjust([strong, marginal, exact], family_size=40)
    assert strong.outcome == REFUTED and exact.outcome == REFUTED and marginal.outcome == INCONCLUSIVE
    assert "multiplicity" in marginal.notes[-1] and marginal.test.p_fail_family == pytest.approx(0.032)
    assert marginal.summary.startswith("refuted before the suite's multiplicity correction (p = 0.0008, adjusted 0.032")


def test_assertions_raise_with_evidence():
    good = synthetic(lambda t: 1 / t, reps=1)[0]
    assert assert_rate(good, T, "1/t", "theta").outcome == REPRODUCED
    with pytest.raises(AssertionError, match="REFUTED"):
        assert_rate(synthetic(lambda t: 1 / np.sqrt(t), reps=1)[0], T, "1/t", "theta")
    with pytest.raises(AssertionError, match="INCONCLUSIVE"):
        assert_rate(good[:, :10], T[:10], "1/t", "theta")
    assert assert_rate(good[:, :10], T[:10], "1/t", "theta", allow_inconclusive=True).outcome == INCONCLUSIVE
    with pytest.raises(AssertionError, match="gap/bound"):
        assert_bound(np.tile(2 / T, (3, 1)), T, lambda t: 1 / t)
    etas = np.array([0.01, 0.02, 0.04])
    assert_floor(np.tile(etas, (10, 1)) * np.random.default_rng(11).lognormal(0, 0.05, (10, 3)), etas)
    with pytest.raises(AssertionError):
        assert_floor(np.tile(etas**0.5, (10, 1)) * np.random.default_rng(12).lognormal(0, 0.05, (10, 3)), etas)


@pytest.mark.slow
@pytest.mark.parametrize("sd", [0.1, 0.25, 0.5])
def test_false_refutation_rate_across_noise_levels(sd):
    """Slow tier: 2000 replications per noise level; a true Theta(1/t) claim is refuted <= 1%."""
    r = rates_of(synthetic(lambda t: 1 / t, reps=2000, sd=sd, seed=20), "1/t")
    p = rates_of(synthetic(lambda t: np.log(t) / np.sqrt(t), reps=500, sd=sd, seed=21), "1/sqrt(t)")
    print(f"\nsd={sd}: true claim {r}; log factor vs Theta(1/sqrt t) {p}")
    assert r[REFUTED] <= 0.01


def test_lower_rate_passes_non_vanishing_and_fails_decaying_curves():
    """Omega(1): a curve that stays up (or rises) is reproduced; a 1/sqrt(t) decay is refuted."""
    rng = np.random.default_rng(4)
    t = np.unique(np.round(np.logspace(0, 4, 40)))
    flat = 0.5 * np.exp(0.05 * rng.standard_normal((16, t.size)))
    rising = flat * (t / t[-1]) ** 0.2
    decaying = flat / np.sqrt(t)
    assert check_rate(flat, t, "1", "lower").outcome == REPRODUCED
    assert check_rate(rising, t, "1", "lower").outcome == REPRODUCED
    v = check_rate(decaying, t, "1", "lower")
    assert v.outcome == REFUTED and "Omega(1)" in v.summary and v.statistic["slope"] < -0.4

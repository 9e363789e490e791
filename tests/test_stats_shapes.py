"""Statistics that never flatter: the checks on curve shapes beyond r(t) x noise.

Each shape is one a study can produce: a transient before the claimed rate, a stall or a
floor before the horizon, diverged seeds, a true O-claim seen before its asymptote, seeds
that agree to round-off. The bars (issue "Statistics that never flatter"): a true claim is
refuted at most 2% of the time under any shape; a stall is never reproduced; 1/sqrt(t) data
against O(1/t) are refuted at least 95% of the time; log(t)/sqrt(t) against Theta(1/sqrt t)
at least 98% at moderate noise. Rates are printed with ``pytest -s`` and quoted in the README.
"""

import numpy as np
import pytest
import torch
from scipy.special import gammaln

from convcheck.claims import INCONCLUSIVE, REFUTED, REPRODUCED, Test, Verdict
from convcheck.stats import combine
from convcheck.stats import (check_bound, check_floor, check_linear, check_mean, check_paired, check_rate, family_adjust,
                             tail_floor)
from test_stats_rates import T, synthetic

REPS = 300


def rates_of(curves, rate, kind, t=T):
    out = [check_rate(c, t, rate, kind).outcome for c in curves]
    return {o: out.count(o) / len(out) for o in (REPRODUCED, REFUTED, INCONCLUSIVE)}


def stall(t, at=300.0):
    """1/t until ``at``, then flat: a run that stops decaying."""
    return np.where(t < at, 1 / t, 1 / at)


def saturating(t, t0=30.0):
    """r(t) = 1/t times a factor that rises from 1 toward 3, slowly (like (t/t0)^-1/2)."""
    return (1 / t) * (3 - 2 / np.sqrt(1 + t / t0))


def olog_instance(a, d=400, T_end=20000):
    """GD with steps 1/k on f(w) = 1/2 sum_i lam_i w_i^2, lam_i uniform on (0, a], lam_i w0_i^2 = 1/d.

    Closed form: w_i(k) = w0_i prod_{j<=k} (1 - lam_i/j) = w0_i Gamma(k+1-lam_i) / (Gamma(1-lam_i) Gamma(k+1)),
    so the gap is O(1/log k) (gap x log k -> 1/(4a)) and, for small a, gap x log k rises toward its
    limit over many decades: a true O(1/log t) claim seen before its asymptote."""
    lam = a * (np.arange(1, d + 1) - 0.5) / d
    t = np.unique(np.round(np.logspace(0, np.log10(T_end), 60)))
    logP = gammaln(t[None, :] + 1 - lam[:, None]) - gammaln(1 - lam[:, None]) - gammaln(t[None, :] + 1)
    return t, 0.5 * np.mean(np.exp(2 * logP), axis=0)


# --- transients before the claimed rate: a true Theta claim --------------------------------

@pytest.mark.parametrize("name, curve", [
    ("exponential start-up", lambda t: 1 / t + 5 * np.exp(-t / 5)),
    ("plateau then 1/t", lambda t: 1 / (t + 10)),
])
def test_transients_before_a_true_theta_rate_are_not_refuted(name, curve):
    r = rates_of(synthetic(curve, reps=REPS, seed=30), "1/t", "theta")
    print(f"\n{name} vs Theta(1/t): {r}")
    assert r[REFUTED] <= 0.02 and r[REPRODUCED] >= 0.8


# --- stalls and floors: never reproduced ------------------------------------------------------

@pytest.mark.parametrize("kind", ["theta", "upper"])
@pytest.mark.parametrize("name, curve", [("stall at t = 300", stall), ("floor 1/t + 1e-3", lambda t: 1 / t + 1e-3),
                                         ("stall in the last half decade", lambda t: stall(t, 3000.0))])
def test_stalls_and_floors_are_never_reproduced(name, curve, kind):
    r = rates_of(synthetic(curve, reps=REPS, seed=31), "1/t", kind)
    print(f"\n{name} vs {kind}(1/t): {r}")
    assert r[REPRODUCED] == 0


@pytest.mark.parametrize("kind", ["theta", "upper"])
def test_a_deterministic_stall_is_refuted(kind):
    """The old floor cut chose the window [1, 339] and reproduced this curve as Theta(1/t)."""
    t = np.unique(np.round(np.logspace(0, np.log10(3e4), 50)))
    v = check_rate(stall(t), t, "1/t", kind)
    assert v.outcome == REFUTED, v.evidence()
    assert v.window[1] == t[-1] and v.statistic["slope_end"] == pytest.approx(1.0, abs=0.05)


# --- O-claims refute only on sustained growth ---------------------------------------------------

def test_pre_asymptotic_true_o_claim_is_not_refuted():
    r = rates_of(synthetic(saturating, reps=REPS, seed=32), "1/t", "upper")
    print(f"\n1/t x rising saturating factor vs O(1/t): {r}")
    assert r[REFUTED] <= 0.02


@pytest.mark.parametrize("a", [0.05, 0.1, 0.3, 1.0])
def test_the_o_log_instance_is_not_refuted(a):
    """Steps 1/k on a quadratic with small curvatures: gap x log k rises toward its limit; the
    old test refuted a = 0.1 (slope +0.127 of log(gap log k) over the window)."""
    t, gap = olog_instance(a)
    v = check_rate(gap, t, "1/log(t)", "upper")
    assert v.outcome in (REPRODUCED, INCONCLUSIVE), v.evidence()  # a true O-claim: never refuted
    if a <= 0.1:  # the normalised curve still rises by more than the margin: no verdict either way
        assert v.outcome == INCONCLUSIVE and "decelerates" in " ".join(v.notes)


def test_slower_rate_against_an_o_claim_is_refuted():
    r = rates_of(synthetic(lambda t: 1 / np.sqrt(t), reps=REPS, seed=33), "1/t", "upper")
    print(f"\n1/sqrt(t) vs O(1/t): {r}")
    assert r[REFUTED] >= 0.95


def test_log_factor_against_theta_is_refuted():
    r = rates_of(synthetic(lambda t: np.log(t) / np.sqrt(t), reps=REPS, seed=34), "1/sqrt(t)", "theta")
    print(f"\nlog(t)/sqrt(t) vs Theta(1/sqrt(t)): {r}")
    assert r[REFUTED] >= 0.98


# --- round-off from the dtype and the scale of the computed quantity ---------------------------

def test_round_off_level_comes_from_the_scale_of_the_computed_quantity():
    """A gap f(w) - f* with f* = 1e6 carries absolute round-off ~ eps * 1e6 (here 1e-8 of noise):
    with ``scale`` the window ends above it and the true rate is reproduced; read relative to
    the curve's own start (scale 1), the noise is taken for a stall."""
    rng = np.random.default_rng(35)
    t = np.unique(np.round(np.logspace(0, 5, 60)))
    E = 1 / t**2 + 1e-8 * np.abs(rng.standard_normal((10, t.size)))
    good = check_rate(E, t, "t^-2", "theta", scale=1e6)
    assert good.outcome == REPRODUCED and good.window[1] < 3000
    assert check_rate(E, t, "t^-2", "theta").outcome != REPRODUCED


def test_float32_round_off_is_float32s():
    t = np.unique(np.round(np.logspace(0, 5, 60)))
    E = np.tile(1 / t, (4, 1))
    v32 = check_rate(torch.tensor(E, dtype=torch.float32), torch.tensor(t), "1/t", "theta")
    v64 = check_rate(E, t, "1/t", "theta")
    assert v32.statistic["roundoff_limit"] == pytest.approx(1e3 * np.finfo(np.float32).eps)
    assert v32.outcome == v64.outcome == REPRODUCED and v32.window[1] < 1e4 and v64.window[1] == t[-1]


# --- diverged seeds: the worst outcome in every check ------------------------------------------

def _half_diverged(E, at=15):
    E = E.copy()
    E[: E.shape[0] // 2, at:] = np.nan
    return E


def test_diverged_seeds_refute_a_rate():
    """Measured on the old code: 10 of 20 seeds NaN after step 15 reproduced on the other 10."""
    E = _half_diverged(synthetic(lambda t: 1 / t, reps=1, seed=36)[0])
    v = check_rate(E, T, "1/t", "theta")
    assert v.outcome == REFUTED and v.diverged == 10 and "10 of 20 seeds diverged" in v.summary


def test_diverged_seeds_refute_a_stochastic_bound():
    E = synthetic(lambda t: 1 / t, reps=1, seed=37)[0] * 0.1
    E[:10] = np.inf
    v = check_bound(E, T, lambda t: 10 / t, stochastic=True)
    assert v.outcome == REFUTED and v.diverged == 10


def test_a_diverged_method_loses_the_comparison():
    """Measured on the old code: A = inf on 8 of 20 seeds gave "A smaller than B" reproduced."""
    rng = np.random.default_rng(38)
    b = rng.lognormal(0, 0.3, 20)
    a = b * 0.5
    a[:8] = np.inf
    assert check_paired(a, b, log=True).outcome == REFUTED
    assert check_paired(b, a, log=True).outcome == REPRODUCED  # B diverged: A is better there
    a[:8] = np.nan  # NaN is a diverged run too
    v = check_paired(a, b, log=True)
    assert v.outcome == REFUTED and v.diverged == 8
    larger = check_paired(a, b, smaller=False)  # larger is better: a diverged run is the worst, -inf
    assert larger.outcome == REFUTED


def test_exact_zeros_are_not_divergence():
    """Measured on the old code: seeds that reach exactly 0 were counted as diverged."""
    t = np.arange(0, 200, 5, dtype=float)
    rng = np.random.default_rng(39)
    E = np.exp(-0.05 * t)[None] * rng.lognormal(0, 0.05, (20, t.size))
    E[:5, 30:] = 0.0
    v = check_linear(E, t, np.exp(-0.05), "theta")
    assert v.diverged == 0 and v.outcome == REPRODUCED
    assert check_linear(_half_diverged(E, 10), t, np.exp(-0.05), "theta").outcome == REFUTED


def test_diverged_seeds_refute_floors_and_means():
    etas = np.array([0.01, 0.02, 0.04])
    F = np.tile(etas, (10, 1)) * np.random.default_rng(40).lognormal(0, 0.05, (10, 3))
    F[2, 2] = np.nan
    assert check_floor(F, etas).outcome == REFUTED
    t = np.linspace(0, 100, 41)
    E = np.ones((10, t.size))
    E[0, 30:] = np.inf
    assert not tail_floor(E, t).settled
    x = np.random.default_rng(41).exponential(1.0, 1000)
    x[3] = np.nan
    assert check_mean(x, {"right": 1.0}, "right").outcome == REFUTED


# --- deterministic mode -----------------------------------------------------------------------

def test_identical_seeds_are_one_deterministic_curve():
    """Measured on the old code: identical seeds gave a zero-width "90% CI over 32 seeds"."""
    E = np.tile(1 / T, (32, 1))
    v = check_rate(E, T, "1/t", "theta")
    assert v.outcome == REPRODUCED and v.interval is None and v.summary.startswith("deterministic")
    assert check_rate(np.tile(1 / np.sqrt(T), (32, 1)), T, "1/t", "theta").outcome == REFUTED
    lin = check_linear(np.tile(0.9 ** np.arange(50.0), (8, 1)), np.arange(50.0), 0.9, "theta")
    assert lin.outcome == REPRODUCED and lin.interval is None and "deterministic" in lin.summary
    bound = check_bound(np.tile(0.5 / T, (8, 1)), T, lambda t: 1 / t, stochastic=True)
    assert bound.outcome == REPRODUCED and "deterministic" in bound.summary
    paired = check_paired(np.full(32, 1.0), np.full(32, 2.0), log=True)
    assert paired.outcome == REPRODUCED and paired.interval is None and "deterministic" in paired.summary
    mean = check_mean(np.full(100, 0.95), {"n-1": 0.95, "n": 1.0}, "n")
    assert mean.outcome == REFUTED and "deterministic" in mean.summary


def test_seeds_that_differ_beyond_round_off_are_a_sample():
    E = np.tile(1 / T, (8, 1)) * (1 + 1e-9 * np.arange(8))[:, None]
    v = check_rate(E, T, "1/t", "theta")
    assert not v.statistic["deterministic"] and v.interval is not None


# --- multiplicity -------------------------------------------------------------------------------

def test_parts_of_a_claim_are_corrected_together():
    """Four parts each refuted at p = 5e-4 (a 99.8% interval just outside): alone each would
    refute; Holm over the four parts withdraws them (adjusted p = 2e-3 > 1e-3)."""
    parts = {f"setting {i}": Verdict("X-1", "s", REFUTED, "marginal", test=Test(p_fail=5e-4)) for i in range(4)}
    v = combine("X-1", "s", parts)
    assert v.outcome == INCONCLUSIVE and v.test.p_fail == pytest.approx(2e-3)
    parts["setting 0"] = Verdict("X-1", "s", REFUTED, "strong", test=Test(p_fail=1e-9))
    assert combine("X-1", "s", parts).outcome == REFUTED
    det = {"a": Verdict("X-1", "s", REFUTED, "deterministic counterexample"),
           "b": Verdict("X-1", "s", REPRODUCED, "fine", test=Test(p_fail=0.5))}
    assert combine("X-1", "s", det).outcome == REFUTED  # no p-value: not corrected away


def test_a_claims_verdict_does_not_depend_on_the_other_claims():
    """The family is fixed by the suite, so the same claim p-value gives the same verdict
    whatever else ran (Holm over the run's verdicts did not)."""
    def verdict_with(others):
        v = Verdict("X-1", "s", REFUTED, "x", test=Test(p_fail=2e-5))
        return family_adjust([v, *others], family_size=40)[0].outcome
    quiet = [Verdict(f"Y-{i}", "s", REPRODUCED, "x", test=Test(p_fail=0.9)) for i in range(30)]
    loud = [Verdict(f"Y-{i}", "s", REFUTED, "x", test=Test(p_fail=1e-12)) for i in range(30)]
    assert verdict_with([]) == verdict_with(quiet) == verdict_with(loud) == REFUTED


@pytest.mark.slow
@pytest.mark.parametrize("sd", [0.1, 0.25, 0.5])
def test_shapes_across_noise_levels(sd):
    """Slow tier: 1000 replications per shape and noise level."""
    reps = 1000
    rows = {
        "transient vs Theta(1/t)": rates_of(synthetic(lambda t: 1 / (t + 10), reps=reps, sd=sd, seed=50), "1/t", "theta"),
        "saturating vs O(1/t)": rates_of(synthetic(saturating, reps=reps, sd=sd, seed=51), "1/t", "upper"),
        "stall vs Theta(1/t)": rates_of(synthetic(stall, reps=reps, sd=sd, seed=52), "1/t", "theta"),
        "stall vs O(1/t)": rates_of(synthetic(stall, reps=reps, sd=sd, seed=52), "1/t", "upper"),
        "1/sqrt(t) vs O(1/t)": rates_of(synthetic(lambda t: 1 / np.sqrt(t), reps=reps, sd=sd, seed=53), "1/t", "upper"),
    }
    for k, r in rows.items():
        print(f"\nsd={sd}: {k}: {r}")
    assert rows["transient vs Theta(1/t)"][REFUTED] <= 0.02 and rows["saturating vs O(1/t)"][REFUTED] <= 0.02
    assert rows["stall vs Theta(1/t)"][REPRODUCED] == 0 and rows["stall vs O(1/t)"][REPRODUCED] == 0


# --- spread across seeds (F-test of variances) ---------------------------------------------------

def test_spread_check_passes_smaller_and_fails_larger_spread():
    from convcheck.stats import check_spread
    rng = np.random.default_rng(42)
    narrow, wide = rng.normal(0, 0.5, 40), rng.normal(0, 1.0, 40)
    assert check_spread(narrow, wide).outcome == REPRODUCED
    assert check_spread(wide, narrow).outcome == REFUTED  # planted: the claim backwards
    a = narrow.copy()
    a[0] = np.nan
    assert check_spread(a, wide).outcome == REFUTED and check_spread(wide, a).outcome == REPRODUCED
    # calibration on equal spreads: refuted about 0.1% of the time, reproduced about 5%
    outs = [check_spread(rng.normal(0, 1, 20), rng.normal(0, 1, 20)).outcome for _ in range(1000)]
    assert outs.count(REFUTED) <= 5 and outs.count(REPRODUCED) <= 80


# --- identity and property helpers -----------------------------------------------------------------

def test_identity_and_property_checks_fail_on_planted_inputs():
    from convcheck.stats import check_identity, check_property
    a = np.linspace(1, 2, 50)
    assert check_identity(a * (1 + 1e-13), a).outcome == REPRODUCED
    assert check_identity(a * (1 + 1e-8), a).outcome == REFUTED  # planted: off by 1e-8 relative
    b = a.copy()
    b[7] = np.nan
    assert check_identity(b, a).outcome == REFUTED  # a non-finite computation agrees with nothing
    # float32 inputs: float64's tolerance carried in ulps (1e-10 x 2^29 ~ 5e-2), so float32 round-off passes...
    a32 = a.astype(np.float32)
    assert check_identity(a32 * np.float32(1 + 1e-7), a32).outcome == REPRODUCED
    assert check_identity(a32 * np.float32(1.1), a32).outcome == REFUTED  # ...and a 10% error still fails
    assert check_identity(a32.astype(np.float64) * (1 + 1e-7), a).outcome == REFUTED  # float64 keeps its own
    assert check_property([True, True, True], what="holds").outcome == REPRODUCED
    v = check_property([True, False, True], what="holds", labels=["x", "y", "z"])
    assert v.outcome == REFUTED and "first: y" in v.summary and v.statistic["failed"] == ["y"]
    with pytest.raises(ValueError, match="'labels' parameter"):
        check_property([True], what="holds", labels=["a", "b"])


def test_equivalence_with_identical_per_seed_values_is_deterministic_not_a_crash():
    from convcheck.stats.intervals import equivalence

    e = equivalence([0.02] * 8, 0.0, 0.1, deterministic=False)
    assert e.outcome == "reproduced" and e.deterministic
    assert equivalence([0.5] * 8, 0.0, 0.1, deterministic=False).outcome == "refuted"

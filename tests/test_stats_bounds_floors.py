"""Bounds and floors: each check passes on the right input and FAILS on a planted wrong one.

Calibration replications are vectorised over a leading replication axis where the check
allows it, and otherwise kept small enough for the default tier.
"""

import numpy as np
import pytest

from convcheck.claims import REFUTED, REPRODUCED
from convcheck.stats import check_bound, check_floor, tail_floor, thresholds as th

T40 = np.unique(np.round(np.logspace(0, 4, 40))).astype(float)


def test_deterministic_bound_crossed_by_5_percent_once_is_refuted():
    t = np.logspace(0, 4, 40)
    curve = 0.95 / t
    curve[17] = 1.05 / t[17]  # one checkpoint out of 40 crosses by 5%
    v = check_bound(np.tile(curve, (4, 1)), t, lambda s: 1.0 / s)
    assert v.outcome == REFUTED and v.statistic["worst_step"] == int(t[17])
    assert v.statistic["max_ratio"] == pytest.approx(1.05)


def test_deterministic_bound_5_percent_under_passes():
    t = np.logspace(0, 4, 40)
    v = check_bound(np.tile(0.95 / t, (4, 1)), t, lambda s: 1.0 / s)
    assert v.outcome == REPRODUCED and v.statistic["max_ratio"] == pytest.approx(0.95)


def test_round_off_above_the_bound_is_not_a_violation():
    t = np.arange(1.0, 41.0)
    v = check_bound((1.0 + 1e-12) / t, t, lambda s: 1.0 / s)
    assert v.outcome == REPRODUCED


def test_diverged_seed_refutes_a_bound():
    t = np.arange(1.0, 11.0)
    E = np.tile(0.5 / t, (3, 1))
    E[1, 5:] = np.nan
    assert check_bound(E, t, lambda s: 1.0 / s).outcome == REFUTED


@pytest.mark.parametrize("level, expected", [(0.90, REPRODUCED), (1.05, REFUTED)])
def test_stochastic_bound_on_the_seed_mean(level, expected):
    rng = np.random.default_rng(0)
    t = np.logspace(0, 4, 40)
    S = 400
    noise = rng.lognormal(-0.5 * 0.2**2, 0.2, size=(S, t.size))  # mean-one multiplicative noise
    v = check_bound(level / t * noise, t, lambda s: 1.0 / s, stochastic=True)
    assert v.outcome == expected, v.summary


def test_stochastic_bound_calibration_false_refutation_rate():
    """A curve whose mean sits exactly on the bound is refuted (simultaneous 99.8%) at most ~0.2%."""
    rng = np.random.default_rng(1)
    t = np.logspace(0, 3, 20)
    refuted = 0
    for _ in range(300):
        E = (1.0 / t) * rng.lognormal(-0.5 * 0.3**2, 0.3, size=(20, t.size))
        refuted += check_bound(E, t, lambda s: 1.0 / s, stochastic=True).outcome == REFUTED
    assert refuted / 300 <= 0.01


def _floor_curves(rng, S, t, floor, tau=50.0, sd=0.3):
    """A decaying transient plus a stationary AR(1) lognormal fluctuation around ``floor``."""
    phi = np.exp(-1.0 / tau)
    z = np.empty((S, t.size))
    z[:, 0] = rng.standard_normal(S)
    for k in range(1, t.size):
        z[:, k] = phi * z[:, k - 1] + np.sqrt(1 - phi**2) * rng.standard_normal(S)
    return floor * np.exp(sd * z - sd**2 / 2) + 5.0 * np.exp(-t / tau)


def test_tail_of_a_real_floor_is_settled():
    rng = np.random.default_rng(2)
    t = np.arange(0, 20001, 10, dtype=float)
    assert tail_floor(_floor_curves(rng, 64, t, 0.1), t).settled


@pytest.mark.parametrize("T", [1e3, 1e4, 1e5, 1e6, 1e7])
def test_one_over_log_t_is_never_declared_a_floor(T):
    rng = np.random.default_rng(3)
    t = np.unique(np.round(np.concatenate([np.logspace(0, np.log10(T), 60), np.linspace(T / 10, T, 400)])))
    E = (1.0 / np.log(t + 1.0)) * rng.lognormal(0, 0.02, size=(64, t.size))
    assert not tail_floor(E, t).settled


def test_unsettled_transient_is_not_a_floor():
    rng = np.random.default_rng(4)
    t = np.arange(0, 2001, 2, dtype=float)
    assert not tail_floor(_floor_curves(rng, 64, t, 0.01, tau=400.0), t).settled


def test_floor_slope_calibration():
    """Slope-1 floors pass (>= 90%), slope-0.5 floors fail (>= 99%), over 300 replications."""
    rng = np.random.default_rng(5)
    etas = np.array([0.01, 0.02, 0.04, 0.08])
    outcomes = {1.0: [], 0.5: []}
    for true in outcomes:
        for _ in range(300):
            F = etas**true * rng.lognormal(0, 0.15, size=(20, 4)) * rng.lognormal(0, 0.3, size=(20, 1))
            outcomes[true].append(check_floor(F, etas).outcome)
    ok = np.mean([o == REPRODUCED for o in outcomes[1.0]])
    wrong_fail = np.mean([o == REFUTED for o in outcomes[1.0]])
    caught = np.mean([o == REFUTED for o in outcomes[0.5]])
    print(f"floor slope calibration: PASS {ok:.3f}, false FAIL {wrong_fail:.3f}, slope-0.5 FAIL {caught:.3f}")
    assert ok >= 0.90 and wrong_fail <= 0.01 and caught >= 0.99


def test_floor_reports_the_intercept_of_an_affine_floor():
    etas = np.array([0.01, 0.02, 0.04, 0.08])
    F = np.tile(0.05 + etas, (10, 1)) * np.random.default_rng(6).lognormal(0, 0.01, size=(10, 4))
    v = check_floor(F, etas)
    assert v.outcome == REFUTED  # floor = 0.05 + eta is not proportional to eta
    assert v.statistic["intercept_rel"] > 0.3


def test_thresholds_live_in_one_module():
    assert th.DELTA_EXPONENT == 0.1 and th.ALPHA_PASS == 0.10 and th.ALPHA_FAIL == 0.002


def test_floor_bad_input():
    with pytest.raises(ValueError, match="'params' parameter must be in the range"):
        check_floor(np.ones((3, 2)), [0.0, 1.0])


def test_upper_floor_claim_accepts_steeper_and_refutes_shallower():
    """"floor O(eta)": a slope of 1.2 (floors shrink faster) is consistent, 0.5 is not."""
    etas = np.array([0.005, 0.01, 0.02, 0.04])
    rng = np.random.default_rng(13)
    steep = np.tile(etas**1.2, (20, 1)) * rng.lognormal(0, 0.05, (20, 4))
    shallow = np.tile(etas**0.5, (20, 1)) * rng.lognormal(0, 0.05, (20, 4))
    assert check_floor(steep, etas, kind="upper").outcome == REPRODUCED
    assert check_floor(steep, etas).outcome == REFUTED  # two-sided: 1.2 is not 1
    assert check_floor(shallow, etas, kind="upper").outcome == REFUTED

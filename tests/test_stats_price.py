"""The price of a decision: an inconclusive verdict says how many seeds would settle it at the
observed mean and spread, and that count does settle it where the estimate holds still."""

import numpy as np
import pytest

from convcheck.claims import INCONCLUSIVE, REFUTED, REPRODUCED
from convcheck.stats import check_paired, check_rate, combine, equivalence
from convcheck.stats.intervals import MAX_PRICED_SEEDS, seeds_to_decide

T = np.unique(np.round(np.logspace(0, 4, 40)))


def sample(n, mean, sd, seed=0):
    """n values with exactly this mean and sample standard deviation."""
    z = np.random.default_rng(seed).standard_normal(n)
    return mean + sd * (z - z.mean()) / z.std(ddof=1)


@pytest.mark.parametrize("mean, sided, toward", [(0.03, "two", "reproduce"), (0.16, "two", "refute"),
                                                 (0.02, "upper", "reproduce"), (0.2, "upper", "refute")])
def test_the_price_is_the_smallest_count_that_decides(mean, sided, toward):
    x = sample(6, mean, 0.2)
    v = equivalence(x, 0.0, 0.1, sided=sided)
    assert v.outcome == INCONCLUSIVE and v.toward == toward
    n = v.seeds_to_decide
    decided = REPRODUCED if toward == "reproduce" else REFUTED
    assert equivalence(sample(n, mean, 0.2, 1), 0.0, 0.1, sided=sided).outcome == decided
    assert equivalence(sample(n - 1, mean, 0.2, 1), 0.0, 0.1, sided=sided).outcome == INCONCLUSIVE


def test_no_price_on_the_margins_edge_and_a_cap_far_from_it():
    assert seeds_to_decide(0.1, 0.05, 8, -0.1, 0.1, sided="two", alpha_fail=0.002) == (None, None)
    n, way = seeds_to_decide(0.1 + 1e-9, 0.05, 8, -0.1, 0.1, sided="two", alpha_fail=0.002)
    assert n == MAX_PRICED_SEEDS and way == "refute"


def test_an_inconclusive_rate_is_settled_by_the_seeds_it_names():
    rng = np.random.default_rng(3)

    def curves(S):  # log(t)/sqrt(t) data: Theta(1/sqrt t) is false by a slowly varying factor
        return np.log(T) / np.sqrt(T) * np.exp(0.3 * rng.standard_normal((S, T.size)) + 0.6 * rng.standard_normal((S, 1))
                                               + 0.5 * rng.standard_normal((S, 1)) * np.log(T) / np.log(1e4))
    v = check_rate(curves(4), T, "1/sqrt(t)", "theta")
    assert v.outcome == INCONCLUSIVE and "seeds would refute it" in v.summary
    need = v.test.seeds_to_decide
    assert check_rate(curves(2 * need), T, "1/sqrt(t)", "theta").outcome == REFUTED


def test_a_paired_comparison_and_a_combined_verdict_carry_the_price():
    rng = np.random.default_rng(4)
    a, b = rng.normal(0.0, 1.0, 5), rng.normal(0.8, 1.0, 5)  # a smaller on average, not yet credibly
    v = check_paired(a, b)
    assert v.outcome == INCONCLUSIVE and v.test.decide_toward == "reproduce"
    both = combine("X", "s", {"p1": v, "p2": v})
    assert both.outcome == INCONCLUSIVE and both.test.seeds_to_decide == v.test.seeds_to_decide
    assert "seeds would reproduce it" in both.summary


def test_a_short_window_names_the_horizon_that_would_decide():
    t = np.unique(np.round(np.logspace(0, 1.5, 20)))
    e = np.exp(0.1 * np.random.default_rng(0).standard_normal((8, t.size))) / t
    v = check_rate(e, t, "1/t", "theta")
    assert v.outcome == INCONCLUSIVE and v.statistic["horizon_to_decide"] == pytest.approx(100.0)
    t2 = np.unique(np.round(np.logspace(0, 2, 27)))
    e2 = np.exp(0.1 * np.random.default_rng(0).standard_normal((8, t2.size))) / t2
    assert check_rate(e2, t2, "1/t", "theta").outcome == REPRODUCED


def test_measures_that_agree_in_direction_carry_a_price_and_disagreeing_ones_do_not():
    from convcheck.stats import agree

    rng = np.random.default_rng(4)
    a, b = rng.normal(0.0, 1.0, 5), rng.normal(0.8, 1.0, 5)
    undecided = check_paired(a, b)
    assert undecided.outcome == INCONCLUSIVE
    worse = check_paired(b + 5.0, a)  # credibly larger: refuted
    same_way = agree("X", "s", {"m1": undecided, "m2": undecided})
    assert same_way.test.seeds_to_decide == undecided.test.seeds_to_decide
    assert agree("X", "s", {"m1": undecided, "m2": worse}).test.seeds_to_decide is None


def test_a_spread_comparison_names_its_seeds_per_side():
    from convcheck.stats import check_spread

    a, b = sample(8, 0.0, 0.8, 1), sample(8, 0.0, 1.0, 2)  # variance ratio 0.64: not yet credibly below 1
    v = check_spread(a, b)
    assert v.outcome == INCONCLUSIVE and v.test.decide_toward == "reproduce"
    n = v.test.seeds_to_decide
    assert check_spread(sample(n, 0.0, 0.8, 3), sample(n, 0.0, 1.0, 4)).outcome == REPRODUCED
    assert check_spread(sample(n - 2, 0.0, 0.8, 3), sample(n - 2, 0.0, 1.0, 4)).outcome == INCONCLUSIVE

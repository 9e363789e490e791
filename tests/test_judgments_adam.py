"""RegimeRate (a rate judged from where the claim's asymptotic regime starts, evidence Regime) and
Exists (an existence statement over a finite search): each passes on the right input and FAILS on
a planted wrong one."""

import numpy as np
import pytest
import torch

from convcheck import engine
from convcheck.claims import INCONCLUSIVE, REFUTED, REPRODUCED
from convcheck.evidence import Curves, Regime
from convcheck.judgments import Exists, Rate, RegimeRate, judge
from convcheck.objectives import OnlineLinear
from convcheck.optim import inverse_sqrt_t, sgd

T = np.unique(np.geomspace(1, 1e5, 60).astype(int))


def _provenance():
    """An online run's provenance: the objective the engine ran on."""
    obj = OnlineLinear([[3.0], [-1.0], [-1.0]])
    tr = engine.run(obj, sgd(inverse_sqrt_t(0.1)), torch.zeros(4, 1, dtype=torch.float64), 30,
                    checkpoints=np.array([0, 3, 6, 12, 24]))
    return Curves.of(tr, "regret").provenance


def _curves(rate, noise=0.05, S=16, seed=0):
    rng = np.random.default_rng(seed)
    return Curves(np.exp(np.log(rate(T.astype(float))) + noise * rng.standard_normal((S, T.size))), T, _provenance(),
                  "regret", stochastic=True)


def test_regime_rate_judges_from_the_regimes_start():
    """Regret like t before step 100 and like sqrt(t) after: O(sqrt(t)) holds in the regime from
    100 on; a planted regret growing like t there refutes it. Plain Curves are judged as Rate does."""
    c = _curves(lambda t: np.where(t < 100, t, 10 * np.sqrt(t)))
    assert RegimeRate("sqrt(t)", "upper").judge(Regime(c, 100.0)).outcome == REPRODUCED
    planted = _curves(lambda t: t)
    assert RegimeRate("sqrt(t)", "upper").judge(Regime(planted, 100.0)).outcome == REFUTED
    assert RegimeRate("sqrt(t)", "upper").judge(c).outcome == Rate("sqrt(t)", "upper").judge(c).outcome


def test_regime_rate_beyond_the_horizon_decides_nothing_and_names_the_horizon():
    v = RegimeRate("sqrt(t)", "upper").judge(Regime(_curves(lambda t: t), 1e8))  # a growing curve, but before the regime
    assert v.outcome == INCONCLUSIVE and "1e+10" in v.summary, v.summary


def test_regime_is_curves_and_a_positive_start():
    with pytest.raises(TypeError, match="Curves"):
        Regime(np.ones((2, 3)), 10.0)
    with pytest.raises(ValueError, match="positive step"):
        Regime(_curves(np.sqrt), 0.0)


def test_exists_is_shown_by_one_member_and_never_refuted_by_a_finite_search():
    good, bad = _curves(lambda t: np.ones_like(t)), _curves(lambda t: 1 / t, seed=1)
    omega = Exists(Rate("1", "lower"))
    shown = omega.judge({"C = 3": bad, "C = 12": good})
    assert shown.outcome == REPRODUCED and "witness: C = 12" in shown.summary, shown.summary
    none = omega.judge({"C = 3": bad, "C = 12": _curves(lambda t: 1 / t, seed=2)})  # planted: no member shows it
    assert Rate("1", "lower").judge(bad).outcome == REFUTED
    assert none.outcome == INCONCLUSIVE, none.summary
    with pytest.raises(ValueError, match="member"):
        omega.judge(good)


def test_exists_parts_combine_as_every_cell_shown():
    from convcheck.claims import Claim

    omega = Exists(Rate("1", "lower"))
    claim = Claim("X-1", "Thm. 2", "for every cell some C shows it", "property", judgments=omega)
    good, bad = _curves(lambda t: np.ones_like(t)), _curves(lambda t: 1 / t, seed=1)
    assert judge(claim, "as written", omega, {"a": {"C": good}, "b": {"C": bad, "D": good}}).outcome == REPRODUCED
    assert judge(claim, "as written", omega, {"a": {"C": good}, "b": {"C": bad}}).outcome == INCONCLUSIVE


def test_a_regime_that_keeps_the_verdict_undecided_says_what_places_it():
    v = RegimeRate("sqrt(t)", "upper").judge(Regime(_curves(lambda t: t), 1e8, "x_t reaches x* by t = 1e8"))
    assert v.outcome == INCONCLUSIVE and "the regime starts where x_t reaches x* by t = 1e8" in v.summary, v.summary
    decided = RegimeRate("sqrt(t)", "upper").judge(Regime(_curves(lambda t: 10 * np.sqrt(t)), 10.0, "placed"))
    assert decided.outcome == REPRODUCED and "placed" not in decided.summary


def test_amsgrad_drift_is_algorithm_2_and_arrival_is_where_the_iterate_reaches_x_star():
    """The block-exact drift equals Alg. 2's update run round by round (x_t = x_1 - D_t before the
    projection acts); arrival is the first round at x* = -1, and one beyond the horizon is
    extrapolated along sqrt(t) to within a few percent of the round a longer run measures. A
    planted start at +1 arrives later than one at 0; a planted drift away from x* never arrives."""
    from _adam2015 import arrival, drift

    C, T, lam = 12, 6000, 0.99
    g = -np.ones((1, T))
    g[:, ::C] = C
    D = drift(g, 0.1, (0.9, 0.99), lam)
    m = v = vh = d = 0.0
    for t in range(1, T + 1):  # Alg. 2 by hand
        b1t = 0.9 * lam ** (t - 1)
        m, v = b1t * m + (1 - b1t) * g[0, t - 1], 0.99 * v + 0.01 * g[0, t - 1] ** 2
        vh = max(vh, v)
        d += 0.1 / np.sqrt(t) * m / (np.sqrt(vh) + 1e-8)
    assert D[0, -1] == pytest.approx(d, rel=1e-10)
    at, reached = arrival(np.repeat(D, 2, 0), np.array([-0.5, 0.0]))
    path = -0.5 - D[0]
    assert reached[0] and at[0] == np.argmax(path <= -1) + 1
    long = drift(np.tile(g, 8), 0.1, (0.9, 0.99), lam)
    at_long, reached_long = arrival(long, np.array([0.0]))
    assert not reached[1] and reached_long[0] and at[1] == pytest.approx(at_long[0], rel=0.1)
    assert arrival(D, np.array([1.0]))[0][0] > at[1]
    assert np.isinf(arrival(-D, np.array([0.0]))[0][0])

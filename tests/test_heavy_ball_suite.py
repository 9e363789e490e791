"""The heavy_ball suite's checks meet planted wrong methods in the role ``momentum`` and must
refute (the true method's verdicts are in studies/heavy_ball/recorded_outcomes.json)."""

import pytest

from convcheck import pep
from convcheck.claims import REFUTED, REPRODUCED
from convcheck.optim import heavy_ball
from convcheck.study import discover, run_study

pytestmark = pytest.mark.skipif(not pep.available(), reason="PEPit is not installed")


@pytest.fixture(scope="module")
def suite():
    return discover(suite="heavy_ball")


def test_polyak_rate_refuted_for_a_method_with_half_the_step(suite):
    v = run_study(suite["polyak"], "tiny", claims=["POL-1"],
                  methods={"momentum": lambda lr, momentum: heavy_ball(0.5 * lr, momentum)}).verdicts
    assert [x.outcome for x in v if x.claim == "POL-1"] == [REFUTED]


def test_polyak_rate_reproduced_for_the_true_method(suite):
    v = run_study(suite["polyak"], "tiny", claims=["POL-1"]).verdicts
    assert [x.outcome for x in v if x.claim == "POL-1"] == [REPRODUCED]


def test_ghadimi_bound_refuted_for_a_timid_method(suite):
    """Planted: a tenth of the step and no momentum: slower than (1 - a mu)^n on a certified instance."""
    def timid(lr, momentum):
        return heavy_ball(0.1 * lr, 0.0)
    v = {x.reading: x.outcome for x in run_study(suite["ghadimi"], "tiny", methods={"momentum": timid}).verdicts}
    assert v["as written"] == REFUTED


def test_dichotomy_maps_where_the_cycle_is_found_at_each_condition_number(suite):
    """GTD-1 over two condition numbers: the first findings are one map per kappa, naming the cells
    with a cycle (and its period) and those searched without one."""
    v = run_study(suite["dichotomy"], "tiny", kappas=(25.0, 100.0), hs=(1.0, 3.0), alphas=(0.6,), periods=3).verdicts[0]
    maps = [f for f in v.findings if f.startswith("kappa = ") and "cells (eta L, alpha)" in f]
    assert [m.split(",")[0] for m in maps] == ["kappa = 25", "kappa = 100"]
    assert "a cycle found at (3, 0.6) period 3" in maps[0]  # Lessard et al.'s period, heavy ball at eta L = 3
    assert all("not accelerated at" in m for m in maps)
    assert {n.split(":")[0] for n in v.notes} >= {f"kappa = {k}, eta L = {h}, alpha = 0.6" for k in (25, 100) for h in (1, 3)}

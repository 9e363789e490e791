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

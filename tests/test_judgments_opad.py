"""Holds (a property of every unit read from several measured quantities, with certificates for a
counterexample), All (several statements of one claim that must all hold) and PerSeed (one number
per seed against a target, within a margin): each passes on the right input and fails on a planted
wrong one."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from convcheck.claims import INCONCLUSIVE, REFUTED, REPRODUCED
from convcheck.evidence import Samples
from convcheck.judgments import All, AtLeast, AtMost, Comparison, Holds, PerSeed, kinds_of
from convcheck.objectives import Quadratic

REACHES = Holds({"excess": AtMost(1e-7, rtol=None)}, refutes={"gradient": AtMost(1e-6, rtol=None),
                                                               "curvature": AtLeast(-1e-8, rtol=None)})


@pytest.fixture(scope="module")
def quadratic():
    return Quadratic(torch.tensor([1.0, 0.5], dtype=torch.float64), rotate=False, dtype=torch.float64, device="cpu")


def _units(obj, **quantities):
    return {name: Samples.on(obj, np.asarray(v, dtype=float), what=name) for name, v in quantities.items()}


def test_holds_reproduces_when_every_unit_has_the_property(quadratic):
    ev = _units(quadratic, excess=[1e-12, 3e-9], gradient=[1e-9, 1e-9], curvature=[0.0, 0.0])
    assert REACHES.judge(ev).outcome == REPRODUCED
    assert REACHES.kind in kinds_of("property")


def test_holds_refutes_only_on_a_certified_counterexample(quadratic):
    certified = _units(quadratic, excess=[1e-12, 0.3], gradient=[1e-9, 1e-9], curvature=[0.0, 0.1])
    assert REACHES.judge(certified).outcome == REFUTED
    still_moving = _units(quadratic, excess=[1e-12, 0.3], gradient=[1e-9, 1e-3], curvature=[0.0, 0.1])
    assert REACHES.judge(still_moving).outcome == INCONCLUSIVE  # undecided: a large gradient certifies nothing


def test_holds_judges_only_the_units_it_applies_to_and_its_assumptions(quadratic):
    saddles = Holds({"curvature": AtMost(-1e-8, rtol=None)}, applies={"excess": AtLeast(1e-7, rtol=None)})
    ev = _units(quadratic, curvature=[0.0, -1.5], excess=[0.0, 0.2])  # a global minimum and a strict saddle
    assert saddles.judge(ev).outcome == REPRODUCED
    assert saddles.select(ev, "applies").tolist() == [False, True]
    flat = _units(quadratic, curvature=[0.0, 0.0], excess=[0.0, 0.2])  # a planted saddle without negative curvature
    assert saddles.judge(flat).outcome == REFUTED
    assuming = Holds({"excess": AtMost(1e-7, rtol=None)}, assumes={"negative v": AtLeast(1, rtol=None)})
    outside = _units(quadratic, excess=[0.5, 0.5], **{"negative v": [0, 0]})
    assert assuming.judge(outside).outcome == INCONCLUSIVE  # not a test of the claim


def test_holds_asks_for_every_quantity_it_names(quadratic):
    with pytest.raises(ValueError, match="quantities"):
        REACHES.judge(_units(quadratic, excess=[0.0]))


def test_all_needs_every_measured_member(quadratic):
    threshold = All({"zero below": AtMost(1e-12, rtol=None), "positive above": AtLeast(1e-6, rtol=None)})
    assert threshold.kind == "property"
    right = {"zero below": Samples.on(quadratic, [1e-30], what="f*"), "positive above": Samples.on(quadratic, [0.1], what="f*")}
    assert threshold.judge(right).outcome == REPRODUCED
    assert threshold.judge({"zero below": right["zero below"]}).outcome == REPRODUCED  # a part may measure one member
    wrong = {**right, "positive above": Samples.on(quadratic, [1e-20], what="f*")}  # zero above the threshold
    assert threshold.judge(wrong).outcome == REFUTED
    with pytest.raises(ValueError, match="members"):
        threshold.judge({"unknown": right["zero below"]})


def test_holds_that_cannot_refute_leaves_a_failing_unit_undecided(quadratic):
    whp = Holds({"decades": AtLeast(6, rtol=None)}, can_refute=False)
    assert whp.judge(_units(quadratic, decades=[12, 7])).outcome == REPRODUCED
    assert whp.judge(_units(quadratic, decades=[12, 0])).outcome == INCONCLUSIVE


def test_all_takes_the_claims_kind_when_its_members_differ(quadratic):
    mixed = All({"reaches": AtMost(1.0, rtol=None), "faster": Comparison()}, of="linear")
    assert mixed.kind == "linear"
    assert All({"reaches": AtMost(1.0), "faster": Comparison()}).kind not in kinds_of("linear")


def test_per_seed_holds_a_value_per_seed_to_its_target(quadratic):
    rng = np.random.default_rng(0)
    upper = PerSeed(0.0, 0.2, "upper", of="linear")
    assert upper.kind == "linear"
    close = Samples.on(quadratic, 0.01 * rng.standard_normal(16), what="log cost ratio")
    assert upper.judge(close).outcome == REPRODUCED
    with_stuck = Samples.on(quadratic, np.r_[0.01 * rng.standard_normal(16), np.inf], what="log cost ratio")
    assert upper.judge(with_stuck).outcome == REPRODUCED  # a seed without a value (inf) is left out
    planted = Samples.on(quadratic, 1.0 + 0.01 * rng.standard_normal(16), what="log cost ratio")  # later decades cost e times more
    assert upper.judge(planted).outcome == REFUTED

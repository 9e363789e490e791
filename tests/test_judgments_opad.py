"""Holds (a property of every unit read from several measured quantities, with certificates for a
counterexample) and All (several statements of one claim that must all hold): each passes on the
right input and fails on a planted wrong one."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from convcheck.claims import INCONCLUSIVE, REFUTED, REPRODUCED
from convcheck.evidence import Samples
from convcheck.judgments import All, AtLeast, AtMost, Holds, kinds_of
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

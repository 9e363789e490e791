"""AnyOf: "A or B" per part; reproduced when an alternative holds, refuted only when every one is
measured and refuted, inconclusive when an unmeasured alternative might still hold."""

import numpy as np

from convcheck.claims import INCONCLUSIVE, REFUTED, REPRODUCED
from convcheck.evidence import Samples
from convcheck.judgments import AnyOf, AtLeast, AtMost
from convcheck.objectives import Quadratic

import torch

Q = Quadratic.random(3, torch.Generator().manual_seed(0), L=1.0, kappa=4.0)
EITHER = AnyOf({"small": AtMost(1.0), "large": AtLeast(10.0)})


def s(x):
    return Samples.on(Q, np.atleast_1d(x), what="x")


def test_any_of_reproduced_when_one_alternative_holds():
    assert EITHER.judge({"small": s(0.5), "large": s(0.5)}).outcome == REPRODUCED
    assert EITHER.judge({"large": s(20.0)}).outcome == REPRODUCED


def test_any_of_refuted_only_when_every_alternative_is_measured_and_refuted():
    assert EITHER.judge({"small": s(5.0), "large": s(5.0)}).outcome == REFUTED
    assert EITHER.judge({"small": s(5.0)}).outcome == INCONCLUSIVE


def test_any_of_kind_is_declared():
    assert EITHER.kind == "property" and AnyOf({"a": AtMost(1.0)}, of="linear").kind == "linear"

"""The tight GD reference is reproduced on its worst-case instance to 1e-9."""

import pytest
import torch

from convcheck import engine
from convcheck.objectives import HuberWorstCase
from convcheck.optim import gradient_descent
from convcheck.references import gd_tight


@pytest.mark.parametrize("N", [1, 5, 20, 100])
@pytest.mark.parametrize("h", [0.5, 1.0])
def test_gd_tight_on_huber(N, h):
    f = HuberWorstCase(N, R=1.0, L=1.0, h=h)
    tr = engine.run(f, gradient_descent(h / f.L), torch.ones(1, 1, dtype=torch.float64), N, checkpoints=[N])
    assert tr.metrics["gap"][0, -1] == pytest.approx(gd_tight(N, h), rel=1e-9)


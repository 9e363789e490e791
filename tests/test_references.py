"""Each row of the reference-rate table is reproduced on its worst-case instance to 1e-9."""

import numpy as np
import pytest
import torch

from convcheck import engine
from convcheck.objectives import HuberWorstCase, Quadratic
from convcheck.optim import gradient_descent, steepest_descent
from convcheck.references import exact_ls_tight, gd_distance, gd_tight


@pytest.mark.parametrize("N", [1, 5, 20, 100])
@pytest.mark.parametrize("h", [0.5, 1.0])
def test_gd_tight_on_huber(N, h):
    f = HuberWorstCase(N, R=1.0, L=1.0, h=h)
    tr = engine.run(f, gradient_descent(h / f.L), torch.ones(1, 1, dtype=torch.float64), N, checkpoints=[N])
    assert tr.metrics["gap"][0, -1] == pytest.approx(gd_tight(N, h), rel=1e-9)


@pytest.mark.parametrize("L, mu", [(1.0, 0.1), (10.0, 1.0)])
def test_exact_line_search_tight_on_two_dimensional_instance(L, mu):
    q = Quadratic(torch.tensor([mu, L], dtype=torch.float64), rotate=False, w_star=torch.zeros(2, dtype=torch.float64))
    w0 = torch.tensor([[1 / mu, 1 / L]], dtype=torch.float64)
    tr = engine.run(q, steepest_descent("quadratic"), w0, 10, checkpoints=np.arange(11))
    np.testing.assert_allclose(tr.metrics["gap"][0], tr.metrics["gap"][0, 0] * exact_ls_tight(np.arange(11), L, mu), rtol=1e-9)


@pytest.mark.parametrize("h", [0.3, 1.0, 1.5])
def test_gd_distance_contraction_on_its_worst_eigenvector(h):
    q = Quadratic(torch.tensor([0.1, 1.0], dtype=torch.float64), rotate=False, w_star=torch.zeros(2, dtype=torch.float64))
    worst = 0 if (1 - h * 0.1) ** 2 >= (1 - h) ** 2 else 1
    w0 = torch.zeros(1, 2, dtype=torch.float64)
    w0[0, worst] = 1.0
    tr = engine.run(q, gradient_descent(h), w0, 30, checkpoints=np.arange(31))
    np.testing.assert_allclose(tr.metrics["dist"][0] ** 2, gd_distance(np.arange(31), h, 0.1), rtol=1e-9)

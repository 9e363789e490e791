"""The walking skeleton's studies refute planted wrong inputs, and reproduce the true ones.

Each planted input is the kind of mistake the check exists to catch: a bound that is too
strong for the data (GD-1), and a run whose floor does not scale with eta (SGD-3: the step
size is secretly fixed while the study believes it varies).
"""

import numpy as np
import torch

from convcheck.claims import REFUTED, REPRODUCED
from convcheck.optim import gradient_descent, sgd
from convcheck.study import run_study


def test_gd1_true_bound_reproduced(studies):
    (v,) = run_study(studies["gd_bound"], "tiny").verdicts
    assert v.outcome == REPRODUCED
    assert 0.12 < v.statistic["max_ratio"] < 0.126  # the Huber worst case at N = 20: 20 / (8*20 + 4)


def test_gd1_wrong_bound_refuted(studies):
    (v,) = run_study(studies["gd_bound"], "tiny", bound=lambda k: 1.0 / (4.0 * np.asarray(k, float) ** 2)).verdicts
    assert v.outcome == REFUTED


def test_gd1_refuted_when_gd_secretly_takes_a_smaller_step(studies):
    """GD that claims step 1/L but takes 0.01/L: slower than Prop. 1 allows on the quadratics,
    and off the tight value on the Huber worst cases."""
    (v,) = run_study(studies["gd_bound"], "tiny", optimizer=lambda L: gradient_descent(0.01 / L)).verdicts
    assert v.outcome == REFUTED
    assert "do NOT meet the tight value" in v.findings[0]


def _sgd3(studies, **kw):
    return {v.claim: v for v in run_study(studies["sgd_floor"], "tiny", seeds=64, **kw).verdicts}["SGD-3"]


def test_sgd3_reproduced_on_true_run(studies):
    v = _sgd3(studies)
    assert v.outcome == REPRODUCED, v.evidence()


def test_sgd3_refuted_when_step_is_secretly_fixed(studies):
    v = _sgd3(studies, optimizer=lambda eta_rows: sgd(torch.full_like(eta_rows, 0.03)))
    assert v.outcome == REFUTED, v.evidence()
    assert abs(v.statistic["slope"]) < 0.2

"""Sections 4-5 studies refute planted wrong inputs and reproduce the true ones."""

import re

from convcheck.claims import REFUTED, REPRODUCED
from convcheck.objectives import WithReplacement
from convcheck.optim import inverse_sqrt_t
from convcheck.study import run_study


def _verdicts(studies, name, **kw):
    return {v.claim: v for v in run_study(studies[name], "tiny", **kw).verdicts}


def test_sgd_rates_true_schedules_reproduced(studies):
    v = _verdicts(studies, "sgd_rates")
    assert v["SGD-1"].outcome == REPRODUCED and v["SGD-2"].outcome == REPRODUCED, v["SGD-1"].evidence()


def test_sgd1_refuted_with_steps_one_over_t_squared(studies):
    def schedule(name):
        return (lambda t: 1.0 / t**2) if name == "1/t" else inverse_sqrt_t(1.0)

    v = _verdicts(studies, "sgd_rates", schedule=schedule)
    assert v["SGD-1"].outcome == REFUTED, v["SGD-1"].evidence()


def test_sgd_floor_finding_changes_when_noise_doubles(studies):
    def per_eta_constant(v):
        text = next(f for f in v.findings if f.startswith("floor per unit eta"))
        return float(re.search(r": ([0-9.]+) \(eta", text).group(1))

    base = _verdicts(studies, "sgd_floor", seeds=32)
    loud = _verdicts(studies, "sgd_floor", seeds=32, noise=2.0)
    ratio = per_eta_constant(loud["SGD-3"]) / per_eta_constant(base["SGD-3"])
    assert 3.0 < ratio < 5.0  # sigma^2 grows 4x, so the O(eta) constant does too


def test_minibatch_refutes_sampling_with_replacement_claimed_as_without(studies):
    v = _verdicts(studies, "minibatch", without=WithReplacement)
    assert v["MB-1"].outcome == REFUTED
    assert v["MB-4"].outcome == REFUTED, v["MB-4"].evidence()


def test_minibatch_true_samplers_reproduced(studies):
    v = _verdicts(studies, "minibatch")
    for claim in ("MB-1", "MB-4", "MB-5"):
        assert v[claim].outcome == REPRODUCED, v[claim].evidence()

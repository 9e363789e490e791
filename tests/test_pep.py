"""Certified worst cases (convcheck.pep + stats.check_certified): PEPit's numbers against the
closed forms the suite knows, the verdict rule on planted bounds, and an instrument that fails
or is inaccurate giving inconclusive, never reproduced."""

import dataclasses

import numpy as np
import pytest

from convcheck import pep
from convcheck.claims import INCONCLUSIVE, REFUTED, REPRODUCED
from convcheck.stats import check_certified, thresholds as th
from convcheck.stats.certified import judge_cell
from convcheck.testing import certify

needs_pep = pytest.mark.skipif(not pep.available(), reason='PEPit is not installed (pip install -e ".[pep]")')
SMOOTH_CONVEX = pep.FunctionClass("smooth convex", L=1.0)


def tight(N):
    """Drori & Teboulle: GD with step 1/L on L-smooth convex f, ||w_0 - w*|| <= 1: L R^2 / (4N + 2)."""
    return 1.0 / (4 * N + 2)


@needs_pep
@pytest.mark.parametrize("N", [1, 5, 20])
def test_gd_worst_case_is_drori_teboulle(N):
    w = pep.worst_case(pep.gd(1.0), SMOOTH_CONVEX, N)
    assert w.status == "optimal" and w.accuracy < 1e-7
    assert w.value == pytest.approx(tight(N), rel=1e-6) and w.upper == pytest.approx(tight(N), rel=1e-6)
    assert w.example["f_minus_fstar"][-1] == pytest.approx(tight(N), rel=1e-6)  # the example attains it


@needs_pep
@pytest.mark.parametrize("h", [0.5, 1.5, 1.9])
def test_gd_worst_case_matches_teboulle_vaisbourd(h):
    N = 5
    w = pep.worst_case(pep.gd(h), SMOOTH_CONVEX, N)
    assert w.value == pytest.approx(0.5 * max(1 / (2 * N * h + 1), (1 - h) ** (2 * N)), rel=1e-6)


@needs_pep
@pytest.mark.parametrize("kappa", [10.0, 100.0])
def test_exact_line_search_worst_case_is_de_klerk_glineur_taylor(kappa):
    fc = pep.FunctionClass("smooth strongly convex", L=1.0, mu=1 / kappa)
    w = pep.worst_case(pep.exact_line_search(), fc, 1, initial="gap")
    assert w.value == pytest.approx(((kappa - 1) / (kappa + 1)) ** 2, rel=1e-6)


@needs_pep
@pytest.mark.parametrize("h", [0.5, 1.0, 1.9, 2.1, 3.0])
def test_one_step_change_is_the_descent_lemma(h):
    """From ||grad f(w_0)|| = 1 the worst f(w_1) - f(w_0) is -h (1 - h/2) / L: negative below 2/L only."""
    w = pep.worst_case(pep.gd(h), SMOOTH_CONVEX, 1, metric="increase", initial="gradient")
    assert w.value == pytest.approx(-h * (1 - h / 2), abs=1e-6)


@needs_pep
@pytest.mark.parametrize("N", [1, 5])
def test_certify_planted_bounds(N):
    """A bound 1% below the tight worst case is refuted with a counterexample; at it, reproduced;
    the survey's looser 2/N reproduced as well."""
    low = certify(pep.gd(1.0), "smooth convex", lambda n: 0.99 * tight(n), N)
    assert low.outcome == REFUTED and "counterexample" in low.summary
    assert certify(pep.gd(1.0), "smooth convex", tight, N).outcome == REPRODUCED
    assert certify(pep.gd(1.0), "smooth convex", lambda n: 2 / n, N).outcome == REPRODUCED


@needs_pep
def test_certify_catches_a_mutated_method():
    """The tight value of step 1/L is no bound for another method (half the step): the check sees it."""
    v = certify(pep.gd(0.5), "smooth convex", tight, 5)
    assert v.outcome == REFUTED  # half the step: 1/(2*5*0.5+1)/2 = 1/12 > 1/22


def _fake(value, upper, status="optimal", accuracy=1e-9):
    return pep.WorstCase(value=value, upper=upper, status=status, solver="fake", errors={"duality gap": accuracy},
                         seconds=0.0, N=1, metric="gap", initial="distance", function_class="a class", method="m")


def test_rule_on_readings():
    assert judge_cell(_fake(0.5, 0.5 + 1e-10), 0.5).outcome == REPRODUCED
    assert judge_cell(_fake(0.51, 0.51), 0.5).outcome == REFUTED
    # the bound inside the interval [value, upper] widened by the accuracy: undecided
    assert judge_cell(_fake(0.499, 0.501, accuracy=1e-9), 0.5).outcome == INCONCLUSIVE


@pytest.mark.parametrize("status", ["optimal_inaccurate", "infeasible", "solver error: SolverError: failed", "unbounded"])
def test_a_solver_that_fails_is_inconclusive_never_reproduced(status):
    v = judge_cell(_fake(0.1, 0.1, status=status), 0.5)
    assert v.outcome == INCONCLUSIVE and status.split(":")[0] in v.summary


def test_an_inaccurate_solve_is_inconclusive():
    v = judge_cell(_fake(0.1, 0.1, accuracy=10 * th.CERT_MAX_ACCURACY), 0.5)
    assert v.outcome == INCONCLUSIVE and "too inaccurate" in v.summary
    # a bound that is itself an uncertified worst case decides nothing either
    other = _fake(0.6, 0.6, status="optimal_inaccurate")
    assert judge_cell(_fake(0.1, 0.1), other).outcome == INCONCLUSIVE


def test_comparison_with_another_worst_case_and_measures_that_must_agree():
    a, b = _fake(0.2, 0.2), _fake(0.3, 0.3)
    assert judge_cell(a, b).outcome == REPRODUCED and judge_cell(b, a).outcome == REFUTED
    both = check_certified({("cell", "m1"): (b, a), ("cell", "m2"): (b, a)}, claim="X")
    split = check_certified({("cell", "m1"): (b, a), ("cell", "m2"): (a, b)}, claim="X")
    assert both.outcome == REFUTED and split.outcome == INCONCLUSIVE
    assert set(both.statistic["certified"]) == {"cell, m1", "cell, m2"}


def test_without_pepit_the_verdict_says_so(monkeypatch):
    monkeypatch.setattr(pep, "available", lambda: False)
    v = certify(pep.gd(1.0), "smooth convex", tight, 1)
    assert v.outcome == INCONCLUSIVE and "pip install" in v.summary
    with pytest.raises(pep.PEPUnavailable):
        pep.worst_case(pep.gd(1.0), SMOOTH_CONVEX, 1)


@pytest.mark.parametrize("kwargs, name", [({"kind": "lipschitz"}, "kind"), ({"kind": "smooth convex", "L": 0}, "L"),
                                          ({"kind": "smooth convex", "mu": 2.0}, "mu"),
                                          ({"kind": "smooth strongly convex", "mu": 0.0}, "mu")])
def test_function_class_errors_name_the_parameter(kwargs, name):
    with pytest.raises(ValueError, match=f"'{name}'"):
        pep.FunctionClass(**kwargs)


@needs_pep
@pytest.mark.parametrize("kwargs, name", [({"N": 0}, "N"), ({"N": 1, "metric": "speed"}, "metric"),
                                          ({"N": 1, "initial": "anywhere"}, "initial")])
def test_worst_case_errors_name_the_parameter(kwargs, name):
    with pytest.raises(ValueError, match=f"'{name}'"):
        pep.worst_case(pep.gd(1.0), SMOOTH_CONVEX, **kwargs)


def test_worst_case_record_is_json():
    j = _fake(0.1, 0.2).to_json()
    assert j["accuracy"] == 1e-9 and j["status"] == "optimal"
    assert np.isnan(dataclasses.replace(_fake(0.1, 0.2), errors={}).accuracy)

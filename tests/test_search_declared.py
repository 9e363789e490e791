"""Searches declared on a claim (convcheck.search.declared), run by the library beside a verdict.

Held to known answers the searches were not designed on, each beside a planted wrong input:

* SGD with steps 1/t on a smooth non-convex finite sum (Prop. 2's hypotheses) does not drive
  f - f* to 0: the two-wells search finds a landscape and a start that keep it above half the
  spurious minimum's height (a family restricted so that no candidate has a spurious minimum finds
  nothing, and says so);
* SGD at a constant step does not contract at 1 - mu/L (the survey's Eq. 29): found on sums of
  shifted quadratics, while a method that lands on w* at once (planted) is not caught;
* GD's step boundary 2/L: found with the role's GD, not with a GD that secretly halves its step;
* momentum lengthens the path on a function built from its PEP worst case: found for heavy
  ball, not for a "momentum" that ignores its momentum;
* the declaration on a claim reaches the verdict's record through run_study.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from convcheck import pep
from convcheck.claims import Claim, Verdict
from convcheck.optim import gradient_descent, heavy_ball
from convcheck.search import declared
from convcheck.search.declared import MomentumOscillation, NoSearch, SlowContraction, StepBoundary, WellsLimit, run_declared
from convcheck.search.wells import TwoWellsFamily, held_above

PROP2 = ("finite sum", "bounded below", "L-smooth", "bounded stochastic gradients")
NAMES = ("test", "declared")


def sgd(lr):
    return gradient_descent(lr)


def _teleport(target):
    """Planted: a method that lands on ``target`` at the first step (no method does)."""
    from convcheck.optim.base import Optimizer

    return Optimizer("teleport", lambda params: (), lambda params, state, oracle, t: (target.expand_as(params).clone(), state))


class _Ctx:
    """What run_declared reads of a study's context."""

    def __init__(self, methods):
        self.study, self.roles, self._m = "test", tuple(methods), methods

    def method(self, role):
        return self._m[role]


# ---- declarations ---------------------------------------------------------------------------------

def test_a_claim_declares_searches_for_its_readings():
    c = Claim("X-1", "Eq. (1)", "x", "bound", readings=("r",), assumes="none: a test",
              search={"as written": NoSearch("an identity"), "r": NoSearch("another")})
    assert c.search_of("r").reason == "another" and c.search_of("as written").reason == "an identity"
    assert c.to_json()["search"]["r"] == "no search applies: another"
    one = Claim("X-2", "Eq. (2)", "x", "bound", assumes="none: a test", search=NoSearch("an identity"))
    assert one.search_of("as written") is not None
    with pytest.raises(ValueError, match="'search' parameter of X-3 must name its readings"):
        Claim("X-3", "Eq. (3)", "x", "bound", assumes="none: a test", search={"unknown": NoSearch("r")})
    with pytest.raises(ValueError, match="'reason' parameter"):
        NoSearch("  ")
    with pytest.raises(ValueError, match="'budgets' parameter must give a positive integer for each scale"):
        WellsLimit(budgets={"quick": 10})


def test_a_verdict_carries_one_search_record_through_json():
    v = Verdict("X-1", "s", "refuted", "x")
    w = v.searched({"applies": False, "summary": "no search applies: r"})
    assert w.outcome == v.outcome and w.search["summary"] == "no search applies: r"
    assert Verdict.from_json(json.loads(json.dumps(w.to_json()))).search == w.search
    assert "search: no search applies: r" in w.evidence()
    with pytest.raises(ValueError, match="already holds a search record"):
        w.searched({"summary": "again"})


# ---- the two wells: Prop. 2's limit ---------------------------------------------------------------

def test_held_above_tells_a_gap_held_in_a_basin_from_one_going_to_zero():
    steps = np.arange(1, 101)
    held = np.full((1, 16, 100), 0.8) + 0.01 * np.random.default_rng(0).normal(size=(1, 16, 100))
    going = 0.8 / steps[None, None, :] * np.ones((1, 16, 1))
    assert held_above(held, np.array([1.0]), steps)[0] > 0.2
    assert held_above(going, np.array([1.0]), steps)[0] < 0  # planted: the gap falls toward 0
    inf = held.copy()
    inf[0, 0, -1] = np.inf  # a diverged replica counts as an infinite gap
    assert held_above(inf, np.array([1.0]), steps)[0] > 0.2


def test_wells_search_finds_sgd_held_in_a_spurious_basin_inside_prop2():
    claim = Claim("SGD-1", "Eq. (25)", "x", "rate", hypotheses=PROP2, search=WellsLimit(schedules=("1/t",)))
    rec = run_declared(claim, Verdict("SGD-1", "t", "refuted", "x"), claim.search_of("as written"), _Ctx({"sgd": sgd}), "tiny")
    assert rec["found"] and rec["inside the hypotheses"], rec["summary"]
    assert rec["details"]["violation on the concrete instance"] > 0
    certs = rec["instance"]["certificates"]
    assert all(certs[p]["holds"] for p in (*PROP2, "non-convex", "spurious local minimum"))
    assert rec["candidates"] == 20 and rec["budget"] == {"candidates": 20, "popsize": 4}
    again = run_declared(claim, Verdict("SGD-1", "t", "refuted", "x"), claim.search_of("as written"), _Ctx({"sgd": sgd}), "tiny")
    assert again["details"]["parameters"] == rec["details"]["parameters"] and again["seed"] == rec["seed"]


def test_wells_search_with_no_spurious_minimum_in_reach_finds_nothing_and_says_so():
    class Shallow(TwoWellsFamily):  # planted: wells too close and wide to make a second minimum
        def __init__(self, **kw):
            super().__init__(**kw)
            self.bounds = [(0.2, 0.3), (0.2, 0.3), (0.9, 1.0), (0.0, 1.0), (-4.0, 4.0)]

    class Decl(WellsLimit):
        def family(self, names):
            return Shallow(replicas=self.replicas, names=names)

    r = Decl(schedules=("1/t",)).find({"sgd": sgd}, "tiny", NAMES)
    assert not r.found and r.certified == 0
    assert "not found within 20 candidates (0 certified inside the class" in r.summary


# ---- Eq. (29): contraction 1 - mu/L at a constant step ------------------------------------------------

def test_slow_contraction_found_for_sgd_and_not_for_a_method_at_the_minimiser():
    claim = Claim("SGD-5", "Eq. (29)", "x", "linear", hypotheses=(*PROP2, "each f_i mu-strongly convex"),
                  search=SlowContraction())
    rec = run_declared(claim, Verdict("SGD-5", "t", "refuted", "x"), claim.search_of("as written"), _Ctx({"sgd": sgd}), "tiny")
    assert rec["found"] and rec["inside the hypotheses"], rec["summary"]
    assert rec["instance"]["certificates"]["bounded stochastic gradients"]["how"].startswith("along this run")
    planted = SlowContraction().find({"sgd": lambda lr: _teleport(torch.zeros(2, dtype=torch.float64))}, "tiny", NAMES)
    assert not planted.found and "not found within" in planted.summary


# ---- GD-2 and GD-5 over classes PEPit describes ---------------------------------------------------

pep_only = pytest.mark.skipif(not pep.available(), reason="PEPit is not installed")


@pep_only
def test_step_boundary_found_with_the_roles_gd_not_with_one_that_halves_its_step():
    r = StepBoundary().find({"gd": sgd}, "tiny", NAMES)
    lo, hi = r.details["bracket"]
    assert r.found and lo <= 2.0 <= hi * (1 + 1e-3)
    planted = StepBoundary().find({"gd": lambda lr: gradient_descent(lr / 2)}, "tiny", NAMES)
    assert not planted.found  # the built function does not rise under a GD with half the step


@pep_only
def test_momentum_oscillation_found_for_heavy_ball_not_for_momentum_that_ignores_it():
    decl = MomentumOscillation(cells={"tiny": ((1.0, 0.5),), "quick": ((1.0, 0.5),), "full": ((1.0, 0.5),)})
    r = decl.find({"momentum": lambda lr, momentum: heavy_ball(lr, momentum), "gd": sgd}, "tiny", NAMES)
    assert r.found and r.best_violation > 0.1
    planted = decl.find({"momentum": lambda lr, momentum: gradient_descent(lr), "gd": sgd}, "tiny", NAMES)
    assert not planted.found and abs(planted.best_violation) < 1e-9


# ---- through run_study --------------------------------------------------------------------------------

STUDY = '''"""A study for the declared-search plumbing.

Claims:
    X-1: GD with step 3/L decreases f (false).
Kind:
    property.
Objective:
    a quadratic.
Optimizer:
    GD.
Fit:
    f along the run.
Verdict rule:
    declared Decreasing.
References:
    none.
"""
import numpy as np
import torch

from convcheck import engine
from convcheck.evidence import Curves
from convcheck.judgments import Decreasing
from convcheck.objectives import Quadratic
from convcheck.search.declared import NoSearch, StepBoundary
from convcheck.study import Claim, StudyResult

CLAIMS = [Claim("X-1", "Eq. (1)", "GD with step 3/L decreases f", "property", methods=("gd",), hypotheses=("convex",),
                judgments={"as written": Decreasing(), "r": Decreasing()}, readings=("r",), search={"as written": StepBoundary(programs={"tiny": 5, "quick": 5, "full": 5}), "r": NoSearch("a test")})]
ROLES = ("gd",)
SCALES = {"tiny": {"seeds": 3}, "quick": {"seeds": 3}, "full": {"seeds": 3}}


def run(ctx):
    q = Quadratic.random(3, ctx.generator("q"), L=1.0, kappa=10.0, dtype=ctx.dtype)
    tr = engine.run(q, ctx.method("gd")(lr=3.0), ctx.start_near(q.w_star, "w0"), 20, checkpoints=np.arange(21))
    c = Curves.of(tr, role="gd")
    return StudyResult(evidence={"X-1": {"quadratic": c}, ("X-1", "r"): {"quadratic": c}})
'''


@pep_only
def test_run_study_puts_the_declared_search_in_the_verdicts_record(tmp_path):
    from convcheck.study import load_study, run_study

    path = tmp_path / "demo" / "x_study.py"
    path.parent.mkdir()
    path.write_text(STUDY)
    result = run_study(load_study(path), "tiny", family=None)
    by = {v.reading: v for v in result.verdicts}
    written = by["as written"]
    assert written.outcome == "refuted"
    assert written.search["applies"] and written.search["found"] and written.search["inside the hypotheses"]
    assert written.search["instance"]["certificates"]["convex"]["holds"]
    assert by["r"].search == {"applies": False, "declared": "no search applies: a test", "summary": "no search applies: a test"}
    assert declared.SCALES == ("tiny", "quick", "full")


def test_a_found_instance_outside_the_claims_hypotheses_does_not_count():
    """Planted: a claim that assumes non-convexity; the search's quadratics refute nothing there."""
    claim = Claim("X-9", "Eq. (9)", "x", "linear", hypotheses=("non-convex",), search=SlowContraction())
    rec = run_declared(claim, Verdict("X-9", "t", "refuted", "x"), claim.search_of("as written"), _Ctx({"sgd": sgd}), "tiny")
    assert rec["found"] is False and rec["inside the hypotheses"] is False and rec["instance"]["refutes"] is False
    assert "lacks the claim's hypotheses ['non-convex']" in rec["summary"]


def test_a_search_that_fails_is_recorded_and_decides_nothing():
    """A method in the role that cannot run the search's problem (a user's class, a planted one) leaves
    the verdict as judged: the record says the search could not run, and why."""
    from convcheck.claims import Claim, Verdict
    from convcheck.search.declared import run_declared

    class Broken:
        def describe(self):
            return "a search that raises"

        def find(self, methods, scale, names):
            raise TypeError("full_like(): argument 'input' must be Tensor, not float")

    class _C:
        study, roles = "s", ()

    claim = Claim("X-1", "Eq. 1", "x", "property")
    rec = run_declared(claim, Verdict("X-1", "as written", "refuted", "x"), Broken(), _C(), "tiny")
    assert rec["found"] is False and "could not run" in rec["summary"] and "TypeError" in rec["error"]

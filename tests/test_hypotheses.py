"""Hypotheses and scope (convcheck.hypotheses): the certificates are computed and true, and the
library, not the study, holds a verdict as written to the claim's hypotheses and scope."""

import pytest
import torch

from convcheck.claims import Claim, Verdict
from convcheck.hypotheses import PROPERTIES, Certificate, certify, enforce, problems
from convcheck.objectives import LeastSquares, Logistic, Quadratic, ShiftedQuadratics, TwoWells
from convcheck.stats import combine
from convcheck.study import load_study, run_study

PROP2 = ("finite sum", "bounded below", "L-smooth", "bounded stochastic gradients")
STRONG = (*PROP2, "each f_i mu-strongly convex")


def _gen(seed=0):
    return torch.Generator().manual_seed(seed)


# --- certificates are computed, and they are true --------------------------------------------------

def test_two_wells_bounds_hold_on_the_whole_line_and_the_landscape_is_certified():
    tw = TwoWells(100, _gen())
    w = torch.linspace(-30, 30, 200_001, dtype=torch.float64).reshape(-1, 1).requires_grad_(True)
    g = torch.autograd.grad(tw.loss(w).sum(), w, create_graph=True)[0]
    h = torch.autograd.grad(g.sum(), w)[0]
    h, g = h.detach(), g.detach()
    assert float(h.abs().max()) <= tw.L and float(g.abs().max()) <= tw.G  # the closed-form bounds are bounds
    assert float(h.abs().max()) > 0.5 * tw.L  # and not vacuous
    inst = certify(tw)
    assert not inst.lacks(PROP2) and inst.has("non-convex") and inst.has("spurious local minimum") and not inst.has("convex")
    witness = next(c for c in inst.certificates if c.property == "non-convex")
    x = torch.tensor([[tw.w_max]], dtype=torch.float64, requires_grad=True)
    gx = torch.autograd.grad(tw.loss(x).sum(), x, create_graph=True)[0]
    assert float(torch.autograd.grad(gx.sum(), x)[0]) == pytest.approx(witness.value, rel=1e-10) and witness.value < 0
    assert float(tw.grad(torch.tensor([[tw.w_local]], dtype=torch.float64)).abs()) < 1e-12
    assert tw.f_local - tw.f_star > 0.4


def test_shifted_quadratics_every_component_is_strongly_convex_and_least_squares_is_not():
    sq = ShiftedQuadratics.random(30, 4, _gen(1), kappa=3.0)
    w = torch.randn(2, 4, generator=_gen(2), dtype=torch.float64)
    for i in range(3):  # each f_i's Hessian is A, whose smallest eigenvalue is the certified mu
        H = torch.autograd.functional.hessian(lambda x: sq.per_sample_losses(x.unsqueeze(0))[0, i], w[0])
        assert torch.allclose(H, sq.A, atol=1e-12)
    assert certify(sq).has("each f_i mu-strongly convex") and sq.mu == pytest.approx(1 / 3)
    ls = LeastSquares.planted(30, 4, _gen(3))
    inst = certify(ls)
    assert not inst.has("each f_i mu-strongly convex") and inst.has("mu-strongly convex") and inst.has("convex")
    assert certify(Logistic.synthetic(40, 3, _gen(4))).has("L-smooth")
    assert certify(Quadratic(torch.tensor([1.0, 0.0], dtype=torch.float64))).lacks(["mu-strongly convex"]) == ["mu-strongly convex"]


def test_properties_are_checked_names():
    with pytest.raises(ValueError, match="'property' parameter"):
        Certificate("smooth-ish", True, "")
    with pytest.raises(ValueError, match="'hypotheses' parameter of X-1"):
        Claim("X-1", "", "", "bound", hypotheses=("convexish",))
    assert set(STRONG) <= set(PROPERTIES)


# --- the rule: refutations inside the hypotheses, reproductions across the scope -------------------

def _verdict(outcome, *instances, claim="X-1"):
    return Verdict(claim, "s", outcome, "the study's words").restated(instances=instances)


def test_a_refutation_outside_the_hypotheses_is_withheld_and_one_inside_stands():
    claim = Claim("X-1", "Eq. (29)", "", "linear", hypotheses=STRONG)
    outside = _verdict("refuted", certify(LeastSquares.planted(50, 3, _gen(5)), "least squares"))
    held = enforce(claim, outside)
    assert held.outcome == "inconclusive" and "least squares lacks" in held.summary
    assert "each f_i mu-strongly convex" in held.summary
    along_a_run = Certificate("bounded stochastic gradients", True, "along a run (planted here)", 1.0)
    inside = _verdict("refuted", certify(ShiftedQuadratics.random(50, 3, _gen(6)), "shifted", along_a_run))
    assert enforce(claim, inside) is inside
    assert enforce(claim, Verdict("X-1", "s", "refuted", "no instances")).outcome == "inconclusive"
    # readings are not held to the statement's hypotheses
    reading = Verdict("X-1", "s", "refuted", "r", reading="another")
    assert enforce(claim, reading) is reading


def test_a_reproduction_must_cover_the_scope():
    claim = Claim("X-1", "Eq. (34)", "", "floor", hypotheses=PROP2, scope=("non-convex", "convex"))
    along_a_run = Certificate("bounded stochastic gradients", True, "along a run (planted here)", 1.0)
    convex = certify(LeastSquares.planted(50, 3, _gen(7)), "ls", along_a_run)
    wells = certify(TwoWells(20, _gen(8)), "wells")
    only_convex = enforce(claim, _verdict("reproduced", convex))
    assert only_convex.outcome == "inconclusive" and "'non-convex'" in only_convex.summary
    assert enforce(claim, _verdict("reproduced", convex, wells)).outcome == "reproduced"
    # a non-convex instance outside the hypotheses (not L-smooth) does not cover the case
    from convcheck.objectives import Rosenbrock

    valley = certify(Rosenbrock(), "rosenbrock")
    assert problems(claim, _verdict("reproduced", convex, valley))


def test_combine_records_which_instance_refutes():
    refute = Verdict("X-1", "s", "refuted", "down")
    ok = Verdict("X-1", "s", "reproduced", "up")
    wells, ls = certify(TwoWells(20, _gen(10)), "wells"), certify(LeastSquares.planted(20, 3, _gen(11)), "ls")
    v = combine("X-1", "s", {"a": refute, "b": ok, "c": ok}, instances={"a": wells, "b": ls, "c": ls})
    flags = {e["name"]: e["refutes"] for e in v.instances}
    assert flags == {"wells": True, "ls": False}
    assert Verdict.from_json(v.to_json()).instances == v.instances
    with pytest.raises(ValueError, match="'instances' parameter"):
        combine("X-1", "s", {"a": refute}, instances={"z": wells})


STUDY = '''
"""X-1: a planted study.

Claims:
    X-1: a bound under strong convexity of every f_i.
Kind:
    linear.
Objective:
    least squares.
Optimizer:
    none.
Fit:
    none.
Verdict rule:
    refuted by the planted instance.
References:
    none.
"""
import torch
from convcheck.claims import Claim
from convcheck.evidence import Samples
from convcheck.judgments import AtMost
from convcheck.objectives import LeastSquares
from convcheck.study import StudyResult

CLAIMS = [Claim("X-1", "Eq. (29)", "planted", "linear + property", hypotheses=HYP, same_as=None, judgments=AtMost(0.0)),
          Claim("X-2", "Eq. (29)", "the same equation", "linear + property", same_as="X-1", judgments=AtMost(0.0))]
ROLES = ()
SCALES = {"quick": {"seeds": 8}, "full": {"seeds": 8}}


def run(ctx):
    ls = LeastSquares.planted(20, 3, torch.Generator().manual_seed(0))
    failing = Samples.on(ls, [1.0], what="a planted failure", name="least squares")  # fails: 1 > 0
    other = Samples.on(ls, [0.0 if OTHER else 1.0], what="a planted result", name="least squares")
    return StudyResult(evidence={"X-1": {"ls": failing}, "X-2": {"ls": other}})
'''


def _study(tmp_path, hyp, other, name):
    folder = tmp_path / name
    folder.mkdir()
    path = folder / "planted_study.py"
    path.write_text(STUDY.replace("HYP", repr(hyp)).replace("OTHER", repr(other)))
    return load_study(path)


def test_run_study_enforces_the_rule_whatever_the_study_does(tmp_path):
    mod = _study(tmp_path, STRONG, True, "a")
    with pytest.raises(RuntimeError, match="X-2 .* and X-1 .* different verdicts as written"):
        run_study(mod, "quick")
    mod = _study(tmp_path, STRONG, False, "b")
    with pytest.raises(RuntimeError, match="different verdicts"):  # X-1 withheld (inconclusive), X-2 refuted
        run_study(mod, "quick")
    mod = _study(tmp_path, ("finite sum", "L-smooth"), False, "c")  # least squares is inside these
    verdicts = {v.claim: v for v in run_study(mod, "quick").verdicts}
    assert verdicts["X-1"].outcome == verdicts["X-2"].outcome == "refuted"


def test_a_singular_least_squares_problem_is_certified_convex_not_strongly_and_not_non_convex():
    """A repeated column makes H singular: its zero eigenvalue comes back from the eigensolver as
    round-off of either sign (+-1e-16), which is neither a witness of non-convexity nor strong
    convexity; a genuinely negative eigenvalue (planted) is a witness."""
    for seed in range(8):
        g = _gen(seed)
        X = torch.randn(30, 4, generator=g, dtype=torch.float64)
        ls = LeastSquares(torch.cat([X, X[:, :1]], 1), torch.randn(30, generator=g, dtype=torch.float64))
        inst = certify(ls)
        assert inst.has("convex") and inst.has("bounded below"), seed
        assert not inst.has("non-convex") and not inst.has("mu-strongly convex"), seed
    from convcheck.hypotheses import Instance
    from convcheck.objectives.quadratic import quadratic_certificates

    planted = Instance("planted", tuple(quadratic_certificates(torch.tensor([-1e-6, 1.0, 2.0], dtype=torch.float64), "A")))
    assert planted.has("non-convex") and not planted.has("convex")


def test_bounded_stochastic_gradients_are_certified_by_the_run_not_by_the_objective():
    """Least squares' stochastic gradients grow without bound: the objective does not certify them;
    a run that stays finite does (the largest E_i||grad f_i||^2 over its checkpoints, checked here
    against the per-sample gradients), and SGD at eta = 1.5 (L_max = 10) diverges and cannot: the
    refutation it would give a claim assuming the bound is withheld."""
    import numpy as np

    from convcheck import engine
    from convcheck.evidence import Curves
    from convcheck.judgments import Bound, judge
    from convcheck.objectives import WithReplacement
    from convcheck.optim import sgd

    ls = LeastSquares.planted(100, 10, _gen(0), L=1.0, kappa=10.0)
    assert not certify(ls).has("bounded stochastic gradients")
    w = torch.randn(5, 10, generator=_gen(1), dtype=torch.float64)
    g = ls.per_sample_grads(w)
    assert torch.allclose(ls.stochastic_second_moment(w), (g * g).sum(-1).mean(-1), rtol=1e-12)
    sq = ShiftedQuadratics.random(20, 4, _gen(2))
    G = (w[:, :4].unsqueeze(1) - sq.C) @ sq.A
    assert torch.allclose(sq.stochastic_second_moment(w[:, :4]), (G * G).sum(-1).mean(-1), rtol=1e-12)
    scale = 10.0 / ls.L_max
    big = LeastSquares(ls.X * scale ** 0.5, ls.y * scale ** 0.5)  # L_max = 10
    w0 = big.w_star + torch.randn(16, 10, generator=_gen(3), dtype=torch.float64)
    claim = Claim("X-1", "Prop. 2", "planted", "floor", hypotheses=PROP2)
    for lr, certified in ((0.01, True), (1.5, False)):
        tr = engine.run(big, sgd(lr), w0, 500, sampler=WithReplacement(big.n, 1), generator=_gen(4))
        c = Curves.of(tr)
        assert c.instance.has("bounded stochastic gradients") == certified
        assert certified or tr.diverged.all()
        v = judge(claim, "as written", Bound("1e-30"), {"run": c.window(start=1)})
        assert v.outcome == "refuted"
        assert (enforce(claim, v).outcome == "refuted") == certified  # the diverged run's refutation is withheld

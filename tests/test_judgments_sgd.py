"""The judgments and evidence added for the stochastic-gradient studies: ``Aspects`` (parts of one
reading that measure different aspects, each with its own judgment), ``Exact`` (an enumerated
expectation against formulas) and ``with_constants`` (a run's own constants, such as its step,
beside its objective's): each passes on the right input and FAILS on a planted wrong one."""

import numpy as np
import pytest
import torch

from convcheck import engine
from convcheck.claims import INCONCLUSIVE, REFUTED, REPRODUCED, Claim
from convcheck.evidence import Computations, Curves, Samples, with_constants
from convcheck.judgments import Aspects, Exact, Identity, Linear, Rate, judge
from convcheck.objectives import Quadratic
from convcheck.optim import gradient_descent


def _gd_run(lr, steps=300, seeds=4):
    q = Quadratic.random(6, torch.Generator().manual_seed(1), L=1.0, kappa=4.0)
    w0 = q.w_star + torch.randn(seeds, 6, generator=torch.Generator().manual_seed(2), dtype=torch.float64)
    return q, engine.run(q, gradient_descent(lr), w0, steps, checkpoints=np.arange(steps + 1))


def _claim(judgment, kind="linear"):
    return Claim("X-1", "Eq. (1)", "a planted claim", kind, judgments=judgment)


def test_with_constants_puts_the_step_beside_the_objectives_constants():
    q, tr = _gd_run(0.5)
    c = with_constants(Curves.of(tr), eta=0.5)
    assert c.provenance.constants["eta"] == 0.5 and c.provenance.constants["mu"] == pytest.approx(q.mu)
    assert c.instance is Curves.of(tr).instance
    with pytest.raises(ValueError, match="objective's own"):
        with_constants(c, mu=1.0)


def test_a_contraction_in_the_runs_step_passes_and_a_planted_wrong_step_fails():
    """GD's error on a quadratic contracts at least like 1 - eta mu per step (its gap twice as fast):
    stated with the run's own eta it holds; stated with a step four times the run's it is refuted."""
    _, tr = _gd_run(0.5)
    rho = Linear(lambda c: 1 - c["eta"] * c["mu"])
    assert rho.judge(with_constants(Curves.of(tr), eta=0.5)).outcome == REPRODUCED
    assert rho.judge(with_constants(Curves.of(tr), eta=4 * 0.5)).outcome == REFUTED


def test_aspects_judges_each_part_by_the_aspect_it_measures():
    q, tr = _gd_run(0.5)
    judgment = Aspects({"contraction": Linear(lambda c: 1 - c["eta"] * c["mu"]), "cost": Identity()})
    assert judgment.kind == "linear"
    assert "contraction: linear(" in judgment.describe() and "0x" not in judgment.describe()  # no address of a lambda
    counts = Computations.on(q, np.array([1.0, 1.0]), np.array([1.0, 1.0]), what="gradients per step")
    right = {"run": {"contraction": with_constants(Curves.of(tr), eta=0.5)}, "cost": {"cost": counts}}
    v = judge(_claim(judgment), "as written", judgment, right)
    assert v.outcome == REPRODUCED and {i["name"] for i in v.instances} == {"run", "cost"}
    wrong_cost = Computations.on(q, np.array([0.0, 1.0]), np.array([1.0, 1.0]), what="gradients per step")
    planted = {**right, "cost": {"cost": wrong_cost}}
    assert judge(_claim(judgment), "as written", judgment, planted).outcome == REFUTED
    both = {"run": {"contraction": with_constants(Curves.of(tr), eta=0.5), "cost": wrong_cost}}
    assert judgment.judge(both["run"]).outcome == REFUTED  # several aspects of one part: combined
    with pytest.raises(ValueError, match="some of the facts"):
        judgment.judge({"floor": counts})
    assert Aspects({"a": Rate("1/t"), "b": Identity()}, of="comparative").kind == "comparative"


def test_exact_matches_the_formula_the_claim_names_and_fails_the_other():
    """E||mean of b of n values - their mean||^2 without replacement is (1 - b/n) s2/b with s2 the 1/(n-1)
    variance: exact under that reading, off by n/(n-1) under the 1/n one."""
    rng = np.random.default_rng(0)
    n, b = 6, 2
    x = rng.normal(size=n)
    e = x - x.mean()
    import itertools

    value = np.mean([e[list(c)].mean() ** 2 for c in itertools.combinations(range(n), b)])
    formulas = lambda c: {"1/n": (1 - c["b"] / c["n"]) * c["s_n"] / c["b"],
                          "1/(n-1)": (1 - c["b"] / c["n"]) * c["s_n1"] / c["b"]}
    ev = with_constants(Samples.on(None, np.array([value]), what="E||e||^2"), b=b, n=n, s_n=np.mean(e**2),
                        s_n1=np.sum(e**2) / (n - 1))
    assert Exact(formulas, "1/(n-1)").judge(ev).outcome == REPRODUCED
    assert Exact(formulas, "1/n").judge(ev).outcome == REFUTED
    assert Exact(formulas, "1/(n-1)").kind == "variance"
    assert INCONCLUSIVE not in {Exact(formulas, "1/n").judge(ev).outcome}

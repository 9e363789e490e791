"""Sections 2-3 studies refute planted wrong methods (issue: something deliberately wrong per study)."""

import torch

from convcheck.claims import REFUTED, REPRODUCED
from convcheck.optim import Optimizer, delta_rule_gradient, gradient_descent, steepest_descent
from convcheck.optim.linesearch import LineSearchState
from convcheck.optim.momentum import MomentumState
from convcheck.optim.steepest import SteepestState
from convcheck.study import run_study


def _verdicts(studies, name, **kw):
    return {v.claim: v for v in run_study(studies[name], "tiny", **kw).verdicts}


def test_gd_descent_true_run_reproduced(studies):
    v = _verdicts(studies, "gd_descent")
    assert v["GD-2"].outcome == REPRODUCED and v["GD-3"].outcome == REPRODUCED, v["GD-2"].evidence()
    v3 = _verdicts(studies, "gd_descent", seeds=3)
    assert v3["GD-2"].outcome == REPRODUCED, v3["GD-2"].evidence()


def test_gd2_refuted_when_the_step_is_secretly_larger(studies):
    v = _verdicts(studies, "gd_descent", optimizer=lambda lr: gradient_descent(lr * 1.3))
    assert v["GD-2"].outcome == REFUTED, v["GD-2"].evidence()


def test_gd4_refuted_by_a_line_search_that_accepts_any_step(studies):
    def init(w):
        return LineSearchState(torch.ones(w.shape[0], dtype=w.dtype), torch.zeros(w.shape[0], dtype=torch.long))

    def update(w, state, oracle, t):
        return w - oracle.grad(w), state  # eta = 1 whatever happens

    accept_any = Optimizer("accept-any", init, update)
    (v,) = run_study(studies["line_search"], "tiny", searches={"halving": accept_any}).verdicts
    assert v.outcome == REFUTED and "f decreases" in v.summary


def test_gd4_true_searches_reproduced(studies):
    (v,) = run_study(studies["line_search"], "tiny").verdicts
    assert v.outcome == REPRODUCED


def test_gd5_refuted_by_momentum_with_the_wrong_sign(studies):
    def wrong_sign(lr, alpha):
        def update(w, state, oracle, t):
            delta = -alpha * state.delta - lr * oracle.grad(w)  # sign of the history term flipped
            return w + delta, MomentumState(delta)

        return Optimizer("wrong-sign", lambda w: MomentumState(torch.zeros_like(w)), update)

    (v,) = run_study(studies["momentum"], "tiny", momentum=wrong_sign).verdicts
    assert v.outcome == REFUTED, v.evidence()
    (ok,) = run_study(studies["momentum"], "tiny").verdicts
    assert ok.outcome == REPRODUCED


def test_gd6_refuted_by_an_inexact_line_search(studies):
    exact = steepest_descent("quadratic")

    def update(w, state, oracle, t):
        w_new, st = exact.update(w, state, oracle, t)
        return w + 0.9 * (w_new - w), SteepestState(0.9 * st.eta)  # 10% short of the minimiser

    (v,) = run_study(studies["steepest"], "tiny", numeric=Optimizer("short", exact.init, update)).verdicts
    assert v.outcome == REFUTED and "differ" in v.summary


def test_bp1_refuted_by_a_backprop_with_one_transposed_weight(studies):
    def transposed(mlp, w, idx=None):
        p = mlp.layout.unflatten(w.clone())
        if "W2" in p and p["W2"].shape[-1] == p["W2"].shape[-2]:
            p["W2"].copy_(p["W2"].transpose(-1, -2))  # the error sent back through W2^T instead of W2
        g = delta_rule_gradient(mlp, mlp.layout.flatten(p), idx)
        return g

    v = _verdicts(studies, "backprop", gradient=transposed)
    assert v["BP-1"].outcome == REFUTED
    assert _verdicts(studies, "backprop")["BP-1"].outcome == REPRODUCED

"""Online convex optimisation in the engine (convcheck.objectives.online), and the adam2015 suite's
planted wrong inputs."""

import numpy as np
import pytest
import torch

from convcheck import engine
from convcheck.claims import INCONCLUSIVE, REFUTED
from convcheck.objectives import OnlineLinear
from convcheck.optim import gradient_descent, inverse_sqrt_t
from convcheck.study import discover, run_study


def test_regret_matches_a_hand_loop_with_projection():
    obj = OnlineLinear([[3.0], [-1.0], [-1.0]])
    w0 = torch.tensor([[0.5], [-0.2]], dtype=torch.float64)
    tr = engine.run(obj, gradient_descent(inverse_sqrt_t(0.3)), w0, 50, checkpoints=[0, 10, 50])
    x, R, seq = w0.clone(), torch.zeros(2, dtype=torch.float64), {}
    for t in range(1, 51):
        c = [3.0, -1.0, -1.0][(t - 1) % 3]
        R += c * x[:, 0] - c * (-1.0)
        x = (x - 0.3 / np.sqrt(t) * c).clamp(-1, 1)
        seq[t] = R.clone()
    np.testing.assert_allclose(tr.metrics["regret"][:, 1:], torch.stack([seq[10], seq[50]], 1).numpy(), rtol=1e-14)
    np.testing.assert_allclose(tr.metrics["avg_regret"][:, 2], seq[50].numpy() / 50, rtol=1e-14)
    assert tr.metrics["regret"][:, 0].tolist() == [0.0, 0.0]
    assert (tr.final.abs() <= 1).all()


def test_stochastic_rounds_are_reproducible_and_pseudo_regret_is_the_expected_loss():
    obj = OnlineLinear([[10.0], [-1.0]], schedule="iid", probs=[0.2, 0.8])
    assert obj.w_star.item() == -1.0 and abs(obj.mean.item() - (0.2 * 10 - 0.8)) < 1e-15
    w0 = torch.zeros(4, 1, dtype=torch.float64)
    a = engine.run(obj, gradient_descent(0.01), w0, 200, generator=torch.Generator().manual_seed(5))
    b = engine.run(obj, gradient_descent(0.01), w0, 200, generator=torch.Generator().manual_seed(5))
    assert np.array_equal(a.metrics["regret"], b.metrics["regret"])
    assert (a.metrics["regret"] >= 0).all()  # F(x) - F(-1) = 1.2 (x + 1) >= 0 on [-1, 1]
    with pytest.raises(ValueError, match="'generator'"):
        engine.run(obj, gradient_descent(0.01), w0, 10)


def test_rows_carry_their_own_losses_and_bad_input_is_named():
    vals = torch.full((2, 4, 1), -1.0, dtype=torch.float64)
    vals[:, 0, 0] = torch.tensor([3.0, 4.0])
    obj = OnlineLinear(vals, periods=[3, 4])
    g = torch.stack([obj.grad_at(torch.zeros(2, 1, dtype=torch.float64), t, None)[:, 0] for t in range(1, 9)], 1)
    assert g.tolist() == [[3, -1, -1, 3, -1, -1, 3, -1], [4, -1, -1, -1, 4, -1, -1, -1]]
    with pytest.raises(ValueError, match="best fixed point in hindsight"):
        OnlineLinear([[1.0], [-3.0]], comparator=[-1.0])
    with pytest.raises(ValueError, match="'periods'"):
        OnlineLinear(vals, periods=[3, 5])
    with pytest.raises(ValueError, match="rows"):
        engine.run(obj, gradient_descent(0.1), torch.zeros(3, 1, dtype=torch.float64), 5)


# --- the adam2015 suite: planted wrong methods in its roles ---------------------------------------

def _adam_as_amsgrad(lr, betas, eps):
    """Planted wrong: 'Adam' that is secretly AMSGrad, which converges on Reddi et al.'s problems."""
    from _adam2015 import amsgrad

    return amsgrad(lr, betas, eps)


def _jump_to_optimum(lr, betas, eps):
    """Planted wrong: an 'Adam' that ignores its gradients and sits at x* = -1 from the first step."""
    from convcheck.optim import Optimizer

    return Optimizer("at-optimum", lambda w: (), lambda w, state, oracle, t: (torch.full_like(w, -1.0), state))


def _amsgrad_without_max(lr, betas, eps):
    """Planted wrong: 'AMSGrad' without its long-term memory (the max): Adam without bias correction."""
    from _adam2015 import _adam_like

    return _adam_like(lr, betas, eps, 1.0, long_memory=False, debias=False, name="no-max")


@pytest.fixture(scope="module")
def adam2015():
    return discover(suite="adam2015")


def test_adam2015_planted_wrong_methods(adam2015):
    v = {x.claim: x for x in run_study(adam2015["reddi"], "tiny", seeds=12, methods={"adam": _adam_as_amsgrad}).verdicts}
    assert v["RKK-1"].outcome == REFUTED, v["RKK-1"].evidence()
    # existence claims cannot be refuted by a finite search: with no failing problem found they
    # are inconclusive, never reproduced
    v = {x.claim: x for x in run_study(adam2015["reddi"], "tiny", methods={"adam": _jump_to_optimum}).verdicts}
    assert v["RKK-2"].outcome == INCONCLUSIVE and v["RKK-3"].outcome == INCONCLUSIVE, (v["RKK-2"].summary, v["RKK-3"].summary)
    ams = {x.reading: x for x in run_study(adam2015["amsgrad"], "tiny", methods={"amsgrad": _amsgrad_without_max}).verdicts}
    assert ams["as written"].outcome == REFUTED, ams["as written"].evidence()
    assert ams[adam2015["amsgrad"].SQRT_T].outcome == REFUTED, ams[adam2015["amsgrad"].SQRT_T].evidence()
    constants = ams[adam2015["amsgrad"].CONSTANTS]  # Theorem 4's bound with its constants fails for Adam's short memory
    assert constants.outcome == REFUTED, constants.evidence()
    v = run_study(adam2015["kingma_ba"], "tiny", seeds=12, methods={"adam_kb": lambda lr, betas, eps: gradient_descent(0.5)}).verdicts[0]
    assert v.outcome == REFUTED  # a fixed step never stops oscillating: linear regret (the true Adam is refuted too)


def test_torch_amsgrad_through_check_and_plain_adam_refuted():
    from convcheck import check

    ok = check("torch.optim:Adam", "adam2015:AMS-1", hyper={"amsgrad": True}, scale="tiny")
    library = check(None, "adam2015:AMS-1", scale="tiny")
    assert ok.verdicts and [v.key for v in ok.verdicts] == [v.key for v in library.verdicts], ok.evidence()
    with pytest.raises(ValueError, match="runs with amsgrad=False by default"):  # no silent verdict for plain Adam
        check("torch.optim:Adam", "AMS-1", suite="adam2015", scale="tiny")
    bad = check("torch.optim:Adam", "AMS-1", suite="adam2015", scale="tiny", hyper={"amsgrad": False})  # asked for
    assert bad.refuted, bad.evidence()


def test_realised_regret_is_the_regret_of_the_drawn_losses():
    import numpy as np
    import torch

    from convcheck import engine
    from convcheck.objectives import OnlineLinear
    from convcheck.optim import inverse_sqrt_t, sgd
    from convcheck.seeding import torch_generator

    metrics = ("regret", "realised_regret")
    w0 = torch.zeros(4, 1, dtype=torch.float64)
    periodic = OnlineLinear([[3.0], [-1.0], [-1.0]])
    tr = engine.run(periodic, sgd(inverse_sqrt_t(0.1)), w0, 300, metrics=metrics)
    np.testing.assert_array_equal(tr.metrics["regret"], tr.metrics["realised_regret"])  # a fixed sequence: the same
    iid = OnlineLinear([[10.0], [-1.0]], schedule="iid", probs=[0.2, 0.8])
    tr = engine.run(iid, sgd(inverse_sqrt_t(0.1)), w0, 3000, metrics=metrics, generator=torch_generator("realised"))
    # sum_t c_t (x_t - x*) with the drawn c_t: recomputed from the same draws and the same iterates
    k = iid.draw_block(1, 3000, 4, torch_generator("realised"), "cpu")  # (T, S)
    c = iid.values[0, :, 0][k]  # (T, S)
    x = engine.run(iid, sgd(inverse_sqrt_t(0.1)), w0, 3000, checkpoints=np.arange(3001), metrics=metrics,
                   generator=torch_generator("realised"), keep_iterates=True).iterates[:, :-1, 0].T  # x_1 .. x_T
    expected = (c * (x - iid.w_star[0])).sum(0)
    np.testing.assert_allclose(tr.metrics["realised_regret"][:, -1], expected.numpy(), rtol=1e-10)
    assert not np.allclose(tr.metrics["realised_regret"], tr.metrics["regret"])  # the pseudo-regret is another number

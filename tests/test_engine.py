"""The engine: batched runs equal per-seed runs, divergence is an outcome, counts are right."""

import numpy as np
import pytest
import torch

from convcheck import engine
from convcheck.objectives import LeastSquares, Quadratic, WithReplacement
from convcheck.optim import gradient_descent, sgd
from convcheck.seeding import seed_from, torch_generator


def test_checkpoints_are_log_spaced_and_cover_the_ends():
    ck = engine.log_checkpoints(10_000, per_decade=10)
    assert ck[0] == 0 and ck[-1] == 10_000 and np.all(np.diff(ck) > 0)
    assert 35 <= ck.size <= 45
    dense = engine.log_checkpoints(1000, dense_tail=50)
    assert (dense >= 100).sum() >= 50


def test_batched_run_equals_loop_over_seeds():
    q = Quadratic.random(6, torch.Generator().manual_seed(0), kappa=20.0)
    w0 = torch.randn(5, 6, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    batched = engine.run(q, gradient_descent(0.5), w0, 200)
    for s in range(5):
        single = engine.run(q, gradient_descent(0.5), w0[s:s + 1], 200)
        np.testing.assert_allclose(single.metrics["gap"][0], batched.metrics["gap"][s], rtol=1e-12, atol=1e-300)


def test_gd_step_is_the_equation():
    q = Quadratic.random(4, torch.Generator().manual_seed(2))
    w0 = torch.randn(2, 4, generator=torch.Generator().manual_seed(3), dtype=torch.float64)
    tr = engine.run(q, gradient_descent(0.3), w0, 1, checkpoints=[1])
    w1 = w0 - 0.3 * (w0 - q.w_star) @ q.A
    np.testing.assert_allclose(tr.metrics["gap"][:, 0], q.gap(w1).numpy(), rtol=1e-13)


def test_divergence_is_recorded_not_raised():
    q = Quadratic.random(5, torch.Generator().manual_seed(4), L=1.0, kappa=2.0)
    w0 = q.w_star + torch.ones(3, 5, dtype=torch.float64)
    lr = torch.tensor([0.5, 1.9, 2.5], dtype=torch.float64)  # the last is above 2/L
    tr = engine.run(q, gradient_descent(lr), w0, 500)
    assert tr.diverged_at[0] == -1 and tr.diverged_at[1] == -1 and tr.diverged_at[2] > 0
    assert np.isnan(tr.metrics["gap"][2, -1]) and np.isfinite(tr.metrics["gap"][:2]).all()


def test_gradient_evaluations_are_counted():
    ls = LeastSquares.planted(50, 3, torch.Generator().manual_seed(5))
    w0 = torch.zeros(2, 3, dtype=torch.float64)
    full = engine.run(ls, gradient_descent(0.1), w0, 10, checkpoints=[0, 5, 10])
    assert full.grad_evals.tolist() == [0, 250, 500]
    mb = engine.run(ls, sgd(0.1), w0, 10, checkpoints=[10], sampler=WithReplacement(50, 4),
                    generator=torch.Generator().manual_seed(0))
    assert mb.grad_evals.tolist() == [40]


def test_same_seed_same_bits():
    ls = LeastSquares.planted(50, 3, torch_generator("p"))
    runs = [engine.run(ls, sgd(0.05), torch.zeros(4, 3, dtype=torch.float64), 300, sampler=WithReplacement(50),
                       generator=torch_generator("s")).metrics["gap"] for _ in range(2)]
    assert np.array_equal(runs[0], runs[1])


def test_seeds_derive_from_names():
    assert seed_from("a", 1) == seed_from("a", 1) != seed_from("a", 2)
    assert 0 <= seed_from("x") < 2**63


@pytest.mark.parametrize("kw, needle", [
    ({"steps": 0}, "'steps' parameter must be an int in the range [1, inf). Got 0"),
    ({"checkpoints": [0, 99]}, "'checkpoints' parameter must lie in the range [0, 10]"),
    ({"sampler": WithReplacement(5)}, "'generator' parameter"),
])
def test_engine_bad_input(kw, needle):
    q = Quadratic.random(3, torch.Generator().manual_seed(0))
    args = {"steps": 10, **kw}
    with pytest.raises(ValueError) as err:
        engine.run(q, gradient_descent(0.1), torch.zeros(1, 3, dtype=torch.float64), **args)
    assert needle in str(err.value)


def test_bad_step_size():
    with pytest.raises(ValueError, match=r"'lr' parameter must be a float in the range \(0, inf\). Got -1"):
        gradient_descent(-1)


def test_start_and_objective_must_agree_on_device_and_dtype():
    import pytest
    import torch

    from convcheck import engine
    from convcheck.objectives import Quadratic
    from convcheck.optim import gradient_descent

    q = Quadratic(torch.linspace(0.1, 1, 3, dtype=torch.float64), rotate=False, w_star=torch.zeros(3, dtype=torch.float64))
    with pytest.raises(ValueError, match="where the objective does"):
        engine.run(q, gradient_descent(0.1), torch.zeros(2, 3, dtype=torch.float32), 5)


def test_a_run_that_cannot_fit_stops_before_allocating_and_names_what_fits(monkeypatch):
    from convcheck import memory
    from convcheck.executors import describe_failure as _describe_failure

    ls = LeastSquares.planted(50, 3, torch.Generator().manual_seed(5))
    w0 = torch.zeros(40, 3, dtype=torch.float64)
    per_row = memory.bytes_per_row(3, 8, checkpoints=11, metrics=3, samples=50)
    monkeypatch.setattr(memory, "free_bytes", lambda device: 10.5 * per_row / memory.USABLE)  # room for 10 rows
    with pytest.raises(memory.TooManyRows) as info:
        engine.run(ls, gradient_descent(0.1), w0, 10, checkpoints=np.arange(11))
    assert (info.value.rows, info.value.fits) == (40, 10)
    # 40 rows from 8 seeds (5 settings): 10 rows are 2 seeds
    assert _describe_failure(info.value, 8).endswith("at most 2 seeds fit here (--seeds 2)")
    engine.run(ls, gradient_descent(0.1), w0[:10], 10, checkpoints=np.arange(11))  # 10 rows fit and run


def test_an_allocator_failure_names_an_upper_estimate_of_the_seeds_that_fit(monkeypatch):
    from convcheck import memory
    from convcheck.executors import describe_failure as _describe_failure

    monkeypatch.setattr(memory, "free_bytes", lambda device: 2.0**30 / memory.USABLE)
    exc = RuntimeError("DefaultCPUAllocator: can't allocate memory: you tried to allocate 4294967296 bytes")
    assert "at most about 250 seeds fit" in _describe_failure(exc, 1000)
    cuda = RuntimeError("CUDA out of memory. Tried to allocate 2.00 GiB (GPU 0; 79.1 GiB total capacity)")
    assert "at most about 500 seeds fit" in _describe_failure(cuda, 1000)


def _excursion_run(steps, lr):
    """GD on the curvatures 50.5 and 0.7 from distance 1: with steps 1/t the stiff direction grows by
    |1 - 50.5/t| per step until t = 50, to about 1.7e14, then contracts."""
    q = Quadratic(torch.tensor([0.7, 50.5], dtype=torch.float64), rotate=False)
    w0 = q.w_star + torch.tensor([[0.6, 0.8]] * 3, dtype=torch.float64)
    return engine.run(q, gradient_descent(lr), w0, steps)


def test_a_transient_excursion_is_not_divergence():
    tr = _excursion_run(20_000, lambda t: 1.0 / t)
    assert not tr.diverged.any() and np.isfinite(tr.metrics["gap"]).all()
    exc = tr.info["excursions"]
    assert exc["rows"] == [0, 1, 2] and min(exc["peak_distance"]) > 1e13 and all(b is not None for b in exc["back_at"])
    assert tr.metrics["gap"][:, -1].max() < 1e-6  # and the run reaches the optimum: the claim's criterion judges it


def test_a_run_still_growing_at_the_horizon_diverged_and_one_on_its_way_back_did_not():
    grows = _excursion_run(300, 2.5 / 50.5)  # a constant step above 2/L: |1 - 2.5| > 1 at every step
    assert grows.diverged.all() and np.isnan(grows.metrics["gap"][:, -1]).all()
    assert (grows.diverged_at > 0).all() and "excursions" not in grows.info
    returning = _excursion_run(40, lambda t: 1.0 / t)  # still outside the ball at t = 40, but contracting
    assert not returning.diverged.any() and returning.info["excursions"]["back_at"] == [None] * 3

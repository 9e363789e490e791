"""The judgments the gradient-descent studies added (convcheck.judgments): each passes on the right
input and FAILS on a planted wrong one."""

import numpy as np
import pytest
import torch

from convcheck.claims import INCONCLUSIVE, REFUTED, REPRODUCED
from convcheck.evidence import Computations, Samples
from convcheck.judgments import AllOf, AtLeast, AtMost, Identity
from convcheck.objectives import Quadratic


def _quadratic():
    return Quadratic.random(5, torch.Generator().manual_seed(0), L=1.0, kappa=10.0)


def test_all_of_holds_when_every_fact_holds_and_fails_on_one_planted_fact():
    q = _quadratic()
    judgment = AllOf({"same step": Identity("EXACT_RTOL"), "step at least 1/2": AtLeast(0.5)})
    steps = np.array([3.0, 7.0, 12.0])
    right = {"same step": Computations.on(q, steps, steps.copy(), what="stops"),
             "step at least 1/2": Samples.on(q, np.array([0.5, 1.0]), what="eta L")}
    assert judgment.judge(right).outcome == REPRODUCED
    wrong = dict(right, **{"same step": Computations.on(q, steps + 1, steps, what="stops")})  # one step late
    assert judgment.judge(wrong).outcome == REFUTED
    low = dict(right, **{"step at least 1/2": Samples.on(q, np.array([0.25, 1.0]), what="eta L")})
    assert judgment.judge(low).outcome == REFUTED
    # a part may measure only some facts; an undecided fact leaves the whole undecided, not refuted
    assert judgment.judge({"step at least 1/2": right["step at least 1/2"]}).outcome == REPRODUCED
    open_ = Samples.on(q, np.array([0.25, 1.0]), what="eta L", undecided=[True, False])
    assert judgment.judge({"step at least 1/2": open_}).outcome == INCONCLUSIVE


def test_all_of_refuses_a_fact_it_does_not_declare():
    q = _quadratic()
    with pytest.raises(ValueError, match="facts"):
        AllOf({"a": AtMost(1.0)}).judge({"b": Samples.on(q, np.ones(2), what="x")})
    assert AllOf({"a": AtMost(1.0)}, of="bound").kind == "bound"


def test_above_roundoff_keeps_the_steps_before_a_gap_reaches_round_off_in_its_dtype():
    from convcheck.evidence import above_roundoff

    gaps = np.array([[1.0, 1e-6, 1e-14, 0.0, np.nan]])
    assert above_roundoff(gaps, 1.0).tolist() == [[True, True, False, False, False]]
    # float32 round-off is 2^29 times coarser: 1e-6 of the scale is round-off there
    assert above_roundoff(torch.tensor(gaps, dtype=torch.float32), 1.0).tolist() == [[True, False, False, False, False]]
    assert above_roundoff(gaps, np.array([[1e8]])).tolist() == [[True, False, False, False, False]]


def test_gd5_tuned_step_is_the_grid_point_with_the_fewest_iterations():
    """GD's speed-tuned step on a 2-D quadratic (kappa 100) is the grid point whose contraction
    max(|1 - h|, |1 - h/kappa|) is smallest (2/(L + mu) = 1.98/L lies between two of them); a planted
    budget too short to reach the tolerance still picks a grid step (by the final distance).
    Heavy ball's tuned step reaches the tolerance in no more iterations than any other grid step."""
    from momentum import tuned_step

    from convcheck.optim import gradient_descent, heavy_ball

    q = Quadratic(torch.tensor([1.0, 0.01], dtype=torch.float64), torch.Generator().manual_seed(0))
    w0 = q.w_star + torch.randn(4, 2, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    h, hs, its = tuned_step(q, gradient_descent, None, w0, 16, 5000)
    contraction = np.maximum(np.abs(1 - hs), np.abs(1 - hs / 100))
    assert h == hs[np.argmin(contraction)] and 1.9 < h < 2.0
    short, _, none = tuned_step(q, gradient_descent, None, w0, 16, 20)  # nothing reaches 1e-6 in 20 steps
    assert np.isinf(none).all() and short in hs  # ordered by the final distance instead
    hm, hs_m, its_m = tuned_step(q, lambda lr, momentum: heavy_ball(lr, momentum), 0.5, w0, 16, 5000)
    assert its_m[hs_m == hm][0] == its_m.min() and hs_m.max() < 3.0


def test_op7_as_written_refutes_a_run_stalled_at_a_strict_saddle_and_passes_runs_that_avoid_it():
    """GD at 0.9/L on WellsPlane from random starts avoids the saddles; a planted start on the
    saddle's stable manifold (the symmetry axis x = 0, where the x-gradient is exactly 0 and GD
    descends along y into the saddle: a measure-zero set of starts) is a run that ends at a saddle,
    and refutes OP-7's judgment."""
    from quadratic_net import LEE_AVOIDS

    from convcheck import engine
    from convcheck.objectives import WellsPlane
    from convcheck.optim import gradient_descent

    obj = WellsPlane()

    def measured(w0):
        tr = engine.run(obj, gradient_descent(0.9 / obj.L), w0, 600, checkpoints=[0, 600])
        return {"excess": Samples.on(obj, tr.metrics["gap"][:, -1] / (1 + obj.f_star), what="excess"),
                "gradient": Samples.on(obj, tr.metrics["grad_norm"][:, -1], what="gradient"),
                "curvature": Samples.on(obj, torch.linalg.eigvalsh(obj.hessian(tr.final))[:, 0].numpy(), what="curvature")}

    starts = (2 * torch.rand(32, 2, generator=torch.Generator().manual_seed(3), dtype=torch.float64) - 1) * obj.B
    ok = LEE_AVOIDS.judge(measured(starts))
    assert ok.outcome == REPRODUCED and "0 failures in 32" in ok.summary
    on_axis = obj.saddles[(np.abs(obj.saddles[:, 0]) < 1e-12) & (obj.saddles[:, 1] < 0)][0]  # below the centre, x = 0
    saddle = torch.tensor([[0.0, on_axis[1]]], dtype=torch.float64)  # on the symmetry axis x = 0: its stable manifold
    bad = LEE_AVOIDS.judge(measured(torch.cat([starts[:31], saddle])))
    assert bad.outcome == REFUTED and "1 failures in 32" in bad.summary

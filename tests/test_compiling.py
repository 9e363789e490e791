"""Compiled steps (:mod:`convcheck.compiling`): the same runs as the eager engine, to round-off.

A compiled step is ``torch.compile`` of the engine's step with the step number as a device
tensor. It must give the eager run's numbers (fused kernels round differently: relative 1e-12
is a thousand times the differences measured in float64), the same divergence steps and the
same evaluation counts; a compiled step that lost track of the step number is caught; a run
that cannot compile says why and runs eagerly.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from convcheck import compiling, engine
from convcheck.objectives import LeastSquares, WithReplacement
from convcheck.optim import (adam, armijo, heavy_ball, inverse_sqrt_t, inverse_t, sam, sgd, strongly_convex)
from convcheck.seeding import torch_generator
from convcheck.stopping import Stopping

RTOL = 1e-12

pytestmark = pytest.mark.filterwarnings("ignore")  # dynamo's notes on its own caches


def _problem(dtype=torch.float64, device="cpu"):
    ls = LeastSquares.planted(50, 6, torch_generator("compile-problem"), L=1.0, kappa=10.0, noise=0.5, dtype=dtype,
                              device=device)
    w0 = ls.w_star + torch.randn(8, 6, generator=torch_generator("compile-w0"), dtype=dtype).to(device)
    return ls, w0


def _run(make, compile, steps=60, dtype=torch.float64, device="cpu", **kw):
    ls, w0 = _problem(dtype, device)
    return engine.run(ls, make(), w0, steps, sampler=WithReplacement(50, 2), generator=torch_generator("compile-s"),
                      compile=compile, **kw)


def _agree(a, b, rtol=RTOL):
    for k in a.metrics:
        x, y = a.metrics[k], b.metrics[k]
        assert np.array_equal(np.isnan(x), np.isnan(y)), k
        ok = ~np.isnan(x)
        scale = np.maximum(np.abs(x[ok]), np.abs(y[ok])) + 1e-300
        assert np.max(np.abs(x[ok] - y[ok]) / scale, initial=0.0) <= rtol, k
    np.testing.assert_array_equal(a.diverged_at, b.diverged_at)
    np.testing.assert_array_equal(a.grad_evals, b.grad_evals)


METHODS = {
    "sgd 1/sqrt(t)": lambda: sgd(inverse_sqrt_t(0.3)),
    "sgd per row": lambda: sgd(torch.linspace(0.05, 0.4, 8, dtype=torch.float64)),
    "heavy ball 1/t": lambda: heavy_ball(inverse_t(0.5), 0.9),
    "adam": lambda: adam(0.05),
    "adam as written (first_k = 0: the first step divides by zero)": lambda: __import__("_survey").adam_survey(0.05, first_k=0),
    "sam-swp": lambda: sam(0.1, rho=0.05, swp="coordinate", generator=torch_generator("compile-swp")),
}


@pytest.mark.parametrize("name", sorted(METHODS))
def test_a_compiled_run_is_the_eager_run_to_round_off(name):
    """Log-spaced checkpoints (single steps early, calls of STEPS_PER_CALL steps later) and two
    checkpoints only (calls of several steps throughout, single steps at the end)."""
    for checkpoints in (None, [0, 61]):
        eager, comp = (_run(METHODS[name], c, steps=61, checkpoints=checkpoints) for c in (False, True))
        assert eager.info["compiled"] is False and comp.info["compiled"] is True, comp.info["compiled_not"]
        _agree(eager, comp)
        assert comp.final.dtype == torch.float64
        np.testing.assert_allclose(comp.final.numpy(), eager.final.numpy(), rtol=RTOL, atol=0)


def test_the_check_fails_when_the_compiled_step_loses_the_step_number(monkeypatch):
    """Planted: a compiled step that always sees t = 1 (a graph replaying its first step)."""
    real = compiling.compile_step

    def frozen_t(fn, device):
        compiled = real(fn, device)
        one = torch.ones((), dtype=torch.float64)
        return lambda w, state, div_at, avg, idx, t: compiled(w, state, div_at, avg, idx, one)

    make = lambda: sgd(inverse_t(0.5))  # noqa: E731
    eager = _run(make, False)
    monkeypatch.setattr(compiling, "compile_step", frozen_t)
    with pytest.raises(AssertionError):
        _agree(eager, _run(make, True))


def test_float32_compiled_steps_stay_float32():
    run = _run(lambda: adam(inverse_sqrt_t(0.05)), True, dtype=torch.float32)
    assert run.info["compiled"] and run.final.dtype == torch.float32
    _agree(_run(lambda: adam(inverse_sqrt_t(0.05)), False, dtype=torch.float32), run, rtol=1e-5)


@pytest.mark.parametrize("schedule,ulps", [(inverse_t(0.7), 0), (strongly_convex(0.3, 2.0), 0), (inverse_sqrt_t(0.7), 2)])
def test_schedules_give_the_same_value_for_a_tensor_step_number(schedule, ulps):
    """Exact for divisions (``divide``); torch's CPU sqrt is not correctly rounded (vectorised: 240
    of the first 20,000 integers differ from ``math.sqrt`` by one ulp here), hence 2 ulps for
    c / sqrt(t)."""
    for t in list(range(1, 400)) + [10**6 + 7, 2**40 + 1]:
        a, b = schedule(t), float(schedule(torch.tensor(float(t), dtype=torch.float64)))
        assert abs(b - a) <= ulps * math.ulp(a), (t, a, b)


def test_runs_that_cannot_compile_say_why():
    ls, w0 = _problem()
    stopped = engine.run(ls, sgd(0.1), w0, 20, compile=True, stop=Stopping(grad_tol=1e-3))
    assert stopped.info["compiled"] is False and stopped.info["compiled_not"] == "stopping criteria"
    searched = engine.run(ls, armijo(), w0, 5, compile=True)
    assert searched.info["compiled"] is False and "armijo" in searched.info["compiled_not"]
    plain = engine.run(ls, sgd(0.1), w0, 5, compile=False)
    assert plain.info == {**plain.info, "compiled": False, "compiled_not": "not asked"}
    short = engine.run(ls, sgd(0.1), w0, 5)  # the default: auto
    assert short.info["compiled"] is False and short.info["compiled_not"] == "auto: fewer than 500000 steps"
    with pytest.raises(ValueError, match="The 'compile' parameter must be one of \\['auto', 'on', 'off'\\]. Got 'yes'"):
        engine.run(ls, sgd(0.1), w0, 5, compile="yes")


def test_auto_compiles_long_cpu_runs_only(monkeypatch):
    from convcheck.optim import Optimizer

    monkeypatch.setattr(compiling, "AUTO_MIN_STEPS", 40)
    ls, w0 = _problem()
    assert engine.run(ls, sgd(0.1), w0, 40).info["compiled"] is True
    assert engine.run(ls, sgd(0.1), w0, 39).info["compiled"] is False
    cuda = compiling.plan("auto", steps=10**6, device=torch.device("cuda"), online=False, stop=None,
                          optimizer=Optimizer("x", None, None))
    assert cuda == (False, "auto: compiles on the CPU only (cuda: --compile on to ask)")


def _failing_compile(at: int):
    """A stand-in for ``compiling.compile_step`` whose step runs eagerly and raises at its ``at``-th call."""
    calls = []

    def compile_step(fn, device):
        def step(*args):
            calls.append(1)
            if len(calls) == at:
                raise RuntimeError("planted")
            return fn(*args)
        return step

    return compile_step


def test_a_failing_compiled_step_is_redone_eagerly(monkeypatch):
    make = lambda: sgd(inverse_t(0.5))  # noqa: E731
    eager = _run(make, False)
    monkeypatch.setattr(compiling, "compile_step", _failing_compile(5))
    run = _run(make, True)
    assert run.info["compiled"] is False and run.info["compiled_not"] == "compile failed at step 5: RuntimeError"
    for k in eager.metrics:  # the step-5 batch was redone, not skipped: the same run, bit for bit
        np.testing.assert_array_equal(eager.metrics[k], run.metrics[k])


def test_rows_that_diverged_in_compiled_steps_stay_frozen_after_a_fallback(monkeypatch):
    """A compiled step reads nothing on the host, so the eager steps after a failed compile must
    freeze diverged rows at every step: the run equals the eager run, bit for bit, rows that
    diverged before the fallback included."""
    def make():  # SGD, except that the last row's step 3 is NaN (it diverges there, in a compiled step)
        base = sgd(0.1)

        def update(w, state, oracle, t):
            w_new, state = base.update(w, state, oracle, t)
            hit = torch.as_tensor(t == 3) & (torch.arange(w.shape[0]) == w.shape[0] - 1)
            return torch.where(hit.unsqueeze(-1), float("nan"), w_new), state

        return base._replace(update=update)

    eager = _run(make, False)
    monkeypatch.setattr(compiling, "compile_step", _failing_compile(12))
    run = _run(make, True)
    assert run.info["compiled_not"].startswith("compile failed at step")
    assert list(eager.diverged_at) == [-1] * 7 + [3]  # and its later steps, from where it was held, stay inside
    for k in eager.metrics:
        np.testing.assert_array_equal(eager.metrics[k], run.metrics[k])
    np.testing.assert_array_equal(eager.diverged_at, run.diverged_at)
    assert torch.equal(eager.final, run.final)


def test_the_tally_counts_compiled_and_eager_runs():
    ls, w0 = _problem()
    with compiling.compiling() as tally:
        engine.run(ls, sgd(0.1), w0, 5)
        engine.run(ls, armijo(), w0, 3)
        engine.run(ls, sgd(0.1), w0, 5, compile=False)
    assert tally["mode"] == "on" and tally["compiled"] == 1 and tally["eager"] == 2
    assert tally["eager_why"] == {"method 'armijo' reads data on the host inside its step": 1, "not asked": 1}
    assert compiling.wanted() == "auto"


def test_compiled_results_get_their_own_cache_entries():
    from convcheck.store import cache_key

    keys = {cache_key("src", {"steps": 3}, 8, "cpu", "float64", compile=m) for m in compiling.MODES}
    assert len(keys) == 3 and cache_key("src", {"steps": 3}, 8, "cpu", "float64") in keys


def test_a_study_run_compiled_records_its_tally(tmp_path):
    from convcheck.runner import run_suite
    from convcheck.store import read_json

    record = run_suite(["sgd_rates"], scale="tiny", device="cpu", out=tmp_path, progress=False, render=False,
                       compile="on")
    manifest = read_json(record.run_dir / "manifest.json")
    tally = manifest["studies"]["sgd_rates"]["compile"]
    assert manifest["compile"] == "on" and tally["compiled"] > 0 and tally["eager"] == 0
    assert math.isfinite(manifest["studies"]["sgd_rates"]["wall_time_s"])


@pytest.mark.parametrize("block_steps", [3, 20])
def test_calls_of_several_steps_respect_the_draws_blocks(monkeypatch, block_steps):
    """Blocks of 3 steps' draws (fewer than a call takes: single steps only) and of 20 (calls of
    8 steps inside a block, single steps up to its edge): the eager run to round-off, each step's
    own batch (a batch used twice or skipped would change the run by far more)."""
    real, calls = compiling.compile_step, {}

    def counted(fn, device):
        compiled = real(fn, device)

        def step(*args):
            calls[fn.__name__] = calls.get(fn.__name__, 0) + 1
            return compiled(*args)
        return step

    make = lambda: sgd(inverse_t(0.5))  # noqa: E731
    monkeypatch.setattr(engine, "BLOCK_INDICES", 8 * 2 * block_steps)  # 8 rows x batches of 2 per step
    eager = _run(make, False, steps=61, checkpoints=[0, 30, 61])
    monkeypatch.setattr(compiling, "compile_step", counted)
    comp = _run(make, True, steps=61, checkpoints=[0, 30, 61])
    _agree(eager, comp)
    np.testing.assert_allclose(comp.final.numpy(), eager.final.numpy(), rtol=RTOL, atol=0)
    if block_steps < engine.STEPS_PER_CALL:
        assert calls == {"advance": 61}
    else:
        assert calls.get("advance_k", 0) >= 4 and calls["advance"] + engine.STEPS_PER_CALL * calls["advance_k"] == 61


@pytest.mark.parametrize("compile", [False, True])
def test_the_running_average_is_the_mean_of_the_iterates(compile):
    """avg_gap at every step against the gap of the plain mean of w_1 .. w_t (from the kept
    iterates), eager and compiled (where calls of several steps carry the average too)."""
    ls, w0 = _problem()
    steps = 40
    make = lambda: sgd(inverse_sqrt_t(0.3))  # noqa: E731
    dense = engine.run(ls, make(), w0, steps, checkpoints=np.arange(steps + 1), sampler=WithReplacement(50, 2),
                       generator=torch_generator("compile-s"), average=True, keep_iterates=True, compile=compile)
    means = torch.cumsum(dense.iterates[:, 1:], dim=1) / torch.arange(1, steps + 1, dtype=torch.float64).view(1, -1, 1)
    want = torch.stack([ls.gap(means[:, i]) for i in range(steps)], dim=1).numpy()
    np.testing.assert_allclose(dense.metrics["avg_gap"][:, 1:], want, rtol=1e-12)
    sparse = _run(make, compile, steps=steps, checkpoints=[0, 20, steps], average=True)
    np.testing.assert_allclose(sparse.metrics["avg_gap"][:, -1], dense.metrics["avg_gap"][:, -1], rtol=1e-12)
    if compile:  # calls of 8 steps between the checkpoints, to round-off of the eager run
        _agree(_run(make, False, steps=steps, checkpoints=[0, 20, steps], average=True), sparse)

"""A class's closure called any number of times in a step, on every kind of oracle a study uses
(a finite sum's batch, an online round, a replayed gradient stream), and a failure blamed on
whoever failed: the class, or convcheck."""

import numpy as np
import pytest
import torch

from convcheck import engine
from convcheck.objectives import LeastSquares, OnlineLinear
from convcheck.optim import from_torch
from convcheck.optim.base import replay

import user_optimizers as uo

CLOSURE_CLASSES = [uo.TwiceClosureAdam, uo.NoClosureAdam, uo.ClosureAfterStepAdam]


def _adam(cls, instances="auto"):
    return from_torch(cls, instances=instances, lr=torch.tensor([0.1, 0.05, 0.1, 0.05]), betas=(0.9, 0.999), eps=1e-8)


@pytest.mark.parametrize("cls", CLOSURE_CLASSES)
@pytest.mark.parametrize("instances", ["auto", "per-seed"])
def test_a_replayed_stream_takes_any_number_of_closure_calls(cls, instances):
    gen = torch.Generator().manual_seed(0)
    w0, grads = torch.randn(4, 3, generator=gen, dtype=torch.float64), torch.randn(6, 4, 3, generator=gen, dtype=torch.float64)
    want = replay(_adam(torch.optim.Adam, "per-seed"), w0, grads)
    assert torch.equal(replay(_adam(cls, instances), w0, grads), want)


@pytest.mark.parametrize("cls", CLOSURE_CLASSES)
def test_an_online_round_with_rows_of_its_own_takes_any_number_of_closure_calls(cls):
    # one adversary per seed row (S, K, d): a point re-evaluated must be evaluated in its own row
    vals = torch.tensor([[[C], [-1.0], [-1.0]] for C in (3.0, 4.0, 5.0, 6.0)], dtype=torch.float64)
    obj = OnlineLinear(vals)
    w0 = torch.zeros(4, 1, dtype=torch.float64)
    ref = engine.run(obj, _adam(torch.optim.Adam), w0, 8, checkpoints=np.arange(9), keep_iterates=True)
    got = engine.run(obj, _adam(cls), w0, 8, checkpoints=np.arange(9), keep_iterates=True)
    assert torch.equal(got.iterates, ref.iterates)


def test_a_second_call_is_evaluated_at_the_point_where_it_is_made():
    # ClosureAfterStepAdam's loss is read at the new point: it counts one more evaluation per step there
    gen = torch.Generator().manual_seed(1)
    obj = LeastSquares.planted(20, 3, gen)
    w0 = torch.randn(4, 3, generator=gen, dtype=torch.float64)
    ref = engine.run(obj, _adam(torch.optim.Adam), w0, 5, checkpoints=np.arange(6), keep_iterates=True)
    got = engine.run(obj, _adam(uo.ClosureAfterStepAdam), w0, 5, checkpoints=np.arange(6), keep_iterates=True)
    assert torch.equal(got.iterates, ref.iterates)
    assert int(got.grad_evals[-1]) == 2 * int(ref.grad_evals[-1])


def _raised(fn):
    try:
        fn()
    except Exception as exc:  # the exception with its traceback, to be blamed
        return exc
    raise AssertionError("expected the call to raise")


def test_a_failure_is_blamed_on_the_class_or_on_convcheck(monkeypatch):
    from convcheck.failures import Misfit, blame, describe_failure
    from convcheck.optim import torch_adapter

    gen = torch.Generator().manual_seed(0)
    w0, grads = torch.randn(4, 3, generator=gen, dtype=torch.float64), torch.randn(3, 4, 3, generator=gen, dtype=torch.float64)
    # the class's own step raised: the class
    exc = _raised(lambda: replay(_adam(uo.BrokenStepAdam, "per-seed"), w0, grads))
    assert blame(exc, uo.BrokenStepAdam) == "class"
    assert describe_failure(exc, uo.BrokenStepAdam)[1].startswith("the class failed: RuntimeError")
    # torch.optim's own code raised (a bad beta reaches Adam's step): the class
    exc = _raised(lambda: replay(from_torch(torch.optim.Adam, instances="per-seed", lr=0.1, betas=(0.9,)), w0, grads))
    assert blame(exc, torch.optim.Adam) == "class"
    # convcheck's closure raised inside the class's step (the bug of a second call on a replayed stream,
    # planted back): convcheck, named as a bug with where it happened
    monkeypatch.setattr(torch_adapter, "_row_oracle", lambda oracle, params, g, s: torch_adapter._RowOracle(oracle, s))
    exc = _raised(lambda: replay(_adam(uo.TwiceClosureAdam, "per-seed"), w0, grads))
    assert isinstance(exc, AttributeError)
    who, words = describe_failure(exc, uo.TwiceClosureAdam)
    assert who == "convcheck" and "a bug of convcheck" in words and "torch_adapter.py" in words
    # convcheck refusing the class in a role: neither
    assert blame(Misfit("x"), uo.TwiceClosureAdam) == "fit"


def test_the_command_line_says_who_failed(capsys):
    from convcheck.cli import main

    assert main(["check", "user_optimizers:BrokenStepAdam", "--claim", "AD-3", "--scale", "tiny"]) == 3
    err = capsys.readouterr().err
    assert "the class failed: RuntimeError: this optimizer's own step failed" in err and "Traceback" not in err

"""No host-device traffic per step: batches and masks drawn in blocks (the same bits as one draw
per step), and an inner loop that never reads a tensor value on the host.

On a GPU a host read (``int(t)``, ``bool(t)``, ``t.item()``, ``t.cpu()``) waits for every queued
kernel, and a small copy per step costs a launch; both make a long run launch-bound. The CPU
cannot time that, but it can count it: the reads are counted over runs of N and 2N steps with
the same checkpoints, and must not grow with the steps. (On the CPU itself a read is free, and
the loop reads one flag per step to skip work; the counting runs the loop as a GPU would.)
"""

import numpy as np
import pytest
import torch

from convcheck import engine
from convcheck.objectives import LeastSquares, WithoutReplacement, WithReplacement
from convcheck.optim import adagrad, adam, asam, gradient_descent, heavy_ball, nesterov, rmsprop, sam, sgd
from convcheck.optim.sam import UniformBlocks
from convcheck.optim.schedules import inverse_sqrt_t
from convcheck.seeding import torch_generator


@pytest.mark.parametrize("K, S, b, n", [(1, 1, 1, 5), (5, 3, 2, 10), (64, 320, 1, 200), (7, 33, 4, 9)])
def test_a_block_of_batches_is_the_same_bits_as_one_draw_per_step(K, S, b, n):
    for sampler in (WithReplacement(n, b), WithoutReplacement(n, min(b, n))):
        twin = type(sampler)(n, sampler.b)
        block = sampler.draw_block(S, K, torch.Generator().manual_seed(3), "cpu")
        g = torch.Generator().manual_seed(3)
        steps = torch.stack([twin.draw(S, g, "cpu") for _ in range(K)])
        assert block.shape == (K, S, sampler.b) and torch.equal(block, steps)


def test_uniform_blocks_are_the_same_bits_as_one_draw_per_step():
    stream, g = UniformBlocks(torch.Generator().manual_seed(4), block=50), torch.Generator().manual_seed(4)
    like = torch.zeros(1, dtype=torch.float64)
    for _ in range(9):  # blocks of 50 // (3 * 4) = 4 steps: the stream crosses two block edges
        assert torch.equal(stream.next(3, 4, like), torch.rand(3, 4, generator=g, dtype=torch.float64))


def test_block_size_changes_no_bit_of_a_run(monkeypatch):
    ls = LeastSquares.planted(40, 3, torch_generator("blocks"))
    w0 = torch.zeros(5, 3, dtype=torch.float64)

    def run():
        return engine.run(ls, sgd(0.05), w0, 300, sampler=WithReplacement(40, 2), generator=torch_generator("b-s"))

    big = run()
    monkeypatch.setattr(engine, "BLOCK_INDICES", 1)  # one draw per step, as before blocks
    per_step = run()
    monkeypatch.setattr(engine, "BLOCK_INDICES", 37)  # blocks of 3 steps, a ragged last block
    ragged = run()
    for other in (per_step, ragged):
        np.testing.assert_array_equal(big.metrics["gap"], other.metrics["gap"])
        assert torch.equal(big.final, other.final)


class _HostReads:
    """Counts reads of tensor values on the host while active."""

    NAMES = ("__bool__", "__int__", "__float__", "__index__", "item", "tolist", "numpy", "cpu")

    def __init__(self, monkeypatch):
        self.count = 0
        for name in self.NAMES:
            monkeypatch.setattr(torch.Tensor, name, self._counting(getattr(torch.Tensor, name)))

    def _counting(self, fn):
        def wrapped(t, *a, **k):
            self.count += 1
            return fn(t, *a, **k)
        return wrapped


def _methods():
    groups = torch.tensor([0, 0, 1, 2])
    return {
        "gd": (gradient_descent(0.1), False), "sgd, 1/sqrt t": (sgd(inverse_sqrt_t(0.1)), True),
        "heavy ball": (heavy_ball(0.1, 0.5), False), "nesterov": (nesterov(0.1, 0.5), True),
        "adagrad": (adagrad(0.1), True), "rmsprop": (rmsprop(0.01), True), "adam": (adam(0.01), True),
        "adam, per-row lr": (adam(torch.tensor([0.01, 0.02, 0.03])), True),
        "sam": (sam(0.1, 0.05), True), "asam": (asam(0.1, 0.05), True),
        "sam-swp coordinate": (sam(0.1, 0.05, swp="coordinate", generator=torch.Generator().manual_seed(1)), True),
        "sam-swp tensor": (sam(0.1, 0.05, swp="tensor", groups=groups, generator=torch.Generator().manual_seed(1)), True),
        "sam-sds threshold": (sam(0.1, 0.05, sds="threshold"), True),
        "sam-sds fraction": (sam(0.1, 0.05, sds="fraction"), True),
    }


@pytest.mark.parametrize("name", list(_methods()))
def test_the_inner_loop_reads_nothing_on_the_host(monkeypatch, name):
    ls = LeastSquares.planted(64, 4, torch_generator("host"))
    w0 = ls.w_star + torch.randn(3, 4, generator=torch_generator("host-w0"), dtype=torch.float64)
    counts = []
    for steps in (200, 400):
        method, stochastic = _methods()[name]  # a fresh method per run
        kw = {"sampler": WithReplacement(64, 8), "generator": torch_generator("host-s")} if stochastic else {}
        monkeypatch.setattr(engine, "reads_are_free", lambda device: False)  # the loop as it runs on a GPU
        reads = _HostReads(monkeypatch)
        engine.run(ls, method, w0, steps, checkpoints=[0, steps], **kw)
        counts.append(reads.count)
        monkeypatch.undo()
    assert counts[0] == counts[1], f"{name}: {counts[0]} host reads in 200 steps, {counts[1]} in 400"


def test_the_counter_sees_a_host_read_per_step(monkeypatch):
    """The check above can fail: a method that reads a value on the host each step is caught."""
    def update(w, state, oracle, t):
        g = oracle.grad(w)
        return w - (0.1 if float(g.abs().max()) < 1e9 else 0.0) * g, state

    leaky = gradient_descent(0.1)._replace(update=update)
    ls = LeastSquares.planted(16, 2, torch_generator("leak"))
    counts = []
    for steps in (50, 100):
        monkeypatch.setattr(engine, "reads_are_free", lambda device: False)
        reads = _HostReads(monkeypatch)
        engine.run(ls, leaky, torch.zeros(2, 2, dtype=torch.float64), steps, checkpoints=[0, steps])
        counts.append(reads.count)
        monkeypatch.undo()
    assert counts[1] - counts[0] == 50


def test_online_rounds_drawn_in_blocks_are_the_same_bits(monkeypatch):
    from convcheck.objectives import OnlineLinear

    values = torch.tensor([[[1.0], [-0.5]], [[2.0], [-1.0]], [[3.0], [-0.2]]], dtype=torch.float64)  # 3 rows, best x = -1 for all
    problem = OnlineLinear(values, schedule="iid", probs=[[0.5, 0.5], [0.45, 0.55], [0.6, 0.4]])
    w0 = torch.zeros(3, 1, dtype=torch.float64)

    def run():
        return engine.run(problem, sgd(inverse_sqrt_t(0.1)), w0, 500, generator=torch_generator("online-blocks"))

    big = run()
    monkeypatch.setattr(engine, "BLOCK_INDICES", 1)
    per_round = run()
    monkeypatch.setattr(engine, "BLOCK_INDICES", 7)  # blocks of 2 rounds
    ragged = run()
    for other in (per_round, ragged):
        np.testing.assert_array_equal(big.metrics["regret"], other.metrics["regret"])


def test_the_cpu_loop_that_reads_a_flag_gives_the_gpu_loops_bits(monkeypatch):
    """On the CPU the loop skips the freeze of diverged rows while none has diverged (one flag read
    per step): the same bits as the select a GPU runs every step, with rows diverging mid-run."""
    ls = LeastSquares.planted(32, 3, torch_generator("freeze"))
    w0 = ls.w_star + torch.randn(4, 3, generator=torch_generator("freeze-w0"), dtype=torch.float64)
    lr = torch.tensor([0.1, 0.5, 5.0, 50.0], dtype=torch.float64)  # the last two rows diverge, at different steps

    def run():
        return engine.run(ls, gradient_descent(lr), w0, 300, checkpoints=np.arange(301))

    cpu = run()
    monkeypatch.setattr(engine, "reads_are_free", lambda device: False)
    gpu_like = run()
    assert (cpu.diverged_at[2:] > 0).all() and (cpu.diverged_at[:2] < 0).all()
    np.testing.assert_array_equal(cpu.metrics["gap"], gpu_like.metrics["gap"])
    np.testing.assert_array_equal(cpu.diverged_at, gpu_like.diverged_at)
    assert torch.equal(cpu.final, gpu_like.final)


def test_the_online_loop_that_reads_a_flag_gives_the_gpu_loops_bits(monkeypatch):
    """The online loop skips the freeze the same way: rows that go to NaN mid-run (a planted method)
    are held at their last point, with the bits of the select run every round."""
    from convcheck.objectives import OnlineLinear

    problem = OnlineLinear([[1.0], [-0.5], [0.25]])  # periodic, x* = -1
    w0 = torch.zeros(4, 1, dtype=torch.float64)
    breaks = torch.tensor([False, False, True, True]).unsqueeze(-1)

    def update(w, state, oracle, t):
        new = w - 0.1 / t ** 0.5 * oracle.grad(w)
        return (torch.where(breaks, new * float("nan"), new) if t >= 40 else new), state

    method = sgd(0.1)._replace(update=update)

    def run():
        return engine.run(problem, method, w0, 120, checkpoints=np.arange(121))

    cpu = run()
    monkeypatch.setattr(engine, "reads_are_free", lambda device: False)
    gpu_like = run()
    assert (cpu.diverged_at[2:] == 40).all() and (cpu.diverged_at[:2] < 0).all()
    np.testing.assert_array_equal(cpu.metrics["regret"], gpu_like.metrics["regret"])
    assert torch.isfinite(cpu.final).all() and torch.equal(cpu.final, gpu_like.final)  # held before their NaN


@pytest.mark.parametrize("table", [True, False])
def test_a_periodic_loss_vector_is_each_rounds_own(monkeypatch, table):
    """c_t from the table of one cycle (the periods' lcm, 6 here) or, where that table would be too
    big, looked up per call: every round's own vector, going back and forth over rounds."""
    from convcheck.objectives import OnlineLinear, online

    if not table:
        monkeypatch.setattr(online, "_CYCLE_TABLE_MAX", 0)
    problem = OnlineLinear([[[1.0], [-0.5], [0.25]], [[2.0], [-1.0], [0.5]]], periods=[3, 2])
    assert (problem._cycle is not None) == table
    w = torch.ones(2, 1, dtype=torch.float64)
    for t in (1, 1, 2, 5, 2, 3, 3, 4, 1, 7, 12):
        want = torch.tensor([[1.0, -0.5, 0.25][(t - 1) % 3], [2.0, -1.0][(t - 1) % 2]], dtype=torch.float64)
        assert torch.equal(problem.loss_at(w, t, None), want)
        assert torch.equal(problem.grad_at(w, t, None), want.unsqueeze(-1))

"""Batched step vs the obvious alternative: a Python loop over S torch.optim instances.

Run with ``pytest -m benchmark --benchmark-enable tests/benchmarks`` (out of the default
tier). Both sides do one full step on the same least-squares problem (n = 200, d = 100) for
S = 256 seeds: gradient of the mini-batch loss (b = 10) and the update. The loop side is
what a user writes by hand: per seed, autograd on its own parameter, then ``opt.step()``.
No test asserts a time; the ratios go into the README from the benchmark table.
"""

import pytest
import torch

from convcheck.objectives import LeastSquares, WithReplacement
from convcheck.optim import Oracle, adam, sam, sgd

pytestmark = pytest.mark.benchmark

S, D, N, B = 256, 100, 200, 10


@pytest.fixture(scope="module")
def setup():
    from convcheck._runtime import tune_process

    tune_process()  # both sides run under the same process settings
    torch.set_num_threads(1)
    g = torch.Generator().manual_seed(0)
    problem = LeastSquares.planted(N, D, g, kappa=10.0)
    w0 = torch.randn(S, D, generator=g, dtype=torch.float64)
    idx = WithReplacement(N, B).draw(S, g, "cpu")
    return problem, w0, idx


def _batched(problem, w0, idx, opt):
    state = opt.init(w0)

    def step():
        return opt.update(w0, state, Oracle(problem, idx), 1)[0]

    return step


def _loop(problem, w0, idx, make):
    params = [torch.nn.Parameter(w0[s].clone()) for s in range(S)]
    opts = [make([p]) for p in params]
    Xb, yb = problem.X[idx], problem.y[idx]

    def step():
        for s in range(S):
            opts[s].zero_grad()
            r = Xb[s] @ params[s] - yb[s]
            (0.5 * (r * r).mean()).backward()
            opts[s].step()

    return step


def _loop_sam(problem, w0, idx, rho=0.05):
    params = [torch.nn.Parameter(w0[s].clone()) for s in range(S)]
    opts = [torch.optim.SGD([p], lr=0.01) for p in params]
    Xb, yb = problem.X[idx], problem.y[idx]

    def loss(s):
        r = Xb[s] @ params[s] - yb[s]
        return 0.5 * (r * r).mean()

    def step():
        for s in range(S):
            p = params[s]
            opts[s].zero_grad()
            loss(s).backward()
            with torch.no_grad():
                e = rho * p.grad / p.grad.norm()
                p.add_(e)
            opts[s].zero_grad()
            loss(s).backward()
            with torch.no_grad():
                p.sub_(e)
            opts[s].step()

    return step


@pytest.mark.parametrize("which", ["sgd", "adam", "sam"])
def test_batched_step(benchmark, setup, which):
    problem, w0, idx = setup
    opt = {"sgd": sgd(0.01), "adam": adam(0.01), "sam": sam(0.01, rho=0.05)}[which]
    benchmark.group = which
    benchmark(_batched(problem, w0, idx, opt))


@pytest.mark.parametrize("which", ["sgd", "adam", "sam"])
def test_loop_over_torch_optim(benchmark, setup, which):
    problem, w0, idx = setup
    benchmark.group = which
    if which == "sam":
        benchmark(_loop_sam(problem, w0, idx))
    else:
        make = {"sgd": lambda ps: torch.optim.SGD(ps, lr=0.01), "adam": lambda ps: torch.optim.Adam(ps, lr=0.01)}[which]
        benchmark(_loop(problem, w0, idx, make))


# --- a user's torch.optim class in the engine: the adapter's layouts against the library's method --------

def _engine_run(problem, w0, opt, steps=50):
    from convcheck import engine

    def run():
        engine.run(problem, opt, w0, steps, checkpoints=[0, steps], sampler=WithReplacement(N, B),
                   generator=torch.Generator().manual_seed(1))

    return run


@pytest.mark.parametrize("layout", ["library", "blocks", "rows", "per-seed", "auto"])
def test_user_class_in_the_engine(benchmark, setup, layout):
    """50 engine steps of Adam over S = 256 seeds: the library's batched method, and
    torch.optim.Adam through the adapter in each layout (auto probes for 2 steps, then blocks)."""
    from convcheck.optim import from_torch

    problem, w0, _ = setup
    opt = adam(0.01) if layout == "library" else from_torch(torch.optim.Adam, instances=layout, lr=0.01)
    benchmark.group = "torch.optim.Adam in the engine"
    benchmark(_engine_run(problem, w0, opt))

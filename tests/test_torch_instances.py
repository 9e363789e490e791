"""A user's torch.optim class over S seeds, in three layouts (blocks of seed rows in one instance,
a parameter per seed in one instance, an instance per seed). ``instances="auto"`` keeps the
fastest layout that gives the per-seed path's bits; classes that couple their parameters fall
back."""

import pytest
import torch

import user_optimizers as uo
from convcheck import engine
from convcheck.objectives import LeastSquares, WithReplacement
from convcheck.optim import from_torch


def _run(opt, steps=30):
    g = torch.Generator().manual_seed(0)
    ls = LeastSquares.planted(50, 5, g)
    w0 = ls.w_star + torch.randn(6, 5, generator=g, dtype=torch.float64)
    return engine.run(ls, opt, w0, steps, sampler=WithReplacement(ls.n, 3), generator=torch.Generator().manual_seed(1))


ROWS = torch.tensor([0.01, 0.02, 0.05, 0.1, 0.2, 0.3], dtype=torch.float64)
CLASSES = {
    "SGD": (torch.optim.SGD, dict(lr=ROWS, momentum=0.5)),
    "SGD nesterov": (torch.optim.SGD, dict(lr=lambda t: ROWS / t**0.5, momentum=0.9, nesterov=True)),
    "Adam": (torch.optim.Adam, dict(lr=ROWS)),
    "AdamW": (torch.optim.AdamW, dict(lr=0.05, weight_decay=0.01)),
    "Adagrad": (torch.optim.Adagrad, dict(lr=ROWS, eps=1e-10)),
    "RMSprop": (torch.optim.RMSprop, dict(lr=0.01, alpha=0.9)),
}


@pytest.mark.parametrize("name", sorted(CLASSES))
def test_one_instance_gives_the_per_seed_bits(name):
    cls, hyper = CLASSES[name]
    per_seed = _run(from_torch(cls, instances="per-seed", **hyper))
    auto = from_torch(cls, **hyper)
    tr = _run(auto)
    assert auto.update.instances() == "blocks"
    assert torch.equal(tr.final, per_seed.final) and (tr.grad_evals == per_seed.grad_evals).all()
    for k in tr.metrics:
        assert (tr.metrics[k] == per_seed.metrics[k]).all()
    for layout in ("blocks", "rows"):
        assert torch.equal(_run(from_torch(cls, instances=layout, **hyper)).final, per_seed.final)


@pytest.mark.parametrize("cls", [uo.ModelSAM, uo.SAM], ids=["ascent over every parameter", "a closure call per parameter"])
def test_a_class_that_couples_its_parameters_runs_per_seed(cls):
    per_seed = _run(from_torch(cls, instances="per-seed", lr=0.1, rho=0.05))
    auto = from_torch(cls, lr=0.1, rho=0.05)
    tr = _run(auto)
    assert auto.update.instances() == "per-seed"
    assert torch.equal(tr.final, per_seed.final) and (tr.grad_evals == per_seed.grad_evals).all()
    for layout in ("blocks", "rows"):  # what the probe guards against
        one = _run(from_torch(cls, instances=layout, lr=0.1, rho=0.05))
        assert not (torch.equal(one.final, per_seed.final) and (one.grad_evals == per_seed.grad_evals).all())


def test_instances_is_checked():
    with pytest.raises(ValueError, match="'instances' parameter must be one of"):
        from_torch(torch.optim.SGD, instances="all", lr=0.1)


class NormalisedSGD(torch.optim.Optimizer):
    """A step of length lr along -g / ||g||, the norm taken per parameter tensor (as LARS and LAMB
    scale per tensor): right per seed, and per seed in one instance, but not over a block of seeds."""

    def __init__(self, params, lr):
        super().__init__(params, dict(lr=lr))

    @torch.no_grad()
    def step(self, closure=None):
        for group in self.param_groups:
            for p in group["params"]:
                p.add_(p.grad / p.grad.norm(), alpha=-group["lr"])


def test_a_per_tensor_method_runs_with_a_parameter_per_seed():
    per_seed = _run(from_torch(NormalisedSGD, instances="per-seed", lr=0.05))
    auto = from_torch(NormalisedSGD, lr=0.05)  # one step size: one block would hold every seed
    tr = _run(auto)
    assert auto.update.instances() == "rows" and torch.equal(tr.final, per_seed.final)


# --- a seed as several tensors (a model's layers) --------------------------------------------------------

@pytest.mark.parametrize("name", sorted(CLASSES))
def test_a_seed_as_several_tensors_gives_the_same_bits_for_an_elementwise_method(name):
    """Adam, SGD, ... work coordinate by coordinate: holding each seed as tensors of 2 + 3 changes nothing,
    in every layout (blocks hold column slices of the seed rows)."""
    cls, hyper = CLASSES[name]
    flat = _run(from_torch(cls, instances="per-seed", **hyper)).final
    for layout in ("auto", "blocks", "rows", "per-seed"):
        assert torch.equal(_run(from_torch(cls, instances=layout, tensors=(2, 3), **hyper)).final, flat), layout


def test_a_per_tensor_method_is_seen_per_tensor():
    """NormalisedSGD normalises each tensor by its own norm: with a seed held as 2 + 3 it takes another
    path than on the flat 5 (what a model's layers would see), and every layout agrees on it."""
    flat = _run(from_torch(NormalisedSGD, instances="per-seed", lr=0.05)).final
    split = _run(from_torch(NormalisedSGD, instances="per-seed", lr=0.05, tensors=(2, 3))).final
    assert not torch.allclose(flat, split)
    assert torch.equal(_run(from_torch(NormalisedSGD, lr=0.05, tensors=(2, 3))).final, split)


def test_tensors_is_checked():
    with pytest.raises(ValueError, match="'tensors' parameter must be positive sizes summing to the dimension 5"):
        _run(from_torch(torch.optim.SGD, lr=0.1, tensors=(2, 2)))

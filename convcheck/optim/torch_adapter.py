"""Run any ``torch.optim.Optimizer`` class in the engine: one instance per seed.

This is the slow, obvious path (a Python loop over seeds) that the batched optimizers are
benchmarked against, and the way a user's own optimizer class joins a study: it yields the
same :class:`~convcheck.trace.Trace` as the batched path.
"""

from __future__ import annotations

import torch

from .base import Optimizer

__all__ = ["from_torch"]


def from_torch(optimizer_class, **hyper) -> Optimizer:
    """An :class:`Optimizer` whose state is S instances of ``optimizer_class(**hyper)``.

    Each seed's parameters are a separate ``torch.nn.Parameter``; at every step the batched
    gradient is split by seed into ``.grad`` and each instance takes its ``step()``.
    """

    def init(params):
        ps = [torch.nn.Parameter(params[s].detach().clone()) for s in range(params.shape[0])]
        return ps, [optimizer_class([p], **hyper) for p in ps]

    def update(params, state, oracle, t):
        ps, opts = state
        g = oracle.grad(params)
        with torch.no_grad():
            for s, (p, opt) in enumerate(zip(ps, opts)):
                p.copy_(params[s])  # the engine may have frozen a diverged row
                p.grad = g[s].clone()
                opt.step()
            new = torch.stack([p.detach() for p in ps])
        return new, state

    return Optimizer(f"torch.{optimizer_class.__name__}", init, update, dict(hyper))

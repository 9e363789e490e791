"""The optimizer interface: a pair of pure functions over a leading seed axis.

An :class:`Optimizer` is ``(init, update)``::

    state = init(params)                                  # params: (S, d)
    params, state = update(params, state, oracle, t)      # t = 1, 2, ... (step number)

``oracle`` gives the loss and gradient of the objective on the batch drawn for step t (the
full objective for deterministic methods). An update may call ``oracle.grad`` more than
once (SAM evaluates it at a perturbed point on the same batch); the oracle counts the
per-sample gradient evaluations.

Step sizes are :data:`Schedule` values: a float, a tensor of shape ``(S,)`` (one step
size per row, so a sweep over eta runs as one batched tensor), or a callable ``t -> float
| tensor`` (see :mod:`convcheck.optim.schedules`).
"""

from __future__ import annotations

from typing import Any, Callable, NamedTuple

import torch

__all__ = ["Optimizer", "Oracle", "OnlineOracle", "replay"]


class Oracle:
    """Loss and gradient of ``objective`` on one step's batch ``idx: (S, b)`` or None (full).

    ``evals`` counts per-sample gradient evaluations per seed: ``b`` for a mini-batch
    gradient, ``n`` for a full gradient of an n-term finite sum, 1 for a plain objective.
    """

    __slots__ = ("objective", "idx", "evals")

    def __init__(self, objective, idx: torch.Tensor | None = None):
        self.objective = objective
        self.idx = idx
        self.evals = 0

    def grad(self, w: torch.Tensor) -> torch.Tensor:
        if self.idx is None:
            self.evals += self.objective.n
            return self.objective.grad(w)
        self.evals += self.idx.shape[1]
        return self.objective.grad_batch(w, self.idx)

    def loss(self, w: torch.Tensor) -> torch.Tensor:
        if self.idx is None:
            return self.objective.loss(w)
        return self.objective.loss_batch(w, self.idx)

    def per_sample_losses(self, w: torch.Tensor) -> torch.Tensor:
        """Losses of the batch's samples (or all n samples), shape (S, b); differentiable."""
        if self.idx is None:
            return self.objective.per_sample_losses(w)
        return self.objective.per_sample_losses_batch(w, self.idx)

    def grad_weighted(self, w: torch.Tensor, weights: torch.Tensor) -> torch.Tensor:
        """Gradient of ``sum_i weights_i l_i(w)`` over the batch's samples (weights: (S, b)),
        by autograd through :meth:`per_sample_losses`; counts one evaluation per nonzero weight."""
        self.evals = self.evals + (weights != 0).sum(-1).max()  # a device tensor: no host read per step
        with torch.enable_grad():
            w = w.detach().requires_grad_(True)
            return torch.autograd.grad((self.per_sample_losses(w) * weights).sum(), w)[0]

    def hvp(self, w: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
        """Hessian-vector product of the full objective (steepest descent on quadratics)."""
        return self.objective.hvp(w, v)


class OnlineOracle:
    """Round t of an online problem (:mod:`convcheck.objectives.online`): ``f_t`` and its
    subgradient with the round's randomness ``xi``; one evaluation per gradient."""

    __slots__ = ("objective", "t", "xi", "evals", "idx")

    def __init__(self, objective, t: int, xi=None):
        self.objective, self.t, self.xi, self.evals, self.idx = objective, t, xi, 0, None

    def grad(self, w: torch.Tensor) -> torch.Tensor:
        self.evals += 1
        return self.objective.grad_at(w, self.t, self.xi)

    def loss(self, w: torch.Tensor) -> torch.Tensor:
        return self.objective.loss_at(w, self.t, self.xi)


class Optimizer(NamedTuple):
    """``init(params) -> state``; ``update(params, state, oracle, t) -> (params, state)``.

    ``capturable``: the update reads no tensor value on the host, so the engine may compile it
    (:mod:`convcheck.compiling`); ``t`` is then a float64 0-d tensor on the run's device, not an
    int, and the update must use it through torch ops (``t ** 0.5``, not ``math.sqrt(t)``)."""

    name: str
    init: Callable[[torch.Tensor], Any]
    update: Callable[[torch.Tensor, Any, Oracle, int], tuple[torch.Tensor, Any]]
    hyper: dict = {}
    capturable: bool = True


class _Fixed:
    """An oracle that hands out a given gradient, whatever the point (for :func:`replay`)."""

    def __init__(self, g):
        self.g, self.evals, self.idx = g, 0, None

    def grad(self, w):
        self.evals += 1
        return self.g


def replay(optimizer: Optimizer, w0: torch.Tensor, grads: torch.Tensor) -> torch.Tensor:
    """Feed ``grads: (T, S, d)`` to ``optimizer`` step by step from ``w0: (S, d)``; return the
    iterates ``(T + 1, S, d)``. Two implementations fed the same gradients can be compared
    without the feedback of their own trajectories, which amplifies round-off differences
    exponentially where a method hovers around a minimum (RMSProp with a constant step)."""
    w, state, out = w0.clone(), optimizer.init(w0), [w0.clone()]
    for t in range(1, grads.shape[0] + 1):
        w, state = optimizer.update(w, state, _Fixed(grads[t - 1]), t)
        out.append(w.clone())
    return torch.stack(out)

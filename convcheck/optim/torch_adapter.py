"""Run any ``torch.optim.Optimizer`` class in the engine: one instance per seed.

This is the slow, obvious path (a Python loop over seeds) that the batched optimizers are
benchmarked against, and the way a user's own optimizer class joins a study through a role
(:mod:`convcheck.roles`): it yields the same :class:`~convcheck.trace.Trace` as the batched
path.

Per-seed hyperparameters: studies sweep step sizes as one batch, so ``lr`` (or any other
hyperparameter) may be an ``(S,)`` tensor, row ``s`` going to instance ``s``; ``lr`` may also
be a schedule ``t -> float | (S,) tensor``, written into each instance's ``param_groups``
before its step.

Closures: ``.grad`` is set to the seed's gradient, then every step is ``opt.step(closure)``
when the class's ``step`` takes a closure (all of torch.optim's do), else ``opt.step()``. The closure's first call at the
unchanged point returns the gradient of the step's batch computed for all seeds at once;
further calls (SAM-type methods evaluate the gradient at a perturbed point) compute that
seed's gradient on the same batch and are counted in the oracle's evaluations.
"""

from __future__ import annotations

import inspect

import torch

from .base import Optimizer

__all__ = ["from_torch"]


def _per_seed(value, S: int, name: str):
    """Row values of a hyperparameter: a list of S plain values."""
    if torch.is_tensor(value):
        if value.ndim == 0:
            return [value.item()] * S
        if value.shape != (S,):
            raise ValueError(f"The '{name}' parameter must be a number or a ({S},) tensor, one value per seed. "
                             f"Got shape {tuple(value.shape)} instead.")
        return value.detach().cpu().tolist()
    return [value] * S


def _takes_closure(cls) -> bool:
    try:
        return "closure" in inspect.signature(cls.step).parameters
    except (TypeError, ValueError):
        return False


class _TorchState:
    __slots__ = ("params", "opts")

    def __init__(self, params, opts):
        self.params, self.opts = params, opts


def from_torch(optimizer_class, **hyper) -> Optimizer:
    """An :class:`Optimizer` whose state is S instances of ``optimizer_class(**hyper)``.

    Each seed's parameters are a separate ``torch.nn.Parameter``; every step each instance
    takes its own ``step()`` on its seed's gradient (see the module docstring for per-seed
    hyperparameters and closures)."""
    schedule = hyper.get("lr") if callable(hyper.get("lr")) else None
    closure_ok = _takes_closure(optimizer_class)

    def init(params):
        S = params.shape[0]
        rows = {k: _per_seed(schedule(1) if (k == "lr" and schedule) else v, S, k) for k, v in hyper.items()}
        ps = [torch.nn.Parameter(params[s].detach().clone()) for s in range(S)]
        return _TorchState(ps, [optimizer_class([p], **{k: rows[k][s] for k in rows}) for s, p in enumerate(ps)])

    def update(params, state, oracle, t):
        S = params.shape[0]
        if schedule is not None:
            for opt, lr in zip(state.opts, _per_seed(schedule(t), S, "lr")):
                for group in opt.param_groups:
                    group["lr"] = lr
        g = oracle.grad(params)
        losses = []        # the batch's losses at params, computed once if an optimizer asks
        extra = [0] * S    # gradient evaluations beyond the first, per seed
        for s, (p, opt) in enumerate(zip(state.params, state.opts)):
            with torch.no_grad():
                p.copy_(params[s])  # the engine may have frozen a diverged row
            # .grad is set before the step too: a step that accepts a closure but never calls it
            # (hand-written optimizers often do) still sees its gradient.
            p.grad = g[s].clone()
            if closure_ok:
                opt.step(_closure(oracle, params, g, losses, extra, s, p))
            else:
                opt.step()
        oracle.evals += max(extra)
        with torch.no_grad():
            new = torch.stack([p.detach() for p in state.params]).clone()
        return new, state

    return Optimizer(f"torch.{optimizer_class.__name__}", init, update, dict(hyper), capturable=False)  # a loop per seed


def _closure(oracle, params, g, losses, extra, s, p):
    """Seed s's closure: sets ``p.grad`` to the batch gradient at p and returns the batch loss."""
    first = [True]

    def closure():
        with torch.no_grad():
            if first[0] and torch.equal(p, params[s]):
                first[0] = False
                p.grad = g[s].clone()
                if not losses:  # a replayed gradient stream has no loss to report
                    losses.append(oracle.loss(params) if hasattr(oracle, "loss") else None)
                return None if losses[0] is None else losses[0][s]
            first[0] = False
            row = _RowOracle(oracle, s)
            w = p.detach().unsqueeze(0)
            p.grad = row.grad(w)[0].clone()
            extra[s] += row.evals
            return row.loss(w)[0]

    return closure


class _RowOracle:
    """The step's oracle restricted to seed ``s`` (the same batch row), with its own count."""

    def __init__(self, oracle, s):
        self.objective, self.evals = oracle.objective, 0
        self.idx = None if oracle.idx is None else oracle.idx[s:s + 1]

    def grad(self, w):
        if self.idx is None:
            self.evals += self.objective.n
            return self.objective.grad(w)
        self.evals += self.idx.shape[1]
        return self.objective.grad_batch(w, self.idx)

    def loss(self, w):
        return self.objective.loss(w) if self.idx is None else self.objective.loss_batch(w, self.idx)

"""What a method does, observed from outside: the points where one step evaluates the gradient.

A SAM-type method takes its step with the gradient at a perturbed point ``w + eps``; the survey's
claims about that perturbation (SAM-2's ``rho g / ||g||``, SAM-8's adaptive ``eps``) are claims
about the method, so a user's method in the role is judged on the point it actually visits,
not on a formula it says it uses. :func:`ascent_step` runs one step of the method on an
objective that records every gradient call, and returns ``eps = visited - w`` per seed: the
first point other than ``w`` itself (zero when the step never leaves ``w``, as plain GD
does). A torch.optim class reaches the recorder through its closure (:mod:`convcheck.optim.
torch_adapter`), so wrappers that call the closure at the perturbed point are observed the
same way as the library's batched methods.
"""

from __future__ import annotations

import torch

from .optim.base import Oracle

__all__ = ["ascent_step", "ascent_draws", "Linear"]


class Linear:
    """``f(w) = <g, w>`` per row: the gradient is ``g`` everywhere (a probe for SAM-2, whose
    claim is about the perturbation of a given gradient)."""

    def __init__(self, g: torch.Tensor):
        self.g, self.n, self.dim = g, 1, g.shape[-1]

    def loss(self, w):
        return (w * self.g).sum(-1)

    def grad(self, w):
        return self.g.expand_as(w).clone()


class _Recorder:
    """``objective``'s loss and gradient, recording every point where the gradient is taken, with
    the seed row it belongs to when the caller says (the torch adapter evaluates a class's closure
    seed by seed and names the seed through :meth:`note_row`), else None (all rows at once)."""

    def __init__(self, objective):
        self.objective, self.n, self.points, self.row = objective, getattr(objective, "n", 1), [], None

    def note_row(self, s: int) -> None:
        self.row = s

    def loss(self, w):
        return self.objective.loss(w)

    def grad(self, w):
        self.points.append((self.row, w.detach().clone()))
        self.row = None
        return self.objective.grad(w)


def _first_away(points, w: torch.Tensor) -> torch.Tensor:
    """Per seed row, the first recorded point that is not w's row, minus it: from a call on all
    rows at once (the library's batched methods), or from the calls the adapter made seed by seed
    (a torch.optim class, whose closure is evaluated per seed). Zeros where the step never left w."""
    for row, p in points:
        if row is None and p.shape == w.shape and not torch.equal(p, w):
            return p - w
    eps, seen = torch.zeros_like(w), set()
    for row, p in points:
        if row is not None and row not in seen and p.shape == (1, *w.shape[1:]) and not torch.equal(p[0], w[row]):
            eps[row] = p[0] - w[row]
            seen.add(row)
    return eps


def ascent_step(make, objective_of, w: torch.Tensor, *, batched: bool = False) -> torch.Tensor:
    """``eps: (S, d)``, the perturbation of one step of ``make()`` (an Optimizer factory, built
    afresh per seed) from ``w: (S, d)`` on ``objective_of(rows)`` (the objective for the seed
    rows ``rows``, a slice). Seed by seed (a fresh instance each, so no state or batch layout
    couples the seeds), or all rows in one step with ``batched=True`` (the library's own
    methods, whose rows are independent by contract: :func:`convcheck.testing.check_optimizer`)."""
    spans = [slice(0, w.shape[0])] if batched else [slice(s, s + 1) for s in range(w.shape[0])]
    return torch.cat([ascent_draws(make, objective_of(rows), w[rows], 1)[0] for rows in spans])


def ascent_draws(make, objective, w: torch.Tensor, steps: int, *, seed: int | None = None) -> torch.Tensor:
    """``(steps, S, d)``: the perturbations of ``steps`` steps of one optimizer ``make()`` over the
    rows ``w: (S, d)``, every step taken from the same ``w`` (the step's result is dropped), so a
    method that draws a random perturbation (SWP) shows a fresh draw per step and row. Build it
    with one instance per seed (``instances="per-seed"``) for a class that couples its parameters
    (one norm over the model). ``seed`` seeds torch's global generator for the steps, inside a
    fork that restores it after: a class that draws from it gives the same draws on every run."""
    out = []
    with torch.random.fork_rng(devices=[]):
        if seed is not None:
            torch.manual_seed(seed)
        rec = _Recorder(objective)
        opt = make()
        state = opt.init(w)
        with torch.no_grad():
            for t in range(1, steps + 1):
                rec.points.clear()
                _, state = opt.update(w, state, Oracle(rec), t)
                out.append(_first_away(rec.points, w))
    return torch.stack(out)

"""The objective interface: problems that carry their answers.

Every objective works on a batch of parameter vectors with a leading seed axis,
``w: (S, d)``, and knows its constants: ``L`` (smoothness), ``mu`` (strong convexity, 0
when only convex), ``f_star`` and ``w_star``. Finite sums ``f(w) = 1/n sum_i f_i(w)``
also expose per-sample gradients, mini-batch gradients and the gradient-noise level.

Note on scaling: the survey writes ``f = sum_i f_i`` (Prop. 2); convcheck uses the mean
``1/n sum_i f_i`` so that a single-sample gradient is an unbiased estimate of ``grad f``
(Eq. 23 needs that to be an SGD step on f). The two differ by the factor n in L and f.
"""

from __future__ import annotations

import torch

__all__ = ["Objective", "FiniteSum", "gather_rows", "batched_dot", "batched_combine", "batched_mean"]


# Batched kernels for mini-batches: index_select and bmm, several times faster on the CPU than
# fancy indexing and einsum at the engine's shapes (docs/speed.md).
def gather_rows(X: torch.Tensor, idx: torch.Tensor) -> torch.Tensor:
    """``X[idx]`` for ``idx: (S, b)``: rows of X, shape (S, b, d)."""
    return X.index_select(0, idx.reshape(-1)).view(*idx.shape, X.shape[-1])


def batched_dot(Xb: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
    """``Xb[s] @ w[s]`` for every seed: (S, b, d), (S, d) -> (S, b)."""
    return torch.bmm(w.unsqueeze(1), Xb.transpose(1, 2)).squeeze(1)


def batched_combine(Xb: torch.Tensor, c: torch.Tensor) -> torch.Tensor:
    """``c[s] @ Xb[s]`` for every seed: (S, b, d), (S, b) -> (S, d). One sample (b = 1, SGD) is a
    product of each row by a number: broadcast, the same bits as bmm's K = 1 product and several
    times faster."""
    if Xb.shape[1] == 1:
        return Xb.squeeze(1) * c
    return torch.bmm(c.unsqueeze(1), Xb).squeeze(1)


def batched_mean(Xb: torch.Tensor, c: torch.Tensor) -> torch.Tensor:
    """``c[s] @ Xb[s] / b``: a mini-batch's mean of per-sample terms (a division by 1 is skipped:
    it changes no bit)."""
    out = batched_combine(Xb, c)
    return out if Xb.shape[1] == 1 else out / Xb.shape[1]


class Objective:
    """Base class. Subclasses set ``dim``, ``L``, ``mu``, ``f_star``, ``w_star`` and define
    :meth:`loss` and :meth:`grad`; they override :meth:`gap` and :meth:`distance` where a
    closed form is more accurate than ``loss(w) - f_star``.

    Shapes: ``w`` is ``(S, d)``; ``loss``/``gap``/``distance`` return ``(S,)``; ``grad``
    returns ``(S, d)``.
    """

    name: str = "objective"
    dim: int
    L: float
    mu: float = 0.0
    f_star: float
    w_star: torch.Tensor  # (d,)
    n: int = 1  # number of summands; 1 for a plain (non finite-sum) objective

    def loss(self, w: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def grad(self, w: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def gap(self, w: torch.Tensor) -> torch.Tensor:
        """f(w) - f*, shape (S,)."""
        return self.loss(w) - self.f_star

    def distance(self, w: torch.Tensor) -> torch.Tensor:
        """Distance to the set of minimisers, shape (S,)."""
        return torch.linalg.vector_norm(w - self.w_star, dim=-1)

    def hvp(self, w: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
        """Hessian-vector product (S, d) by double back-propagation through :meth:`loss`."""
        w = w.detach().requires_grad_(True)
        g = torch.autograd.grad(self.loss(w).sum(), w, create_graph=True)[0]
        return torch.autograd.grad((g * v).sum(), w)[0]

    def certificates(self) -> list:
        """Certificates (:class:`convcheck.hypotheses.Certificate`) of the properties this objective
        has or lacks, each computed from the objective, not assumed. None by default: an objective
        that certifies nothing supports no verdict on a claim with hypotheses."""
        return []

    def constants(self) -> dict:
        """The known constants, as plain floats for provenance and reports."""
        return {"L": float(self.L), "mu": float(self.mu), "f_star": float(self.f_star), "d": int(self.dim), "n": int(self.n)}


class FiniteSum(Objective):
    """``f(w) = 1/n sum_i f_i(w)``; subclasses define :meth:`grad_batch` on index sets.

    ``grad_batch(w, idx)`` with ``idx: (S, b)`` long returns the mean of the ``b``
    per-sample gradients for each seed, shape ``(S, d)``.
    """

    def grad_batch(self, w: torch.Tensor, idx: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def loss_batch(self, w: torch.Tensor, idx: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def per_sample_losses(self, w: torch.Tensor) -> torch.Tensor:
        """All n per-sample losses, shape (S, n); differentiable in w."""
        raise NotImplementedError

    def per_sample_losses_batch(self, w: torch.Tensor, idx: torch.Tensor) -> torch.Tensor:
        """Per-sample losses of the indexed samples, shape (S, b); differentiable in w."""
        raise NotImplementedError

"""A parametric family of smooth non-convex one-dimensional finite sums with a spurious minimum.

:class:`TwoWellsFamily` spans :class:`convcheck.objectives.TwoWells` over its shape::

    f(w) = eps sqrt(1 + w^2) - a_1 exp(-(w + m)^2 / (2 s^2)) - a_2 exp(-(w - m)^2 / (2 s^2)),
    f_i(w) = f(w) + z_i w,   z = noise (z0 - mean z0),

with ``eps`` and ``a_1`` fixed and the parameters ``(a_2, m, s, noise, w_0)`` searched: the depth
of the second well, the wells' half distance, their width, the gradient noise, and the start.
Every candidate is inside "finite sum, bounded below, L-smooth, bounded stochastic gradients" by
the closed-form bounds of :class:`~convcheck.objectives.TwoWells`; a candidate counts only when
its landscape also certifies a spurious local minimum (two minima, the higher one a strict local
minimum above f*), computed per candidate by that class. The base draw ``z0`` is fixed by the
family's names, so a candidate's parameters are its whole instance. A batch of candidates runs as
one :class:`RowTwoWells` (each row its own landscape and its own f*).
"""

from __future__ import annotations

import math

import numpy as np
import torch

from .._validation import check_int, check_real
from ..objectives.base import FiniteSum
from ..seeding import torch_generator

__all__ = ["TwoWellsFamily", "RowTwoWells"]


class RowTwoWells(FiniteSum):
    """Two wells per row ``s`` (module docstring): depths ``a (S, 2)``, half distance ``m (S,)``,
    width ``s (S,)``, tilts ``z (S, n)``; ``f_star`` is 0 (``gap`` subtracts each row's own
    ``row_f_star``), ``w_star`` the first row's global minimiser (the engine's distance is not
    read by the searches)."""

    name = "row two wells"

    def __init__(self, eps: float, a: torch.Tensor, m: torch.Tensor, s: torch.Tensor, z: torch.Tensor,
                 row_f_star: torch.Tensor, w_global: torch.Tensor, L: float):
        self.eps, self.a, self.s, self.z = eps, a, s.unsqueeze(-1), z
        self.centre = torch.stack([-m, m], -1)  # (S, 2)
        self.n, self.dim = z.shape[1], 1
        self.row_f_star, self.L, self.mu, self.f_star = row_f_star, L, 0.0, 0.0
        self.w_star = w_global[:1].clone()

    def loss(self, w):
        d = w - self.centre
        return self.eps * torch.sqrt(1 + w[:, 0] ** 2) - (self.a * torch.exp(-d * d / (2 * self.s ** 2))).sum(-1)

    def gap(self, w):
        return self.loss(w) - self.row_f_star

    def grad(self, w):
        d = w - self.centre
        return self.eps * w / torch.sqrt(1 + w * w) + (self.a * d / self.s ** 2 * torch.exp(-d * d / (2 * self.s ** 2))).sum(-1, keepdim=True)

    def grad_batch(self, w, idx):
        # each row's own tilts z_s[idx_s] (a gather: advanced indexing is 20x slower here)
        return self.grad(w) + self.z.gather(1, idx).mean(-1, keepdim=True)

    def loss_batch(self, w, idx):
        return self.loss(w) + self.z.gather(1, idx).mean(-1) * w[:, 0]


class TwoWellsFamily:
    """Two wells with ``n`` summands (module docstring), each candidate as ``replicas`` rows.
    Parameters: ``a_2`` in [0.2, 1.4] (``a_1 = 1.5``), ``m`` in [1, 3], ``s`` in [0.4, 1], ``noise``
    in [0, 1], ``w_0`` in [-4, 4]."""

    A1, EPS = 1.5, 0.2

    def __init__(self, n: int = 20, replicas: int = 16, names=("two wells",)):
        self.n = check_int("n", n, 2)
        self.replicas = check_int("replicas", replicas, 1)
        self.names = tuple(names)
        self.bounds = [(0.2, 1.4), (1.0, 3.0), (0.4, 1.0), (0.0, 1.0), (-4.0, 4.0)]
        self.name = f"two wells with {self.n} tilted summands (a_2, m, s, noise and the start searched)"
        self._memo: dict = {}

    def _gen(self):
        return torch_generator("search", "two wells", *self.names)

    def objective(self, p) -> "object":
        """The candidate ``p`` as a :class:`~convcheck.objectives.TwoWells` (None where its landscape has
        no second minimum), memoised by its parameters."""
        from ..objectives import TwoWells

        key = tuple(float(x) for x in p[:4])
        if key not in self._memo:
            try:
                self._memo[key] = TwoWells(self.n, self._gen(), eps=self.EPS, a=(self.A1, key[0]), m=key[1], s=key[2],
                                           noise=key[3])
            except IndexError:  # one minimum only: no spurious one
                self._memo[key] = None
        return self._memo[key]

    def certify(self, params: np.ndarray) -> np.ndarray:
        """Inside the bounds, and the landscape certifies a spurious local minimum."""
        lo, hi = np.array(self.bounds).T
        out = ((params >= lo) & (params <= hi)).all(1)
        for i, p in enumerate(params):
            if out[i]:
                obj = self.objective(p)
                out[i] = obj is not None and any(c.property == "spurious local minimum" and c.holds for c in obj.certificates())
        return out

    def build(self, params: np.ndarray):
        objs = [self.objective(p) for p in params]
        P = np.repeat(params, self.replicas, axis=0)
        R = self.replicas
        t = lambda x: torch.as_tensor(np.asarray(x, dtype=np.float64), dtype=torch.float64, device="cpu")  # noqa: E731
        z = torch.cat([o.z.unsqueeze(0).expand(R, -1) for o in objs])
        row = RowTwoWells(self.EPS, t(np.stack([np.full(P.shape[0], self.A1), P[:, 0]], -1)), t(P[:, 1]), t(P[:, 2]), z,
                          t(np.repeat([o.f_star for o in objs], R)), t(np.repeat([o.w_global for o in objs], R)),
                          max(o.L for o in objs))
        row.spurious = np.array([o.f_local - o.f_star for o in objs])  # per candidate
        return row, t(P[:, 4:5])

    def instance(self, params: np.ndarray):
        obj = self.objective(params)
        return obj, torch.full((1, 1), float(params[4]), dtype=torch.float64, device="cpu")

    def describe(self, params) -> str:
        obj = self.objective(params)
        return (f"two wells a = (1.5, {params[0]:.4g}), m = {params[1]:.4g}, s = {params[2]:.4g}, noise = {params[3]:.4g}, "
                f"start w_0 = {params[4]:.4g} (spurious minimum at {obj.w_local:.4g}, {obj.f_local - obj.f_star:.4g} above f*)"
                if obj is not None else "no spurious minimum")


def held_above(gaps: np.ndarray, spurious: np.ndarray, steps: np.ndarray, fraction: float = 0.5, z: float = 3.0) -> np.ndarray:
    """Per candidate, how far the replicas' mean gap stays above ``fraction`` of its spurious
    minimum's height over the run's last decade: min over those checkpoints of (mean - z se) /
    Delta - fraction (positive: the runs sit in the spurious basin, where a gap going to 0 would
    have fallen below any positive level; a diverged replica counts as an infinite gap).
    ``gaps``: ``(candidates, replicas, checkpoints)``."""
    fraction = check_real("fraction", fraction, 0, 1, low_open=True, high_open=True)
    last = steps >= steps[-1] / 10
    E = np.where(np.isfinite(gaps[..., last]), gaps[..., last], np.inf)
    R = E.shape[1]
    with np.errstate(invalid="ignore"):
        se = np.nan_to_num(E.std(1, ddof=1) / math.sqrt(R)) if R > 1 else np.zeros_like(E[:, 0])
        low = E.mean(1) - z * se
    return np.nan_to_num(low.min(1), nan=-np.inf, posinf=np.inf) / spurious - fraction

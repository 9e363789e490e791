"""Quadratics with a controlled spectrum: f(w) = 1/2 (w - w*)^T A (w - w*) + f*.

``A = Q diag(lambda) Q^T`` with ``Q`` a random rotation (Haar, from an explicit generator)
and eigenvalues ``lambda`` laid out between ``mu`` and ``L``. With ``zeros > 0`` the
smallest eigenvalues are exactly zero: convex but not strongly convex (claim GD-1 needs
this case: Prop. 1 is about convex f). Then the minimisers form the affine set
``w* + null(A)`` and the distance to it is the norm of the projection onto range(A).
"""

from __future__ import annotations

import math

import torch

from .._validation import check_choice, check_int, check_real
from .base import Objective

__all__ = ["Quadratic", "spectrum"]


def spectrum(d: int, L: float = 1.0, kappa: float = 10.0, kind: str = "uniform", zeros: int = 0,
             dtype=torch.float64) -> torch.Tensor:
    """Eigenvalues, descending, of length ``d``: ``d - zeros`` values from ``L`` down to
    ``L / kappa`` (``uniform``: evenly spaced; ``geometric``: log-evenly spaced), then
    ``zeros`` exact zeros."""
    d = check_int("d", d, 1)
    zeros = check_int("zeros", zeros, 0, d - 1)
    L = check_real("L", L, 0, None, low_open=True)
    kappa = check_real("kappa", kappa, 1.0)
    check_choice("kind", kind, ("uniform", "geometric"))
    m = d - zeros
    if m == 1:
        pos = torch.tensor([L], dtype=dtype, device="cpu")
    elif kind == "uniform":
        pos = torch.linspace(L, L / kappa, m, dtype=dtype, device="cpu")
    else:
        pos = torch.logspace(0.0, -math.log10(kappa), m, dtype=dtype, device="cpu") * L
    return torch.cat([pos, torch.zeros(zeros, dtype=dtype, device="cpu")])  # on the CPU, like every construction


def _haar_rotation(d: int, generator: torch.Generator, dtype) -> torch.Tensor:
    z = torch.randn(d, d, generator=generator, dtype=dtype, device=generator.device)
    q, r = torch.linalg.qr(z)
    return q * torch.sign(torch.diagonal(r))  # sign fix makes Q Haar-distributed


class Quadratic(Objective):
    """``f(w) = 1/2 (w - w*)^T A (w - w*) + f*`` with known spectrum.

    Args:
      eigenvalues: (d,) nonnegative; ``L = max``, ``mu = min`` (0 with exact zeros).
      generator: draws the rotation and, unless given, ``w*`` (standard normal).
      rotate: False keeps ``A`` diagonal (useful for per-coordinate studies).
    """

    name = "quadratic"

    def __init__(self, eigenvalues: torch.Tensor, generator: torch.Generator | None = None, *,
                 w_star: torch.Tensor | None = None, f_star: float = 0.0, rotate: bool = True,
                 dtype=torch.float64, device="cpu"):
        lam = torch.as_tensor(eigenvalues, dtype=dtype, device="cpu")  # built on the CPU, moved at the end
        if lam.ndim != 1 or lam.numel() < 1:
            raise ValueError(f"The 'eigenvalues' parameter must be a 1-D tensor of length >= 1. Got shape {tuple(lam.shape)} instead.")
        if (lam < 0).any():
            raise ValueError(f"The 'eigenvalues' parameter must be in the range [0, inf). Got min {lam.min().item()!r} instead.")
        d = lam.numel()
        gen = generator if generator is not None else torch.Generator().manual_seed(0)
        Q = _haar_rotation(d, gen, dtype) if rotate else torch.eye(d, dtype=dtype, device="cpu")
        if w_star is None:
            w_star = torch.randn(d, generator=gen, dtype=dtype, device=gen.device)
        self.dim = d
        self.eigenvalues = lam.to(device)
        self.Q = Q.to(device)
        self.A = (Q * lam) @ Q.T
        self.A = ((self.A + self.A.T) / 2).to(device)
        self.w_star = torch.as_tensor(w_star, dtype=dtype, device=device)
        self.f_star = float(f_star)
        self.L = float(lam.max())
        self.mu = float(lam.min())
        self._diagonal = not rotate  # A = diag(lambda): elementwise products instead of matmuls
        # Projector onto range(A): distance to the minimiser set w* + null(A).
        nz = (lam > 0).to(dtype)
        self._P = ((Q * nz) @ Q.T).to(device)

    @classmethod
    def random(cls, d: int, generator: torch.Generator, *, L: float = 1.0, kappa: float = 10.0,
               kind: str = "uniform", zeros: int = 0, **kw) -> "Quadratic":
        """A quadratic with the :func:`spectrum` of the given shape and a random rotation."""
        return cls(spectrum(d, L, kappa, kind, zeros, dtype=kw.get("dtype", torch.float64)), generator, **kw)

    def loss(self, w):
        return self.gap(w) + self.f_star

    def gap(self, w):
        r = w - self.w_star
        if self._diagonal:
            return 0.5 * (r * r * self.eigenvalues).sum(-1)
        return 0.5 * ((r @ self.A) * r).sum(-1)

    def grad(self, w):
        if self._diagonal:
            return (w - self.w_star) * self.eigenvalues
        return (w - self.w_star) @ self.A  # A symmetric

    def hvp(self, w, v):
        return v * self.eigenvalues if self._diagonal else v @ self.A

    def distance(self, w):
        return torch.linalg.vector_norm((w - self.w_star) @ self._P, dim=-1)

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
from ..hypotheses import Certificate
from .base import FiniteSum, Objective, gather_rows

__all__ = ["Quadratic", "ShiftedQuadratics", "spectrum", "quadratic_certificates"]


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

    def certificates(self):
        """Exact spectrum of the constant Hessian A: L-smooth and convex everywhere, strongly
        convex when its smallest eigenvalue is positive."""
        return [*quadratic_certificates(self.eigenvalues, f"the constant Hessian's spectrum [{self.mu:.4g}, {self.L:.4g}]"),
                Certificate("finite sum", True, "n = 1: f itself (exact gradients, the noise-free case of SGD)"),
                Certificate("bounded stochastic gradients", False, "||grad f(w)|| = ||A (w - w*)|| grows without bound: "
                            "not on the whole domain; certified along a run from the iterates it visits (convcheck.evidence)")]

    def stochastic_second_moment(self, w):
        """``E_i ||grad f_i(w)||^2`` per row: ``||grad f(w)||^2`` (n = 1), for a run's own certificate."""
        g = self.grad(w)
        return (g * g).sum(-1)


def quadratic_certificates(eigenvalues: torch.Tensor, where: str) -> list:
    """Certificates of a quadratic whose (constant) Hessian has these eigenvalues, read against the
    round-off of the eigensolver that computed them: a symmetric eigensolver is backward stable, so
    each eigenvalue carries an error up to a small multiple of ``eps * max |lambda|``. An eigenvalue
    within ``tol = ROUNDOFF_FACTOR * eps * max |lambda|`` of zero is zero: the quadratic is convex
    when ``lambda_min >= -tol``, non-convex only with a witness ``lambda_min < -tol``, strongly
    convex only when ``lambda_min > tol``."""
    from ..stats.thresholds import ROUNDOFF_FACTOR

    eps = float(torch.finfo(eigenvalues.dtype).eps)
    lo, hi = float(eigenvalues.min()), float(eigenvalues.max())
    tol = ROUNDOFF_FACTOR * eps * max(abs(lo), abs(hi))
    read = f"the smallest eigenvalue of {where} is {lo:.3g}, against the eigensolver's round-off {tol:.2g}"
    return [Certificate("bounded below", lo >= -tol, f"a quadratic with a PSD Hessian is bounded below ({read})"),
            Certificate("L-smooth", True, f"exact: L = the largest eigenvalue of {where}", hi),
            Certificate("convex", lo >= -tol, f"{read}: PSD", max(lo, 0.0) if lo >= -tol else lo),
            Certificate("mu-strongly convex", lo > tol, f"mu = the smallest eigenvalue ({read})", lo),
            Certificate("non-convex", lo < -tol, f"witness: {read}", lo)]



class ShiftedQuadratics(FiniteSum):
    """A finite sum whose every component is mu-strongly convex and L-smooth (Eqs. 28-29, 35)::

        f_i(w) = 1/2 (w - c_i)^T A (w - c_i),   f = 1/n sum_i f_i,   w* = mean_i c_i.

    Every f_i has the Hessian A, so each is mu-strongly convex and L-smooth with A's extreme
    eigenvalues, the same constants as f: the hypotheses of Prop. 2's Eqs. (28)-(29) hold with
    one mu and one L, which least squares with rank-one terms cannot give. The gradient noise
    ``grad f_i - grad f = A (c_bar - c_i)`` does not depend on w: its spread is ``sigma2_n``
    (1/n) at every point. ``f* = 1/(2n) sum_i (c_i - c_bar)^T A (c_i - c_bar)``.
    """

    name = "shifted_quadratics"

    def __init__(self, A: torch.Tensor, centres: torch.Tensor):
        if A.ndim != 2 or A.shape[0] != A.shape[1] or centres.ndim != 2 or centres.shape[1] != A.shape[0]:
            raise ValueError(f"The 'A' and 'centres' parameters must have shapes (d, d) and (n, d). Got {tuple(A.shape)} "
                             f"and {tuple(centres.shape)} instead.")
        self.A, self.C = (A + A.T) / 2, centres
        self.n, self.dim = centres.shape
        self.eigenvalues = torch.linalg.eigvalsh(self.A.double())
        self.L, self.mu = float(self.eigenvalues[-1]), float(self.eigenvalues[0])
        if self.mu <= 0:
            raise ValueError(f"The 'A' parameter must be positive definite. Got smallest eigenvalue {self.mu!r} instead.")
        self.w_star = centres.mean(0)
        D = (centres - self.w_star).double()
        self.f_star = float(0.5 * ((D @ self.A.double()) * D).sum(-1).mean())
        G = D @ self.A.double()
        self.sigma2_n = float((G * G).sum(-1).mean())

    @classmethod
    def random(cls, n: int, d: int, generator: torch.Generator, *, L: float = 1.0, kappa: float = 2.0, noise: float = 1.0,
               dtype=torch.float64, device="cpu") -> "ShiftedQuadratics":
        """A with spectrum uniform on [L/kappa, L] (random rotation); centres ``w_true + noise N(0, I)``."""
        n, d = check_int("n", n, 2), check_int("d", d, 1)
        noise = check_real("noise", noise, 0.0)
        lam = spectrum(d, L, kappa, dtype=dtype)
        Q = _haar_rotation(d, generator, dtype)
        A = (Q * lam) @ Q.T
        C = torch.randn(d, generator=generator, dtype=dtype, device=generator.device) + noise * torch.randn(
            n, d, generator=generator, dtype=dtype, device=generator.device)
        return cls(A.to(device), C.to(device))

    def loss(self, w):
        return self.gap(w) + self.f_star

    def gap(self, w):
        e = w - self.w_star
        return 0.5 * ((e @ self.A) * e).sum(-1)

    def grad(self, w):
        return (w - self.w_star) @ self.A

    def hvp(self, w, v):
        return v @ self.A

    def grad_batch(self, w, idx):
        return (w - gather_rows(self.C, idx).mean(1)) @ self.A

    def per_sample_losses(self, w):
        E = w.unsqueeze(1) - self.C  # (S, n, d)
        return 0.5 * ((E @ self.A) * E).sum(-1)

    def per_sample_losses_batch(self, w, idx):
        E = w.unsqueeze(1) - gather_rows(self.C, idx)
        return 0.5 * ((E @ self.A) * E).sum(-1)

    def loss_batch(self, w, idx):
        return self.per_sample_losses_batch(w, idx).mean(-1)

    def certificates(self):
        """Exact: every f_i has the Hessian A (one spectrum for f and for each component)."""
        lam = self.eigenvalues
        where = f"A, the Hessian of f and of every f_i (spectrum [{self.mu:.4g}, {self.L:.4g}])"
        return [*quadratic_certificates(lam, where),
                Certificate("finite sum", True, f"f = 1/n sum of n = {self.n} quadratics with the same Hessian"),
                Certificate("each f_i L-smooth", True, f"exact: the largest eigenvalue of {where}", self.L),
                Certificate("each f_i mu-strongly convex", True, f"exact: the smallest eigenvalue of {where}", self.mu),
                Certificate("bounded stochastic gradients", False, "E_i ||grad f_i(w)||^2 = ||grad f(w)||^2 + sigma^2 grows "
                            "without bound: not on the whole domain; certified along a run from the iterates it visits (convcheck.evidence)")]

    def stochastic_second_moment(self, w):
        """``E_i ||grad f_i(w)||^2 = ||grad f(w)||^2 + sigma^2`` per row (the noise does not depend on w)."""
        g = self.grad(w)
        return (g * g).sum(-1) + self.sigma2_n

    def constants(self):
        return {**super().constants(), "sigma2_n": self.sigma2_n}

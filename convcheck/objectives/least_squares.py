"""Least squares as a finite sum with planted noise.

    f(w) = 1/n sum_i f_i(w),   f_i(w) = 1/2 (x_i^T w - y_i)^2,   y = X w_true + noise.

Constants: ``H = X^T X / n``; ``L = lambda_max(H)``, ``mu = lambda_min(H)``; ``w*`` by a
float64 least-squares solve, ``f* = f(w*)`` (X must have full column rank). The gap has the exact form
``f(w) - f* = 1/2 (w - w*)^T H (w - w*)`` (the gradient vanishes at w*), which is free of
the cancellation in ``f(w) - f*`` when ``f*`` is large.

Gradient noise at w* (Prop. 3, Eqs. 36-37): the per-sample gradients
``g_i = x_i (x_i^T w* - y_i)`` sum to zero, and their spread has two readings:
``sigma2_n = 1/n sum ||g_i||^2`` and ``sigma2_n1 = 1/(n-1) sum ||g_i||^2``.

The design ``X = sqrt(n) U diag(s) V^T`` (U with orthonormal columns) fixes the spectrum of
H to ``s^2`` exactly, so ``L`` and ``mu`` are chosen, not discovered.
"""

from __future__ import annotations

import math

import torch

from .._validation import check_int, check_real
from ..hypotheses import Certificate
from .base import FiniteSum, batched_dot, batched_mean, gather_rows
from .quadratic import _haar_rotation, quadratic_certificates, spectrum

__all__ = ["LeastSquares"]


class LeastSquares(FiniteSum):
    """Least squares ``1/(2n) ||X w - y||^2`` with per-sample oracles.

    Args:
      X: (n, d) design; y: (n,) targets.
    """

    name = "least_squares"

    def __init__(self, X: torch.Tensor, y: torch.Tensor):
        if X.ndim != 2 or y.shape != (X.shape[0],):
            raise ValueError(f"The 'X' and 'y' parameters must have shapes (n, d) and (n,). Got {tuple(X.shape)} and {tuple(y.shape)} instead.")
        self.X, self.y = X, y
        self.n, self.dim = X.shape
        self.H = X.T @ X / self.n
        evals = torch.linalg.eigvalsh(X.double().T @ X.double() / self.n)
        self.L, self.mu = float(evals[-1]), float(max(evals[0], 0.0))
        # Householder QR and a triangular solve: as accurate as lstsq for full-rank X, and
        # bitwise reproducible (torch's default CPU lstsq driver, gelsy, gives
        # different last bits for the same input within one process).
        # (in float64 whatever the run's dtype: the reference solve and constants are exact to float64)
        X64, y64 = X.double(), y.double()
        Q, R = torch.linalg.qr(X64)
        w64 = torch.linalg.solve_triangular(R, (Q.T @ y64).unsqueeze(-1), upper=True).squeeze(-1)
        self.w_star = w64.to(X.dtype)
        r = X64 @ w64 - y64
        self.f_star = float(0.5 * (r @ r) / self.n)
        g = X64 * r.unsqueeze(-1)  # (n, d) per-sample gradients at w*
        sq = float((g * g).sum())
        self.sigma2_n = sq / self.n
        self.sigma2_n1 = sq / (self.n - 1) if self.n > 1 else math.inf
        self._row_norms2 = (X * X).sum(-1)  # ||x_i||^2, (n,)
        self.L_max = float(self._row_norms2.max())  # largest per-sample smoothness ||x_i||^2

    @classmethod
    def planted(cls, n: int, d: int, generator: torch.Generator, *, L: float = 1.0, kappa: float = 10.0,
                noise: float = 1.0, dtype=torch.float64, device="cpu") -> "LeastSquares":
        """Design with ``eig(H)`` uniform on [L/kappa, L], ``y = X w_true + noise * N(0, 1)``."""
        n = check_int("n", n, 1)
        d = check_int("d", d, 1, n)
        noise = check_real("noise", noise, 0.0)
        s = spectrum(d, L, kappa, dtype=dtype).sqrt()
        U, _ = torch.linalg.qr(torch.randn(n, d, generator=generator, dtype=dtype, device=generator.device))
        V = _haar_rotation(d, generator, dtype)
        X = math.sqrt(n) * (U * s) @ V.T
        w_true = torch.randn(d, generator=generator, dtype=dtype, device=generator.device)
        y = X @ w_true + noise * torch.randn(n, generator=generator, dtype=dtype, device=generator.device)
        return cls(X.to(device), y.to(device))

    def loss(self, w):
        r = w @ self.X.T - self.y  # (S, n)
        return 0.5 * (r * r).mean(-1)

    def gap(self, w):
        e = w - self.w_star
        return 0.5 * torch.einsum("si,ij,sj->s", e, self.H, e)

    def grad(self, w):
        return (w - self.w_star) @ self.H  # exact: grad f(w) = H (w - w*)

    def hvp(self, w, v):
        return v @ self.H

    def per_sample_losses(self, w):
        r = w @ self.X.T - self.y
        return 0.5 * r * r

    def per_sample_losses_batch(self, w, idx):
        r = batched_dot(gather_rows(self.X, idx), w) - self.y[idx]
        return 0.5 * r * r

    def loss_batch(self, w, idx):
        return self.per_sample_losses_batch(w, idx).mean(-1)

    def grad_batch(self, w, idx):
        Xb = gather_rows(self.X, idx)  # (S, b, d)
        r = batched_dot(Xb, w) - self.y[idx]
        return batched_mean(Xb, r)

    def per_sample_grads(self, w):
        """All n per-sample gradients, shape (S, n, d)."""
        r = w @ self.X.T - self.y  # (S, n)
        return r.unsqueeze(-1) * self.X

    def sgd_stationary_gap(self, eta: float, b: int = 1) -> float:
        """Exact stationary ``E[f(w) - f*]`` of constant-step SGD with ``b`` samples drawn
        with replacement, from the second-moment recursion of ``e = w - w*``.

        With ``A_i = x_i x_i^T`` and residuals ``r_i = y_i - x_i^T w*`` (so
        ``sum_i r_i x_i = 0``), the mean ``E[e]`` tends to 0 and the second moment
        ``Sigma = E[e e^T]`` satisfies at stationarity::

            eta (H Sigma + Sigma H) - eta^2 [ (1/b) M(Sigma) + (1 - 1/b) H Sigma H ]
                = eta^2 / b * (1/n) sum_i r_i^2 A_i,    M(Sigma) = (1/n) sum_i A_i Sigma A_i,

        a linear system in the d^2 entries of Sigma; the floor is ``1/2 tr(H Sigma)``.
        Valid when the recursion is stable (eta small enough); returns inf otherwise.
        """
        eta = check_real("eta", eta, 0, None, low_open=True)
        b = check_int("b", b, 1)
        X, d, n = self.X, self.dim, self.n
        r = self.y - X @ self.w_star
        I = torch.eye(d, dtype=X.dtype, device=X.device)
        H = self.H
        # vec(A S B) = (B^T kron A) vec(S), column-major; all matrices here are symmetric.
        M = torch.einsum("ni,nj,nk,nl->ikjl", X, X, X, X).reshape(d * d, d * d) / n
        op = eta * (torch.kron(I, H) + torch.kron(H, I)) - eta**2 * (M / b + (1 - 1 / b) * torch.kron(H, H))
        rhs = (eta**2 / b) * ((X * (r * r).unsqueeze(-1)).T @ X / n).reshape(-1)
        sigma = torch.linalg.solve(op, rhs).reshape(d, d)
        gap = 0.5 * float(torch.trace(H @ sigma))
        return gap if gap > 0 and torch.linalg.eigvalsh((sigma + sigma.T) / 2).min() > -1e-12 * abs(gap) else float("inf")

    def certificates(self):
        """Exact spectra: of H for f, and of the rank-one Hessians x_i x_i^T for the f_i (each
        f_i is strongly convex only in one dimension). Quadratic growth: the stochastic
        gradients are bounded on every bounded set, not on the whole space."""
        lam = torch.linalg.eigvalsh(self.H.double())
        # x_i x_i^T has the eigenvalues ||x_i||^2 and 0 (d - 1 times): its smallest is 0 exactly for
        # d > 1 (no eigensolver needed: n of them cost seconds at n in the thousands, and return
        # round-off of either sign), x_i^2 for d = 1
        comp_min = 0.0 if self.dim > 1 else float((self.X[:, 0].double() ** 2).min())
        comp = ("every x_i x_i^T has rank one" if self.dim > 1 else "the f_i's curvatures x_i^2") + f": smallest {comp_min:.3g}"
        return [*quadratic_certificates(lam, "H = X^T X / n"),
                Certificate("finite sum", True, f"f = 1/n sum of n = {self.n} squared residuals"),
                Certificate("each f_i L-smooth", True, "exact: max_i ||x_i||^2", self.L_max),
                Certificate("each f_i mu-strongly convex", comp_min > 0, f"exact: {comp}", comp_min),
                Certificate("bounded stochastic gradients", False, "E_i ||grad f_i(w)||^2 grows quadratically in ||w - w*||: "
                            "not on the whole domain; certified along a run from the iterates it visits (convcheck.evidence)")]

    def stochastic_second_moment(self, w):
        """``E_i ||grad f_i(w)||^2 = 1/n sum_i r_i^2 ||x_i||^2`` per row, for a run's own certificate."""
        r = w @ self.X.T - self.y  # (S, n)
        return (r * r) @ self._row_norms2 / self.n

    def constants(self):
        return {**super().constants(), "L_max": self.L_max, "sigma2_n": self.sigma2_n, "sigma2_n1": self.sigma2_n1}

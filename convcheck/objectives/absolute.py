"""Least absolute deviations (median regression): a convex, Lipschitz, non-smooth finite sum.

    f(w) = 1/n sum_i f_i(w),   f_i(w) = |x_i^T w - y_i|,   subgradient  sign(x_i^T w - y_i) x_i.

Why it is here: the rates of Prop. 2 (Eqs. 25-26) are stated for convex functions with
bounded (sub)gradients, and on smooth instances SGD's last iterate decays faster than the
claimed rate, so a test of the upper bound carries no information there. On a polyhedral
function with a sharp minimum, SGD with steps eta_t keeps a stationary spread of order
``eta_t G^2`` around the minimiser, so the gap of the last iterate is of the order of the
step: ``1/sqrt(t)`` with Eq. (26)'s steps, within the claimed ``log(t)/sqrt(t)``.

Constants: ``L = inf`` (not smooth), ``mu = 0``; ``G = max_i ||x_i||`` bounds every
per-sample subgradient (the survey's ``beta`` of Prop. 2). ``w*`` and ``f*`` come from the
linear programme ``min 1/n sum t_i`` s.t. ``-t <= X w - y <= t`` (scipy's HiGHS), then are
polished on the optimal vertex: d residuals vanish there, so ``w*`` solves a d x d system
exactly and ``f*`` is evaluated at it in float64.

Data: :meth:`LeastAbsolute.engel` is Engel's food-expenditure data (n = 235, bundled with
statsmodels), the classic data set of median regression; the income is standardised and an
intercept added.
"""

from __future__ import annotations

import numpy as np
import torch

from .._validation import check_int, check_real
from .base import FiniteSum, batched_dot, batched_mean, gather_rows

__all__ = ["LeastAbsolute"]


class LeastAbsolute(FiniteSum):
    """``1/n ||X w - y||_1`` with per-sample subgradient oracles."""

    name = "least_absolute"

    def __init__(self, X: torch.Tensor, y: torch.Tensor):
        if X.ndim != 2 or y.shape != (X.shape[0],):
            raise ValueError(f"The 'X' and 'y' parameters must have shapes (n, d) and (n,). Got {tuple(X.shape)} and {tuple(y.shape)} instead.")
        self.X, self.y = X, y
        self.n, self.dim = X.shape
        if self.n < self.dim:
            raise ValueError(f"The 'X' parameter must have at least as many rows as columns. Got shape {tuple(X.shape)} instead.")
        self.L, self.mu = float("inf"), 0.0
        self.G = float(torch.linalg.vector_norm(X, dim=-1).max())
        self.w_star = self._solve()
        self.f_star = float(self.loss(self.w_star.unsqueeze(0))[0])

    def _solve(self) -> torch.Tensor:
        from scipy.optimize import linprog

        X = self.X.detach().cpu().numpy().astype(np.float64)
        y = self.y.detach().cpu().numpy().astype(np.float64)
        n, d = X.shape
        # variables (w, t): minimise sum t subject to X w - t <= y and -X w - t <= -y
        c = np.concatenate([np.zeros(d), np.ones(n) / n])
        eye = np.eye(n)
        A = np.block([[X, -eye], [-X, -eye]])
        b = np.concatenate([y, -y])
        res = linprog(c, A_ub=A, b_ub=b, bounds=[(None, None)] * d + [(0, None)] * n, method="highs")
        if not res.success:
            raise RuntimeError(f"the least-absolute-deviation programme did not solve: {res.message}")
        w = res.x[:d]
        # Polish on the vertex: the d smallest residuals are zero at an optimal vertex.
        basis = np.argsort(np.abs(X @ w - y))[:d]
        if np.linalg.matrix_rank(X[basis]) == d:
            v = np.linalg.solve(X[basis], y[basis])
            if np.abs(X @ v - y).mean() <= np.abs(X @ w - y).mean():
                w = v
        return torch.tensor(w, dtype=self.X.dtype, device=self.X.device)

    @classmethod
    def engel(cls, dtype=torch.float64, device="cpu") -> "LeastAbsolute":
        """Engel's food expenditure on income (statsmodels.datasets.engel), income standardised."""
        from statsmodels.datasets import engel

        df = engel.load_pandas().data
        inc = df["income"].to_numpy(dtype=float)
        X = np.column_stack([(inc - inc.mean()) / inc.std(), np.ones(len(df))])
        y = df["foodexp"].to_numpy(dtype=float)
        y = (y - y.mean()) / y.std()
        return cls(torch.tensor(X, dtype=dtype, device=device), torch.tensor(y, dtype=dtype, device=device))

    @classmethod
    def synthetic(cls, n: int, d: int, generator: torch.Generator, *, noise: float = 1.0, dtype=torch.float64,
                  device="cpu") -> "LeastAbsolute":
        """Gaussian design, ``y = X w_true + noise * Laplace(0, 1)``."""
        n, d = check_int("n", n, 1), check_int("d", d, 1, n)
        noise = check_real("noise", noise, 0.0)
        X = torch.randn(n, d, generator=generator, dtype=dtype, device=generator.device)
        w_true = torch.randn(d, generator=generator, dtype=dtype, device=generator.device)
        u = torch.rand(n, generator=generator, dtype=dtype, device=generator.device) - 0.5
        lap = -torch.sign(u) * torch.log1p(-2 * u.abs())
        return cls(X.to(device), (X @ w_true + noise * lap).to(device))

    def loss(self, w):
        return (w @ self.X.T - self.y).abs().mean(-1)

    def grad(self, w):
        return torch.sign(w @ self.X.T - self.y) @ self.X / self.n

    def per_sample_losses(self, w):
        return (w @ self.X.T - self.y).abs()

    def per_sample_losses_batch(self, w, idx):
        return (batched_dot(gather_rows(self.X, idx), w) - self.y[idx]).abs()

    def loss_batch(self, w, idx):
        return self.per_sample_losses_batch(w, idx).mean(-1)

    def grad_batch(self, w, idx):
        Xb = gather_rows(self.X, idx)
        return batched_mean(Xb, torch.sign(batched_dot(Xb, w) - self.y[idx]))

    def certificates(self):
        """Convex (a mean of absolute values of affine forms) and non-smooth (a kink at every
        zero residual); subgradients bounded by max ||x_i|| on the whole space."""
        from ..hypotheses import Certificate

        return [Certificate("finite sum", True, f"f = 1/n sum of n = {self.n} absolute residuals"),
                Certificate("bounded below", True, "absolute values are nonnegative"),
                Certificate("convex", True, "a mean of absolute values of affine forms"),
                Certificate("L-smooth", False, "the gradient jumps by 2 x_i / n where a residual crosses zero"),
                Certificate("non-smooth", True, "the gradient jumps where a residual crosses zero"),
                Certificate("bounded stochastic gradients", True, "||sign(r_i) x_i|| <= max_i ||x_i|| everywhere",
                            self.G**2)]

    def constants(self):
        return {**super().constants(), "G": self.G}

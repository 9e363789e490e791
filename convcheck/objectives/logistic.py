"""Logistic regression, l2-regularised or not, as a finite sum.

    f(w) = 1/n sum_i log(1 + exp(-y_i x_i^T w)) + lam/2 ||w||^2,     y_i in {-1, +1}.

Constants: ``L = ||X||_2^2 / (4n) + lam`` (the logistic loss has curvature at most 1/4),
``mu = lam`` (0 without regularisation: convex, not strongly convex; on non-separable data
the minimiser is still finite). ``w*`` and ``f*`` come from Newton's method with a
backtracking line search, run until ``||grad f(w*)|| <= 1e-12``.

Data: :meth:`Logistic.anes96` uses the 1996 American National Election Study bundled with
statsmodels (n = 944 voters; y = voted for Dole vs Clinton; 9 standardised features plus an
intercept), a real, non-separable data set that ships inside an installed package.
:meth:`Logistic.synthetic` draws Gaussian features and labels from a logistic model.
"""

from __future__ import annotations

import numpy as np
import torch

from .._validation import check_int, check_real
from .base import FiniteSum, batched_dot, batched_mean, gather_rows

__all__ = ["Logistic"]


class Logistic(FiniteSum):
    name = "logistic"

    def __init__(self, X: torch.Tensor, y: torch.Tensor, lam: float = 0.0, *, newton_tol: float = 1e-12):
        self.lam = check_real("lam", lam, 0.0)
        if X.ndim != 2 or y.shape != (X.shape[0],):
            raise ValueError(f"The 'X' and 'y' parameters must have shapes (n, d) and (n,). Got {tuple(X.shape)} and {tuple(y.shape)} instead.")
        if not bool(((y == 1) | (y == -1)).all()):
            raise ValueError("The 'y' parameter must hold labels in {-1, +1}.")
        self.X, self.y = X, y
        self.n, self.dim = X.shape
        self.L = float(torch.linalg.matrix_norm(X, ord=2) ** 2 / (4 * self.n)) + self.lam
        self.mu = self.lam
        if X.dtype != torch.float64:  # the reference solve in float64, whatever dtype the run uses
            ref = Logistic(X.double(), y.double(), lam, newton_tol=newton_tol)
            self.w_star, self.newton_steps, self.f_star = ref.w_star.to(X.dtype), ref.newton_steps, ref.f_star
            return
        self.w_star, self.newton_steps = self._newton(newton_tol)
        self.f_star = float(self.loss(self.w_star.unsqueeze(0))[0])

    @classmethod
    def anes96(cls, lam: float = 0.0, dtype=torch.float64, device="cpu") -> "Logistic":
        """The ANES 1996 vote (statsmodels.datasets.anes96), standardised features + intercept."""
        from statsmodels.datasets import anes96

        df = anes96.load_pandas().data
        cols = ["popul", "TVnews", "selfLR", "ClinLR", "DoleLR", "PID", "age", "educ", "income"]
        F = df[cols].to_numpy(dtype=float)
        F = (F - F.mean(0)) / F.std(0)
        X = np.column_stack([F, np.ones(len(df))])
        y = np.where(df["vote"].to_numpy() > 0.5, 1.0, -1.0)
        return cls(torch.tensor(X, dtype=dtype, device=device), torch.tensor(y, dtype=dtype, device=device), lam)

    @classmethod
    def synthetic(cls, n: int, d: int, generator: torch.Generator, lam: float = 0.0, dtype=torch.float64,
                  device="cpu") -> "Logistic":
        n, d = check_int("n", n, 2), check_int("d", d, 1)
        X = torch.randn(n, d, generator=generator, dtype=dtype, device=generator.device)
        w = torch.randn(d, generator=generator, dtype=dtype, device=generator.device) / np.sqrt(d)
        p = torch.sigmoid(X @ w)
        y = torch.where(torch.rand(n, generator=generator, dtype=dtype, device=generator.device) < p, 1.0, -1.0).to(dtype)
        return cls(X.to(device), y.to(device), lam)

    def _newton(self, tol: float):
        w = torch.zeros(1, self.dim, dtype=self.X.dtype, device=self.X.device)
        for k in range(200):
            g = self.grad(w)
            if float(torch.linalg.vector_norm(g)) <= tol:
                return w[0], k
            s = torch.sigmoid(self.y * (self.X @ w[0]))
            D = s * (1 - s)
            H = (self.X * D.unsqueeze(-1)).T @ self.X / self.n + self.lam * torch.eye(self.dim, dtype=w.dtype, device=w.device)
            try:
                step = torch.linalg.solve(H, g[0])
            except torch.linalg.LinAlgError:
                break

            f0, t = float(self.loss(w)[0]), 1.0
            while float(self.loss(w - t * step)[0]) > f0 - 0.25 * t * float(g[0] @ step) and t > 1e-10:
                t /= 2
            w = w - t * step
        raise RuntimeError("Newton's method did not reach ||grad|| <= tol: the data may be separable or X rank "
                           "deficient (no unique finite minimiser); use lam > 0.")

    def _margins(self, w):
        return self.y * (w @ self.X.T)  # (S, n)

    def loss(self, w):
        return torch.nn.functional.softplus(-self._margins(w)).mean(-1) + 0.5 * self.lam * (w * w).sum(-1)

    def grad(self, w):
        c = -self.y * torch.sigmoid(-self._margins(w))  # (S, n)
        return c @ self.X / self.n + self.lam * w

    def hvp(self, w, v):
        s = torch.sigmoid(self._margins(w))
        return ((s * (1 - s)) * (v @ self.X.T)) @ self.X / self.n + self.lam * v

    def per_sample_losses(self, w):
        return torch.nn.functional.softplus(-self._margins(w)) + 0.5 * self.lam * (w * w).sum(-1, keepdim=True)

    def per_sample_losses_batch(self, w, idx):
        m = self.y[idx] * batched_dot(gather_rows(self.X, idx), w)
        return torch.nn.functional.softplus(-m) + 0.5 * self.lam * (w * w).sum(-1, keepdim=True)

    def loss_batch(self, w, idx):
        return self.per_sample_losses_batch(w, idx).mean(-1)

    def grad_batch(self, w, idx):
        Xb, yb = gather_rows(self.X, idx), self.y[idx]
        c = -yb * torch.sigmoid(-yb * batched_dot(Xb, w))
        return batched_mean(Xb, c) + self.lam * w

    def per_sample_grads(self, w):
        c = -self.y * torch.sigmoid(-self._margins(w))  # (S, n)
        return c.unsqueeze(-1) * self.X + self.lam * w.unsqueeze(1)

    def certificates(self):
        """f and each f_i are convex (log-sum-exp of linear forms), L-smooth with the bound
        ||X||_2^2 / (4n) valid everywhere; per-sample gradients are bounded by max ||x_i|| on the
        whole space (the sigmoid is at most 1)."""
        from ..hypotheses import Certificate

        G = float(torch.linalg.vector_norm(self.X, dim=-1).max())
        return [Certificate("finite sum", True, f"f = 1/n sum of n = {self.n} logistic losses"),
                Certificate("bounded below", True, "every logistic loss is positive"),
                Certificate("L-smooth", True, "||X||_2^2 / (4n) + lam bounds the Hessian everywhere", self.L),
                Certificate("convex", True, "the Hessian X^T diag(s(1-s)) X / n + lam I is PSD everywhere"),
                Certificate("mu-strongly convex", self.lam > 0, "the ridge term lam is the only curvature valid everywhere",
                            self.lam),
                Certificate("bounded stochastic gradients", self.lam == 0,
                            "||grad f_i|| <= max_i ||x_i|| on the whole domain (the sigmoid is at most 1)" if self.lam == 0 else
                            "||grad f_i|| <= ||x_i|| + lam ||w|| grows with ||w||: not on the whole domain; certified along a "
                            "run from the iterates it visits (convcheck.evidence)", G * G if self.lam == 0 else None)]

    def stochastic_second_moment(self, w):
        """``E_i ||grad f_i(w)||^2`` per row, from the n per-sample gradients."""
        g = self.per_sample_grads(w)
        return (g * g).sum(-1).mean(-1)

    def constants(self):
        return {**super().constants(), "lam": self.lam, "newton_steps": self.newton_steps}

"""The stopping criteria of Sec. 2.2, evaluated per seed by the engine.

=====================  ==========================================  =====
criterion              stops when                                  code
=====================  ==========================================  =====
``grad_tol``           ``||grad f(w_{k+1})|| <= eps``              1
``cost_tol``           ``|f(w_{k+1}) - f(w_k)| <= eps``            2
``grad_change_tol``    ``||grad f(w_{k+1}) - grad f(w_k)|| <= eps`` 3
``max_iter``           ``k + 1 >= max_iter``                       4
=====================  ==========================================  =====

A stopped seed is frozen at its stopping point (its metrics stay recorded there); the
first criterion met gives its code. The gradient-norm criterion is blind to the kind of
stationary point: on a non-convex f it stops at saddles too, which is what claim GD-3 shows.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from ._validation import check_int, check_real

__all__ = ["Stopping", "REASONS"]

REASONS = {0: "running", 1: "gradient norm", 2: "change of cost", 3: "change of gradient", 4: "maximum iterations"}


@dataclass(frozen=True)
class Stopping:
    grad_tol: float | None = None
    cost_tol: float | None = None
    grad_change_tol: float | None = None
    max_iter: int | None = None

    def __post_init__(self):
        for name in ("grad_tol", "cost_tol", "grad_change_tol"):
            if getattr(self, name) is not None:
                check_real(name, getattr(self, name), 0.0)
        if self.max_iter is not None:
            check_int("max_iter", self.max_iter, 1)

    def check(self, k: int, f_old, f_new, g_old, g_new) -> torch.Tensor:
        """Reason codes (S,) for step k (the step just taken is number k, 1-based); 0 = go on."""
        code = torch.zeros(f_new.shape[0], dtype=torch.long, device=f_new.device)
        tests = []
        if self.grad_tol is not None:
            tests.append((1, torch.linalg.vector_norm(g_new, dim=-1) <= self.grad_tol))
        if self.cost_tol is not None:
            tests.append((2, (f_new - f_old).abs() <= self.cost_tol))
        if self.grad_change_tol is not None:
            tests.append((3, torch.linalg.vector_norm(g_new - g_old, dim=-1) <= self.grad_change_tol))
        if self.max_iter is not None and k >= self.max_iter:
            tests.append((4, torch.ones_like(code, dtype=torch.bool)))
        for c, hit in reversed(tests):  # the first criterion listed wins
            code = torch.where(hit, c, code)
        return code

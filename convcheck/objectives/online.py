"""Online convex optimisation: a loss that changes with t, a feasible set, and regret.

In the online setting (Zinkevich 2003; Kingma & Ba 2015, Sec. 4) the learner plays ``x_t``,
then suffers ``f_t(x_t)`` and sees ``g_t in df_t(x_t)``; the regret against a fixed comparator
``x*`` after T rounds is

    R(T) = sum_{t <= T} f_t(x_t) - f_t(x*),

and with ``x*`` the best fixed point in hindsight for every T, ``R(T) / T -> 0`` is what
"no regret" means. An :class:`OnlineObjective` gives the engine (:func:`convcheck.engine.run`
switches to online mode when the objective has ``online = True``):

* ``stochastic``: True when rounds draw randomness; then ``draw(t, S, generator, device)`` is
  round t's, one draw per seed row, shared by the loss and gradient of that round, and
  ``draw_block`` the next K rounds' at once (the engine draws in blocks: one copy per block);
* ``loss_at(w, t, xi)`` ``(S,)`` and ``grad_at(w, t, xi)`` ``(S, d)``: ``f_t`` and a subgradient;
* ``regret_at(w, t, xi)`` ``(S,)``: the round's regret increment, ``f_t(w) - f_t(x*)`` by
  default; stochastic problems override it with the expected loss (pseudo-regret),
  ``F(w) - F(x*)``, whose sum is the regret of the expected losses;
* ``project(w)``: the Euclidean projection onto the feasible set, applied after every update.

The engine records ``regret`` and ``avg_regret`` (``R(T) / T``) at its checkpoints, and
``dist`` (``||x_t - x*||``), batched over seeds like every other metric.

:class:`OnlineLinear` is the general family of linear losses ``f_t(x) = <c_t, x>`` on a box:
``c_t`` follows a periodic schedule, or is drawn i.i.d. from a finite distribution per seed;
each row may carry its own loss vectors, period and probabilities, so a sweep over problem
instances runs as one batch like a sweep over step sizes.
"""

from __future__ import annotations

import math

import numpy as np
import torch

from .._runtime import upload
from .._validation import check_real
from .base import Objective

__all__ = ["OnlineObjective", "OnlineLinear"]


class OnlineObjective(Objective):
    """Base class of online problems (see the module docstring)."""

    online = True
    stochastic = False
    n = 1

    def draw(self, t: int, S: int, generator: torch.Generator | None, device) -> torch.Tensor | None:
        return None

    def draw_block(self, t: int, K: int, S: int, generator: torch.Generator | None, device) -> torch.Tensor | None:
        """Rounds ``t .. t+K-1``'s randomness at once, stacked on a leading axis (None for a
        deterministic problem): the same bits as ``K`` calls of :meth:`draw`, one copy to the device."""
        draws = [self.draw(t + k, S, generator, device) for k in range(K)]
        return None if draws[0] is None else torch.stack(draws)

    def loss_at(self, w, t, xi):
        raise NotImplementedError

    def grad_at(self, w, t, xi):
        raise NotImplementedError

    def regret_at(self, w, t, xi):
        return self.loss_at(w, t, xi) - self.loss_at(self.w_star.expand_as(w), t, xi)

    def project(self, w):
        return w

    # the offline interface, for code that expects an Objective: the expected loss
    def loss(self, w):
        raise NotImplementedError

    def grad(self, w):
        raise NotImplementedError


_CYCLE_TABLE_MAX = 1 << 20  # entries of OnlineLinear's table of one cycle's loss vectors (8 MiB in float64)


class OnlineLinear(OnlineObjective):
    """``f_t(x) = <c_t, x>`` on the box ``[lo, hi]^d``.

    Args:
      values: ``(K, d)`` the possible loss vectors c, or ``(S, K, d)``, one set per row.
      schedule: ``"periodic"``: ``c_t = values[(t - 1) % P]`` with the period ``P = K`` or the
        row's ``periods[s]`` (<= K); ``"iid"``: ``c_t = values[k]`` with probability ``probs[k]``
        (``(K,)`` or ``(S, K)``), drawn per row and round.
      comparator: ``x*`` (d,), common to every row; it must be the best fixed point in hindsight
        (periodic: for every T, checked on construction over two periods; iid: the minimiser
        of the expected loss).
    """

    name = "online_linear"

    def __init__(self, values, schedule: str = "periodic", probs=None, lo: float = -1.0, hi: float = 1.0,
                 comparator=None, periods=None, dtype=torch.float64, device="cpu"):
        values = torch.as_tensor(values, dtype=dtype, device=device)
        if values.ndim not in (2, 3):
            raise ValueError(f"The 'values' parameter must have shape (K, d) or (S, K, d). Got {tuple(values.shape)} instead.")
        self.rows = values.shape[0] if values.ndim == 3 else None
        self.values = values if values.ndim == 3 else values.unsqueeze(0)  # (R, K, d), R = 1 when shared
        if schedule not in ("periodic", "iid"):
            raise ValueError(f"The 'schedule' parameter must be one of ['periodic', 'iid']. Got {schedule!r} instead.")
        self.schedule = schedule
        self.stochastic = schedule == "iid"  # the engine then needs a generator
        self.lo, self.hi = float(lo), check_real("hi", hi, lo, None, low_open=True)
        R, K, self.dim = self.values.shape
        P = torch.full((R,), K, dtype=torch.long, device="cpu") if periods is None else torch.as_tensor(periods, dtype=torch.long, device="cpu")
        if P.shape != (R,) or (P < 1).any() or (P > K).any():
            raise ValueError(f"The 'periods' parameter must hold {R} periods in [1, {K}]. Got {periods!r} instead.")
        self.periods = P.to(device)
        if schedule == "iid":
            p = np.broadcast_to(np.asarray(probs, dtype=np.float64), (R, K)) if probs is not None else None
            if p is None or (p < 0).any() or (np.abs(p.sum(-1) - 1) > 1e-12).any():
                raise ValueError(f"The 'probs' parameter must be {K} probabilities summing to 1 (per row). Got {probs!r} instead.")
            self.probs = torch.tensor(p, dtype=dtype, device=device)
            self.cum = torch.tensor(np.cumsum(p, -1), dtype=dtype, device="cpu")  # on the CPU, where the draws are made
            mean = (self.probs.unsqueeze(-1) * self.values).sum(1)  # (R, d)
        else:
            self.probs = None
            keep = (torch.arange(K, device=device) < self.periods.unsqueeze(-1)).to(dtype)  # (R, K)
            mean = (keep.unsqueeze(-1) * self.values).sum(1) / self.periods.unsqueeze(-1).to(dtype)
        self.mean = mean  # (R, d): the expected (or period-average) loss vector of each row
        # the expected loss is linear: its minimiser on the box is a corner, the same for every row
        best = torch.where(mean > 0, self.lo, self.hi).to(dtype)
        if comparator is None:
            if not bool((best == best[0]).all()):
                raise ValueError("The rows of 'values' must share their best fixed point; give a 'comparator'.")
            self.w_star = best[0]
        else:
            self.w_star = torch.as_tensor(comparator, dtype=dtype, device=device)
        self.L, self.mu, self.f_star = 0.0, 0.0, float((mean @ self.w_star).max())
        self.G = float(torch.linalg.vector_norm(self.values, dim=-1).max())
        self._cycle = None
        if schedule == "periodic":
            self._check_comparator(2 * K)
            # c_t of every round of one common cycle (the periods' lcm), where that table is small:
            # a round asks for c_t up to five times (its loss, the comparator's, the realised regret's
            # two, the gradient), and a table lookup is a view where the general one is three kernels
            cycle = math.lcm(*self.periods.tolist())
            if cycle * R * self.dim <= _CYCLE_TABLE_MAX:
                k = torch.arange(cycle, device=self.periods.device).unsqueeze(-1) % self.periods  # (cycle, R)
                self._cycle = self.values[torch.arange(R, device=k.device), k]  # (cycle, R, d)

    def _check_comparator(self, T: int) -> None:
        """The comparator must minimise sum_{t <= T} f_t over the box for every T (a corner suffices)."""
        t = torch.arange(T, device=self.periods.device)
        idx = t.unsqueeze(0) % self.periods.unsqueeze(-1)  # (R, T)
        cums = torch.cumsum(torch.gather(self.values, 1, idx.unsqueeze(-1).expand(-1, -1, self.dim)), 1)  # (R, T, d)
        best = torch.where(cums > 0, self.lo, self.hi).to(cums.dtype)
        if not bool(((cums * self.w_star).sum(-1) <= (cums * best).sum(-1) + 1e-12).all()):
            raise ValueError("The 'comparator' parameter must be the best fixed point in hindsight for every T.")

    def _check_rows(self, S: int) -> None:
        if self.rows is not None and self.rows != S:
            raise ValueError(f"The problem has {self.rows} rows of losses; the run has {S} rows. They must agree.")

    def draw(self, t, S, generator, device):
        if self.schedule == "periodic":
            return None
        self._check_rows(S)
        return self.draw_block(t, 1, S, generator, device)[0]

    def draw_block(self, t, K, S, generator, device):
        if self.schedule == "periodic":
            return None
        self._check_rows(S)
        # K*S uniforms in one draw: the same bits as K draws of S (a CPU generator fills in order)
        u = torch.rand(K * S, 1, generator=generator, dtype=self.cum.dtype, device=generator.device)
        k = torch.searchsorted(self.cum.expand(S, -1).repeat(K, 1).contiguous(), u, right=True).view(K, S)
        return upload(k.clamp_max(self.values.shape[1] - 1), device)

    def _c(self, t, xi, like):
        S = like.shape[0]
        self._check_rows(S)
        if xi is None:
            if self._cycle is not None and isinstance(t, int):  # a view of the table: no kernel per lookup
                return self._cycle[(t - 1) % self._cycle.shape[0]].expand_as(like)
            k = (t - 1) % self.periods  # (R,)
            c = self.values[torch.arange(self.values.shape[0], device=k.device), k]  # (R, d)
            return c.expand_as(like)
        rows = torch.arange(S, device=xi.device) if self.rows is not None else torch.zeros(S, dtype=torch.long, device=xi.device)
        return self.values[rows, xi]

    def loss_at(self, w, t, xi):
        return (self._c(t, xi, w) * w).sum(-1)

    def grad_at(self, w, t, xi):
        return self._c(t, xi, w).clone()

    def regret_at(self, w, t, xi):
        if self.schedule == "iid":  # pseudo-regret: the expected loss F(x) = <E c, x>
            return ((w - self.w_star) * self.mean).sum(-1)
        return super().regret_at(w, t, xi)

    def project(self, w):
        return w.clamp(self.lo, self.hi)

    def loss(self, w):
        return (w * self.mean).sum(-1)

    def grad(self, w):
        return self.mean.expand_as(w).clone()

    def gap(self, w):
        return ((w - self.w_star) * self.mean).sum(-1)

    def certificates(self):
        """Linear losses: convex, with gradients ``c_t`` bounded by the largest loss vector's norm
        on the whole feasible set (exact: the gradient does not depend on x); the comparator the
        best fixed point in hindsight (checked on construction)."""
        from ..hypotheses import Certificate

        return [Certificate("convex", True, "f_t(x) = <c_t, x> is linear"),
                Certificate("bounded stochastic gradients", True, f"||grad f_t(x)|| = ||c_t|| <= {self.G:.6g} for every x "
                            "and t (exact: the gradient of a linear loss is constant)", self.G ** 2)]

    def constants(self):
        return {"d": int(self.dim), "G": self.G, "box": [self.lo, self.hi], "schedule": self.schedule,
                "K": int(self.values.shape[1]), "rows": self.rows, "comparator": self.w_star.tolist()}

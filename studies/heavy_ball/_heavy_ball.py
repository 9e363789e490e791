"""The methods and instances of the heavy_ball suite, as the papers state them.

* :func:`polyak`: Polyak's (1964) tuning for the class with constants (mu, L):
  ``eta = 4 / (sqrt(L) + sqrt(mu))^2``, ``alpha = ((sqrt(kappa) - 1) / (sqrt(kappa) + 1))^2``;
  on quadratics the iterates contract by ``q = (sqrt(kappa) - 1) / (sqrt(kappa) + 1)`` per step;
* :func:`quadratic_rate`: the exact worst-case rate of heavy ball on quadratics with spectrum in
  [mu, L], the largest spectral radius of its 2 x 2 iteration matrix over the eigenvalues;
* :class:`LessardFunction`: Lessard, Recht & Packard's (2016, Sec. 4.6) one-dimensional piecewise
  quadratic in F_{1,25} on which heavy ball with Polyak's tuning settles into a cycle of period 3;
* :func:`cycle_run` and :data:`CYCLES`: a run's last period measured (the cycle's radius around w*
  in ulps of the start's distance, its drift over the period) and the judgment "the run closes a
  cycle away from w*" on those measures (:func:`convcheck.search.cycling`'s rule, named limits).
"""

from __future__ import annotations

import math

import numpy as np
import torch

from convcheck import engine
from convcheck.evidence import Curves, Samples
from convcheck.hypotheses import Certificate
from convcheck.judgments import AtLeast, AtMost, Holds
from convcheck.objectives.base import Objective

#: "The run closes a cycle away from w*": back within SEARCH_CYCLE_RTOL of itself after a period,
#: at a radius above round-off (ROUNDOFF_FACTOR ulps of the start's distance to w*).
CYCLES = Holds({"drift": AtMost("SEARCH_CYCLE_RTOL", rtol=None), "radius": AtLeast("ROUNDOFF_FACTOR", rtol=None)},
               what="the run closes a cycle away from w*")


def polyak(L: float, mu: float) -> tuple[float, float]:
    """(eta, alpha) of Polyak's tuning."""
    k = L / mu
    return 4.0 / (math.sqrt(L) + math.sqrt(mu)) ** 2, ((math.sqrt(k) - 1) / (math.sqrt(k) + 1)) ** 2


def polyak_rate(L: float, mu: float) -> float:
    """q = (sqrt(kappa) - 1) / (sqrt(kappa) + 1)."""
    k = L / mu
    return (math.sqrt(k) - 1) / (math.sqrt(k) + 1)


def quadratic_rate(eta: float, alpha: float, L: float, mu: float) -> float:
    """max over lambda in [mu, L] of the spectral radius of [[1 + alpha - eta lambda, -alpha], [1, 0]]:
    the roots of z^2 - (1 + alpha - eta lambda) z + alpha. Where they are complex their modulus is
    sqrt(alpha); where real, the largest modulus grows with |1 + alpha - eta lambda|, so the
    maximum is at lambda = mu or L, or sqrt(alpha) when some lambda gives complex roots."""
    def radius(lam):
        b = 1 + alpha - eta * lam
        disc = b * b - 4 * alpha
        return math.sqrt(alpha) if disc < 0 else (abs(b) + math.sqrt(disc)) / 2
    return max(radius(mu), radius(L))


class LessardFunction(Objective):
    """f(x) = 25 x^2 / 2 (x < 1), x^2 / 2 + 24 x - 12 (1 <= x < 2), 25 x^2 / 2 - 24 x + 36 (x >= 2),
    on R (Lessard, Recht & Packard 2016, Sec. 4.6): C^1, f'' in {1, 25}, minimiser 0, f* = 0."""

    name = "Lessard, Recht & Packard's piecewise quadratic"

    def __init__(self, dtype=torch.float64, device="cpu"):
        self.dim, self.L, self.mu, self.f_star = 1, 25.0, 1.0, 0.0
        self.w_star = torch.zeros(1, dtype=dtype, device=device)

    def loss(self, w):
        x = w[:, 0]
        return torch.where(x < 1, 12.5 * x * x, torch.where(x < 2, 0.5 * x * x + 24 * x - 12, 12.5 * x * x - 24 * x + 36))

    def grad(self, w):
        return torch.where(w < 1, 25 * w, torch.where(w < 2, w + 24, 25 * w - 24))

    def certificates(self):
        """Analytic: f' is continuous (25 at x = 1 from both sides, 26 at x = 2) and piecewise
        linear with slopes 25, 1, 25, so f' is 25-Lipschitz and f'' >= 1 (strongly convex) on R."""
        how = "f' continuous and piecewise linear with slopes 25, 1, 25 (analytic)"
        return [Certificate("L-smooth", True, how, 25.0), Certificate("convex", True, how),
                Certificate("mu-strongly convex", True, how, 1.0),
                Certificate("bounded below", True, "f >= 0 = f(0)", 0.0)]


def cycle_run(obj, opt, w0, steps: int, period: int, label: str):
    """``engine.run`` of ``opt`` on ``obj`` from ``w0``, recording the last ``period`` steps: the trace,
    and per seed its last period measured (``{"radius", "drift"}``, Samples carrying the run's instance)."""
    tr = engine.run(obj, opt, w0, steps, keep_iterates=True,
                    checkpoints=np.unique(np.r_[engine.log_checkpoints(steps), np.arange(steps - period, steps + 1)]))
    prov = Curves.of(tr, "dist").provenance
    last = tr.iterates[:, -(period + 1):]
    radius = torch.linalg.vector_norm(last - obj.w_star, dim=-1).amax(1)
    drift = torch.linalg.vector_norm(last[:, -1] - last[:, 0], dim=-1) / radius.clamp_min(torch.finfo(radius.dtype).tiny)
    ulp = torch.finfo(tr.iterates.dtype).eps * torch.linalg.vector_norm(tr.iterates[:, 0] - obj.w_star, dim=-1).max()
    labels = [f"{label}, seed {s}" for s in range(radius.shape[0])]
    return tr, {"radius": Samples((radius / ulp).cpu().numpy(), prov, "the last period's radius around w* (ulps of the "
                                  "start's distance)", labels),
                "drift": Samples(drift.cpu().numpy(), prov, f"drift over the period {period}, relative to the radius", labels)}

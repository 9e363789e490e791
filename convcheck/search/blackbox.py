"""Black-box search over a parametric family inside a class, for methods PEPit cannot express.

Stochastic, coordinate-wise adaptive and online methods are no fixed linear combination of
gradients, so no semidefinite program describes their worst case. What remains is to search: a
*family* maps a parameter vector (box-bounded) to a concrete problem inside the claim's class,
and certifies each candidate; a *measure* runs the method on a batch of candidates (one row each,
one engine run per generation) and returns each one's violation of the claim (positive: broken).
The optimiser is scipy's differential evolution, derivative-free, seeded from
names, its whole population evaluated as one batch.

Every candidate is certified before it counts: one whose certificate fails is not run and gets
no violation; the result says how many were certified. Families here:

* :class:`PeriodicLinear`: online linear losses ``f_t(x) = c_t x`` on [-1, 1] with a period of P
  gradients in [-C, C], comparator x* = -1 (certified the best fixed point in hindsight for every
  T: every prefix sum of the c_t is >= 0), and the first iterate in [-1, 1];
* :class:`QuadraticSpectrum`: quadratics ``1/2 sum_i lambda_i w_i^2`` with spectrum in [mu, L]
  (a rotation changes nothing for a rotation-invariant method) and a start at distance 1 from w* = 0;
* :class:`ShiftedQuadraticSums`: finite sums ``1/n sum_i 1/2 sum_j lambda_j (w_j - c_ij)^2`` with
  the spectrum in [mu, L] and the shifts in [-1, 1] (centred, so w* = 0), each component
  mu-strongly convex and L-smooth; each candidate runs as ``replicas`` rows, so a stochastic
  method's measure can average over its own draws.
"""

from __future__ import annotations

import time
from typing import Callable

import numpy as np
import torch

from .._validation import check_int, check_real
from ..objectives.base import FiniteSum, Objective
from ..seeding import seed_from
from .result import SearchResult

__all__ = ["black_box", "PeriodicLinear", "QuadraticSpectrum", "RowQuadratics", "ShiftedQuadraticSums",
           "RowShiftedQuadratics"]

#: The optimiser's value of a candidate that does not count (uncertified, or unmeasurable): above
#: every real one (minus a violation), and finite so that the population's statistics stay finite.
_UNCOUNTED = 1e30


class PeriodicLinear:
    """Online linear losses with period ``period`` and ``|c_t| <= C`` on [-1, 1] (module docstring).
    Parameters: ``c_1 .. c_P`` in [-C, C], then the first iterate x_1 in [-1, 1]."""

    def __init__(self, C: float, period: int = 3):
        self.C = check_real("C", C, 0, None, low_open=True)
        self.period = check_int("period", period, 1)
        self.bounds = [(-self.C, self.C)] * self.period + [(-1.0, 1.0)]
        self.name = f"periodic linear losses on [-1, 1], period {self.period}, |g| <= {self.C:g}"

    def certify(self, params: np.ndarray) -> np.ndarray:
        """Inside the class: |c_t| <= C, and x* = -1 the best fixed point in hindsight for every T
        (every prefix sum over two periods >= 0; later prefixes repeat them plus whole periods)."""
        c = params[:, :self.period]
        prefix = np.cumsum(np.concatenate([c, c], 1), 1)
        return (np.abs(c) <= self.C).all(1) & (prefix >= 0).all(1) & (np.abs(params[:, -1]) <= 1)

    def build(self, params: np.ndarray):
        from ..objectives import OnlineLinear

        values = torch.as_tensor(params[:, :self.period, None], dtype=torch.float64, device="cpu")
        obj = OnlineLinear(values, comparator=[-1.0])
        return obj, torch.as_tensor(params[:, -1:], dtype=torch.float64, device="cpu")


class RowQuadratics(Objective):
    """``f_s(w) = 1/2 sum_i lambda_si w_i^2`` with its own spectrum per row s (a batch of candidates
    run at once): ``w* = 0``, ``f* = 0``; L and mu over all rows."""

    name = "row quadratics"

    def __init__(self, eigenvalues: torch.Tensor):
        self.lam = eigenvalues
        self.dim = eigenvalues.shape[1]
        self.L, self.mu, self.f_star = float(eigenvalues.max()), float(eigenvalues.min()), 0.0
        self.w_star = torch.zeros(self.dim, dtype=eigenvalues.dtype, device=eigenvalues.device)

    def loss(self, w):
        return 0.5 * (self.lam * w * w).sum(-1)

    def grad(self, w):
        return self.lam * w


class QuadraticSpectrum:
    """Quadratics with spectrum in [mu, L] in dimension d, start at distance 1 from w* = 0.
    Parameters: the d eigenvalues, then the start's d coordinates (normalised)."""

    def __init__(self, d: int, L: float, mu: float = 0.0):
        self.d = check_int("d", d, 1)
        self.L = check_real("L", L, 0, None, low_open=True)
        self.mu = check_real("mu", mu, 0, self.L)
        self.bounds = [(self.mu, self.L)] * self.d + [(-1.0, 1.0)] * self.d
        self.name = f"quadratics with spectrum in [{self.mu:g}, {self.L:g}], d = {self.d}"

    def certify(self, params: np.ndarray) -> np.ndarray:
        lam, w = params[:, :self.d], params[:, self.d:]
        return (lam >= self.mu).all(1) & (lam <= self.L).all(1) & (np.linalg.norm(w, axis=1) > 1e-8)

    def build(self, params: np.ndarray):
        lam = torch.as_tensor(params[:, :self.d], dtype=torch.float64, device="cpu")
        w = torch.as_tensor(params[:, self.d:], dtype=torch.float64, device="cpu")
        return RowQuadratics(lam), w / torch.linalg.vector_norm(w, dim=-1, keepdim=True)

    def instance(self, params: np.ndarray):
        from ..objectives import Quadratic

        q = Quadratic(torch.as_tensor(params[:self.d], dtype=torch.float64, device="cpu"), rotate=False,
                      w_star=torch.zeros(self.d, dtype=torch.float64, device="cpu"))
        w = torch.as_tensor(params[self.d:], dtype=torch.float64, device="cpu")
        return q, (w / torch.linalg.vector_norm(w)).unsqueeze(0)


class RowShiftedQuadratics(FiniteSum):
    """``f_s = 1/n sum_i 1/2 sum_j lambda_sj (w_j - c_sij)^2`` with each row s its own spectrum
    ``(S, d)`` and centred shifts ``(S, n, d)`` (sum_i c_si = 0): ``w* = 0``, ``f*_s = 1/(2n)
    sum_ij lambda_sj c_sij^2`` (``f_star`` is 0; ``gap`` subtracts each row's own)."""

    name = "row shifted quadratics"

    def __init__(self, eigenvalues: torch.Tensor, shifts: torch.Tensor):
        self.lam, self.c = eigenvalues, shifts - shifts.mean(1, keepdim=True)
        self.n, self.dim = shifts.shape[1], shifts.shape[2]
        self.L, self.mu, self.f_star = float(eigenvalues.max()), float(eigenvalues.min()), 0.0
        self.w_star = torch.zeros(self.dim, dtype=eigenvalues.dtype, device=eigenvalues.device)
        self.row_f_star = 0.5 * (self.lam.unsqueeze(1) * self.c * self.c).sum(-1).mean(1)  # (S,)

    def loss(self, w):
        return 0.5 * (self.lam.unsqueeze(1) * (w.unsqueeze(1) - self.c) ** 2).sum(-1).mean(1)

    def gap(self, w):
        return 0.5 * (self.lam * w * w).sum(-1)

    def grad(self, w):
        return self.lam * w  # the centres average to 0

    def grad_batch(self, w, idx):
        rows = torch.arange(w.shape[0], device=w.device).unsqueeze(1)
        return self.lam * (w - self.c[rows, idx].mean(1))

    def loss_batch(self, w, idx):
        rows = torch.arange(w.shape[0], device=w.device).unsqueeze(1)
        return 0.5 * (self.lam.unsqueeze(1) * (w.unsqueeze(1) - self.c[rows, idx]) ** 2).sum(-1).mean(1)

    def noise(self) -> torch.Tensor:
        """``E_i ||grad f_i(w*)||^2`` per row ``(S,)``: the gradient noise at the minimiser."""
        return ((self.lam.unsqueeze(1) * self.c) ** 2).sum(-1).mean(1)


class ShiftedQuadraticSums(QuadraticSpectrum):
    """Sums of ``n`` shifted quadratics sharing a spectrum in [mu, L] (module docstring), each
    candidate as ``replicas`` rows. Parameters: the d eigenvalues, the start's d coordinates
    (normalised to distance 1 from w* = 0), then the n x d shifts."""

    def __init__(self, n: int, d: int, L: float, mu: float = 0.0, replicas: int = 1):
        super().__init__(d, L, mu)
        self.n = check_int("n", n, 2)
        self.replicas = check_int("replicas", replicas, 1)
        self.bounds = self.bounds + [(-1.0, 1.0)] * (self.n * self.d)
        self.name = f"sums of {self.n} shifted quadratics with spectrum in [{self.mu:g}, {self.L:g}], d = {self.d}"

    def certify(self, params: np.ndarray) -> np.ndarray:
        shifts = params[:, 2 * self.d:].reshape(-1, self.n, self.d)
        return super().certify(params) & (np.abs(shifts) <= 1).all((1, 2))

    def build(self, params: np.ndarray):
        P = np.repeat(params, self.replicas, axis=0)
        lam = torch.as_tensor(P[:, :self.d], dtype=torch.float64, device="cpu")
        c = torch.as_tensor(P[:, 2 * self.d:].reshape(-1, self.n, self.d), dtype=torch.float64, device="cpu")
        w = torch.as_tensor(P[:, self.d:2 * self.d], dtype=torch.float64, device="cpu")
        return RowShiftedQuadratics(lam, c), w / torch.linalg.vector_norm(w, dim=-1, keepdim=True)

    def instance(self, params: np.ndarray):
        from ..objectives import ShiftedQuadratics

        lam = torch.as_tensor(params[:self.d], dtype=torch.float64, device="cpu")
        c = torch.as_tensor(params[2 * self.d:].reshape(self.n, self.d), dtype=torch.float64, device="cpu")
        obj = ShiftedQuadratics(torch.diag(lam), c - c.mean(0))
        w = torch.as_tensor(params[self.d:2 * self.d], dtype=torch.float64, device="cpu")
        return obj, (obj.w_star + w / torch.linalg.vector_norm(w)).unsqueeze(0)


def black_box(family, measure: Callable, *, budget: int, names, margin: float = 0.0, popsize: int = 10,
              question: str | None = None) -> SearchResult:
    """Search ``family`` for a candidate whose ``measure`` exceeds ``margin``.

    ``measure(objective, w0, params) -> (rows,)`` runs the method on the built batch (one row per
    certified candidate) and returns each row's violation of the claim. Differential evolution
    (scipy) over ``family.bounds``, ``popsize`` x dimension candidates per generation, as many
    generations as ``budget`` (candidates in all) allows, seeded from ``names``
    (:func:`convcheck.seeding.seed_from`). Found when the best certified candidate's violation
    exceeds ``margin``; the instance is that candidate as a concrete problem
    (``family.instance(params)`` where the family has one, else its one-row batch)."""
    from scipy.optimize import differential_evolution

    budget = check_int("budget", budget, 1)
    popsize = check_int("popsize", popsize, 1)
    names = tuple(names) if isinstance(names, (tuple, list)) else (names,)
    if not names or not all(str(n) for n in names):
        raise ValueError(f"The 'names' parameter must hold at least one non-empty name to seed the search from. "
                         f"Got {names!r} instead.")
    bounds = list(getattr(family, "bounds", ()))
    if not bounds or any(not (np.isfinite(lo) and np.isfinite(hi) and lo < hi) for lo, hi in bounds):
        raise ValueError(f"The 'family' parameter must give finite bounds lo < hi for each of its parameters. "
                         f"Got {bounds!r} instead.")
    margin = check_real("margin", margin)
    D = len(family.bounds)
    per_generation = popsize * D
    maxiter = max(0, budget // per_generation - 1)
    seed = seed_from(*names)
    t0 = time.perf_counter()
    count = {"candidates": 0, "certified": 0}
    best = {"violation": -np.inf, "params": None}

    def energies(X):  # X: (D, n) as scipy's vectorised mode passes it
        P = np.asarray(X, dtype=np.float64).T
        ok = np.asarray(family.certify(P), dtype=bool)
        count["candidates"] += P.shape[0]
        count["certified"] += int(ok.sum())
        out = np.full(P.shape[0], np.inf)  # uncertified: not a candidate that counts
        if ok.any():
            obj, w0 = family.build(P[ok])
            v = np.asarray(measure(obj, w0, P[ok]), dtype=np.float64)
            v = np.where(np.isfinite(v), v, -np.inf)  # a run that failed to measure counts as no violation
            out[ok] = -v
            i = int(np.argmax(v))
            if v[i] > best["violation"]:
                best.update(violation=float(v[i]), params=P[ok][i].copy())
        return np.where(np.isfinite(out), out, _UNCOUNTED)

    differential_evolution(energies, family.bounds, popsize=popsize, maxiter=maxiter, tol=0, atol=0, polish=False,
                           vectorized=True, updating="deferred", seed=np.random.default_rng(seed), init="latinhypercube")
    question = question or f"a violation above {margin:g} in {family.name}"
    inst = start = None
    details = {"margin": margin, "generations": maxiter + 1, "per generation": per_generation}
    if best["params"] is not None:
        details["parameters"] = best["params"].tolist()
        inst, start = (family.instance(best["params"]) if hasattr(family, "instance")
                       else family.build(best["params"][None]))
    return SearchResult(question, "differential evolution (scipy)", best["violation"] > margin, count["candidates"],
                        count["certified"], best["violation"], {"candidates": budget, "popsize": popsize}, seed,
                        time.perf_counter() - t0, inst, start, None, details)

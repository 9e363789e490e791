"""What each seed contributes to a check: one divergence policy and one deterministic test.

Every check in :mod:`convcheck.stats` goes through these functions, so they all read seeds
the same way:

* **Divergence is the worst outcome, never a missing row.** A seed whose curve (or value)
  is non-finite anywhere (NaN or +-inf: the engine writes NaN after a seed diverges) has
  diverged. For the claim under test it counts as the worst case: it exceeds every bound,
  loses every comparison, fails every rate. A claim about the expectation ``E[e_t]`` is
  false as soon as one seed diverges with positive probability, and a diverged seed is a
  run where the statement fails; so checks refute on it and say how many seeds diverged
  and when. Exact zeros (and other finite values at or below round-off) reached by a
  converging seed are not divergence.
* **Deterministic mode.** When every seed agrees with the first to round-off
  (``DETERMINISTIC_FACTOR * eps`` relative, checkpoint by checkpoint), there is one curve,
  not a sample: the checks compare that curve with the claim and quote no interval over
  seeds (a zero-width "90% CI over 32 seeds" would be a false precision).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import thresholds as th

__all__ = ["SeedAudit", "audit", "worst", "roundoff_limit", "difference_scale", "eps_of", "deterministic_label",
           "values_agree"]


def eps_of(x) -> float:
    """Machine epsilon of ``x``'s floating dtype (numpy or torch); float64's for other input."""
    dtype = getattr(x, "dtype", None)
    name = str(dtype).replace("torch.", "")
    try:
        return float(np.finfo(np.dtype(name)).eps) if name.startswith(("float", "bfloat")) else float(np.finfo(np.float64).eps)
    except TypeError:  # bfloat16 has no numpy dtype
        return 2.0 ** -7 if "bfloat16" in name else float(np.finfo(np.float64).eps)


def roundoff_limit(scale: float, eps: float = float(np.finfo(np.float64).eps)) -> float:
    """The smallest value that is not round-off for a quantity computed at magnitude ``scale``."""
    return th.ROUNDOFF_FACTOR * eps * abs(float(scale))


def difference_scale(f_star: float, gaps) -> float:
    """The magnitude at which a gap ``f(w) - f*`` is computed: ``|f*| + max |gap|`` (finite values):
    its round-off is that of f, not of the gap."""
    g = np.asarray(gaps, dtype=np.float64)
    g = g[np.isfinite(g)]
    return abs(float(f_star)) + (float(np.abs(g).max()) if g.size else 0.0)


@dataclass(frozen=True)
class SeedAudit:
    """What the seeds of one input are: how many, which diverged and when, and whether they agree.

    Attributes:
      n: seeds given.
      diverged: (S,) bool, True where a seed has a non-finite value.
      diverged_at: (S,) float, the first step (or index) with a non-finite value; NaN where none.
      deterministic: every seed agrees with the first to round-off (and there are at least 2,
        or the caller said so).
    """

    n: int
    diverged: np.ndarray
    diverged_at: np.ndarray
    deterministic: bool

    @property
    def n_diverged(self) -> int:
        return int(self.diverged.sum())

    def note(self) -> str:
        """One line: how many seeds diverged and when (empty when none did)."""
        if not self.n_diverged:
            return ""
        at = np.sort(self.diverged_at[self.diverged])
        when = ", ".join(f"{a:g}" for a in at[:8]) + (", ..." if at.size > 8 else "")
        return f"{self.n_diverged} of {self.n} seeds diverged (non-finite from t = {when})"

    def statistic(self) -> dict:
        return {"n_diverged": self.n_diverged, "diverged_at": self.diverged_at[self.diverged],
                "deterministic": self.deterministic}


def audit(values, steps=None, *, eps: float = float(np.finfo(np.float64).eps), deterministic: bool | None = None) -> SeedAudit:
    """Audit ``values``: (S,) per-seed numbers or (S, C) curves at ``steps`` (C,).

    ``deterministic``: None detects agreement (needs S >= 2); True or False is the caller's word
    (True for a single curve the caller knows to be deterministic; it is still checked for
    divergence).
    """
    X = np.asarray(values, dtype=np.float64)
    X2 = X.reshape(X.shape[0], -1) if X.ndim else X.reshape(1, 1)
    bad = ~np.isfinite(X2)
    diverged = bad.any(axis=1)
    pos = np.asarray(steps, dtype=np.float64) if steps is not None else np.arange(X2.shape[1], dtype=np.float64)
    first = np.where(diverged, pos[np.argmax(bad, axis=1)], np.nan)
    if deterministic is None:
        deterministic = bool(X2.shape[0] >= 2 and not diverged.any() and _agree(X2, eps))
    return SeedAudit(int(X2.shape[0]), diverged, first, bool(deterministic))


def _agree(X: np.ndarray, eps: float) -> bool:
    """Every row equals the first within DETERMINISTIC_FACTOR * eps relative, column by column."""
    tol = th.DETERMINISTIC_FACTOR * eps * np.maximum(np.abs(X).max(axis=0), np.finfo(np.float64).tiny)
    return bool(np.all(np.abs(X - X[0]) <= tol))


def values_agree(x: np.ndarray, floor: float) -> bool:
    """Per-seed values (at least 2) that agree to round-off: their spread is at most
    ``DETERMINISTIC_FACTOR * eps`` times their magnitude, or ``floor`` when they are near 0."""
    x = np.asarray(x, dtype=np.float64)
    return x.size >= 2 and bool(np.ptp(x) <= th.DETERMINISTIC_FACTOR * np.finfo(np.float64).eps
                                * max(float(np.abs(x).max()), floor))


def deterministic_label(n: int) -> str:
    """How a verdict on one deterministic curve introduces itself."""
    return "deterministic (one curve)" if n == 1 else f"deterministic ({n} seeds agree to round-off)"


def worst(x, *, higher_is_worse: bool = True) -> np.ndarray:
    """``x`` with every non-finite entry replaced by the worst value for the claim:
    +inf where higher is worse (an error, a gap, a count of iterations), -inf where lower is
    worse (progress, a decrease)."""
    x = np.array(x, dtype=np.float64, copy=True)
    x[~np.isfinite(x)] = np.inf if higher_is_worse else -np.inf
    return x

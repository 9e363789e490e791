"""Input normalisation shared by the checks: numpy or torch in, float64 numpy out."""

from __future__ import annotations

import numpy as np

__all__ = ["as_numpy", "as_curves"]


def as_numpy(x) -> np.ndarray:
    if hasattr(x, "detach"):
        x = x.detach().cpu().numpy()
    return np.asarray(x, dtype=np.float64)


def as_curves(errors, steps) -> tuple[np.ndarray, np.ndarray]:
    """``errors`` as (S, C) float64 (a 1-D curve becomes one seed) and ``steps`` as (C,)."""
    E, t = as_numpy(errors), as_numpy(steps)
    if E.ndim == 1:
        E = E[None, :]
    if E.ndim != 2 or t.ndim != 1 or E.shape[1] != t.shape[0]:
        raise ValueError(f"The 'errors' and 'steps' parameters must have shapes (seeds, C) and (C,). Got {E.shape} and {t.shape} instead.")
    return E, t

"""Seeds derived from names.

A seed is a hash of the names that identify a piece of work (study, claim, setting,
repetition), so a study is reproducible alone, whatever else ran before it. All randomness
then flows through explicit ``torch.Generator`` / ``numpy.random.Generator`` objects.
"""

from __future__ import annotations

import hashlib

import numpy as np
import torch

__all__ = ["seed_from", "torch_generator", "numpy_generator"]


def seed_from(*names: object) -> int:
    """A 63-bit seed from the names, stable across runs, machines and Python versions."""
    text = "/".join(str(n) for n in names)
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "little") >> 1


def torch_generator(*names: object, device: str | torch.device = "cpu") -> torch.Generator:
    """A ``torch.Generator`` on ``device`` seeded from the names."""
    gen = torch.Generator(device=device)
    gen.manual_seed(seed_from(*names))
    return gen


def numpy_generator(*names: object) -> np.random.Generator:
    """A ``numpy.random.Generator`` (PCG64) seeded from the names."""
    return np.random.default_rng(seed_from(*names))

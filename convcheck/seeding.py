"""Seeds derived from names.

A seed is a hash of the names that identify a piece of work (study, claim, setting,
repetition), so a study is reproducible alone, whatever else ran before it. A study's randomness
then flows through explicit ``torch.Generator`` objects (:func:`torch_generator`).
"""

from __future__ import annotations

import hashlib

import torch

__all__ = ["seed_from", "torch_generator"]


def seed_from(*names: object) -> int:
    """A 63-bit seed from the names, stable across runs, machines and Python versions."""
    text = "/".join(str(n) for n in names)
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "little") >> 1


def torch_generator(*names: object, device: str | torch.device = "cpu") -> torch.Generator:
    """A ``torch.Generator`` on ``device`` seeded from the names."""
    gen = torch.Generator(device=device)
    gen.manual_seed(seed_from(*names))
    return gen


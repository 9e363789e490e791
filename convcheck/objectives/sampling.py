"""Index samplers for stochastic-gradient oracles (Sec. 4-5, Eqs. 30-31).

Each sampler draws ``idx: (S, b)`` long indices into ``range(n)`` for every seed at once,
from an explicit ``torch.Generator``; ``draw_block`` draws the next K steps' batches at once,
``(K, S, b)``, the same bits as K calls of ``draw`` (the engine moves one block to the device
per K steps instead of one small copy per step):

* :class:`WithReplacement`: ``b`` independent uniform indices per step (bootstrap; ``b = 1``
  is plain SGD, Eq. 23).
* :class:`WithoutReplacement`: a fresh random partition of the data each epoch, batches
  taken in order (Eqs. 30-31); ``n // b`` batches per epoch, the remainder dropped.
"""

from __future__ import annotations

import torch

from .._runtime import upload
from .._validation import check_int

__all__ = ["Sampler", "WithReplacement", "WithoutReplacement"]


class Sampler:
    """Draws index batches; ``draw(S, generator, device) -> (S, b)``. The device is always named: the
    draws are made on the generator's device (the CPU) and moved there, so every device gets the same
    batches and indices never meet data on another device."""

    n: int
    b: int

    def draw(self, S: int, generator: torch.Generator, device) -> torch.Tensor:
        raise NotImplementedError

    def draw_block(self, S: int, K: int, generator: torch.Generator, device) -> torch.Tensor:
        """The next ``K`` steps' batches, ``(K, S, b)``: exactly ``K`` calls of :meth:`draw`."""
        return upload(torch.stack([self.draw(S, generator, generator.device) for _ in range(K)]), device)


class WithReplacement(Sampler):
    def __init__(self, n: int, b: int = 1):
        self.n = check_int("n", n, 1)
        self.b = check_int("b", b, 1)

    def draw(self, S, generator, device):
        # drawn where the generator lives (see Context.generator), then moved: a small copy of
        # (S, b) indices per step buys the same batches on every device
        return torch.randint(self.n, (S, self.b), generator=generator, device=generator.device).to(device)

    def draw_block(self, S, K, generator, device):
        # one draw of K*S*b indices consumes the generator exactly as K draws of S*b do (a CPU
        # generator fills a tensor in order; tested), so blocks change no bit of any run
        return upload(torch.randint(self.n, (K, S, self.b), generator=generator, device=generator.device), device)


class WithoutReplacement(Sampler):
    def __init__(self, n: int, b: int = 1):
        self.n = check_int("n", n, 1)
        self.b = check_int("b", b, 1, self.n)
        self._perm = None
        self._pos = 0

    def draw(self, S, generator, device):
        per_epoch = self.n // self.b
        if self._perm is None or self._perm.shape[0] != S or self._pos >= per_epoch:
            self._perm = torch.argsort(torch.rand(S, self.n, generator=generator, device=generator.device), dim=1).to(device)
            self._pos = 0
        out = self._perm[:, self._pos * self.b:(self._pos + 1) * self.b]
        self._pos += 1
        return out.to(device)  # the permutation may have been drawn for a block (on the CPU)

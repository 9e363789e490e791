"""Process-wide numeric and allocator settings, applied once by the engine.

* Subnormal floats are flushed to zero (``torch.set_flush_denormal``): float64 curves that
  decay past ~1e-308 would otherwise slow down more than 10x on CPU.
* glibc's malloc serves blocks above a dynamic threshold with fresh ``mmap`` pages and
  returns them on free, so every step that gathers a mini-batch of a few MB pays for page
  faults again; the threshold is pinned at 256 MiB (M_MMAP_THRESHOLD) and trimming at 512 MiB
  (M_TRIM_THRESHOLD), so those blocks are reused (the timings are in ``docs/speed.md``). Set
  ``CONVCHECK_MALLOC_TUNING=0`` to leave malloc alone; on non-glibc systems nothing is changed.
"""

from __future__ import annotations

import ctypes
import os

import torch

__all__ = ["tune_process"]

_DONE = False
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3


def tune_process() -> None:
    global _DONE
    if _DONE:
        return
    _DONE = True
    torch.set_flush_denormal(True)
    if os.environ.get("CONVCHECK_MALLOC_TUNING", "1") == "0":
        return
    try:
        libc = ctypes.CDLL("libc.so.6")
        libc.mallopt(_M_MMAP_THRESHOLD, 256 * 1024 * 1024)
        libc.mallopt(_M_TRIM_THRESHOLD, 512 * 1024 * 1024)
    except (OSError, AttributeError):
        pass


def blas_limits(threads: int):
    """A context capping the BLAS/OpenMP pools behind numpy and scipy at ``threads``
    (threadpoolctl, a dependency). Where it is missing (a bare GPU image with the project on
    PYTHONPATH) torch's own cap still holds, and nothing else is changed."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        import contextlib

        return contextlib.nullcontext()
    return threadpool_limits(limits=threads)


def upload(x, device):
    """``x`` (drawn on the CPU) on ``device``. To CUDA through pinned memory without blocking the
    host: a block of draws is copied while earlier steps still run (the caching host allocator
    keeps the pinned buffer alive until the copy is done). Elsewhere a plain ``.to``."""
    import torch

    device = torch.device(device)
    if device.type == "cuda" and x.device.type == "cpu":
        return x.pin_memory().to(device, non_blocking=True)
    return x.to(device)

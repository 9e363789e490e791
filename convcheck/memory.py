"""How many rows (seeds x settings) fit in memory, checked before a run allocates them.

The engine keeps, per row: the parameters, the proposal, the optimizer's state, the gradient
and its temporaries, the residuals over the samples (all n, or a mini-batch's gathered data),
the recorded metrics and (optionally) the kept iterates. :func:`bytes_per_row` adds those up
from the shapes, and :func:`check_rows` compares the total with the memory free on
the run's device (CUDA: ``torch.cuda.mem_get_info``; CPU: ``MemAvailable`` of
``/proc/meminfo``). A run that cannot fit stops before it allocates, with
:class:`TooManyRows`: how many rows it asked for and how many fit, so the command line can
name the largest ``--seeds`` that fits instead of ending in an allocator traceback.
"""

from __future__ import annotations

import math

import torch

__all__ = ["TooManyRows", "bytes_per_row", "free_bytes", "check_rows"]

# Parameter-sized tensors per row at a step's peak: the parameters and the proposal, up to three
# of optimizer state (Adam's moments, AMSGrad's maximum), a gradient, a perturbation (SAM) and the
# products inside the objective; 12 is an upper estimate, so a refusal means the run cannot fit.
TEMPORARIES = 12
USABLE = 0.8  # of the free memory: the allocator, the data and the rest of the process need the remainder


class TooManyRows(MemoryError):
    """A run that needs more memory than the device has free. ``rows``: asked for; ``fits``: the most that fit."""

    def __init__(self, rows: int, fits: int, need: float, free: float, device):
        self.rows, self.fits, self.need, self.free, self.device = rows, fits, need, free, str(device)
        super().__init__(f"{rows} rows need about {need / 2**30:.3g} GiB on {device}, where {free / 2**30:.3g} GiB "
                         f"are free: at most {fits} rows fit")


def bytes_per_row(dim: int, itemsize: int, *, checkpoints: int = 1, metrics: int = 3, keep_iterates: bool = False,
                  batch: int | None = None, samples: int = 0) -> int:
    """Bytes one row of a run holds at its peak (see the module docstring). ``batch``: a
    mini-batch's size (its data gathered per row); else ``samples``, the residuals over all n."""
    row = itemsize * dim * TEMPORARIES
    row += itemsize * checkpoints * (metrics + (dim if keep_iterates else 0))
    row += itemsize * (2 * batch * dim if batch else 2 * samples)
    return int(row)


def free_bytes(device) -> float | None:
    """Free memory on ``device`` in bytes, or None where it cannot be read."""
    device = torch.device(device)
    if device.type == "cuda":
        return float(torch.cuda.mem_get_info(device)[0])
    if device.type == "cpu":
        try:
            with open("/proc/meminfo") as fh:
                for line in fh:
                    if line.startswith("MemAvailable:"):
                        return float(line.split()[1]) * 1024
        except OSError:
            return None
    return None


def check_rows(rows: int, per_row: int, device, free: float | None = None) -> None:
    """Raise :class:`TooManyRows` when ``rows`` rows of ``per_row`` bytes do not fit on ``device``."""
    free = free_bytes(device) if free is None else free
    if free is None:
        return
    need = rows * per_row
    if need > USABLE * free:
        raise TooManyRows(rows, max(0, math.floor(USABLE * free / per_row)), need, free, device)

"""Where a study runs and in what precision: the device and the dtype, each decided in one place.

The run asks for a device (``auto``, ``cpu`` or ``cuda``) and a dtype (``float64``, the default,
or ``float32``); a study may declare its own (``DEVICE = "cpu"`` for small nets and SciPy
solvers, ``DTYPE = torch.float64`` for certificates that need it), and its declaration wins.
:func:`placement` makes that decision, in the process that runs the study (so ``auto`` takes
that worker's GPU); :func:`convcheck.study.run_study` calls it and records the answer on the
result, and everything after (the record, the manifest) reads it from there.
"""

from __future__ import annotations

from types import ModuleType

from ._validation import check_choice

__all__ = ["DEVICES", "DTYPES", "resolve_device", "parse_dtype", "dtype_name", "declared_device", "placement"]

#: The devices a run may ask for.
DEVICES = ("auto", "cpu", "cuda")
#: The dtypes a run may ask for, by name.
DTYPES = ("float64", "float32")


def resolve_device(device: str) -> str:
    """``auto`` -> ``cuda`` where this process sees a CUDA device, else ``cpu``; ``cuda`` without one
    is an input error. Called where the study runs (a worker), so each worker uses its own card."""
    import torch

    check_choice("device", device, DEVICES)
    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if device == "cuda" and not torch.cuda.is_available():
        raise ValueError("The 'device' parameter is 'cuda' but CUDA is not available here (torch "
                         f"{torch.__version__}, built for CUDA {torch.version.cuda}); use --device cpu or auto.")
    return device


def parse_dtype(dtype) -> torch.dtype:
    """A dtype asked for by name (``"float64"``, ``"float32"``) or as a ``torch.dtype``, checked."""
    import torch

    name = dtype_name(dtype)
    return getattr(torch, check_choice("dtype", name, DTYPES))


def dtype_name(dtype) -> str:
    """``torch.float64`` or ``"float64"`` -> ``"float64"``."""
    return str(dtype).replace("torch.", "")


def declared_device(module: ModuleType) -> str:
    """The device a study always runs on (its ``DEVICE``: "cpu" for small nets and SciPy
    solvers), or "" when it runs where the run does."""
    return str(getattr(module, "DEVICE", "") or "")


def placement(module: ModuleType, device: str = "cpu", dtype="float64") -> tuple[str, "torch.dtype"]:
    """Where ``module`` runs and in what dtype, for a run that asks for ``device`` and ``dtype``:
    the study's own ``DEVICE`` and ``DTYPE`` where it declares them, else the run's, the device
    resolved in this process (:func:`resolve_device`)."""
    dtype = parse_dtype(dtype)
    check_choice("device", device, DEVICES)
    return declared_device(module) or resolve_device(device), getattr(module, "DTYPE", dtype)

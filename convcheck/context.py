"""The context a study runs in: its device and dtype, its seeds, its methods, and named generators.

:func:`convcheck.study.run_study` builds one per run, where the study runs (its device and dtype
decided by :func:`convcheck.placement.placement`), and passes it to the study's ``run``.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from .seeding import seed_from, torch_generator
from .stats.thresholds import NOMINAL, Levels

__all__ = ["Context"]


@dataclass
class Context:
    """Where and how a study runs: device, dtype, seed count, and named generators."""

    study: str
    scale: str = "quick"
    seeds: int = 32
    device: str = "cpu"
    dtype: torch.dtype = torch.float64
    roles: tuple = ()
    methods: dict = field(default_factory=dict)  # role -> convcheck.roles.Method
    role_table: dict = field(default_factory=dict)  # role name -> convcheck.roles.Role
    claims: frozenset | None = None  # the claim ids asked for (None: all of the study's)
    readings: frozenset | None = None  # the (claim, reading) pairs asked for (None: every reading of those claims)
    # the FAIL and PASS levels its verdicts are judged at (a look's, in a staged run): a study that still
    # calls a check itself passes ``levels=ctx.levels`` to it
    levels: Levels = NOMINAL

    def wants(self, *claims: str) -> bool:
        """Whether any of ``claims`` was asked for: a study computes a claim's part only then, so
        ``convcheck check --claim X`` runs only what X needs (parts two claims share run for either)."""
        return self.claims is None or any(c in self.claims for c in claims)

    def wants_reading(self, claim: str, reading: str) -> bool:
        """Whether the verdict on ``reading`` of ``claim`` was asked for (``convcheck check`` asks
        only for the readings that test the role it fills): a study may skip another reading's part."""
        return self.wants(claim) and (self.readings is None or (claim, reading) in self.readings)

    def generator(self, *names) -> torch.Generator:
        """A CPU ``torch.Generator`` seeded from (study, *names).

        Random draws are made on the CPU and moved to the run's device, so the same seeds give
        the same data, starts and batches on every device (and on CPU, the same bits)."""
        return torch_generator(self.study, *names, device="cpu")

    def seed(self, *names) -> int:
        return seed_from(self.study, *names)

    def normal(self, shape, *names) -> torch.Tensor:
        """Standard normal draws of ``shape`` from the generator named ``names``, drawn on the CPU
        in the run's dtype and moved to its device (the same draws on every device)."""
        shape = (shape,) if isinstance(shape, int) else tuple(shape)
        return torch.randn(shape, generator=self.generator(*names), dtype=self.dtype, device="cpu").to(self.device)

    def start_near(self, center, *names, scale: float = 1.0, rows: int | None = None,
                   sphere: bool = False) -> torch.Tensor:
        """Starts ``center + scale * N(0, I)``, one per row (``rows``, default one per seed), the draws
        named ``names``: the "start near w*" of most studies. ``center``: (d,) tensor. ``sphere``:
        each draw normalised to unit length first, so every start lies at distance ``scale``."""
        rows = self.seeds if rows is None else int(rows)
        noise = self.normal((rows, center.shape[-1]), *names)
        if sphere:
            noise = noise / torch.linalg.vector_norm(noise, dim=-1, keepdim=True)
        return center + (noise if scale == 1.0 else scale * noise)

    def rows(self, values, per: int | None = None) -> torch.Tensor:
        """A sweep as rows: each of ``values`` repeated ``per`` times (default: once per seed), in
        the run's dtype and device, e.g. per-row step sizes for ``values`` x seeds runs."""
        return torch.tensor(np.repeat(np.asarray(values, dtype=float), self.seeds if per is None else int(per)),
                            dtype=self.dtype, device=self.device)

    def map(self, fn, settings) -> list:
        """``[fn(s) for s in settings]``: independent units of a study (the cells of a sweep).

        In this process by default; when the study itself runs on a Dask worker
        (``--executor dask``), the units become tasks of their own on the cluster. ``fn`` must
        draw its randomness from ``ctx.generator(...)`` named by the setting, never from shared
        state, so the results are the same bits wherever and in whatever order the units run.
        Units may run as threads of one worker process beside each other, so a unit must be
        thread-safe: a study whose units call LAPACK through SciPy (L-BFGS certificates) keeps its
        own loop, since two such calls in one process can hang in MKL.
        """
        settings = list(settings)
        try:
            from distributed import get_worker, worker_client

            get_worker()  # raises outside a Dask worker
        except (ImportError, ValueError):
            return [fn(s) for s in settings]
        import cloudpickle

        # a study and its suite's helpers are loaded from files, not importable by name on other
        # workers: their functions travel by value
        folder = str(Path(sys.modules[fn.__module__].__file__).parent)
        for mod in list(sys.modules.values()):
            if str(Path(getattr(mod, "__file__", "") or "/").parent) == folder:
                cloudpickle.register_pickle_by_value(mod)
        with worker_client() as client:  # leaves the worker's thread free for the units
            return client.gather(client.map(fn, settings, pure=False))

    def label(self, role: str) -> str:
        """What is in ``role`` for this run, in words: the user's class or factory, or convcheck's
        own method (for a verdict's line: the method actually under test)."""
        m = self.methods.get(role)
        return m.label if m is not None else f"convcheck's {role}"

    def method(self, role: str):
        """The method in ``role``: call it with the role's keyword arguments (torch.optim's
        names, see :mod:`convcheck.roles`) to get an Optimizer."""
        from .roles import resolve

        if role not in self.roles:
            raise ValueError(f"Study {self.study!r} declares the roles {list(self.roles)}; it asked for {role!r} "
                             "(add it to the study's ROLES).")
        return self.methods.get(role) or resolve(role, table=self.role_table)

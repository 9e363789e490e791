"""A run's record: metrics on checkpoints for every seed, as plain numpy arrays."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

__all__ = ["Trace"]


@dataclass
class Trace:
    """Metrics of S seeds at C checkpoints.

    Attributes:
      steps: (C,) steps done at each checkpoint (0 = the initial point).
      metrics: name -> (S, C) float64; NaN after a seed diverged. Always ``gap``
        (f - f*), ``grad_norm`` and ``dist`` (distance to the minimisers); ``avg_gap`` when
        the averaged iterate was tracked.
      grad_evals: (C,) per-sample gradient evaluations per seed up to each checkpoint.
      diverged_at: (S,) step at which each seed diverged, -1 if it did not.
      info: the optimizer's name, the objective's name, the run's ``dtype`` and ``device``, whether it
        drew batches (``sampled``), ``E_i ||grad f_i(w)||^2`` at each checkpoint (``stochastic_second_moment``,
        (S, C), where the objective has it), the optimizer's final state (``final_state``) and, with stopping
        criteria, ``stopped_at`` (S,) and ``stop_code`` (S,) (see :mod:`convcheck.stopping`).
      objective: the objective the run was made on (set by the engine): evidence made from the
        trace carries its certificates (:meth:`convcheck.evidence.Curves.of`).
    """

    steps: np.ndarray
    metrics: dict[str, np.ndarray]
    grad_evals: np.ndarray
    diverged_at: np.ndarray
    info: dict = field(default_factory=dict)
    final: object = None  # (S, d) tensor: the parameters after the last step (frozen rows as frozen)
    iterates: object = None  # (S, C, d) tensor of the parameters at each checkpoint, when kept
    states: dict = field(default_factory=dict)  # name -> (S, C): optimizer state fields asked for (engine.run(states=...))
    objective: object = None  # the objective the engine ran on: the instance its evidence carries (convcheck.evidence)

    @property
    def n_seeds(self) -> int:
        return int(self.diverged_at.shape[0])

    @property
    def diverged(self) -> np.ndarray:
        return self.diverged_at >= 0

    def select(self, rows) -> "Trace":
        """The trace of some rows (a slice or index array): a sweep run as one batch of rows split
        back into its settings. Per-row fields are cut; steps and gradient counts are shared."""
        def cut(x):
            return x[rows] if x is not None and getattr(x, "shape", ()) and x.shape[0] == self.n_seeds else x
        return dataclasses.replace(self, metrics={k: v[rows] for k, v in self.metrics.items()},
                                   diverged_at=self.diverged_at[rows], final=cut(self.final), iterates=cut(self.iterates),
                                   states={k: v[rows] for k, v in self.states.items()},
                                   info={k: cut(v) for k, v in self.info.items()})

    def to_frame(self, **row_labels) -> pd.DataFrame:
        """Tidy table: one row per seed-row x checkpoint.

        ``row_labels`` are columns with one value per row (arrays of length S) or a scalar
        for all rows, e.g. ``seed=np.arange(S), eta=etas_per_row, setting="N=10"``.
        """
        S, C = self.n_seeds, self.steps.shape[0]
        cols = {"row": np.repeat(np.arange(S), C), "step": np.tile(self.steps, S),
                "grad_evals": np.tile(self.grad_evals, S),
                "diverged": np.repeat(self.diverged, C)}
        for name, value in row_labels.items():
            value = np.asarray(value)
            cols[name] = np.repeat(value, C) if value.ndim == 1 else np.full(S * C, value)
        for name, m in self.metrics.items():
            cols[name] = m.reshape(-1)
        return pd.DataFrame(cols)

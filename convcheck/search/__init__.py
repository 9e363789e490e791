"""Counterexamples found, not supplied: searches of a claim's class for an instance that breaks it.

* over a class PEPit describes, for deterministic methods (:mod:`.classes`): the worst case
  against a bound (:func:`exceed`), the parameter where it crosses the bound (:func:`boundary`),
  and cycles that prove non-convergence (:func:`find_cycle`); every point set is made a function
  of the class (:class:`Interpolant`) and run by the engine;
* over a parametric family inside a class, for methods PEPit cannot express (stochastic,
  coordinate-wise adaptive, online; :mod:`.blackbox`): a derivative-free search
  (:func:`black_box`) whose every candidate is certified before it counts.

A search returns a :class:`SearchResult` (data: candidates, best violation, the instance with its
certificates, budget, seed), never a verdict: "not found within N candidates" is how hard it
looked, not a reproduction.
"""

from .blackbox import (PeriodicLinear, QuadraticSpectrum, RowQuadratics, RowShiftedQuadratics, ShiftedQuadraticSums,
                       black_box)
from .classes import (Stationary, boundary, cycling, exceed, find_cycle, function_of, gd, heavy_ball, measured, nesterov,
                      started)
from .interpolation import Interpolant, interpolation_slack
from .result import SearchResult

__all__ = ["SearchResult", "Interpolant", "interpolation_slack", "Stationary", "gd", "heavy_ball", "nesterov", "started",
           "exceed", "boundary", "find_cycle", "function_of", "measured", "cycling", "black_box", "PeriodicLinear", "QuadraticSpectrum",
           "RowQuadratics", "ShiftedQuadraticSums", "RowShiftedQuadratics"]

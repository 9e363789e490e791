"""Objectives that carry their constants (L, mu, f*, w*, gradient noise)."""

from .base import FiniteSum, Objective
from .huber import HuberWorstCase
from .least_squares import LeastSquares
from .quadratic import Quadratic, spectrum
from .sampling import Sampler, WithoutReplacement, WithReplacement

__all__ = ["Objective", "FiniteSum", "Quadratic", "spectrum", "LeastSquares", "HuberWorstCase",
           "Sampler", "WithReplacement", "WithoutReplacement"]

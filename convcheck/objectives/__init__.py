"""Objectives that carry their constants (L, mu, f*, w*, gradient noise)."""

from .absolute import LeastAbsolute
from .base import FiniteSum, Objective
from .huber import HuberWorstCase
from .least_squares import LeastSquares
from .logistic import Logistic
from .online import OnlineLinear, OnlineObjective
from .networks import MLP, Layout, QuadraticNet, TwoLayerReLU, ntk_gram_infinite, prop5_data, relu_net
from .quadratic import Quadratic, ShiftedQuadratics, spectrum
from .sampling import Sampler, WithoutReplacement, WithReplacement
from .toys import Rosenbrock, Saddle, ScalarFactorisation, TwoWells
from .wells import WellsPlane

__all__ = ["Objective", "FiniteSum", "Quadratic", "spectrum", "LeastSquares", "LeastAbsolute", "Logistic", "HuberWorstCase",
           "ScalarFactorisation", "Saddle", "Rosenbrock", "TwoWells", "WellsPlane", "ShiftedQuadratics", "MLP", "QuadraticNet", "TwoLayerReLU", "Layout", "relu_net", "prop5_data", "ntk_gram_infinite",
           "Sampler", "WithReplacement", "WithoutReplacement", "OnlineObjective", "OnlineLinear"]

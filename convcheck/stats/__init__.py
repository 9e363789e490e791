"""Statistics that turn traces into verdicts; every threshold lives in :mod:`.thresholds`.

=========================  ==============================================================
check                      claim kind
=========================  ==============================================================
:func:`check_rate`         rate (Theta or O), through the normalised curve log(e_t / r(t))
:func:`check_bound`        bound with explicit constants (deterministic or on the seed mean)
:func:`tail_floor`,        floor: tail stationarity, then floor vs parameter slope
:func:`check_floor`
:func:`check_linear`       linear (geometric) rate vs a stated contraction factor
:func:`check_exact`,       variance: exact enumeration or Monte-Carlo vs formulas
:func:`check_mean`
:func:`check_paired`       comparative, paired across seeds
:func:`holm_adjust`        Holm's correction across a run's refutations
=========================  ==============================================================
"""

from . import thresholds
from .bounds import check_bound
from .comparative import check_paired
from .floors import TailFloor, check_floor, tail_floor
from .intervals import Equivalence, equivalence, t_interval
from .linear import check_linear
from .multiple import holm_adjust
from .rates import RATES, check_rate, rate_function
from .variance import check_exact, check_mean

__all__ = ["thresholds", "check_rate", "RATES", "rate_function", "check_bound", "check_floor", "tail_floor", "TailFloor",
           "check_linear", "check_exact", "check_mean", "check_paired", "holm_adjust", "equivalence", "Equivalence",
           "t_interval"]

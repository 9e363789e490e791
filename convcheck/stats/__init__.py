"""Statistics that turn traces into verdicts; thresholds live in :mod:`.thresholds`."""

from . import thresholds
from .bounds import check_bound
from .floors import TailFloor, check_floor, tail_floor
from .intervals import Equivalence, equivalence, t_interval

__all__ = ["thresholds", "check_bound", "check_floor", "tail_floor", "TailFloor", "equivalence", "Equivalence", "t_interval"]

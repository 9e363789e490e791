"""Argument checks whose errors say how to fix the call.

Every message names the parameter, the allowed range and the value given, e.g.
``The 'lr' parameter must be a float in the range (0, inf). Got -1 instead.``
"""

from __future__ import annotations

import math
from numbers import Integral, Real

__all__ = ["check_real", "check_int", "check_choice"]


def _fmt_range(low, high, low_open, high_open) -> str:
    lo = "-inf" if low is None else repr(low)
    hi = "inf" if high is None else repr(high)
    return f"{'(' if low_open or low is None else '['}{lo}, {hi}{')' if high_open or high is None else ']'}"


def _in_range(value, low, high, low_open, high_open) -> bool:
    if low is not None and (value < low or (low_open and value == low)):
        return False
    if high is not None and (value > high or (high_open and value == high)):
        return False
    return True


def check_real(name: str, value, low=None, high=None, *, low_open=False, high_open=False) -> float:
    """Return ``float(value)`` or raise ValueError naming ``name``, the range and the value."""
    rng = _fmt_range(low, high, low_open, high_open)
    if isinstance(value, bool) or not isinstance(value, Real) or math.isnan(value):
        raise ValueError(f"The {name!r} parameter must be a float in the range {rng}. Got {value!r} instead.")
    if not _in_range(value, low, high, low_open, high_open):
        raise ValueError(f"The {name!r} parameter must be a float in the range {rng}. Got {value!r} instead.")
    return float(value)


def check_int(name: str, value, low=None, high=None) -> int:
    """Return ``int(value)`` or raise ValueError naming ``name``, the range and the value."""
    rng = _fmt_range(low, high, False, False)
    if isinstance(value, bool) or not isinstance(value, Integral) or not _in_range(value, low, high, False, False):
        raise ValueError(f"The {name!r} parameter must be an int in the range {rng}. Got {value!r} instead.")
    return int(value)


def check_choice(name: str, value, choices) -> object:
    """Return ``value`` if it is one of ``choices``, else raise ValueError listing them."""
    if value not in choices:
        raise ValueError(f"The {name!r} parameter must be one of {sorted(map(str, choices))}. Got {value!r} instead.")
    return value

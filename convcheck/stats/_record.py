"""The levels a check decides at, recorded in its verdict's test record.

Every check takes ``levels`` (a :class:`~convcheck.stats.thresholds.Levels`; None: the nominal
``ALPHA_FAIL``/``ALPHA_PASS``) as a keyword and decides at them; :func:`records_levels` resolves
None to the nominal levels before the check runs and writes the levels into each verdict it
returns (``Verdict.test.alpha_fail``/``alpha_pass``). No module global changes: a look of a
staged run and a single run judged at once in two threads each see their own levels.
"""

from __future__ import annotations

import dataclasses
import functools

from ..claims import Verdict
from . import thresholds as th


def at(verdict: Verdict, levels: th.Levels) -> Verdict:
    """``verdict`` with ``levels`` as the levels its test record says it was decided at."""
    test = dataclasses.replace(verdict.test, alpha_fail=levels.fail, alpha_pass=levels.pass_)
    return dataclasses.replace(verdict, test=test)


def records_levels(check):
    """Decorate a check whose signature has ``levels=None``: it runs with the levels resolved
    (:meth:`~convcheck.stats.thresholds.Levels.of`), and the verdict it returns (or the first
    element of a tuple it returns) records them."""
    @functools.wraps(check)
    def run(*args, **kwargs):
        levels = th.Levels.of(kwargs.pop("levels", None))
        out = check(*args, levels=levels, **kwargs)
        if isinstance(out, tuple):
            return (at(out[0], levels), *out[1:])
        return at(out, levels)

    return run

"""Assertions for users' own tests (DESIGN.md, "pytest plugin").

    from convcheck.testing import check_rate, assert_rate, check_bound, assert_bound, check_floor, assert_floor

``check_*`` return a :class:`~convcheck.claims.Verdict`; ``assert_*`` call the check and
raise ``AssertionError`` with the verdict's evidence when the claim is refuted, and also
when it is inconclusive unless ``allow_inconclusive=True``.

Example::

    errors = run_my_optimizer(seeds=20)              # (seeds, checkpoints)
    assert_rate(errors, steps, "1/sqrt(t)", kind="upper")
"""

from __future__ import annotations

from .claims import INCONCLUSIVE, REFUTED, Verdict
from .stats import check_bound, check_floor, check_linear, check_rate

__all__ = ["check_rate", "assert_rate", "check_bound", "assert_bound", "check_floor", "assert_floor", "check_linear",
           "assert_linear", "assert_verdict"]


def assert_verdict(verdict: Verdict, *, allow_inconclusive: bool = False) -> Verdict:
    """Raise AssertionError unless the verdict is reproduced (or inconclusive, when allowed)."""
    if verdict.outcome == REFUTED or (verdict.outcome == INCONCLUSIVE and not allow_inconclusive):
        raise AssertionError(verdict.evidence())
    return verdict


def assert_rate(errors, steps, rate, kind: str = "theta", *, allow_inconclusive: bool = False, **kw) -> Verdict:
    return assert_verdict(check_rate(errors, steps, rate, kind, **kw), allow_inconclusive=allow_inconclusive)


def assert_bound(errors, steps, bound, *, allow_inconclusive: bool = False, **kw) -> Verdict:
    return assert_verdict(check_bound(errors, steps, bound, **kw), allow_inconclusive=allow_inconclusive)


def assert_floor(floors, params, *, allow_inconclusive: bool = False, **kw) -> Verdict:
    return assert_verdict(check_floor(floors, params, **kw), allow_inconclusive=allow_inconclusive)


def assert_linear(errors, steps, rho, kind: str = "upper", *, allow_inconclusive: bool = False, **kw) -> Verdict:
    return assert_verdict(check_linear(errors, steps, rho, kind, **kw), allow_inconclusive=allow_inconclusive)

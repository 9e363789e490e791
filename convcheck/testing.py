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


def assert_rate(errors, steps, rate, kind: str, *, allow_inconclusive: bool = False, **kw) -> Verdict:
    """Assert ``errors: (S, C)`` decays like ``rate`` (:func:`~convcheck.stats.check_rate`).

    ``kind`` is the claim's own word and has no default: ``"theta"`` (decays like r(t) through
    the end of the window) or ``"upper"`` (O: at least that fast; only sustained slower decay
    fails). A diverged seed fails the assertion; seeds that agree to round-off are one curve.
    """
    return assert_verdict(check_rate(errors, steps, rate, kind, **kw), allow_inconclusive=allow_inconclusive)


def assert_bound(errors, steps, bound, *, allow_inconclusive: bool = False, **kw) -> Verdict:
    """Assert ``errors <= bound(steps)`` (:func:`~convcheck.stats.check_bound`): pointwise on
    every seed, or on the seed mean with ``stochastic=True``. ``bound`` is a callable of the
    step array or an array with one value per checkpoint."""
    return assert_verdict(check_bound(errors, steps, bound, **kw), allow_inconclusive=allow_inconclusive)


def assert_floor(floors, params, *, allow_inconclusive: bool = False, **kw) -> Verdict:
    """Assert floors ``(S, K)`` at ``params (K,)`` scale like ``params ** slope``
    (:func:`~convcheck.stats.check_floor`, default slope 1)."""
    return assert_verdict(check_floor(floors, params, **kw), allow_inconclusive=allow_inconclusive)


def assert_linear(errors, steps, rho, kind: str = "upper", *, allow_inconclusive: bool = False, **kw) -> Verdict:
    """Assert geometric decay at contraction ``rho`` per step (:func:`~convcheck.stats.check_linear`):
    at least that fast (``"upper"``) or exactly (``"theta"``)."""
    return assert_verdict(check_linear(errors, steps, rho, kind, **kw), allow_inconclusive=allow_inconclusive)

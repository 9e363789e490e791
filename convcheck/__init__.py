"""convcheck: check convergence theory by experiment.

The public API, re-exported from one place:

* claims and verdicts: :class:`Claim`, :class:`Verdict`
* objectives: :mod:`convcheck.objectives` (Quadratic, LeastSquares, HuberWorstCase, samplers)
* optimizers: :mod:`convcheck.optim` (``init``/``update`` pairs over a seed axis)
* the engine: :func:`run` -> :class:`Trace`
* statistics: :func:`check_rate`, :func:`check_bound`, :func:`check_floor`, :func:`tail_floor`,
  :func:`check_linear`, :func:`check_mean`, :func:`check_exact`, :func:`check_paired`;
  assertions for users' tests in :mod:`convcheck.testing`
* studies and runs: :func:`run_suite`, :func:`run_study`, :func:`discover`
* a user's optimizer against a claim: :func:`check` (roles: :mod:`convcheck.roles`)
"""

from .claims import INCONCLUSIVE, REFUTED, REPRODUCED, Claim, Verdict
from .engine import log_checkpoints, run
from .stats import check_bound, check_exact, check_floor, check_linear, check_mean, check_paired, check_rate, tail_floor
from .check import check
from .study import Context, StudyResult, discover, run_study
from .trace import Trace

__version__ = "0.1.0"


def run_suite(*args, **kwargs):
    """See :func:`convcheck.runner.run_suite` (imported lazily: it pulls in the report stack)."""
    from .runner import run_suite as _run_suite

    return _run_suite(*args, **kwargs)


__all__ = ["Claim", "Verdict", "REPRODUCED", "REFUTED", "INCONCLUSIVE", "run", "log_checkpoints", "Trace",
           "check_rate", "check_bound", "check_floor", "tail_floor", "check_linear", "check_mean", "check_exact", "check_paired", "Context", "StudyResult", "discover", "run_study", "run_suite", "check",
           "__version__"]

"""convcheck: check convergence theory by experiment.

The public API, re-exported from one place:

* claims and verdicts: :class:`Claim`, :class:`Verdict`
* objectives: :mod:`convcheck.objectives` (Quadratic, LeastSquares, HuberWorstCase, samplers)
* optimizers: :mod:`convcheck.optim` (``init``/``update`` pairs over a seed axis)
* the engine: :func:`run` -> :class:`Trace`
* statistics: :func:`check_rate`, :func:`check_bound`, :func:`check_floor`, :func:`check_floors`,
  :func:`tail_floor`, :func:`check_linear`, :func:`check_mean`, :func:`check_exact`, :func:`check_paired`,
  :func:`check_identity`, :func:`check_property`, :func:`check_exponent`, :func:`combine` (all in
  :mod:`convcheck.stats`); assertions for users' tests in :mod:`convcheck.testing`
* studies and runs: :func:`run_suite`, :func:`run_study`, :func:`discover`
* a user's optimizer against a claim: :func:`check` (roles: :mod:`convcheck.roles`)
* counterexamples searched for from a claim's class, made concrete objectives: :mod:`convcheck.search`
"""

# Imported on first use (PEP 562), so that `convcheck --help` does not wait for torch.
_LAZY = {
    **dict.fromkeys(["Claim", "Verdict", "REPRODUCED", "REFUTED", "INCONCLUSIVE"], "claims"),
    **dict.fromkeys(["run", "log_checkpoints"], "engine"),
    **dict.fromkeys(["check_rate", "check_bound", "check_floor", "check_floors", "tail_floor", "check_linear",
                     "check_mean", "check_exact", "check_paired", "check_identity", "check_property", "check_exponent",
                     "combine"], "stats"),
    "check": "checking",
    "Context": "context",
    "StudyResult": "contract",
    "discover": "discovery",
    "run_study": "study",
    "Trace": "trace",
    "run_suite": "runner",
}

__version__ = "0.1.0"


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        value = getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'convcheck' has no attribute {name!r}")


__all__ = ["Claim", "Verdict", "REPRODUCED", "REFUTED", "INCONCLUSIVE", "run", "log_checkpoints", "Trace",
           "check_rate", "check_bound", "check_floor", "tail_floor", "check_linear", "check_mean", "check_exact", "check_paired", "Context", "StudyResult", "discover", "run_study", "run_suite", "check",
           "__version__"]

"""Every threshold of convcheck's statistics, in one place (so a tolerance is set, and
justified, once).

Change a number here and every verdict uses it; no study or test sets its own
(``tests/test_thresholds.py`` scans ``studies/`` for tolerance literals). What a paper's own
words mean as numbers ("reaches the global value", "small compared to") and its studies'
certificates belong to its suite, in ``studies/<suite>/_<suite>_tolerances.py``.

Three groups: the decision levels and margins of the statistical checks; what counts as
round-off; and the instrument tolerances of identity claims, named for what they compare
(each says why it is the size it is).
"""

import numbers
from dataclasses import dataclass

# --- decision levels and margins -----------------------------------------------------------

#: Equivalence margin on exponents (slope of log(e_t / r(t)) against log t).
DELTA_EXPONENT = 0.1
#: Relative margin on contraction factors, floor-vs-parameter slopes and stationarity.
DELTA_RELATIVE = 0.1
#: A PASS needs the (1 - ALPHA_PASS) interval inside the margin: a 90% interval.
ALPHA_PASS = 0.10
#: A FAIL needs the (1 - ALPHA_FAIL) interval outside the margin: a 99.8% interval, i.e. a
#: one-sided p-value below ALPHA_FAIL / 2. Several FAIL tests inside one claim, and the
#: claims of one suite, share this level (:mod:`convcheck.stats.multiple`).
ALPHA_FAIL = 0.002
#: Deterministic bounds: a ratio e_t / bound_t up to 1 + BOUND_RTOL is round-off, not a violation.
BOUND_RTOL = 1e-9
#: Fewest seeds that make a t-interval (S - 1 degrees of freedom) worth reporting.
MIN_SEEDS = 3

# --- rate windows ---------------------------------------------------------------------------

#: A rate window must span at least this many decades of t.
MIN_DECADES = 2.0
#: The end segment of a rate window (decay must go on through it) spans this many decades.
END_DECADES = 1.0
#: Burn-in ends where the local slope (next half decade) of log(e/r) agrees with the later
#: slope within BURN_IN_FACTOR * DELTA_EXPONENT ...
BURN_IN_FACTOR = 2.0
#: ... credibly: a half-decade slope is "off" only when it is off by more than this many
#: standard errors over seeds (so noise alone does not eat the window).
BURN_IN_SE = 2.0
#: Bootstrap resamples of the seeds for the seed-mean curve's slope (a reported statistic,
#: not a decision: 400 gives its 90% interval's ends to about 0.01 in the exponent).
N_BOOTSTRAP = 400

# --- round-off --------------------------------------------------------------------------------

#: A value below ROUNDOFF_FACTOR * eps(dtype) * scale is round-off, where ``scale`` is the
#: magnitude of the quantity as computed (|f| for a gap f - f*, the largest error otherwise):
#: a sum over n terms carries up to about n * eps relative error, and n <= 1000 here.
ROUNDOFF_FACTOR = 1e3
#: Seeds "agree to round-off" (deterministic mode) when every seed's curve equals the first
#: within DETERMINISTIC_FACTOR * eps(dtype) relative at every checkpoint: the same arithmetic
#: on the same numbers, up to reduction order.
DETERMINISTIC_FACTOR = 1e3

# --- floors and linear rates -----------------------------------------------------------------

#: Stationarity of a tail [T/10, T]: its early and late halves (equal lengths) must agree
#: within this margin on the log scale. Tighter than DELTA_RELATIVE because a slowly
#: decaying curve looks flat over a short window: with this margin, 1/log t (log ratio
#: 0.115 at T = 1e4, 0.074 at 1e6, 0.063 at 1e7) is not read as a floor for horizons up to
#: 1e7 steps. Tighter margins need many more seeds on real floors.
DELTA_STATIONARY = 0.06
#: The geometric phase of a linear-rate curve ends where the seed median comes within this
#: factor of its tail level (a stochastic floor is not slow decay).
FLOOR_FACTOR = 3.0

# --- identity claims (two computations of the same number) -----------------------------------

#: Two float64 computations of one quantity along different paths (closed form vs batched
#: update, delta rule vs autograd, an exact enumeration vs a formula): relative error.
IDENTITY_RTOL = 1e-10
#: The same formula evaluated twice with reordered operations (a special case of a general
#: formula, a replayed optimizer step): a few ulps, relative.
EXACT_RTOL = 1e-14
#: The same update computed by two implementations (one optimizer step two ways, or 100 steps
#: replayed on one recorded gradient stream): reordered float64 arithmetic, relative.
SAME_ARITHMETIC_RTOL = 1e-12
#: "The cost decreases at every step": f_{k+1} <= f_k up to DESCENT_RTOL * max(1, |f_k|), the
#: round-off of evaluating f (a sum over at most ~2000 samples) twice.
DESCENT_RTOL = 1e-13
#: An invariance of a loss under a function-preserving rescaling, evaluated through a
#: network's forward pass (sums over layers of rescaled weights): relative.
INVARIANCE_RTOL = 1e-12
#: A numerical optimiser's answer (SLSQP, a 1-D Brent search) vs a closed form: its own
#: convergence tolerance bounds the agreement, not round-off.
SOLVER_RTOL = 1e-6
#: A bounded 1-D Brent search (scipy's ``minimize_scalar``, xatol 1e-8 on steps of order
#: 1/L) vs a closed-form step: relative.
LINE_SEARCH_RTOL = 1e-5
#: Central differences with step h = 1e-6 in float64: truncation O(h^2) ~ 1e-12 plus
#: cancellation eps / h ~ 1e-10, amplified by the curvature of deep nets: relative.
FINITE_DIFFERENCE_RTOL = 1e-5
#: An instrument that resolves a quantity only to a relative ``resolution`` (a search comparing
#: function values finds a minimiser to sqrt(2 df / f'') relative) is held to this many times it:
#: its resolution is an estimate of the error's scale, not a bound on it.
RESOLUTION_FACTOR = 4.0
#: A Monte-Carlo expectation is "resolved" when its standard error is below this fraction of
#: the value it is compared with.
MC_RESOLUTION = 0.01


def carried(tol: float, dtype) -> float:
    """A round-off tolerance set above in float64 units, carried to ``dtype``: the same number of
    ulps, so ``tol * eps(dtype) / eps(float64)`` (float32: x 2^29 ~ 5.4e8; 1e-12 becomes 5.4e-4).
    For the tolerances of identity and descent checks (two computations of one number); the
    tolerances of numerical solvers and statistics do not depend on the dtype."""
    import numpy as np
    import torch

    eps = torch.finfo(dtype).eps if isinstance(dtype, torch.dtype) else np.finfo(dtype).eps
    return float(tol) * max(1.0, eps / np.finfo(np.float64).eps)

# --- certified worst cases (performance estimation, :mod:`convcheck.stats.certified`) ------------

#: Largest solver residual (duality gap, negative eigenvalues, constraint violation) a certified
#: worst case may carry, in the units of its measure with the initial condition normalised to 1.
#: Clarabel's residuals are about 1e-9 on the problems here, SCS's (run to 1e-9) 1e-9..1e-6; a
#: reading less accurate than this cannot separate a bound from a worst case 0.1% away at the
#: measures' smallest values (about 1e-2), so it is inconclusive, never reproduced.
CERT_MAX_ACCURACY = 1e-5


@dataclass(frozen=True)
class Levels:
    """The FAIL and PASS levels a check decides at: the nominal ``ALPHA_FAIL``/``ALPHA_PASS``
    (:data:`NOMINAL`) for one look, or the increments of a group-sequential design for a look of a
    staged run (:mod:`convcheck.sequential`). A value, passed to every check (``levels=``), never
    a module global a look rebinds: units judged concurrently at different looks do not interfere.
    A level of 0 is allowed (a look that cannot decide that way)."""

    fail: float = ALPHA_FAIL
    pass_: float = ALPHA_PASS

    def __post_init__(self):
        for name, value in (("fail", self.fail), ("pass_", self.pass_)):
            if isinstance(value, bool) or not isinstance(value, numbers.Real) or not 0 <= value < 1:
                raise ValueError(f"The '{name}' parameter must be in the range [0, 1). Got {value!r} instead.")
            object.__setattr__(self, name, float(value))

    @classmethod
    def of(cls, levels: "Levels | None") -> "Levels":
        """``levels`` itself, or :data:`NOMINAL` for None (a check called without levels)."""
        if levels is None:
            return NOMINAL
        if not isinstance(levels, cls):
            raise TypeError(f"The 'levels' parameter must be a convcheck.stats.thresholds.Levels or None. "
                            f"Got {type(levels).__name__} instead.")
        return levels

    def nominal(self, alpha: float, which: str) -> float:
        """``alpha`` (a check's own share of this FAIL or PASS level) scaled back to the nominal level.
        Prices of a decision are quoted at these (what one run with that many seeds would decide),
        not at an early look's tiny level."""
        now, nom = (self.fail, NOMINAL.fail) if which == "fail" else (self.pass_, NOMINAL.pass_)
        return nom if now <= 0 else alpha * nom / now


# --- counterexample searches (:mod:`convcheck.search`) ------------------------------------------

#: A cycle program's closing residual (sum ||s_K - s_0||^2 with sum_k ||grad f(w_k)||^2 / L^2 = 1)
#: is 0 when the method cycles on the class; the solver returns 1e-9..1e-7 there, and 0.2 and more
#: for a heavy ball that converges (kappa = 25). A residual below this is a cycle worth building.
SEARCH_CYCLE_TOL = 1e-6
#: The function built from a cycle reproduces it when the engine's iterate comes back within this
#: fraction of the cycle's radius after every period: the point set satisfies the interpolation
#: conditions to the solver's residuals (1e-9..1e-6), and a cycle of an attracting orbit is
#: reached again within that much.
SEARCH_CYCLE_RTOL = 1e-3
#: A found point set lives in the span of its points and gradients; directions whose singular
#: value is below this fraction of the largest are the solver's residuals, not the example's.
SEARCH_RANK_RTOL = 1e-7


#: The single-look levels: a check given no levels decides at these, and prices of a decision
#: are quoted at them (:meth:`Levels.nominal`).
NOMINAL = Levels(ALPHA_FAIL, ALPHA_PASS)

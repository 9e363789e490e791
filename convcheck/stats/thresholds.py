"""Every threshold of convcheck's statistics, in one place (STYLE.md item 5).

Change a number here and every verdict uses it; no study or test sets its own.
"""

#: Equivalence margin on exponents (slope of log(e_t / r(t)) against log t).
DELTA_EXPONENT = 0.1
#: Relative margin on contraction factors, floor-vs-parameter slopes and stationarity.
DELTA_RELATIVE = 0.1
#: A PASS needs the (1 - ALPHA_PASS) interval inside the margin: a 90% interval.
ALPHA_PASS = 0.10
#: A FAIL needs the (1 - ALPHA_FAIL) interval outside the margin: a 99.8% interval.
ALPHA_FAIL = 0.002
#: Deterministic bounds: a ratio e_t / bound_t up to 1 + BOUND_RTOL is round-off, not a violation.
BOUND_RTOL = 1e-9
#: Fewest seeds that make a t-interval (S - 1 degrees of freedom) worth reporting.
MIN_SEEDS = 3
#: A rate window must span at least this many decades of t.
MIN_DECADES = 2.0
#: Burn-in ends where the local slope (next half decade) of log(e/r) agrees with the later
#: slope within BURN_IN_FACTOR * DELTA_EXPONENT.
BURN_IN_FACTOR = 2.0
#: Errors below this multiple of machine epsilon times the curve's start are round-off.
ROUNDOFF_FACTOR = 1e3
#: Stationarity of a tail [T/10, T]: its early and late halves (equal lengths) must agree
#: within this margin on the log scale. Tighter than DELTA_RELATIVE because a slowly
#: decaying curve looks flat over a short window: with this margin, 1/log t (log ratio
#: 0.115 at T = 1e4, 0.074 at 1e6, 0.063 at 1e7) is not read as a floor for horizons up to
#: 1e7 steps. Tighter margins need many more seeds on real floors.
DELTA_STATIONARY = 0.06

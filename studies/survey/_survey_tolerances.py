"""The survey suite's own tolerances: what its words mean as numbers ("reaches the global value",
"small compared to", "changes") and the certificates its studies compute (stationary points, PSD
Hessians, spurious minima). The library's instrument tolerances (round-off of two computations,
a solver's own tolerance, decision levels) stay in ``convcheck.stats.thresholds``; these are the
suite's readings, set once here and used by its studies alone.
"""

# --- property claims (a fact per run, with a numeric criterion) ------------------------------

#: A run "reaches the global value" when loss - f* is at most REACH_RTOL * (1 + f*).
REACH_RTOL = 1e-7
#: Plain GD "reaches the global value within its budget" when loss - f* is at most GD_REACH_RTOL * (1 + f*)
#: (GD is slow near the threshold n = d(d+1)/2, so its budget target is looser than REACH_RTOL).
GD_REACH_RTOL = 1e-4
#: A point is first-order stationary when its gradient norm is at most this.
STATIONARY_GRAD = 1e-6
#: A first-order run has stalled at a critical point when its gradient norm is at most this at
#: the end of its budget (looser than STATIONARY_GRAD: a run 1e-6 from a saddle has a gradient
#: of order 1e-6 times the curvature, and a stalled run need not have converged to round-off).
STALLED_GRAD = 1e-4
#: A Hessian is positive semidefinite when its smallest eigenvalue >= -PSD_RTOL * scale.
PSD_RTOL = 1e-8
#: A certified spurious minimum lies above the global value by more than this, relative.
SPURIOUS_GAP = 1e-4
#: A global optimum is "zero" when it is at most ZERO_RTOL relative to the labels' energy,
#: and "positive" when it exceeds POSITIVE_RTOL.
ZERO_RTOL = 1e-12
POSITIVE_RTOL = 1e-6
#: A loss found by a local method is zero when at most ZERO_LOSS (absolute: the labels are O(1)).
ZERO_LOSS = 1e-10
#: "Small compared to" (a term dropped because it is small next to another): at most this
#: fraction of it, one order of magnitude.
SMALL_RATIO = 0.1
#: A claimed "changes" (plain sharpness under rescaling) needs a relative change above this.
CHANGE_RTOL = 0.01

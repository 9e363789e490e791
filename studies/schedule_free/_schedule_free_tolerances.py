"""What the schedule_free suite's paper's words mean as numbers (the library's thresholds live in
convcheck/stats/thresholds.py).

The suite's verdicts need no word of its own read as a number: Theorem 1's bound has explicit
constants (judged against 1 after normalisation, round-off allowed by BOUND_RTOL), the averages
and special cases are identities (IDENTITY_RTOL), and Eq. (14)'s any-time rate is an O(.) judged
by the library's rate test. No constant is declared here.
"""

#: The function built from a certified worst case (:class:`_schedule_free.MaxAffine`, the max of the
#: affine pieces through the solver's points) hands out, at a query point, the gradient of the piece
#: anchored nearest to it among those within ACTIVE_RTOL (relative) of the maximum: the solver's
#: points meet the interpolation conditions to its residuals (about 1e-9), so the pieces that are tight
#: at a point of the worst case tie only to that accuracy, and the trajectory follows the worst case
#: only if the tie is broken toward the point's own piece.
ACTIVE_RTOL = 1e-9

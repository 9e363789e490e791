"""What the schedule_free suite's paper's words mean as numbers (the library's thresholds live in
convcheck/stats/thresholds.py).

The suite's verdicts need no word of its own read as a number: Theorem 1's bound has explicit
constants (judged against 1 after normalisation, round-off allowed by BOUND_RTOL), the averages
and special cases are identities (IDENTITY_RTOL), and Eq. (14)'s any-time rate is an O(.) judged
by the library's rate test. No constant is declared here.
"""

"""Statistics that turn traces into verdicts; every threshold lives in :mod:`.thresholds`.

=========================  ==============================================================
check                      claim kind
=========================  ==============================================================
:func:`check_rate`         rate (Theta or O), through the normalised curve log(e_t / r(t))
:func:`check_bound`        bound with explicit constants (deterministic or on the seed mean)
:func:`tail_floor`,        floor: tail stationarity, then floor vs parameter slope
:func:`check_floor`,       (:func:`check_floors`: over a grid, one divergence/settling rule)
:func:`check_floors`
:func:`check_linear`       linear (geometric) rate vs a stated contraction factor
:func:`check_exact`,       variance: exact enumeration or Monte-Carlo vs formulas
:func:`check_mean`,        (:func:`check_mean_vector`: a vector mean, coordinate-wise, Holm)
:func:`check_mean_vector`
:func:`check_exponent`     scaling: y ~ x^k over a parameter grid, per-seed log-log slopes
:func:`check_per_seed`     one number per seed against a target and margin (equivalence)
:func:`rank_trend`         a measure: each curve's rank correlation with the step (overall direction)
:func:`check_paired`       comparative, paired across seeds
:func:`check_spread`       comparative: spread over seeds (F-test of variances)
:func:`check_identity`     identity: two computations agree to a tolerance
:func:`check_property`     property: a fact holds on every instance (undecided ones, assumptions)
:func:`check_runs_finite`  property: no run diverged (the one divergence rule)
:func:`combine`            one verdict from a claim's parts (Holm inside the claim)
:func:`agree`              one verdict from several measures of one vague word (refuted only when all agree)
:func:`check_certified`    a bound over a whole function class: certified worst cases (PEPit) vs the claim
:func:`family_adjust`      the suite's multiplicity correction (:mod:`.multiple`)
=========================  ==============================================================

Every check reads seeds through :mod:`.seeds` (one divergence policy, one deterministic
test) and takes its tolerances from :mod:`.thresholds`. Every check takes ``levels`` (a keyword:
a :class:`~.thresholds.Levels`, the FAIL and PASS levels; None: the nominal ``ALPHA_FAIL`` and
``ALPHA_PASS``), decides at them and records them in its verdict's test record
(:class:`convcheck.claims.Test`, with the FAIL p-value and the price of settling it).
"""

from . import thresholds
from .bounds import check_bound
from .certified import check_certified
from .comparative import check_paired, check_spread
from .floors import TailFloor, check_floor, check_floors, tail_floor
from .intervals import Equivalence, equivalence, t_interval
from .linear import check_linear
from .identity import check_identity, check_property, check_runs_finite, failure_rate_bound, failure_rate_words, relative_error
from .multiple import agree, claim_p, combine, family_adjust
from .rates import RATES, check_rate, rate_function
from .trend import rank_trend
from .seeds import SeedAudit, audit, difference_scale, roundoff_limit, worst
from .scaling import check_exponent, check_per_seed, log_log_slopes
from .variance import check_exact, check_mean, check_mean_vector

__all__ = ["thresholds", "check_rate", "RATES", "rate_function", "check_bound", "check_certified", "check_floor", "check_floors", "tail_floor", "TailFloor",
           "check_linear", "check_exact", "check_mean", "check_mean_vector", "check_exponent", "check_per_seed", "log_log_slopes", "rank_trend", "check_paired", "check_spread", "check_identity", "check_property", "check_runs_finite", "failure_rate_bound", "failure_rate_words", "relative_error",
           "family_adjust", "claim_p", "combine", "agree", "audit", "SeedAudit", "roundoff_limit", "difference_scale", "worst", "equivalence", "Equivalence",
           "t_interval"]

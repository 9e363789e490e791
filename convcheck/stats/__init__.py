"""Statistics that turn traces into verdicts; every threshold lives in :mod:`.thresholds`.

=========================  ==============================================================
check                      claim kind
=========================  ==============================================================
:func:`check_rate`         rate (Theta or O), through the normalised curve log(e_t / r(t))
:func:`check_bound`        bound with explicit constants (deterministic or on the seed mean)
:func:`tail_floor`,        floor: tail stationarity, then floor vs parameter slope
:func:`check_floor`
:func:`check_linear`       linear (geometric) rate vs a stated contraction factor
:func:`check_exact`,       variance: exact enumeration or Monte-Carlo vs formulas
:func:`check_mean`
:func:`check_paired`       comparative, paired across seeds
:func:`check_spread`       comparative: spread over seeds (F-test of variances)
:func:`check_identity`     identity: two computations agree to a tolerance
:func:`check_property`     property: a fact holds on every instance
:func:`family_adjust`      the suite's multiplicity correction (:mod:`.multiple`)
=========================  ==============================================================

Every check reads seeds through :mod:`.seeds` (one divergence policy, one deterministic
test) and takes its tolerances from :mod:`.thresholds`.
"""

from . import thresholds
from .bounds import check_bound
from .comparative import check_paired, check_spread
from .floors import TailFloor, check_floor, tail_floor
from .intervals import Equivalence, equivalence, t_interval
from .linear import check_linear
from .identity import check_identity, check_property, relative_error
from .multiple import claim_p, family_adjust
from .rates import RATES, check_rate, rate_function
from .seeds import SeedAudit, audit, difference_scale, roundoff_limit, worst
from .variance import check_exact, check_mean

__all__ = ["thresholds", "check_rate", "RATES", "rate_function", "check_bound", "check_floor", "tail_floor", "TailFloor",
           "check_linear", "check_exact", "check_mean", "check_paired", "check_spread", "check_identity", "check_property", "relative_error",
           "family_adjust", "claim_p", "audit", "SeedAudit", "roundoff_limit", "difference_scale", "worst", "equivalence", "Equivalence",
           "t_interval"]

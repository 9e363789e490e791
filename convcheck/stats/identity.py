"""Identity and property claims: the two kinds settled by one computation, not a sample.

* :func:`check_identity`: two computations of the same quantity (a closed form and a
  numerical answer, a batched update and its reference, the delta rule and autograd) must
  agree to a relative tolerance from :mod:`.thresholds`. The statistic is the largest
  relative error ``max |a - b| / max(|b|, tiny)`` over all entries; a non-finite entry in
  either refutes (a diverged computation agrees with nothing).
* :func:`check_property`: a structural fact checked on every instance (a seed, a setting, an
  initialisation): reproduced when it holds on all of them, refuted with the first
  counterexample otherwise.

Neither carries a p-value: there is no sampling error, so they stay out of the multiplicity
family, and their verdicts are deterministic by construction.
"""

from __future__ import annotations

import numpy as np

from ..claims import REFUTED, REPRODUCED, Verdict
from . import thresholds as th
from ._arrays import as_numpy
from .seeds import eps_of

__all__ = ["check_identity", "check_property", "relative_error"]


def relative_error(a, b) -> float:
    """``max |a - b| / max |b|`` over all entries (inf when either has a non-finite entry)."""
    a, b = as_numpy(a), as_numpy(b)
    if a.shape != b.shape:
        raise ValueError(f"The 'a' and 'b' parameters must have the same shape. Got {a.shape} and {b.shape} instead.")
    if not (np.isfinite(a).all() and np.isfinite(b).all()):
        return float("inf")
    scale = max(float(np.abs(b).max()) if b.size else 0.0, np.finfo(np.float64).tiny)
    return float(np.abs(a - b).max() / scale) if a.size else 0.0


def check_identity(a, b, *, rtol: float | None = None, what: str = "the two computations", claim: str = "",
                   study: str = "", **fields) -> Verdict:
    """Do ``a`` and ``b`` agree to ``rtol`` relative? The default is ``IDENTITY_RTOL`` carried to the
    coarser of the two inputs' dtypes (the same number of ulps: float32 values get 2^29 times
    float64's tolerance), so a computation run in float32 is not refuted on float64's round-off."""
    if rtol is None:
        coarse = max(eps_of(a), eps_of(b))
        rtol = th.IDENTITY_RTOL * max(1.0, coarse / float(np.finfo(np.float64).eps))
    rtol = float(rtol)
    if not rtol > 0:
        raise ValueError(f"The 'rtol' parameter must be a float in the range (0, inf). Got {rtol!r} instead.")
    err = relative_error(a, b)
    ok = err <= rtol
    summary = f"{what} agree to {err:.2g} relative (tolerance {rtol:g})" if ok else \
        f"{what} differ by {err:.3g} relative (> tolerance {rtol:g})"
    statistic = {"max_rel_err": err, "rtol": rtol, **fields.pop("statistic", {})}
    return Verdict(claim, study, REPRODUCED if ok else REFUTED, summary, statistic=statistic, **fields)


def check_property(holds, *, what: str, labels=None, claim: str = "", study: str = "", **fields) -> Verdict:
    """Does ``what`` hold on every instance? ``holds``: booleans, one per instance; ``labels``
    name the instances (default: their indices) so a counterexample can be quoted."""
    h = np.asarray(holds, dtype=bool).reshape(-1)
    if h.size == 0:
        raise ValueError("The 'holds' parameter must have at least one instance. Got none instead.")
    labels = [str(i) for i in range(h.size)] if labels is None else [str(x) for x in labels]
    if len(labels) != h.size:
        raise ValueError(f"The 'labels' parameter must name every instance ({h.size}). Got {len(labels)} instead.")
    failed = [lab for lab, ok in zip(labels, h) if not ok]
    if not failed:
        outcome, summary = REPRODUCED, f"{what}: holds on all {h.size} instances"
    else:
        outcome = REFUTED
        summary = f"{what}: fails on {len(failed)} of {h.size} instances (first: {failed[0]})"
    statistic = {"holds": int(h.sum()), "instances": int(h.size), "failed": failed[:20], **fields.pop("statistic", {})}
    return Verdict(claim, study, outcome, summary, statistic=statistic, **fields)

"""Where a method's iterates depart from a role's own algorithm: the first thing to read when a verdict differs.

Both methods are built with the role's common arguments and run full-batch from the same starts
on a small least-squares problem (:data:`DEPARTURE_PROBLEM`), the target holding each start as
two tensors as a model holds its layers; :func:`departure_data` gives the numbers (first step
beyond :data:`SAME_PATH_RTOL`, relative differences there and at the end), :func:`departure_words`
the sentence. Not a verdict: a class that departs runs another algorithm than the role's.
"""

from __future__ import annotations

import torch

__all__ = ["SAME_PATH_RTOL", "ROUNDOFF_RTOL", "DEPARTURE_PROBLEM", "departure", "departure_data", "departure_words"]


#: Relative difference of iterates below which two methods count as the same algorithm (round-off of
#: 20 steps, with the feedback of each method's own trajectory, on a well-conditioned problem).
SAME_PATH_RTOL = 1e-9


def departure(method, reference, steps: int = 20) -> str:
    """Where ``method``'s iterates first depart from ``reference``'s (the role's own algorithm), in
    words (:func:`departure_data` holds the numbers). Not a verdict: the first thing to read when a
    verdict differs from the library's (RAdam without its rectification, a SAM normalising per tensor, ...)."""
    return departure_words(departure_data(method, reference, steps))


#: Relative difference of iterates below which a departure is the round-off of a lower-precision state (a
#: class that keeps its moments in float32, as heavyball does: about 1e-7 over 20 steps), not another algorithm.
ROUNDOFF_RTOL = 1e-5

#: The problem :func:`departure_data` compares methods on, as data.
DEPARTURE_PROBLEM = {"objective": "least squares", "n": 40, "d": 5, "kappa": 4.0, "noise": 0.5, "starts": 4,
                     "tensors": [2, 3], "batch": "full", "seed": 1234}


def departure_data(method, reference, steps: int = 20) -> dict:
    """Where ``method``'s iterates depart from ``reference``'s, as data: both built with the role's
    common arguments (``lr`` 0.05, 1 for a line search; momentum 0.9; betas (0.9, 0.999); ...; a
    ``reference`` of another role, whose arguments are among them, takes its own) and
    run full-batch for ``steps`` steps from the same four starts on a small least-squares problem
    (:data:`DEPARTURE_PROBLEM`: d = 5, held by a torch.optim class as two tensors, 2 + 3, as a
    model's layers). Keys: ``compared`` (False with ``reason`` when the class cannot run it),
    ``same`` (every iterate within :data:`SAME_PATH_RTOL`), ``first_step`` (the first step beyond
    it, None when the same), ``rel_first`` and ``rel_end`` (the largest relative difference over
    the starts there and at the last step), ``max_rel``, ``steps``, ``args``, ``problem``."""
    import numpy as np

    from . import engine
    from .objectives import LeastSquares
    from .roles import COMMON_ARGS

    P = DEPARTURE_PROBLEM
    gen = torch.Generator().manual_seed(P["seed"])
    obj = LeastSquares.planted(P["n"], P["d"], gen, kappa=P["kappa"], noise=P["noise"])
    w0 = obj.w_star + torch.randn(P["starts"], obj.dim, generator=gen, dtype=torch.float64)
    kw = {k: ((1.0 if method.role == "line_search" else 0.05) if k == "lr" else COMMON_ARGS[k]) for k in method.spec.params}
    out = {"role": method.role, "steps": steps, "args": {k: repr(v) for k, v in kw.items()}, "problem": dict(P),
           "rtol": SAME_PATH_RTOL}
    try:
        # the target holds each start as two tensors (2 + 3), as a model's layers: per-tensor steps show
        # a reference of another role (a layer-wise class's fallback) takes its own arguments among these
        paths = [engine.run(obj, m(**{k: kw[k] for k in m.spec.params}, tensors=tuple(P["tensors"])), w0, steps,
                            checkpoints=np.arange(steps + 1), keep_iterates=True).iterates for m in (method, reference)]
    except Exception as exc:  # a class that cannot run this problem: say so, the verdicts stand
        return {**out, "compared": False, "reason": f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"}
    a, b = paths
    rel = ((a - b).norm(dim=-1) / b.norm(dim=-1).clamp_min(1e-300)).amax(0).nan_to_num(nan=float("inf"))
    off = torch.nonzero(rel > SAME_PATH_RTOL).flatten()
    t = int(off[0]) if off.numel() else None
    return {**out, "compared": True, "same": t is None, "first_step": t,
            "rel_first": None if t is None else float(rel[t]), "rel_end": float(rel[-1]), "max_rel": float(rel.max()),
            "roundoff": t is not None and float(rel.max()) <= ROUNDOFF_RTOL}


def departure_words(d: dict) -> str:
    """:func:`departure_data`'s record in one sentence."""
    if not d.get("compared"):
        return f"not compared ({d.get('reason', '')})"
    shown = ", ".join(f"{k}={v}" for k, v in d["args"].items())
    if d["same"]:
        return (f"the same iterates to {d['max_rel']:.1g} relative over {d['steps']} full-batch steps on least squares "
                f"({shown}; each start two tensors)")
    if d.get("roundoff"):
        return (f"the same algorithm to round-off: iterates within {d['max_rel']:.1g} relative over {d['steps']} full-batch "
                f"steps on least squares, first beyond {SAME_PATH_RTOL:g} at step {d['first_step']} (a lower-precision "
                f"state; {shown}; each start two tensors)")
    return (f"departs at step {d['first_step']} of {d['steps']} (relative difference {d['rel_first']:.2g} there, "
            f"{d['rel_end']:.2g} at the end; full-batch least squares, {shown}; each start two tensors): the verdicts "
            "are for another algorithm than convcheck's")

"""A layer-wise method on vector parameters: does it step a matrix apart, and what does it run on a vector?

Layer-wise methods (Muon, LARS, AdamP's projection, a per-row normalisation) step a matrix
otherwise than the same numbers held as a vector, and on vectors fall back to a per-coordinate
algorithm (Adam, SGD with momentum). Every study holds a seed's parameters as vectors, so such a
class is judged on its fallback alone. This module says so, as data:

* :func:`shape_gap`: the relative difference between two steps of the class on a ``6 x 4``
  matrix and on the same 24 numbers as a vector (0 for a per-coordinate method);
* :func:`vector_fallback`: for a class whose steps depend on the shape, the algorithm its vector
  path runs: the first of the role's own algorithm and the standard algorithms the role's
  arguments build (gradient descent, heavy ball, Nesterov, AdaGrad, RMSProp, Adam, AdamW) whose
  iterates it keeps (:func:`convcheck.departures.departure_data`: the same, or the same to the
  round-off of a lower-precision state), and the label a cell carries: "fell back to Adam on
  vector parameters".
"""

from __future__ import annotations

import contextlib
import io
import warnings

import torch

__all__ = ["shape_gap", "vector_fallback", "fallback_note", "SHAPE_RTOL", "CANDIDATES"]

#: Relative difference between a matrix's steps and the same numbers' as a vector above which a class's
#: step depends on the shape (round-off of two steps is about 1e-16).
SHAPE_RTOL = 1e-9
#: Standard roles whose algorithms a vector path is compared with after the role's own (when the role's
#: arguments build them), in this order.
CANDIDATES = ("gd", "momentum", "nesterov", "adagrad", "rmsprop", "adam", "adamw")


@contextlib.contextmanager
def _silenced():
    """A probe's warnings and prints dropped, and a class's ``torch.compile`` run eagerly (two steps)."""
    stance = getattr(torch.compiler, "set_stance", None)
    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()), \
            (stance("force_eager") if stance is not None else contextlib.nullcontext()):
        warnings.simplefilter("ignore")
        yield


def shape_gap(cls, role, hyper=None, rename=None) -> float | None:
    """Relative difference between ``cls``'s first two steps (the role's common arguments) on a 6 x 4
    matrix and on the same 24 numbers as a vector, on ``(w - target)^2 / 2``; None when it cannot run one."""
    from .roles import COMMON_ARGS, adapt

    kw = adapt(cls, {k: (0.05 if k == "lr" else COMMON_ARGS[k]) for k in role.params}, rename) | dict(hyper or {})
    gen = torch.Generator().manual_seed(7)
    w0, target = torch.randn(6, 4, generator=gen, dtype=torch.float64), torch.randn(6, 4, generator=gen, dtype=torch.float64)

    def run(shape):
        p = torch.nn.Parameter(w0.clone().reshape(shape))
        goal = target.reshape(shape)

        def closure():
            p.grad = (p.detach() - goal).clone()
            return ((p.detach() - goal) ** 2).sum() / 2

        try:
            with _silenced():
                opt = cls([p], **kw)
                for _ in range(2):
                    closure()
                    opt.step(closure)
        except Exception:
            return None
        return p.detach().reshape(-1)

    a, b = run((6, 4)), run((24,))
    if a is None or b is None:
        return None
    return float((a - b).norm() / b.norm().clamp_min(1e-300))


def vector_fallback(cls, role, hyper=None, table: dict | None = None, rename=None) -> dict:
    """``{}`` when ``cls`` in ``role`` steps a matrix as the same numbers as a vector (or cannot be
    probed); else a record: ``shape_gap`` (:func:`shape_gap`), ``fallback`` (the role name of the
    algorithm its vector path runs, None when none of :data:`CANDIDATES` nor the role's own),
    ``algorithm`` (that algorithm in words), ``compared`` (the roles tried) and ``label`` (the
    cell's words: "fell back to Adam on vector parameters")."""
    from .departures import departure_data
    from .roles import ROLES, resolve
    from .wording import algorithm_name

    gap = shape_gap(cls, role, hyper, rename)
    if gap is None or not gap > SHAPE_RTOL:
        return {}
    table = dict(ROLES) | dict(table or {})
    tried, found = [], None
    method = resolve(role, cls, hyper or None, table=table, rename=rename)
    for name in dict.fromkeys((role.name, *CANDIDATES)):
        ref = table.get(name)
        if ref is None or not set(ref.params) <= set(role.params):
            continue
        tried.append(name)
        rec = departure_data(method, resolve(ref, None))
        if rec.get("compared") and (rec.get("same") or rec.get("roundoff")):
            found = name
            break
    words = None if found is None else algorithm_name(table[found])
    label = f"fell back to {words} on vector parameters" if words else "another algorithm on vector parameters"
    return {"shape_gap": gap, "fallback": found, "algorithm": words, "compared": tried, "label": label}


def fallback_note(record: dict) -> str:
    """:func:`vector_fallback`'s record in a sentence ("" for a class whose steps do not depend on the shape)."""
    if not record:
        return ""
    from .roles import ROLES
    from .wording import algorithm_name

    what = (f"on vectors it runs {record['algorithm']}" if record.get("algorithm") else
            "on vectors it runs none of " + ", ".join(algorithm_name(ROLES[n]) if n in ROLES else n for n in record["compared"]))
    return (f"{record['label']}: on a 6 x 4 matrix its first two steps differ from those on the same 24 numbers as a "
            f"vector (relative difference {record['shape_gap']:.2g}), and {what}; every study holds parameters as "
            "vectors, so these verdicts are for its vector path, not for what it does on a model's matrices")

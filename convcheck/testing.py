"""Assertions for users' own tests, and the optimizer battery.

    from convcheck.testing import check_rate, assert_rate, check_bound, assert_bound, check_floor, assert_floor

``check_*`` return a :class:`~convcheck.claims.Verdict`; ``assert_*`` call the check and
raise ``AssertionError`` with the verdict's evidence when the claim is refuted, and also
when it is inconclusive unless ``allow_inconclusive=True``. Rates and bounds are named one
way: a formula in t (``"1/sqrt(t)"``, ``"4/t"``, ``"log(t)/sqrt(t)"``) or a callable of the
step array. :func:`check_optimizer` checks the contract every method in a role keeps; a
claim's verdict on a whole optimizer is :func:`convcheck.check`.

Example::

    errors = run_my_optimizer(seeds=20)              # (seeds, checkpoints)
    assert_rate(errors, steps, "1/sqrt(t)", kind="upper")
"""

from __future__ import annotations

from .claims import INCONCLUSIVE, REFUTED, Verdict
from .stats import check_bound, check_floor, check_linear, check_rate

__all__ = ["check_rate", "assert_rate", "check_bound", "assert_bound", "check_floor", "assert_floor", "check_linear",
           "assert_verdict", "check_optimizer", "certify"]


def certify(method, function_class, bound, N, *, metric="gap", initial: str = "distance", solver: str = "auto",
            claim: str = "user") -> Verdict:
    """A bound checked over a whole function class: the certified worst case (performance
    estimation, :mod:`convcheck.pep`; needs ``pip install -e ".[pep]"``) against ``bound``.

    ``method(f, x0, N)`` returns the iterates ``[x_0, ..., x_N]`` in PEPit's terms (or use
    :func:`convcheck.pep.gd`, :func:`~convcheck.pep.heavy_ball`, :func:`~convcheck.pep.nesterov`,
    :func:`~convcheck.pep.exact_line_search`); ``function_class`` is a
    :class:`~convcheck.pep.FunctionClass` or its kind (``"smooth convex"`` with L = 1);
    ``bound`` is a number, or ``bound(N)``; ``N`` one horizon or several. The measure
    (``metric``, :data:`convcheck.pep.METRICS`) starts from ``initial`` (``||w_0 - w*||^2 <= 1`` or
    ``f(w_0) - f* <= 1``). Reproduced when the dual certificate puts the worst case under the
    bound, refuted with the solver's counterexample when a function of the class exceeds it,
    inconclusive when the solver fails, is inaccurate, or cannot separate the two
    (:func:`convcheck.stats.check_certified`)::

        from convcheck import pep
        v = certify(pep.gd(1.0), "smooth convex", lambda N: 1 / (4 * N + 2), N=[1, 5, 20])
    """
    from . import pep
    from .stats.certified import check_certified

    fc = pep.FunctionClass(function_class) if isinstance(function_class, str) else function_class
    horizons = [N] if isinstance(N, int) else list(N)

    def cells():
        return {f"N={n}": (pep.worst_case(method, fc, n, metric=metric, initial=initial, solver=solver),
                           bound(n) if callable(bound) else bound) for n in horizons}
    return check_certified(cells, claim=claim, reading=pep.CERTIFIED, statistic={"instrument": pep.versions()})


def assert_verdict(verdict: Verdict, *, allow_inconclusive: bool = False) -> Verdict:
    """Raise AssertionError unless the verdict is reproduced (or inconclusive, when allowed)."""
    if verdict.outcome == REFUTED or (verdict.outcome == INCONCLUSIVE and not allow_inconclusive):
        raise AssertionError(verdict.evidence())
    return verdict


def assert_rate(errors, steps, rate, kind: str, *, allow_inconclusive: bool = False, **kw) -> Verdict:
    """Assert ``errors: (S, C)`` decays like ``rate`` (:func:`~convcheck.stats.check_rate`).

    ``kind`` is the claim's own word and has no default: ``"theta"`` (decays like r(t) through
    the end of the window) or ``"upper"`` (O: at least that fast; only sustained slower decay
    fails). A diverged seed fails the assertion; seeds that agree to round-off are one curve.
    """
    return assert_verdict(check_rate(errors, steps, rate, kind, **kw), allow_inconclusive=allow_inconclusive)


def assert_bound(errors, steps, bound, *, allow_inconclusive: bool = False, **kw) -> Verdict:
    """Assert ``errors <= bound(steps)`` (:func:`~convcheck.stats.check_bound`): pointwise on
    every seed, or on the seed mean with ``stochastic=True``. ``bound`` is a formula in t
    (``"4/t"``), a callable of the step array, or an array with one value per checkpoint."""
    return assert_verdict(check_bound(errors, steps, bound, **kw), allow_inconclusive=allow_inconclusive)


def assert_floor(floors, params, *, allow_inconclusive: bool = False, **kw) -> Verdict:
    """Assert floors ``(S, K)`` at ``params (K,)`` scale like ``params ** slope``
    (:func:`~convcheck.stats.check_floor`, default slope 1)."""
    return assert_verdict(check_floor(floors, params, **kw), allow_inconclusive=allow_inconclusive)


# --- the optimizer battery --------------------------------------------------------------------


def check_optimizer(method, role: str = "sgd", *, steps: int = 25, seeds: int = 6, batch: int = 4, **hyper) -> dict:
    """Check the contract every method in a role must keep, on a small least-squares problem.

    ``method`` is anything a role takes (:mod:`convcheck.roles`): a convcheck factory or a
    ``torch.optim.Optimizer`` subclass; it is built with the role's keyword arguments (``lr``
    an ``(S,)`` tensor of distinct step sizes, other arguments at common values) plus ``hyper``.
    The update is driven step by step on a fixed sequence of mini-batches, and must:

    * keep the parameters' shape ``(S, d)`` and dtype (float64 and float32);
    * not modify its input parameters in place;
    * treat seed rows independently: permuting the rows (starts, step sizes, batches) permutes
      the results, and a non-finite row (a diverged seed the engine froze) leaves the other
      rows exactly as they are without it;
    * honour one step size per row: row s of a run with the ``(S,)`` step sizes equals a run
      with the scalar step size ``lr[s]``.

    Returns ``{property: True}``; raises AssertionError naming every property that fails.
    """
    import torch

    from .objectives import LeastSquares
    from .optim.base import Oracle
    from .roles import COMMON_ARGS, resolve

    m = resolve(role, method, hyper)
    gen = torch.Generator().manual_seed(1234)
    obj = LeastSquares.planted(40, 5, gen, kappa=4.0, noise=0.5)
    w0 = obj.w_star + torch.randn(seeds, obj.dim, generator=gen, dtype=torch.float64, device=gen.device)
    lrs = torch.linspace(0.02, 0.12, seeds, dtype=torch.float64, device="cpu")
    idx = torch.randint(0, obj.n, (steps, seeds, batch), generator=gen, device=gen.device)

    def build(lr):
        kw = {k: (lr if k == "lr" else COMMON_ARGS[k]) for k in m.spec.params}
        return m(**kw)

    def drive(opt, w, lr_idx=None, dtype=torch.float64, rows=None):
        rows = torch.arange(w.shape[0], device=w.device) if rows is None else rows
        w = w.to(dtype)
        target = obj if dtype == torch.float64 else LeastSquares(obj.X.to(dtype), obj.y.to(dtype))
        state = opt.init(w)
        for t in range(1, steps + 1):
            w, state = opt.update(w, state, Oracle(target, idx[t - 1][rows]), t)
        return w

    failures, results = [], {}

    def prop(name, ok, detail=""):
        results[name] = bool(ok)
        if not ok:
            failures.append(f"{name}: {detail}")

    out = drive(build(lrs), w0)
    prop("shape and dtype kept", out.shape == w0.shape and out.dtype == torch.float64,
         f"got {tuple(out.shape)} {out.dtype} from {tuple(w0.shape)} float64")
    try:
        out32 = drive(build(lrs.float()), w0, dtype=torch.float32)
        prop("float32 kept", out32.dtype == torch.float32 and out32.shape == w0.shape, f"got {out32.dtype}")
    except Exception as exc:  # a method that cannot run in float32 fails this property, not the battery
        prop("float32 kept", False, f"{type(exc).__name__}: {exc}")

    opt = build(lrs)
    w_in = w0.clone()
    w_new, _ = opt.update(w_in, opt.init(w_in), Oracle(obj, idx[0]), 1)
    prop("input not modified in place", torch.equal(w_in, w0) and w_new.data_ptr() != w_in.data_ptr(),
         "the update wrote into the parameters it was given")

    perm = torch.randperm(seeds, generator=gen, device=gen.device)
    out_p = drive(build(lrs[perm]), w0[perm], rows=perm)
    prop("rows independent (permutation)", torch.allclose(out_p, out[perm], rtol=1e-12, atol=1e-14),
         f"permuted rows differ by {float((out_p - out[perm]).abs().max()):.3g}")

    w_bad = w0.clone()
    w_bad[0] = float("inf")
    out_bad = drive(build(lrs), w_bad)
    prop("a non-finite row leaves the others alone", torch.allclose(out_bad[1:], out[1:], rtol=1e-12, atol=1e-14),
         f"the other rows moved by {float((out_bad[1:] - out[1:]).nan_to_num(float('inf')).abs().max()):.3g}")

    single = torch.stack([drive(build(float(lrs[s])), w0[s:s + 1], rows=torch.tensor([s], device="cpu"))[0] for s in range(seeds)])
    prop("one step size per row", torch.allclose(single, out, rtol=1e-12, atol=1e-14),
         f"row s with lr[s] differs from the scalar run by {float((single - out).abs().max()):.3g}")
    if failures:
        raise AssertionError(f"{m.label} in role {role!r} breaks the optimizer contract:\n  " + "\n  ".join(failures))
    return results

"""Roles, the torch.optim adapter and the optimizer battery (convcheck.roles, convcheck.testing)."""

import pytest
import torch

import user_optimizers as uo
from convcheck import engine
from convcheck.objectives import LeastSquares, WithReplacement
from convcheck.optim import Optimizer, adagrad, adam, from_torch, heavy_ball, nesterov, rmsprop, sam, sgd
from convcheck.optim.schedules import step_size
from convcheck.roles import ROLES, resolve
from convcheck.study import run_study
from convcheck.testing import check_optimizer


# swp draws a mask per row from one generator: its rows are independent in distribution, not bit for bit
# under a permutation, which the battery checks; SAM-6 checks its draws (tests/test_check.py)
@pytest.mark.parametrize("role, method", [(r, None) for r in ROLES if r != "swp"] + [
    ("sgd", torch.optim.SGD), ("momentum", torch.optim.SGD), ("adagrad", torch.optim.Adagrad),
    ("rmsprop", torch.optim.RMSprop), ("adam", torch.optim.Adam), ("sam", uo.SAM),
    ("momentum", lambda lr, momentum: nesterov(lr, momentum)),
])
def test_library_and_torch_optimizers_pass_the_battery(role, method):
    assert all(check_optimizer(method, role).values())


def _leaky(lr):
    """Normalises by the gradient norm over ALL seeds: rows leak into each other."""
    def update(w, state, oracle, t):
        g = oracle.grad(w)
        return w - step_size(lr) * g / g.norm(), state

    return Optimizer("leaky", lambda w: (), update)


def _neighbour(lr):
    """Mixes in the next row's gradient: seed s's path depends on seed s + 1."""
    def update(w, state, oracle, t):
        g = oracle.grad(w)
        return w - step_size(lr) * (g + 0.1 * g.roll(1, 0)), state

    return Optimizer("neighbour", lambda w: (), update)


def _in_place(lr):
    def update(w, state, oracle, t):
        w -= step_size(lr) * oracle.grad(w)
        return w, state

    return Optimizer("in-place", lambda w: (), update)


def _mean_lr(lr):
    """Takes the mean of the (S,) step sizes: one step size for every row."""
    lr = float(lr.mean()) if torch.is_tensor(lr) else lr
    return sgd(lr)


@pytest.mark.parametrize("method, broken", [
    (_leaky, "a non-finite row leaves the others alone"), (_neighbour, "rows independent"), (_in_place, "input not modified in place"), (_mean_lr, "one step size per row"),
])
def test_battery_fails_planted_wrong_optimizers(method, broken):
    with pytest.raises(AssertionError, match=broken):
        check_optimizer(method, "sgd")


def test_roles_reject_methods_that_cannot_take_their_arguments():
    with pytest.raises(ValueError, match="role 'momentum' builds its method as momentum\\(lr, momentum\\)"):
        resolve("momentum", torch.optim.Adam)
    with pytest.raises(ValueError, match="role 'adam'"):
        resolve("adam", lambda lr: adam(lr))
    with pytest.raises(ValueError, match="'role' parameter"):
        resolve("lbfgs")
    with pytest.raises(ValueError, match="torch.optim.Optimizer subclass or a factory"):
        resolve("sgd", 0.1)
    with pytest.raises(ValueError, match="must not set"):
        resolve("sgd", torch.optim.SGD, {"lr": 0.1})
    resolve("sgd", torch.optim.SGD, {"nesterov": False})  # a fixed extra argument is fine


def test_run_study_rejects_a_role_the_study_does_not_have(studies):
    with pytest.raises(ValueError, match="roles of study 'gd_bound'"):
        run_study(studies["gd_bound"], "tiny", methods={"adam": torch.optim.Adam})


def test_every_study_role_is_used_by_a_claim(studies):
    """A declared role that no verdict tests would take a user's method and judge nothing."""
    for name, mod in studies.items():
        tested = {r for c in mod.CLAIMS for r in c.roles()}
        assert tested <= set(mod.ROLES), f"{name}: claims name roles it does not declare"
        assert set(mod.ROLES) <= tested, f"{name}: roles no claim tests: {set(mod.ROLES) - tested}"


def test_from_torch_matches_batched_methods_with_row_step_sizes_schedules_and_closures():
    g = torch.Generator().manual_seed(0)
    ls = LeastSquares.planted(50, 5, g)
    w0 = ls.w_star + torch.randn(4, 5, generator=g, dtype=torch.float64)
    rows = torch.tensor([0.05, 0.1, 0.2, 0.3], dtype=torch.float64)
    sched = lambda t: rows / t**0.5  # noqa: E731  a schedule returning one step per row

    def both(a, b, **kw):
        ta = engine.run(ls, a, w0, 40, sampler=WithReplacement(ls.n, 3), generator=torch.Generator().manual_seed(1), **kw)
        tb = engine.run(ls, b, w0, 40, sampler=WithReplacement(ls.n, 3), generator=torch.Generator().manual_seed(1), **kw)
        torch.testing.assert_close(ta.final, tb.final, rtol=1e-13, atol=1e-15)
        assert (ta.grad_evals == tb.grad_evals).all()  # SAM's second gradient is counted through the closure

    both(sgd(sched), from_torch(torch.optim.SGD, lr=sched))
    both(heavy_ball(rows, 0.5), from_torch(torch.optim.SGD, lr=rows, momentum=0.5))
    both(adagrad(rows, 1e-10), from_torch(torch.optim.Adagrad, lr=rows, eps=1e-10))
    both(rmsprop(0.01, 0.9), from_torch(torch.optim.RMSprop, lr=0.01, alpha=0.9))
    both(adam(rows), from_torch(torch.optim.Adam, lr=rows))
    both(sam(0.1, rho=0.05), from_torch(uo.SAM, lr=0.1, rho=0.05))
    both(sam(0.1, rho=0.05), from_torch(uo.ModelSAM, lr=0.1, rho=0.05))  # the README's SAM (runs per seed)
    with pytest.raises(ValueError, match="one value per seed"):
        engine.run(ls, from_torch(torch.optim.SGD, lr=torch.ones(3, dtype=torch.float64)), w0, 2)


# --- mismatches are errors ---------------------------------------------------------------------------

class _Swallower(torch.optim.Optimizer):
    """Takes **kwargs and keeps only lr: in the momentum role it would run without momentum."""

    def __init__(self, params, lr, **kwargs):
        super().__init__(params, dict(lr=lr))

    @torch.no_grad()
    def step(self, closure=None):
        for group in self.param_groups:
            for p in group["params"]:
                p.add_(p.grad, alpha=-group["lr"])


class _ThreeBetas(torch.optim.Optimizer):
    def __init__(self, params, lr, betas=(0.9, 0.99, 0.999), eps=1e-8):
        b1, b2, b3 = betas
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps))

    def step(self, closure=None):
        pass


class _KeepsItsOwn(torch.optim.Optimizer):
    """Names rho in its signature and keeps it as an attribute: that is taken, not swallowed."""

    def __init__(self, params, lr, rho=0.05):
        self.rho = rho
        super().__init__(params, dict(lr=lr))

    def step(self, closure=None):
        pass


def test_an_argument_swallowed_by_kwargs_is_an_error():
    method = resolve("momentum", _Swallower)
    with pytest.raises(ValueError, match=r"_Swallower in role 'momentum' did not take 'momentum'.*swallowed by \*\*kwargs"):
        method(lr=0.1, momentum=0.9)
    assert resolve("sam", _KeepsItsOwn)(lr=0.1, rho=0.05) is not None


class _ThreeBetasNoDefault(_ThreeBetas):
    def __init__(self, params, lr, betas=None, eps=1e-8):
        super().__init__(params, lr, betas, eps)


def test_a_class_that_cannot_take_the_role_says_what_the_role_passes():
    with pytest.raises(ValueError, match=r"_ThreeBetasNoDefault in role 'adam' cannot be built with what the role passes "
                                         r"\(lr=0.01, betas=\(0.9, 0.999\), eps=1e-08\): ValueError: not enough values"):
        resolve("adam", _ThreeBetasNoDefault)(lr=torch.full((3,), 0.01, dtype=torch.float64), betas=(0.9, 0.999), eps=1e-8)
    # a class whose betas default holds three gets the role's two completed with its own third
    assert resolve("adam", _ThreeBetas)(lr=torch.full((3,), 0.01, dtype=torch.float64), betas=(0.9, 0.999), eps=1e-8)


# --- the roles added for SAM-2, SAM-8, GD-4, GD-5 (Nesterov) and AD-3 (AdamW) -----------------------------

def test_nesterov_and_adamw_defaults_are_torchs_algorithms():
    """The library's methods behind the nesterov and adamw roles give torch.optim's iterates."""
    from convcheck.optim import adamw, nesterov_sgd

    g = torch.Generator().manual_seed(3)
    ls = LeastSquares.planted(30, 4, g)
    w0 = ls.w_star + torch.randn(3, 4, generator=g, dtype=torch.float64)

    def final(opt):
        return engine.run(ls, opt, w0, 60, sampler=WithReplacement(ls.n, 3), generator=torch.Generator().manual_seed(2)).final

    torch.testing.assert_close(final(nesterov_sgd(0.05, 0.9)),
                               final(from_torch(torch.optim.SGD, lr=0.05, momentum=0.9, nesterov=True)), rtol=1e-13, atol=1e-15)
    torch.testing.assert_close(final(adamw(0.05, 0.9, 0.999, 1e-8, 0.1)),
                               final(from_torch(torch.optim.AdamW, lr=0.05, weight_decay=0.1)), rtol=1e-13, atol=1e-15)
    # the coupled L2 penalty of torch.optim.Adam is another method
    assert not torch.allclose(final(adamw(0.05, 0.9, 0.999, 1e-8, 0.1)),
                              final(from_torch(torch.optim.Adam, lr=0.05, weight_decay=0.1)))


def test_the_ascent_a_method_takes_is_observed_where_it_evaluates_the_gradient():
    from convcheck import probes
    from convcheck.optim import dual_eps, gradient_descent

    g = torch.randn(5, 8, generator=torch.Generator().manual_seed(4), dtype=torch.float64)
    w = torch.randn(5, 8, generator=torch.Generator().manual_seed(5), dtype=torch.float64)
    want = dual_eps(g, 0.05, 2.0)
    for batched in (True, False):
        eps = probes.ascent_step(lambda: sam(0.01, rho=0.05), lambda rows: probes.Linear(g[rows]), w, batched=batched)
        torch.testing.assert_close(eps, want, rtol=1e-14, atol=1e-15)  # (w + eps) - w: round-off of w
    # through the torch adapter, a SAM over the whole model and one per tensor
    whole = probes.ascent_step(lambda: from_torch(uo.ModelSAM, lr=0.01, rho=0.05, tensors=(3, 5)),
                               lambda rows: probes.Linear(g[rows]), w)
    torch.testing.assert_close(whole, want, rtol=1e-14, atol=1e-15)
    per_tensor = probes.ascent_step(lambda: from_torch(uo.SAM, lr=0.01, rho=0.05, tensors=(3, 5)),
                                    lambda rows: probes.Linear(g[rows]), w)
    assert not torch.allclose(per_tensor, want)
    # a method that never leaves w shows no ascent
    assert torch.equal(probes.ascent_step(lambda: gradient_descent(0.1), lambda rows: probes.Linear(g[rows]), w),
                       torch.zeros_like(w))


def test_a_study_computes_only_the_readings_asked_for():
    from convcheck.study import load_study
    from pathlib import Path

    mod = load_study(Path(__file__).parents[1] / "studies" / "survey" / "momentum.py")
    nesterov = next(r for _, r in mod.CLAIMS[0].keys() if r.startswith("Nesterov"))
    result = run_study(mod, "tiny", readings=[("GD-5", nesterov)])
    assert [v.key for v in result.verdicts] == [("GD-5", nesterov)]
    assert "grid" not in result.tables and "nesterov_grid" in result.tables  # the as-written map was not computed
    with pytest.raises(ValueError, match="'readings' parameter must name"):
        run_study(mod, "tiny", readings=[("GD-5", "no such reading")])


def test_random_perturbations_are_drawn_afresh_each_step_and_reproducibly():
    """SWP observed at a user's closure: a new mask each step, the same draws for the same seed, and the
    mean over draws near the target (kept coordinates divided by beta) only when the class divides."""
    from convcheck import probes
    from convcheck.optim import dual_eps

    g = torch.linspace(-2.0, 3.0, 10, dtype=torch.float64).reshape(1, -1)
    target = dual_eps(g, 0.1, 2.0)[0]

    def draws(cls, seed=7):
        return probes.ascent_draws(lambda: from_torch(cls, instances="per-seed", tensors=(2,) * 5, lr=0.01, rho=0.1,
                                                      beta=0.3), probes.Linear(g), torch.zeros(4, 10, dtype=torch.float64),
                                   300, seed=seed).reshape(-1, 10)

    a = draws(uo.SWPSAM)
    assert torch.equal(a, draws(uo.SWPSAM)) and not torch.equal(a, draws(uo.SWPSAM, seed=8))
    assert len({tuple((row != 0).tolist()) for row in a}) > 50  # masks differ from step to step
    torch.testing.assert_close(a.mean(0), target, rtol=0.25, atol=0.01)
    torch.testing.assert_close(draws(uo.UndividedSWPSAM).mean(0), 0.3 * target, rtol=0.25, atol=0.005)

"""The counterexample search (convcheck.search), held to known answers it was not designed on.

* Lessard, Recht & Packard (2016): heavy ball with Polyak's tuning cycles on some L-smooth
  mu-strongly convex function (kappa = 25); the search finds a cycle and the engine, run on the
  function built from it, does not converge;
* the survey's GD-2: GD with a fixed step decreases f on every convex L-smooth f only up to 2/L;
* Kingma & Ba's KB-1 (Adam's regret theorem): a periodic online linear problem on which Adam's
  average regret stays away from 0, found without Reddi et al.'s instance;
* true claims (GD-1's 2 L R^2/(t+1); AMSGrad's Theorem 4 bound): nothing found, with the budget.

Each search also meets a planted wrong input it must catch (a bound below the truth, a convergent
tuning, data outside the class, candidates that fail their certificates).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from convcheck import engine, pep, search
from convcheck.search.interpolation import interpolation_slack
from convcheck.stats import thresholds as th

pytestmark = pytest.mark.skipif(not pep.available(), reason="PEPit is not installed")

KAPPA = 25.0
L, MU = 25.0, 1.0
STRONG = pep.FunctionClass("smooth strongly convex", L=L, mu=MU)


def polyak(L, mu):
    """Polyak's tuning of heavy ball: (eta, alpha)."""
    k = L / mu
    return 4 / (math.sqrt(L) + math.sqrt(mu)) ** 2, ((math.sqrt(k) - 1) / (math.sqrt(k) + 1)) ** 2


# ---- interpolation -------------------------------------------------------------------------------

def _quadratic_data(n=6, d=3, seed=0):
    rng = np.random.default_rng(seed)
    lam = np.linspace(MU, L, d)
    x = rng.normal(size=(n, d))
    x[0] = 0.0  # the minimiser first
    return x, x * lam, 0.5 * (x * x * lam).sum(1)


def test_interpolant_passes_through_interpolable_data_and_stays_in_the_class():
    x, g, f = _quadratic_data()
    assert interpolation_slack(x, g, f, L, MU).min() >= -1e-12
    h = search.Interpolant(x, g, f, L, MU)
    res = h.residuals()
    assert res["value"] < 1e-12 and res["gradient"] < 1e-12 and res["minimiser gradient"] < 1e-12
    assert h.f_star == pytest.approx(0.0, abs=1e-12)
    assert h.check_class(torch.Generator().manual_seed(1)) >= -1e-12
    props = {c.property for c in h.certificates() if c.holds}
    assert {"L-smooth", "convex", "mu-strongly convex", "bounded below"} <= props


def test_interpolant_of_data_outside_the_class_is_caught():
    """Planted: a gradient three times too steep for L. The conditions fail on the data and the
    built function (still in the class by construction) cannot pass through it."""
    x, g, f = _quadratic_data()
    g = g.copy()
    g[2] *= 3.0
    assert interpolation_slack(x, g, f, L, MU).min() < -1e-3
    h = search.Interpolant(x, g, f, L, MU)
    assert h.residuals()["gradient"] > 1e-3
    assert h.check_class(torch.Generator().manual_seed(1)) >= -1e-12


def test_interpolant_rejects_bad_constants():
    x, g, f = _quadratic_data()
    with pytest.raises(ValueError, match="'mu' parameter"):
        search.Interpolant(x, g, f, L, L)
    with pytest.raises(ValueError, match="'x', 'g' and 'f'"):
        search.Interpolant(x, g[:, :2], f, L, MU)


# ---- cycles: Lessard, Recht & Packard (2016) --------------------------------------------------------

def test_heavy_ball_with_polyak_tuning_cycles_on_a_found_function():
    eta, alpha = polyak(L, MU)
    r = search.find_cycle(search.heavy_ball(eta, alpha), STRONG, periods=range(1, 7))
    assert r.found, r.summary
    assert r.details["K"] == 3  # Lessard et al.'s cycle has period 3 too
    assert r.best_violation >= -th.SEARCH_CYCLE_TOL
    inst = r.instance
    assert inst.L == L and inst.mu == MU
    assert {c.property for c in inst.certificates() if c.holds} >= {"L-smooth", "mu-strongly convex"}
    assert inst.check_class(torch.Generator().manual_seed(2)) >= -1e-12
    # the engine, on the concrete function, from the cycle's state: no convergence after 900 steps
    opt = search.started(search.heavy_ball(eta, alpha).optimizer(), r.state)
    tr = engine.run(inst, opt, r.start, 900, checkpoints=np.arange(0, 901, 3), keep_iterates=True)
    dist = tr.metrics["dist"][0]
    assert dist[-1] > 0.5 * dist[0]
    assert float(torch.linalg.vector_norm(tr.iterates[0, -1] - r.start[0])) <= th.SEARCH_CYCLE_RTOL * r.details["radius"]
    # and gradient descent with a converging step on the same function converges (it is no trap)
    tr_gd = engine.run(inst, search.gd(1.0 / L).optimizer(), r.start, 2000)
    assert tr_gd.metrics["dist"][0, -1] < 1e-6 * dist[0]


def test_no_cycle_for_a_convergent_tuning():
    """Planted: heavy ball with a small step and momentum (inside Ghadimi et al.'s region): no
    period up to 6 cycles, and the result says how hard it looked."""
    r = search.find_cycle(search.heavy_ball(0.5 / L, 0.3), STRONG, periods=range(1, 7))
    assert not r.found
    assert r.candidates == 6 and r.best_violation < -th.SEARCH_CYCLE_TOL
    assert all(t["no cycle (certified)"] for t in r.details["tried"])
    assert "not found within 6 candidates" in r.summary


# ---- GD-2: the step boundary 2/L -----------------------------------------------------------------

@pytest.mark.parametrize("Lc", [1.0, 4.0])
def test_gd_step_boundary_is_two_over_L(Lc):
    r = search.boundary(search.gd, pep.FunctionClass("smooth convex", L=Lc), 1, low=0.5 / Lc, high=3.0 / Lc,
                        metric="increase", initial="gradient", rtol=1e-4)
    lo, hi = r.details["bracket"]
    assert lo <= 2.0 / Lc <= hi and hi - lo <= 1e-4 * hi
    assert r.found and r.best_violation > 0
    # the built function: GD with the step at the bracket's top increases f in one step
    tr = engine.run(r.instance, search.gd(hi).optimizer(), r.start, 1, checkpoints=[0, 1])
    assert tr.metrics["gap"][0, 1] > tr.metrics["gap"][0, 0]


def test_boundary_needs_a_bracket():
    """Planted: a bracket entirely above the boundary finds no crossing and says so."""
    r = search.boundary(search.gd, pep.FunctionClass("smooth convex", L=1.0), 1, low=2.5, high=3.0,
                        metric="increase", initial="gradient")
    assert not r.found and r.details["ends"][2.5] == "fails"
    with pytest.raises(ValueError, match="'high' parameter"):
        search.boundary(search.gd, pep.FunctionClass("smooth convex", L=1.0), 1, low=2.0, high=1.0)


# ---- GD-1: a true bound, and a planted false one --------------------------------------------------

def gd1_bound(N):
    return 2.0 / (N + 1)  # Prop. 1 in units of L R^2, after N = t + 1 steps read as 2/(t+1) with t = N


def test_gd1_bound_nothing_found_over_the_class():
    r = search.exceed(search.gd(1.0), pep.FunctionClass("smooth convex", L=1.0), 5, gd1_bound(5))
    assert not r.found and r.best_violation < 0 and "certified" in r.details
    assert r.details["certified upper"] == pytest.approx(1 / 22, rel=1e-6)  # Drori & Teboulle's tight value


def test_planted_false_bound_is_exceeded_by_a_built_function():
    """Planted: 1/(4N + 3) lies just below the tight worst case 1/(4N + 2): the search finds the
    worst case and the engine's run on the built function exceeds the false bound."""
    r = search.exceed(search.gd(1.0), pep.FunctionClass("smooth convex", L=1.0), 5, 1 / 23)
    assert r.found
    assert r.details["measured on the built function"] > 1 / 23
    assert r.details["relative difference from the worst case"] < 1e-4


def _gd1_measure(T=64):
    def measure(obj, w0, params):
        tr = engine.run(obj, search.gd(1.0).optimizer(), w0, T)
        k = tr.steps[1:]
        return np.nanmax(tr.metrics["gap"][:, 1:] / (2.0 / k), axis=1) - 1.0  # L = R = 1
    return measure


def test_gd1_black_box_over_quadratics_finds_nothing_and_a_planted_bound_something():
    fam = search.QuadraticSpectrum(4, L=1.0, mu=0.0)
    r = search.black_box(fam, _gd1_measure(), budget=400, names=("test", "gd1"))
    assert not r.found and r.candidates >= 400 and r.certified == r.candidates and r.best_violation < 0
    assert "not found within" in r.summary

    def planted(obj, w0, params):  # 1/(16 k): below the quadratics' worst case, about 1/(4 e k)
        tr = engine.run(obj, search.gd(1.0).optimizer(), w0, 64)
        k = tr.steps[1:]
        return np.nanmax(tr.metrics["gap"][:, 1:] / (1 / (16.0 * k)), axis=1) - 1.0
    r2 = search.black_box(fam, planted, budget=400, names=("test", "gd1"))
    assert r2.found and r2.best_violation > 0
    assert {c.property for c in r2.instance.certificates() if c.holds} >= {"L-smooth", "convex"}


def test_candidates_that_fail_their_certificates_do_not_count():
    class Outside(search.QuadraticSpectrum):
        def certify(self, params):
            return np.zeros(params.shape[0], dtype=bool)

    def huge(obj, w0, params):
        return np.full(w0.shape[0], 1e9)
    r = search.black_box(Outside(2, L=1.0), huge, budget=80, names=("test", "outside"))
    assert not r.found and r.certified == 0 and r.instance is None and r.best_violation == -math.inf


def test_black_box_is_seeded_from_names_and_checks_its_budget():
    fam = search.QuadraticSpectrum(2, L=1.0)
    a = search.black_box(fam, _gd1_measure(16), budget=60, names=("x",))
    b = search.black_box(fam, _gd1_measure(16), budget=60, names=("x",))
    c = search.black_box(fam, _gd1_measure(16), budget=60, names=("y",))
    assert a.details["parameters"] == b.details["parameters"] and a.seed == b.seed
    assert c.seed != a.seed
    with pytest.raises(ValueError, match="'budget' parameter"):
        search.black_box(fam, _gd1_measure(16), budget=0, names=("x",))
    with pytest.raises(ValueError, match="'names' parameter"):
        search.black_box(fam, _gd1_measure(16), budget=10, names=())

    unbounded = search.QuadraticSpectrum(2, L=1.0)
    unbounded.bounds = [(0.0, math.inf)] + unbounded.bounds[1:]
    with pytest.raises(ValueError, match="'family' parameter"):
        search.black_box(unbounded, _gd1_measure(16), budget=10, names=("x",))


# ---- KB-1 (Adam) and AMSGrad: online linear problems ------------------------------------------------

C, P = 10.0, 3
BETAS = (0.0, 1 / (1 + C * C))
ALPHA = 0.5 * (1 - BETAS[1]) ** 0.5


def _late_averages(method, obj, w0, T):
    """The later half's average regret (R(T) - R(T/2)) / (T/2) at doubling horizons T = P 2^k."""
    from convcheck.optim import inverse_sqrt_t

    ck = np.r_[0, P * 2 ** np.arange(int(np.log2(T // P)) + 1)]
    tr = engine.run(obj, method(lr=inverse_sqrt_t(ALPHA), betas=BETAS, eps=1e-8), w0, int(ck[-1]), checkpoints=ck,
                    metrics=("regret",))
    R = tr.metrics["regret"]
    return (R[:, 2:] - R[:, 1:-1]) / (ck[2:] - ck[1:-1]), tr


def _staying_average(method, T):
    """The smallest late-half average regret over the last three doublings of T: what stays of
    R(T)/T as T grows fourfold (it halves per quadrupling for O(sqrt T) regret)."""
    def measure(obj, w0, params):
        late, _ = _late_averages(method, obj, w0, T)
        return late[:, -3:].min(1)
    return measure


def test_kb1_black_box_finds_adam_with_average_regret_away_from_zero():
    from _adam2015 import kingma_ba_adam

    fam = search.PeriodicLinear(C, P)
    r = search.black_box(fam, _staying_average(kingma_ba_adam, 3 * 256), budget=240, names=("test", "kb1"), margin=1.0)
    assert r.found, r.summary
    assert r.certified < r.candidates  # some candidates broke the comparator's certificate and did not count
    assert "convex" in {c.property for c in r.instance.certificates() if c.holds}
    # the found problem, run 16 times longer: the average regret does not decay
    late, _ = _late_averages(kingma_ba_adam, r.instance, r.start, 3 * 4096)
    assert late[0, -1] > 1.0 and late[0, -1] > 0.5 * late[0, -5]


def test_amsgrad_on_the_same_family_stays_under_its_theorem_4_bound():
    """A true claim: the search over the same family finds no R(T) above Reddi et al.'s Theorem 4
    bound (with its constants) for AMSGrad."""
    from _adam2015 import amsgrad
    from amsgrad import theorem4_bound

    T = 3 * 256

    def measure(obj, w0, params):
        _, tr = _late_averages(amsgrad, obj, w0, T)
        g = np.tile(params[:, :P], (1, T // P + 1))[:, :T]
        Ts = tr.steps[1:]
        ratio = tr.metrics["regret"][:, 1:] / theorem4_bound(g, ALPHA, BETAS[0], BETAS[1], Ts)
        return ratio.max(1) - 1.0
    r = search.black_box(search.PeriodicLinear(C, P), measure, budget=240, names=("test", "ams"))
    assert not r.found and r.best_violation < 0 and r.certified > 0
    assert f"not found within {r.candidates} candidates" in r.summary


# ---- the interpolant's exact minimum against a plain reference ----------------------------------------

def _reference_value(h, x):
    """The interpolant at one point by a generic QP solve (cvxpy): the simplex problem as written."""
    import cvxpy as cp

    Lp = h.L - h.mu
    hh = h.g - h.mu * h.x
    z = h.x - hh / Lp
    c = h.f - 0.5 * h.mu * (h.x ** 2).sum(1) - (hh ** 2).sum(1) / (2 * Lp)
    lam = cp.Variable(h.x.shape[0], nonneg=True)
    prob = cp.Problem(cp.Minimize(0.5 * Lp * cp.sum_squares(x - z.T @ lam) + c @ lam), [cp.sum(lam) == 1])
    prob.solve(solver="CLARABEL")
    return 0.5 * h.mu * float(x @ x) + prob.value


@pytest.mark.parametrize("mu", [0.0, MU])
def test_interpolant_minimum_matches_a_generic_qp_solve(mu):
    rng = np.random.default_rng(3)
    x, g, f = _quadratic_data(n=7, d=2, seed=4)
    h = search.Interpolant(x, g, f, L, mu)
    pts = rng.normal(scale=2.0, size=(12, 2))
    fast = h.loss(torch.as_tensor(pts, dtype=torch.float64)).numpy()
    slow = np.array([_reference_value(h, p) for p in pts])
    np.testing.assert_allclose(fast, slow, rtol=1e-6, atol=1e-8)  # the QP solver's accuracy, not round-off
    # and the gradient is the derivative of the value (central differences)
    w = torch.as_tensor(pts[:3], dtype=torch.float64)
    e = 1e-6 * torch.eye(2, dtype=torch.float64)
    fd = torch.stack([(h.loss(w + e[i]) - h.loss(w - e[i])) / 2e-6 for i in range(2)], -1)
    torch.testing.assert_close(h.grad(w), fd, rtol=1e-5, atol=1e-6)


def test_cycling_tells_a_cycle_from_a_converging_run():
    eta, alpha = polyak(L, MU)
    r = search.find_cycle(search.heavy_ball(eta, alpha), STRONG, periods=(3,))
    opt = search.started(search.heavy_ball(eta, alpha).optimizer(), r.state)
    ck = np.r_[0, np.arange(297, 301)]
    on = engine.run(r.instance, opt, r.start, 300, checkpoints=ck, keep_iterates=True)
    cyc, drift = search.cycling(on.iterates, 3, r.instance.w_star)
    assert cyc.all() and drift.max() <= th.SEARCH_CYCLE_RTOL
    # planted: the same function and start with gradient descent, which converges: no cycle
    off = engine.run(r.instance, search.gd(1.0 / L).optimizer(), r.start, 300, checkpoints=ck, keep_iterates=True)
    assert not search.cycling(off.iterates, 3, r.instance.w_star)[0].any()
    # a cycle of the wrong period is no cycle either
    assert not search.cycling(on.iterates, 2, r.instance.w_star)[0].any()
    with pytest.raises(ValueError, match="'iterates' parameter"):
        search.cycling(on.iterates[:, :2], 3, r.instance.w_star)


def test_search_results_serialise():
    import json

    r = search.exceed(search.gd(1.0), pep.FunctionClass("smooth convex", L=1.0), 3, 1 / 15)
    out = json.loads(json.dumps(r.to_json()))
    assert out["found"] and out["instance"]["certificates"]["L-smooth"]["holds"] and out["summary"] == r.summary


# ---- SGD on sums of shifted quadratics: a true bound and a planted one --------------------------------

def _sgd_measure(fam, noise_term: bool, steps=100, eta=0.5):
    """SGD with step eta/L from distance 1: the replicas' mean ||w_k - w*||^2 over the bound
    (1 - eta mu)^k + [eta sigma*^2 / mu] (each f_i mu-strongly convex and L-smooth, eta <= 1/L),
    the largest ratio over the checkpoints, minus 1."""
    from convcheck.objectives import WithReplacement
    from convcheck.seeding import torch_generator

    def measure(obj, w0, params):
        lr = eta / fam.L
        tr = engine.run(obj, search.gd(lr).optimizer(), w0, steps, sampler=WithReplacement(fam.n, 1),
                        generator=torch_generator("test", "sgd", params.shape[0]))
        d2 = (tr.metrics["dist"] ** 2).reshape(params.shape[0], fam.replicas, -1).mean(1)
        mu = params[:, :fam.d].min(1, keepdims=True)
        sigma2 = obj.noise().numpy().reshape(params.shape[0], fam.replicas)[:, :1]
        bound = (1 - lr * mu) ** tr.steps + (lr * sigma2 / mu if noise_term else 0.0)
        return (d2 / bound).max(1) - 1.0
    return measure


def test_sgd_bound_on_shifted_quadratic_sums_true_and_planted():
    fam = search.ShiftedQuadraticSums(n=4, d=2, L=1.0, mu=0.2, replicas=64)
    r = search.black_box(fam, _sgd_measure(fam, True), budget=240, names=("test", "sgd"))
    assert not r.found and r.best_violation < 0 and r.certified == r.candidates
    assert {c.property for c in r.instance.certificates() if c.holds} >= {"L-smooth", "mu-strongly convex"}
    planted = search.black_box(fam, _sgd_measure(fam, False), budget=240, names=("test", "sgd"))  # no noise floor
    assert planted.found and planted.best_violation > 1.0


@pytest.mark.parametrize("make", [search.heavy_ball, search.nesterov], ids=["heavy ball", "nesterov"])
def test_momentum_worst_cases_are_reproduced_by_the_engines_methods(make):
    """The PEP form and the engine's form of a momentum method are one method: the function built
    from the worst case after 4 steps, run by the engine's update, attains the worst case."""
    fc = pep.FunctionClass("smooth strongly convex", L=1.0, mu=0.1)
    wc = pep.worst_case(make(0.8, 0.5).method(), fc, 4)
    r = search.exceed(make(0.8, 0.5), fc, 4, 0.99 * wc.value, reading=wc)
    assert r.found and r.details["relative difference from the worst case"] < 1e-4
    # planted: the engine's method with another momentum does not reproduce it
    other = search.Stationary("other", make(0.8, 0.5).step, make(0.8, 0.3).optimizer)
    r2 = search.exceed(other, fc, 4, 0.99 * wc.value, reading=wc)
    assert r2.details["relative difference from the worst case"] > 1e-2

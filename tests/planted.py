"""The planted wrong inputs: one table, one row per wrong input, naming every claim and reading
it must make the suite refute.

Each row runs one study at its tiny scale with the study's own hooks replaced by something
deliberately wrong (a method, a sampler, a bound, a step) and lists the (claim, reading) pairs
whose verdict must then be ``refuted``. ``tests/test_planted_wrong.py`` runs the rows and checks
that every registered claim and reading is covered, except those in :data:`NOT_PLANTED`, which
say why they have no planted input yet.

A row discriminates: it flips at least one verdict that is not refuted on the true input (the
suite's recorded quick-scale outcomes), which ``tests/test_planted_wrong.py`` checks. Where the
statement as written is already refuted on the true input, its row still asserts the refutation
on the wrong input (so a change that made the check unable to refute would be caught), and the
readings beside it are where the row bites; a row whose every key is refuted on the true input
says ``why`` in the table.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch

from convcheck import pep
from convcheck.claims import AS_WRITTEN
from convcheck.judgments import Bound, Certified
from convcheck.objectives import QuadraticNet, WithoutReplacement, WithReplacement
from convcheck.optim import (Optimizer, Oracle, adagrad, adam, delta_rule_gradient, dual_eps, from_torch, gradient_descent,
                             nesterov_sgd, rmsprop, sam, sgd, steepest_descent)
from convcheck.optim.linesearch import LineSearchState
from convcheck.optim.momentum import MomentumState
from convcheck.optim.schedules import step_size
from convcheck.optim.sam import SAMState
from convcheck.optim.steepest import SteepestState


@dataclass
class Planted:
    study: str
    what: str                      # the deliberate mistake, in words
    keys: list[tuple[str, str]]    # (claim, reading) pairs that must be refuted
    overrides: dict = field(default_factory=dict)   # fixtures: a bound, a sampler, a perturbation, ...
    seeds: int | None = None
    methods: dict = field(default_factory=dict)     # wrong methods in the study's roles (convcheck.roles)
    # Why no key of the row can flip from "not refuted" on the true input (all of them are refuted as
    # written there); empty when the row flips a verdict that holds on the true input.
    why: str = ""


def _accept_any_step():
    def init(w):
        return LineSearchState(torch.ones(w.shape[0], dtype=w.dtype), torch.zeros(w.shape[0], dtype=torch.long))

    return Optimizer("accept-any", init, lambda w, state, oracle, t: (w - oracle.grad(w), state))


def _l1_sam(lr, rho):
    """SAM whose ascent is rho g / ||g||_1 (the l1 norm where Eq. (53) has the l2 norm)."""
    def update(w, state, oracle, t):
        g = oracle.grad(w)
        eps = rho * g / torch.linalg.vector_norm(g, ord=1, dim=-1, keepdim=True)
        return w - step_size(lr) * oracle.grad(w + eps), state

    return Optimizer("l1-sam", lambda w: (), update)


def _wrong_sign_momentum(lr, momentum):
    def update(w, state, oracle, t):
        delta = -momentum * state.delta - step_size(lr) * oracle.grad(w)  # sign of the history term flipped
        return w + delta, MomentumState(delta)

    return Optimizer("wrong-sign", lambda w: MomentumState(torch.zeros_like(w)), update)


def _runaway_momentum(lr, momentum):
    def update(w, state, oracle, t):
        delta = (1 + momentum) * state.delta - step_size(lr) * oracle.grad(w)  # a history coefficient above 1
        return w + delta, MomentumState(delta)

    return Optimizer("runaway", lambda w: MomentumState(torch.zeros_like(w)), update)


def _short_line_search():
    exact = steepest_descent("quadratic")

    def update(w, state, oracle, t):
        w_new, st = exact.update(w, state, oracle, t)
        return w + 0.9 * (w_new - w), SteepestState(0.9 * st.eta)  # 10% short of the minimiser

    return Optimizer("short", exact.init, update)


def _transposed_backprop(mlp, w, idx=None):
    p = mlp.layout.unflatten(w.clone())
    if "W2" in p and p["W2"].shape[-1] == p["W2"].shape[-2]:
        p["W2"].copy_(p["W2"].transpose(-1, -2))  # the error sent back through W2^T instead of W2
    return delta_rule_gradient(mlp, mlp.layout.flatten(p), idx)


def _drifting_gd(lr):
    """GD plus a constant drift of 1e-3 in the last coordinate: it cannot rest at a saddle."""
    base = gradient_descent(lr)

    def update(w, state, oracle, t):
        w_new, state = base.update(w, state, oracle, t)
        return w_new + 1e-3 * torch.nn.functional.one_hot(torch.tensor(w.shape[1] - 1), w.shape[1]).to(w.dtype), state

    return Optimizer("drifting-gd", base.init, update)


def _ascent(lr):
    """Gradient ascent presented as descent."""
    return Optimizer("ascent", lambda w: (), lambda w, state, oracle, t: (w + step_size(lr) * oracle.grad(w), state))


def _first_sample_only(lr):
    """Mini-batch SGD that uses only the first sample of each batch (and so is not charged for the rest)."""
    def update(w, state, oracle, t):
        inner = Oracle(oracle.objective, oracle.idx[:, :1])
        return w - step_size(lr) * inner.grad(w), state

    return Optimizer("first-sample-only", lambda w: (), update)


def _uncounted_sgd(lr):
    """SGD whose gradients are taken from a private oracle: the engine is charged nothing."""
    def update(w, state, oracle, t):
        return w - step_size(lr) * Oracle(oracle.objective, oracle.idx).grad(w), state

    return Optimizer("uncounted-sgd", lambda w: (), update)


def _lazy_gd(lr):
    """GD that stops moving where the gradient norm falls below 1e-4 (a stopping rule inside the update)."""
    def update(w, state, oracle, t):
        g = oracle.grad(w)
        moving = (torch.linalg.vector_norm(g, dim=-1, keepdim=True) > 1e-4).to(w.dtype)
        return w - lr * moving * g, state

    return Optimizer("lazy-gd", lambda w: (), update)


def _downhill_sam(lr, rho):
    def update(w, state, oracle, t):
        eps = -dual_eps(oracle.grad(w), rho, 2.0)  # the perturbation points the wrong way
        return w - lr * oracle.grad(w + eps), state

    return Optimizer("downhill-sam", lambda w: SAMState(w[:, 0], w[:, 0]), update)


def _undivided_swp(g, rho, beta, generator, form="coordinate", groups=None):
    mask = torch.rand(g.shape, generator=generator, dtype=g.dtype) < beta
    return mask * dual_eps(g, rho, 2.0), mask  # the mask not divided by beta


class _CubicNet(QuadraticNet):
    """Prop. 4's network with a cubic activation, v^T (W x)^3: at W = 0 the gradient and the Hessian
    vanish while f falls along W -> t W (f(t W) = f(0) - t^3 sum_i a_i y_i / n + ...): a saddle with
    no direction of negative curvature, planted into OP-2's search."""

    def _predict(self, w, X, batched: bool = False):
        Z = torch.matmul(X, w.view(w.shape[0], self.k, self.d).transpose(1, 2))  # (S, n, k)
        return (Z**3) @ self.v.unsqueeze(-1)

    def grad(self, w):
        Z = torch.matmul(self.X, w.view(w.shape[0], self.k, self.d).transpose(1, 2))
        r = (Z**3) @ self.v - self.y
        return (torch.matmul((Z * Z * self.v).transpose(1, 2), r.unsqueeze(-1) * self.X) * (3.0 / self.n)).reshape(w.shape[0], -1)


def _inverted_adagrad(lr, eps):
    """'AdaGrad' that damps the coordinates that moved LEAST: each step scaled by G_j / max_j G_j, so
    the coordinates with the largest accumulated gradients keep the full step and the rest stall."""
    from convcheck.optim.adaptive import AdaptiveState

    def update(w, state, oracle, t):
        g = oracle.grad(w)
        G = state.v + g * g
        return w - step_size(lr) * g * G / G.amax(-1, keepdim=True).clamp_min(1e-300), AdaptiveState(state.m, G)

    return Optimizer("inverted-adagrad", lambda w: AdaptiveState(torch.zeros_like(w), torch.zeros_like(w)), update)


def _fixed_step(value):
    """SGD whose step is ``value`` whatever it is given (a per-row tensor or one number)."""
    return lambda lr: sgd(torch.full_like(lr, value) if torch.is_tensor(lr) else value)


PLANTED = [
    Planted("gd_bound", "Prop. 1's bound replaced by L R^2 / (4 t^2), too strong",
            [("GD-1", AS_WRITTEN), ("GD-1", pep.CERTIFIED)],
            {"judgments": {"GD-1": Bound(lambda k: 1.0 / (4.0 * np.asarray(k, float) ** 2)),
                           ("GD-1", pep.CERTIFIED): Certified(lambda w: 1.0 / (4.0 * w.N ** 2))}}),
    Planted("gd_descent", "GD takes a step 1.3x the one it reports", [("GD-2", AS_WRITTEN), ("GD-2", "eta < 2/L")],
            methods={"gd": lambda lr: gradient_descent(lr * 1.3)}),
    Planted("gd_descent", "GD drifts by 1e-3 per step: it cannot stop at the saddle", [("GD-3", AS_WRITTEN)],
            methods={"gd": _drifting_gd}),
    Planted("gd_descent", "the certified GD takes a step 1.3x the one it reports",
            [("GD-2", pep.CERTIFIED), ("GD-2", f"eta < 2/L, {pep.CERTIFIED}")], {"pep_gd": lambda h: pep.gd(1.3 * h)}),
    Planted("line_search", "a line search that accepts any step", [("GD-4", AS_WRITTEN)], {"searches": {"halving": _accept_any_step()}}),
    Planted("momentum", "momentum with the sign of the history term flipped", [("GD-5", AS_WRITTEN)],
            methods={"momentum": _wrong_sign_momentum},
            why="GD-5 has one verdict, refuted as written on the true input (cells where momentum oscillates more by all "
                "three measures); the wrong sign makes more cells refute, which the claim's one verdict cannot show"),
    Planted("momentum", "heavy ball with its coefficient alpha replaced by 1 + alpha (outside Eq. 8's alpha < 1: it "
            "grows at every step size)", [("GD-5", "each method at its own speed-tuned step, the same measures")],
            methods={"momentum": _runaway_momentum}),
    Planted("momentum", "Nesterov taking twice the step it is given",
            [("GD-5", "Nesterov's momentum (torch.optim.SGD's nesterov=True form), the same grid and measures")],
            methods={"nesterov": lambda lr, momentum: nesterov_sgd(2 * lr, momentum)},
            why="the Nesterov reading is refuted on the true input (Nesterov oscillates more than GD by all three "
                "measures in most cells); the row keeps a wrong Nesterov refuted too (with the sign of its history "
                "term flipped it damps oscillation instead, and is reproduced in cells where the true one is not)"),
    Planted("momentum", "the certified heavy ball with the sign of the history term flipped", [("GD-5", pep.CERTIFIED)],
            {"pep_momentum": lambda h, alpha: pep.heavy_ball(h, -alpha)}),
    Planted("steepest", "the certified 'exact' line search replaced by a fixed step 1/L",
            [("GD-6", f"contraction ((kappa-1)/(kappa+1))^2 per step, {pep.CERTIFIED}")],
            {"pep_line_search": lambda: pep.gd(1.0)}),
    Planted("steepest", "an 'exact' line search 10% short of the minimiser",
            [("GD-6", AS_WRITTEN), ("GD-6", "contraction ((kappa-1)/(kappa+1))^2 per step")], {"numeric": _short_line_search()}),
    Planted("nonconvex", "gradient ascent presented as descent",
            [("GD-7", AS_WRITTEN), ("GD-7", "not globally L-smooth: steps h/L_0 from the curvature at the start")],
            methods={"gd": _ascent}, seeds=64),
    Planted("backprop", "backprop sending the error through W2^T instead of W2",
            [("BP-1", AS_WRITTEN), ("BP-2", AS_WRITTEN), ("BP-2", "in place: line 10 uses the weights already updated above")],
            {"gradient": _transposed_backprop}),
    Planted("sgd_rates", "steps 1/t^2 for 1/t and 1/sqrt(t), and SGD-4's constant secretly 1/4",
            [("SGD-1", AS_WRITTEN), ("SGD-2", AS_WRITTEN), ("SGD-4", AS_WRITTEN),
             ("SGD-1", "convex f (the cited analyses' hypothesis)"), ("SGD-2", "convex f (the cited analyses' hypothesis)")],
            methods={"sgd": lambda lr: sgd(lambda t: 1.0 / t**2)}, seeds=24),
    Planted("sgd_rates", "a schedule that never decays (steps fixed at 0.5): only the non-smooth instance can show it",
            [("SGD-2", AS_WRITTEN), ("SGD-2", "convex f (the cited analyses' hypothesis)")],
            methods={"sgd": lambda lr: sgd(0.5)}, seeds=64),
    Planted("sgd_floor", "SGD's step secretly fixed at 0.03 whatever eta the study sets",
            [("SGD-3", AS_WRITTEN), ("SGD-3", "floor proportional to eta (Theta)"),
             ("SGD-3", "convex f: floor O(eta) and the 1/t transient"), ("SGD-5", AS_WRITTEN),
             ("SGD-5", "Bottou et al.: contraction 1 - eta mu, floor eta L M / (2 mu)"), ("SGD-7", AS_WRITTEN),
             ("SGD-7", "Ghadimi & Lan: min E||grad f||^2 <= O(1/(eta t) + eta)")],
            methods={"sgd": _fixed_step(0.03)}, seeds=128),  # 128: the grad-norm tails settle within the margin
    Planted("sgd_floor", "a method whose gradient evaluations go uncounted (it calls the objective behind the oracle)",
            [("SGD-6", AS_WRITTEN)], methods={"sgd": _uncounted_sgd}),
    Planted("minibatch", "samplers swapped (with replacement claimed as without and back), and mini-batch SGD that uses "
            "only the first sample of each batch",
            [("MB-1", AS_WRITTEN), ("MB-2", AS_WRITTEN), ("MB-2", "convex f: floor follows E||e||^2 and the 1/t transient"),
             ("MB-3", AS_WRITTEN), ("MB-3", "Bottou et al.: contraction 1 - eta mu, floor proportional to 1/b"),
             ("MB-4", AS_WRITTEN), ("MB-4", "sigma^2 the 1/(n-1) variance of the per-sample gradients"),
             ("MB-5", AS_WRITTEN), ("MB-5", "sigma^2 the 1/(n-1) variance of the per-sample gradients"), ("MB-6", AS_WRITTEN)],
            {"without": WithReplacement, "with_replacement": WithoutReplacement,
             }, methods={"sgd": _first_sample_only}, seeds=64),
    Planted("adaptive", "AdaGrad that damps the coordinates that moved least", [("AD-1", AS_WRITTEN)],
            methods={"adagrad": _inverted_adagrad}),
    Planted("adaptive", "'AdamW' whose weight decay is the coupled L2 penalty (torch.optim.Adam's weight_decay)",
            [("AD-3", "decoupled weight decay (AdamW): w <- (1 - lr wd) w, then Adam's step; wd = 0 is Adam")],
            methods={"adamw": lambda lr, betas, eps, weight_decay: from_torch(torch.optim.Adam, lr=lr, betas=betas, eps=eps,
                                                                              weight_decay=weight_decay)}),
    Planted("adaptive", "AdaGrad with a secretly tiny step, RMSProp with eps inside the root, Adam without bias correction",
            [("AD-2", AS_WRITTEN), ("AD-2", "standard RMSProp (per-coordinate v)"), ("AD-3", AS_WRITTEN),
             ("AD-3", "standard Adam (per-coordinate v, k from 1)"), ("AD-4", AS_WRITTEN)],
            methods={"adagrad": lambda lr, eps: adagrad(lr * 1e-4, eps),
                     "rmsprop": lambda lr, alpha, eps: rmsprop(lr, alpha, eps=1e-2, eps_inside=True),
                     "adam": lambda lr, betas, eps: adam(lr, betas[0], betas[1], eps, bias_correction=False)}),
    Planted("sam_perturbation", "eps* without the dual-norm exponent, and SWP masks not divided by beta",
            [("SAM-1", AS_WRITTEN), ("SAM-6", AS_WRITTEN)],
            {"eps_fn": lambda g, rho, p: rho * g / torch.linalg.vector_norm(g, ord=1 if p == 2.0 else p, dim=-1, keepdim=True),
             "swp_fn": _undivided_swp}),
    Planted("sam_perturbation", "a SAM ascending by the l1-normalised gradient, eps* normalised by the l1 norm at p = 2, "
            "and a sharpness that forgets to subtract L(w)",
            [("SAM-2", AS_WRITTEN), ("SAM-3", AS_WRITTEN), ("SAM-3", "first-order eps* near-optimal: gap to the true maximum O(rho^2)")],
            {"eps_fn": lambda g, rho, p: rho * g / torch.linalg.vector_norm(g, ord=1, dim=-1, keepdim=True),
             "sharpness_fn": lambda net, w, eps: net.loss(w + eps)}, methods={"sam": _l1_sam}),
    Planted("sam_perturbation", "eps* ten times longer than rho", [("SAM-4", AS_WRITTEN)],
            {"eps_fn": lambda g, rho, p: dual_eps(g, 10 * rho, p)},
            why="SAM-4 is refuted as written on the true input (along training the dropped term is larger than the kept "
                "one); at initialisation eps* ten times longer multiplies the ratio by about 100 (it grows like rho^2), "
                "which the claim's one verdict cannot show"),
    Planted("sam_flatness", "SAM perturbing downhill", [("SAM-5", AS_WRITTEN)], methods={"sam": _downhill_sam}, seeds=12),
    Planted("sam_flatness", "'SDS' that keeps the whole batch (plain SAM under SDS's name)", [("SAM-7", AS_WRITTEN)],
            {"sds_factory": lambda lr, rho, **options: sam(lr, rho)}),
    Planted("asam", "ASAM with T_w = 1 (plain SAM's perturbation)", [("SAM-8", AS_WRITTEN)],
            {"asam_eps_fn": lambda g, w, rho, mask: dual_eps(g, rho, 2.0)}),
    Planted("quadratic_net", "k = 5 < 2d hidden units presented as Prop. 4's regime", [("OP-1", AS_WRITTEN)], {"k": 5}),
    Planted("quadratic_net", "a cubic activation presented as Prop. 4's quadratic one: W = 0 becomes a saddle without "
            "negative curvature", [("OP-2", AS_WRITTEN)], {"net_class": _CubicNet}),
    Planted("quadratic_net", "an all-positive v presented as Prop. 4's regime", [("OP-3", AS_WRITTEN)], {"v_sign": "positive"}),
    Planted("quadratic_net", "a 'GD' that stops moving once its gradient is below 1e-4",
            [("OP-7", AS_WRITTEN), ("OP-7", "Prop. 4's network (not globally L-smooth)")], methods={"gd": _lazy_gd}),
    Planted("wide_nets", "a step 20x too large", [("OP-4", "two-layer net of Du et al. (2018)"),
                                                  ("OP-5", "two-layer net, the same step for every b")],
            {"lr_scale": 20.0}),
    Planted("wide_nets", "the widths built in reverse order (wider claimed, narrower built)", [("OP-6", AS_WRITTEN)],
            {"width_fn": lambda m: max(8, 8192 // m)}),
]

#: Claims and readings without a planted wrong input yet, and why (none at present; a new claim or
#: reading goes here, with its reason, until it has a row above).
NOT_PLANTED: dict[tuple[str, str], str] = {
    ("OP-4", AS_WRITTEN): "no network the machine can build meets Prop. 5's width condition (n^24 = 7.9e28 at n = 16): its "
                          "verdict as written is withheld whatever the method does; the planted step refutes the two-layer reading",
    ("OP-5", AS_WRITTEN): "no network the machine can build meets Prop. 5's width condition (n^24 = 7.9e28 at n = 16): its "
                          "verdict as written is withheld whatever the method does; the planted step refutes the two-layer reading",
}

"""GD-4: gradient descent with the halving line search (Alg. 1, Eqs. 5-7), Armijo and Wolfe.

Claims:
    Alg. 1 starts every iteration at eta = 1 and halves eta until f decreases (Eq. 6); since
    any eta < 1/L guarantees decrease (Eq. 7), the search ends with eta >= 1/(2L) after at
    most ceil(log2 L) + 1 halvings, and f decreases at every iteration. Sec. 2.3 names the
    Armijo and Wolfe line searches as the sophisticated alternatives.
Kind:
    bound + property.
Objective:
    convex quadratics with L in {4, 37, 1000} (L > 1, so halving is needed; kappa = 50) and
    logistic regression on ANES 1996 (L = 0.51: eta = 1 accepted at once).
Optimizer:
    the survey's halving search (role ``line_search``, started at lr = 1); Armijo backtracking
    (c1 = 1e-4, factor 1/2); weak Wolfe by bisection/expansion (c1 = 1e-4, c2 = 0.9).
    ``searches`` may replace them (a dict of name -> optimizer whose state has ``eta`` and
    ``shrinks``). A user's method in the role runs alone (the library's Armijo and Wolfe searches
    are not what it is checked on) and is read from outside: its accepted step is
    ``eta = <w_t - w_{t+1}, g_t> / ||g_t||^2``, checked to be a step along ``-g_t`` (to 1e-10
    relative), and its halvings are those that reach that step from 1, ``ceil(log2(1/eta))``.
Fit:
    per accepted step: eta >= min(1, 1/(2L)), shrinks <= ceil(log2 L) + 1 (halving), f
    decreases strictly; for the Armijo search the sufficient-decrease condition, for the
    Wolfe search both Wolfe conditions, re-checked independently at every accepted step.
Verdict rule:
    ``check_property`` over the checks: reproduced when every check holds on every seed and
    step; refuted at the first failure.
Findings:
    the smallest accepted eta in units of 1/L (on quadratics the halving rule accepts eta
    >= 1/L, stronger than the claim, because f decreases along -g for every eta < 2/L); how
    often the survey's bare decrease rule also meets Armijo's condition.
References:
    Armijo (1966); Wolfe (1969); Nocedal & Wright (2006), Numerical Optimization, Ch. 3.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import torch

from convcheck.stats import check_property
from convcheck.hypotheses import certify
from convcheck.objectives import Logistic, Quadratic
from convcheck import engine
from convcheck.optim import armijo, wolfe
from convcheck.study import Claim, StudyResult

CLAIMS = [Claim("GD-4", "Alg. 1, Eqs. (5)-(7)",
                "halving line search from eta = 1: accepted eta >= 1/(2L) after at most ceil(log2 L) + 1 halvings, "
                "f decreases every step; Armijo and Wolfe conditions hold at their accepted steps", "bound",
                hypotheses=("L-smooth",), methods=("line_search",))]
ROLES = ("line_search",)  # Alg. 1's search; a user's method is read from its iterates

SCALES = {
    "tiny": {"seeds": 4, "steps": 20},
    "quick": {"seeds": 32, "steps": 100},
    "full": {"seeds": 256, "steps": 500},
}

C1, C2 = 1e-4, 0.9

# What tests and users may pass besides a scale's config (convcheck.study): name -> what it is.
INJECTIONS = {
    'searches': '{name: optimizer}: the line searches under test, each with eta and shrinks in its state',
}


def run(ctx, *, steps, searches=None) -> StudyResult:
    user = "line_search" in ctx.methods  # a user's method: read from its iterates, run alone
    if searches is None:
        alg1 = ctx.method("line_search")(lr=1.0)  # Alg. 1 starts every iteration at eta = 1
        searches = {"halving": alg1} if user else {"halving": alg1, "armijo": armijo(c1=C1), "wolfe": wolfe(c1=C1, c2=C2)}
    problems = {f"quadratic-L={L:g}": Quadratic.random(20, ctx.generator("q", L), L=L, kappa=50.0, dtype=ctx.dtype,
                                                        device=ctx.device) for L in (4.0, 37.0, 1000.0)}
    problems["logistic-anes96"] = Logistic.anes96(dtype=ctx.dtype, device=ctx.device)
    rows = []
    for pname, obj in problems.items():
        w0 = ctx.start_near(obj.w_star, pname, "w0")
        for sname, opt in searches.items():
            # every step recorded, with the accepted step and its shrink count; the conditions are
            # then re-checked independently at each accepted step from the recorded iterates
            observed = user and sname == "halving"
            tr = engine.run(obj, opt, w0, steps, checkpoints=np.arange(steps + 1), keep_iterates=True,
                            states=() if observed else ("eta", "shrinks"), metrics=("gap",))
            for t in range(1, steps + 1):
                w, w_new = tr.iterates[:, t - 1].contiguous(), tr.iterates[:, t].contiguous()
                g = obj.grad(w)
                if observed:
                    eta_t, along = _observed_step(w, w_new, g)
                    eta, shrinks = eta_t, np.ceil(np.log2(1.0 / eta_t.clamp_min(1e-300).cpu().numpy()) - 1e-9).clip(0)
                else:
                    eta, shrinks = torch.from_numpy(tr.states["eta"][:, t]), tr.states["shrinks"][:, t]
                    along = torch.ones_like(eta, dtype=torch.bool)
                f0, f1 = obj.loss(w), obj.loss(w_new)
                moved = (g * g).sum(-1) > 0
                armijo_ok = f1 <= f0 - C1 * eta.to(w) * (g * g).sum(-1)
                wolfe_ok = armijo_ok & ((obj.grad(w_new) * g).sum(-1) <= C2 * (g * g).sum(-1))
                rows.append(pd.DataFrame({
                    "problem": pname, "search": sname, "step": t, "seed": np.arange(ctx.seeds),
                    "eta_L": eta.cpu().numpy() * obj.L, "shrinks": shrinks, "along_g": along.cpu().numpy(),
                    "decrease": (f1 < f0).cpu().numpy() | ~moved.cpu().numpy(),
                    "armijo": armijo_ok.cpu().numpy(), "wolfe": wolfe_ok.cpu().numpy(),
                    "L": obj.L, "gap": (f1 - obj.f_star).cpu().numpy()}))
    tab = pd.concat(rows, ignore_index=True)
    tab["setting"] = tab.problem + " / " + tab.search
    # steps before the gap reaches round-off, of the run's dtype (float32 stops 2^29 times sooner)
    active = tab.gap > 1e3 * torch.finfo(ctx.dtype).eps * tab.groupby(["problem", "seed"]).gap.transform("max")
    checks = {}
    for (pname, sname), g in tab[active].groupby(["problem", "search"], sort=False):
        L = g.L.iloc[0]
        if sname == "halving":
            checks[(pname, sname, "eta >= min(1, 1/(2L))")] = bool((g.eta_L >= min(L, 0.5) - 1e-12).all())
            checks[(pname, sname, "halvings <= ceil(log2 L) + 1")] = bool((g.shrinks <= max(0, math.ceil(math.log2(L))) + 1).all())
        if sname == "armijo":
            checks[(pname, sname, "Armijo condition")] = bool(g.armijo.all())
        if sname == "wolfe":
            checks[(pname, sname, "Wolfe conditions")] = bool(g.wolfe.all())
        if user and sname == "halving":
            checks[(pname, sname, "a step along -g")] = bool(g.along_g.all())
        checks[(pname, sname, "f decreases")] = bool(g.decrease.all())
    hal = tab[active & (tab.search == "halving")]
    min_eta = hal.groupby("problem").eta_L.min()
    armijo_rate = hal.armijo.mean()
    findings = [
        "smallest accepted eta of the halving rule, in units of 1/L: "
        + ", ".join(f"{v:.3f} ({k})" for k, v in min_eta.items())
        + " (claim: >= 1/2; on quadratics f decreases along -g for every eta < 2/L, so the rule accepts >= 1/L)",
        f"the survey's bare decrease rule (Eq. 6) also met Armijo's condition (c1 = {C1:g}) at {armijo_rate:.1%} of its accepted steps",
        "largest number of halvings per problem: " + ", ".join(
            f"{int(v)} ({k}; ceil(log2 L) + 1 = {max(0, math.ceil(math.log2(tab[tab.problem == k].L.iloc[0]))) + 1})"
            for k, v in hal.groupby("problem").shrinks.max().items()),
    ]
    verdict = check_property(list(checks.values()), labels=[f"{w} for the {s_} search on {p}" for p, s_, w in checks],
                             what=f"all {len(checks)} checks of the line searches hold on every seed and step"
                                  + (f" ({ctx.label('line_search')} in role line_search, read from its iterates)" if user else ""),
                             detail=f"halving accepted eta >= {min_eta.min():.3f}/L" + (
                                 ", each step read from the iterates" if user else
                                 ", Armijo and Wolfe conditions checked at every accepted step"),
                             claim="GD-4", seeds=ctx.seeds, window=[1, steps], findings=findings,
                             statistic={"checks": {" / ".join(k): v for k, v in checks.items()}, "min_eta_L": min_eta.to_dict()},
                             notes=[f"{' / '.join(k)}: {'ok' if v else 'FAILS'}" for k, v in checks.items()])
    failing = {p for (p, _, _), ok in checks.items() if not ok}
    verdict = verdict.restated(instances=[certify(obj, name) if name in failing or not failing
                                          else certify(obj, name).to_json(refutes=False) for name, obj in problems.items()])
    figures = [
        {"kind": "hist", "table": "steps", "title": "Accepted step sizes of the halving search (units of 1/L)",
         "x": "eta_L", "y": "eta_L", "hue": "problem", "where": {"search": "halving"},
         "vlines": {"1/(2L)": 0.5, "1/L": 1.0}, "logx": True},
        {"kind": "curves", "table": "steps", "title": "f - f* per iteration, by problem and search", "x": "step",
         "y": "gap", "hue": "setting", "logy": True},
    ]
    return StudyResult([verdict], {"steps": tab}, figures, {k: v.constants() for k, v in problems.items()})


def _observed_step(w, w_new, g):
    """A method's accepted step read from its iterates: ``eta = <w - w_new, g> / ||g||^2`` per row, and
    whether ``w_new = w - eta g`` to 1e-10 relative (a step along -g; rows with g = 0 count as along)."""
    gg = (g * g).sum(-1)
    eta = torch.where(gg > 0, ((w - w_new) * g).sum(-1) / torch.where(gg > 0, gg, torch.ones_like(gg)), torch.zeros_like(gg))
    off = torch.linalg.vector_norm(w - w_new - eta.unsqueeze(-1) * g, dim=-1)
    along = (gg == 0) | (off <= 1e-10 * torch.linalg.vector_norm(w - w_new, dim=-1).clamp_min(1e-300))
    return eta, along


if __name__ == "__main__":
    from convcheck.study import main

    main(__file__)

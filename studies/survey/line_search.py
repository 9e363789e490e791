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
    ``shrinks``). A user's method in the role runs alone and is read from outside: its accepted
    step is ``eta = <w_t - w_{t+1}, g_t> / ||g_t||^2``, its distance from a step along ``-g_t``
    is measured, and its halvings are those that reach that step from 1, ``ceil(log2(1/eta))``.
Fit:
    every accepted step before the gap reaches round-off, per search and problem: eta, the
    halvings, the Armijo ratio ``(f_t - f_{t+1}) / (c1 eta ||g_t||^2)``, the curvature ratio
    ``<grad f(w_{t+1}), g_t> / ||g_t||^2``; and f at every step.
Verdict rule:
    declared ``AllOf`` per (problem, search): for the halving search ``AtLeast(min(1, 1/(2L)))``
    on eta and ``AtMost(ceil(log2 L) + 1)`` on the halvings; for Armijo's ``AtLeast(1)`` on the
    Armijo ratio; for Wolfe's that and ``AtMost(c2)`` on the curvature ratio; for a user's method
    ``AtMost(IDENTITY_RTOL)`` on its relative distance from a step along -g; for every search
    ``Decreasing`` on f. Reproduced when every fact holds on every seed and step.
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

from convcheck import engine
from convcheck.evidence import Curves, Samples, above_roundoff
from convcheck.judgments import AllOf, AtLeast, AtMost, Decreasing
from convcheck.objectives import Logistic, Quadratic
from convcheck.optim import armijo, wolfe
from convcheck.study import Claim, StudyResult

C1, C2 = 1e-4, 0.9
FACTS = {"eta >= min(1, 1/(2L))": AtLeast(lambda c: min(1.0, 0.5 / c["L"])),
         "halvings <= ceil(log2 L) + 1": AtMost(lambda c: max(0, math.ceil(math.log2(c["L"]))) + 1, rtol=None),
         "Armijo's sufficient decrease": AtLeast(1.0), "Wolfe's curvature condition": AtMost(C2),
         "a step along -g": AtMost("IDENTITY_RTOL", rtol=None), "f decreases": Decreasing()}
CLAIMS = [Claim("GD-4", "Alg. 1, Eqs. (5)-(7)",
                "halving line search from eta = 1: accepted eta >= 1/(2L) after at most ceil(log2 L) + 1 halvings, "
                "f decreases every step; Armijo and Wolfe conditions hold at their accepted steps", "bound",
                hypotheses=("L-smooth",), methods=("line_search",), judgments=AllOf(FACTS, of="bound"))]
ROLES = ("line_search",)  # Alg. 1's search; a user's method is read from its iterates
SCALES = {"tiny": {"seeds": 4, "steps": 20}, "quick": {"seeds": 32, "steps": 100}, "full": {"seeds": 256, "steps": 500}}
INJECTIONS = {'searches': '{name: optimizer}: the line searches under test, each with eta and shrinks in its state'}
# the facts each search is held to (a user's method in the halving role is also read from its iterates)
MEASURED = {"eta >= min(1, 1/(2L))": "accepted eta", "halvings <= ceil(log2 L) + 1": "halvings",
            "Armijo's sufficient decrease": "(f_t - f_t+1) / (c1 eta ||g_t||^2)",
            "Wolfe's curvature condition": "<grad f(w_t+1), g_t> / ||g_t||^2",
            "a step along -g": "||w_t - w_t+1 - eta g_t|| / ||w_t - w_t+1||"}
HELD = {"halving": ("eta >= min(1, 1/(2L))", "halvings <= ceil(log2 L) + 1"), "armijo": ("Armijo's sufficient decrease",),
        "wolfe": ("Armijo's sufficient decrease", "Wolfe's curvature condition")}


def run(ctx, *, steps, searches=None) -> StudyResult:
    user = "line_search" in ctx.methods  # a user's method: read from its iterates, run alone
    if searches is None:
        alg1 = ctx.method("line_search")(lr=1.0)  # Alg. 1 starts every iteration at eta = 1
        searches = {"halving": alg1} if user else {"halving": alg1, "armijo": armijo(c1=C1), "wolfe": wolfe(c1=C1, c2=C2)}
    problems = {f"quadratic-L={L:g}": Quadratic.random(20, ctx.generator("q", L), L=L, kappa=50.0, dtype=ctx.dtype,
                                                        device=ctx.device) for L in (4.0, 37.0, 1000.0)}
    problems["logistic-anes96"] = Logistic.anes96(dtype=ctx.dtype, device=ctx.device)
    frames, evidence = [], {}
    for pname, obj in problems.items():
        w0, per = ctx.start_near(obj.w_star, pname, "w0"), {}
        for sname, opt in searches.items():
            observed = user and sname == "halving"
            tr = engine.run(obj, opt, w0, steps, checkpoints=np.arange(steps + 1), keep_iterates=True,
                            states=() if observed else ("eta", "shrinks"), metrics=("gap",))
            per[sname] = tr, observed, _steps(obj, tr, observed)
        # steps before the gap reaches round-off, the scale the largest gap of the seed's runs
        scale = np.nanmax(np.stack([m["gap"] for _, _, m in per.values()]), axis=(0, 2))[:, None]
        for sname, (tr, observed, m) in per.items():
            live = above_roundoff(m["gap"], scale)
            frames.append(_frame(pname, sname, obj.L, m, live))
            held = {*HELD.get(sname, ()), *(("a step along -g",) if observed else ())}
            facts = {fact: Samples.on(obj, m[fact][live], what=MEASURED[fact], labels=_labels(live)) for fact in held}
            evidence[f"{pname} / {sname}"] = {**facts, "f decreases": Curves.of(tr).map(lambda g, s=obj.f_star: g + s, "f")}
    tab = pd.concat(frames, ignore_index=True)
    tab["setting"] = tab.problem + " / " + tab.search
    hal = tab[tab.live & (tab.search == "halving")]
    findings = [
        "smallest accepted eta of the halving rule, in units of 1/L: "
        + ", ".join(f"{v:.3f} ({k})" for k, v in hal.groupby("problem").eta_L.min().items())
        + " (claim: >= 1/2; on quadratics f decreases along -g for every eta < 2/L, so the rule accepts >= 1/L)",
        f"the survey's bare decrease rule (Eq. 6) also met Armijo's condition (c1 = {C1:g}) at {hal.armijo.mean():.1%} of its "
        "accepted steps", "largest number of halvings per problem: " + ", ".join(
            f"{int(v)} ({k}; ceil(log2 L) + 1 = {max(0, math.ceil(math.log2(problems[k].L))) + 1})"
            for k, v in hal.groupby("problem").shrinks.max().items())]
    return StudyResult(evidence={"GD-4": evidence}, findings={"GD-4": findings}, tables={"steps": tab.drop(columns="live")},
                       figures=FIGURES, setup={k: v.constants() for k, v in problems.items()})


def _steps(obj, tr, observed) -> dict:
    """Per accepted step t = 1..T of every seed, (S, T) arrays: eta, halvings, f before and after,
    the Armijo and curvature ratios, and the distance from a step along -g (relative to the step)."""
    S, T1, d = tr.iterates.shape
    w, w_new = tr.iterates[:, :-1].reshape(-1, d), tr.iterates[:, 1:].reshape(-1, d)
    g, f0, f1 = obj.grad(w), obj.loss(w), obj.loss(w_new)
    gg = (g * g).sum(-1)
    safe = torch.where(gg > 0, gg, torch.ones_like(gg))
    if observed:  # the step a user's method took, read from its iterates
        eta = torch.where(gg > 0, ((w - w_new) * g).sum(-1) / safe, torch.zeros_like(gg))
        shrinks = np.ceil(np.log2(1.0 / eta.clamp_min(1e-300).cpu().numpy()) - 1e-9).clip(0).reshape(S, -1)
    else:
        eta, shrinks = torch.from_numpy(tr.states["eta"][:, 1:]).reshape(-1).to(w), tr.states["shrinks"][:, 1:]
    off = torch.linalg.vector_norm(w - w_new - eta.unsqueeze(-1) * g, dim=-1) / torch.linalg.vector_norm(w - w_new, dim=-1).clamp_min(torch.finfo(w.dtype).tiny)
    armijo_ok = f1 <= f0 - C1 * eta * gg
    out = {"eta": eta, "eta_L": eta * obj.L, "a step along -g": torch.where(gg > 0, off, torch.zeros_like(off)),
           "Armijo's sufficient decrease": (f0 - f1) / (C1 * eta * safe), "Wolfe's curvature condition": (obj.grad(w_new) * g).sum(-1) / safe,
           "decrease": (f1 < f0) | ~(gg > 0), "armijo": armijo_ok,
           "wolfe": armijo_ok & ((obj.grad(w_new) * g).sum(-1) <= C2 * gg), "gap": f1 - obj.f_star}
    out = {k: v.reshape(S, -1).cpu().numpy() for k, v in out.items()}
    out["shrinks"] = shrinks
    out["eta >= min(1, 1/(2L))"], out["halvings <= ceil(log2 L) + 1"] = out["eta"], shrinks.astype(np.float64)
    return out


def _labels(live):
    seed, t = np.nonzero(live)
    return [f"seed {s}, step {k + 1}" for s, k in zip(seed, t)]


def _frame(pname, sname, L, m, live) -> pd.DataFrame:
    """The steps table, one row per (step, seed), in step order."""
    S, T = live.shape
    col = {k: m[k].T.reshape(-1) for k in ("eta_L", "shrinks", "a step along -g", "decrease", "armijo", "wolfe", "gap")}
    return pd.DataFrame({"problem": pname, "search": sname, "step": np.repeat(np.arange(1, T + 1), S),
                         "seed": np.tile(np.arange(S), T), "eta_L": col["eta_L"], "shrinks": col["shrinks"],
                         "off_g": col["a step along -g"], "decrease": col["decrease"], "armijo": col["armijo"],
                         "wolfe": col["wolfe"], "L": L, "gap": col["gap"], "live": live.T.reshape(-1)})


FIGURES = [
    {"kind": "hist", "table": "steps", "title": "Accepted step sizes of the halving search (units of 1/L)",
     "x": "eta_L", "y": "eta_L", "hue": "problem", "where": {"search": "halving"},
     "vlines": {"1/(2L)": 0.5, "1/L": 1.0}, "logx": True},
    {"kind": "curves", "table": "steps", "title": "f - f* per iteration, by problem and search", "x": "step",
     "y": "gap", "hue": "setting", "logy": True},
]

if __name__ == "__main__":
    from convcheck.study import main

    main(__file__)

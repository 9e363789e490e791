"""Solvers that run many independent problems as rows of one batch.

:func:`lbfgs_rows` minimises ``S`` independent functions at once, one per row of ``w0: (S, d)``:
limited-memory BFGS (Nocedal & Wright, *Numerical Optimization*, Alg. 7.4-7.5) with each row's
own curvature history, step and stopping, and a backtracking line search (Armijo, c1 = 1e-4) run
on every row together. A row's iterates depend on that row alone (every reduction is per row), so
a row gives the same result in any batch. It replaces a Python loop of per-problem scipy calls
where the problems are small and many (a landscape sampled from 100 random inits): one batched
function evaluation per step instead of S calls through Python. SciPy and torch.optim.LBFGS solve
one problem at a time (torch's on one parameter vector, with one line search for all of it).
"""

from __future__ import annotations

from typing import Callable, NamedTuple

import torch

from ._validation import check_int, check_real

__all__ = ["lbfgs_rows", "RowsResult"]


class RowsResult(NamedTuple):
    """Per row: the final point ``w: (S, d)``, ``loss: (S,)``, the gradient's infinity norm
    ``grad_inf: (S,)``, the iterations taken ``iterations: (S,)`` and whether it met ``gtol``
    (``converged: (S,)``; a row whose line search can no longer decrease f stops unconverged)."""

    w: torch.Tensor
    loss: torch.Tensor
    grad_inf: torch.Tensor
    iterations: torch.Tensor
    converged: torch.Tensor


def lbfgs_rows(loss_grad: Callable[[torch.Tensor], tuple[torch.Tensor, torch.Tensor]], w0: torch.Tensor, *,
               gtol: float = 1e-11, maxiter: int = 20000, memory: int = 30, max_halvings: int = 60,
               patience: int = 10, subsets: bool = False) -> RowsResult:
    """Minimise every row of ``w0: (S, d)`` independently.

    ``loss_grad(w)`` returns ``(f: (S,), grad: (S, d))`` for all S rows (a row that has stopped is
    evaluated with the others and left where it is). A row stops when ``max_i |grad_i| <= gtol`` (SciPy's L-BFGS-B criterion), after
    ``maxiter`` iterations, when its line search cannot decrease f in ``max_halvings`` halvings, or
    when f has fallen by no more than its round-off (100 eps |f|) for ``patience`` iterations in a
    row: at a minimum whose gradient cannot reach ``gtol`` in floating point, the steps that are
    still accepted only move f in its last bits.

    ``subsets=True`` says that ``loss_grad(w, rows)`` evaluates any subset of the rows: ``w`` holds
    the rows whose indices are ``rows`` (a long tensor). The solver then evaluates only the rows it
    needs: live rows on a line search's first trial, and after that the rows still searching (on
    a quadratic network's landscape from 100 starts, 42% of the rows the whole batch would
    evaluate). A row's result is the same either way where ``loss_grad`` gives a row the same
    bits whatever rows come with it.
    """
    maxiter = check_int("maxiter", maxiter, 1)
    memory = check_int("memory", memory, 1)
    gtol = check_real("gtol", gtol, 0.0)
    w = w0.detach().clone()
    S, d = w.shape
    f, g = loss_grad(w, torch.arange(S, device=w.device)) if subsets else loss_grad(w)
    # A ring of ``memory`` curvature pairs per row; every iteration writes one slot for every row (a
    # row that keeps no pair writes zeros, which the recursion skips: rho = 0), so no row's history
    # is ever copied.
    s_hist = torch.zeros(memory, S, d, dtype=w.dtype, device=w.device)
    y_hist = torch.zeros_like(s_hist)
    rho = torch.zeros(memory, S, dtype=w.dtype, device=w.device)
    gamma = torch.zeros(S, dtype=w.dtype, device=w.device)  # s'y / y'y of the newest pair kept (0: none yet)
    its = torch.zeros(S, dtype=torch.long, device=w.device)
    live = g.abs().amax(-1) > gtol
    stalled = torch.zeros(S, dtype=torch.bool, device=w.device)
    flat = torch.zeros(S, dtype=torch.long, device=w.device)  # consecutive steps that moved f only at round-off
    eps, tiny_f = torch.finfo(w.dtype).eps, torch.finfo(w.dtype).tiny
    for k in range(maxiter):
        if not bool(live.any()):
            break
        # two-loop recursion, newest pair first, per row
        q = g.clone()
        alpha = torch.zeros(memory, S, dtype=w.dtype, device=w.device)
        # newest first; slots not yet written (the first ``memory`` iterations) hold zeros, which
        # would change nothing, so they are skipped
        order = [(k - 1 - i) % memory for i in range(min(k, memory))]
        for j in order:
            alpha[j] = rho[j] * (s_hist[j] * q).sum(-1)
            q -= alpha[j, :, None] * y_hist[j]
        scale = torch.where(gamma > 0, gamma, 1.0 / g.norm(dim=-1).clamp_min(tiny_f))  # first step: length 1
        r = scale[:, None] * q
        for j in reversed(order):
            r += (alpha[j] - rho[j] * (y_hist[j] * r).sum(-1))[:, None] * s_hist[j]
        p = torch.where(live[:, None], -r, torch.zeros_like(r))
        slope = (g * p).sum(-1)
        bad = live & ~(slope < 0)  # not a descent direction (round-off): steepest descent instead
        p = torch.where(bad[:, None], -g, p)
        slope = torch.where(bad, -(g * g).sum(-1), slope)
        # backtracking line search (Armijo with a strict decrease), every row together
        t = torch.ones(S, dtype=w.dtype, device=w.device)
        accepted = ~live
        w_new, f_new, g_new = w.clone(), f.clone(), g.clone()
        for _ in range(max_halvings):
            if subsets:  # only the rows still searching, scattered back
                rows = (~accepted).nonzero().squeeze(-1)
                w_try = w[rows] + t[rows, None] * p[rows]
                f_try, g_try = loss_grad(w_try, rows)
                f_r = f[rows]
                ok = torch.isfinite(f_try) & (f_try < f_r) & (f_try <= f_r + 1e-4 * t[rows] * slope[rows])
                hit = rows[ok]
                w_new[hit], f_new[hit], g_new[hit] = w_try[ok], f_try[ok], g_try[ok]
                accepted = accepted.index_fill(0, hit, True)
            else:
                w_try = w + t[:, None] * p
                f_try, g_try = loss_grad(w_try)
                ok = ~accepted & torch.isfinite(f_try) & (f_try < f) & (f_try <= f + 1e-4 * t * slope)
                w_new, f_new, g_new = (torch.where(ok[:, None], w_try, w_new), torch.where(ok, f_try, f_new),
                                       torch.where(ok[:, None], g_try, g_new))
                accepted = accepted | ok
            if bool(accepted.all()):
                break
            t = torch.where(accepted, t, t / 2)
        moved = live & accepted
        # curvature pairs: kept only when s'y > 0 (then the BFGS update stays positive definite)
        s_new, y_new = w_new - w, g_new - g
        sy = (s_new * y_new).sum(-1)
        keep = moved & (sy > 1e-10 * s_new.norm(dim=-1) * y_new.norm(dim=-1))
        slot = k % memory
        s_hist[slot] = torch.where(keep[:, None], s_new, 0.0)
        y_hist[slot] = torch.where(keep[:, None], y_new, 0.0)
        rho[slot] = torch.where(keep, 1.0 / torch.where(keep, sy, 1.0), 0.0)
        gamma = torch.where(keep, sy / (y_new * y_new).sum(-1).clamp_min(tiny_f), gamma)
        small = (f - f_new) <= 100 * eps * torch.maximum(f.abs(), f_new.abs())
        flat = torch.where(moved & small, flat + 1, torch.where(moved, 0, flat))
        stalled |= live & ~accepted
        its += moved.long()
        w, f, g = torch.where(moved[:, None], w_new, w), torch.where(moved, f_new, f), torch.where(moved[:, None], g_new, g)
        live = moved & (g.abs().amax(-1) > gtol) & (flat < patience)
    grad_inf = g.abs().amax(-1)
    return RowsResult(w, f, grad_inf, its, (grad_inf <= gtol) & ~stalled)

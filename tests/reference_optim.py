"""Plain per-seed references, written line by line from the survey's equations.

Each ``ref_*`` runs ONE seed: ``w`` is a (d,) tensor, ``f(w)`` a float tensor, ``g(w)`` a
(d,) tensor. No batching, no masks, no cleverness: loops and the formula as printed (with
the indexing fixes the docstrings of convcheck.optim state). The batched optimizers must
reproduce these to 1e-12 in float64.
"""

import math

import torch


def ref_gd(w, f, g, steps, lr):
    for t in range(1, steps + 1):
        w = w - lr * g(w)                                            # Eq. (4)
    return w


def ref_heavy_ball(w, f, g, steps, lr, alpha):
    dw = torch.zeros_like(w)
    for t in range(1, steps + 1):
        dw = alpha * dw - lr * g(w)                                  # Eq. (8)
        w = w + dw
    return w


def ref_nesterov(w, f, g, steps, lr, alpha):
    dw = torch.zeros_like(w)
    for t in range(1, steps + 1):
        dw = alpha * dw - lr * g(w + alpha * dw)
        w = w + dw
    return w


def ref_halving(w, f, g, steps, eta0=1.0):
    for t in range(1, steps + 1):
        eta, grad = eta0, g(w)                                       # Alg. 1, line 3
        if float(grad @ grad) == 0:
            continue
        for _ in range(60):
            if f(w - eta * grad) < f(w):                             # Eq. (6)
                break
            eta = eta / 2                                            # Alg. 1, line 7
        else:
            eta = 0.0
        w = w - eta * grad
    return w


def ref_armijo(w, f, g, steps, eta0=1.0, c1=1e-4, factor=0.5):
    for t in range(1, steps + 1):
        eta, grad = eta0, g(w)
        if float(grad @ grad) == 0:
            continue
        for _ in range(60):
            if f(w - eta * grad) <= f(w) - c1 * eta * (grad @ grad):
                break
            eta = eta * factor
        else:
            eta = 0.0
        w = w - eta * grad
    return w


def ref_wolfe(w, f, g, steps, eta0=1.0, c1=1e-4, c2=0.9):
    for t in range(1, steps + 1):
        grad = g(w)
        gg = grad @ grad
        lo, hi, eta = 0.0, math.inf, eta0
        if float(gg) == 0:
            continue
        for _ in range(60):
            w1 = w - eta * grad
            sufficient = f(w1) <= f(w) - c1 * eta * gg
            curvature = g(w1) @ grad <= c2 * gg
            if sufficient and curvature:
                break
            if not sufficient:
                hi = eta
            else:
                lo = eta
            eta = 2 * eta if math.isinf(hi) else (lo + hi) / 2
        else:
            eta = 0.0
        w = w - eta * grad
    return w


def ref_steepest_quadratic(w, f, g, steps, A):
    for t in range(1, steps + 1):
        grad = g(w)
        eta = (grad @ grad) / (grad @ A @ grad)                     # Eq. (9) on a quadratic
        w = w - eta * grad
    return w


def ref_adagrad(w, f, g, steps, lr, eps, eps_inside):
    G = torch.zeros_like(w)
    for t in range(1, steps + 1):
        grad = g(w)
        for j in range(w.numel()):                                   # Eqs. (39)-(40), coordinate j
            G[j] = G[j] + grad[j] ** 2
        denom = torch.sqrt(eps + G) if eps_inside else torch.sqrt(G) + eps
        w = w - lr * grad / denom                                    # Eq. (38)
    return w


def ref_rmsprop(w, f, g, steps, lr, gamma, eps, survey, eps_inside):
    v = torch.zeros(()) if survey else torch.zeros_like(w)
    for t in range(1, steps + 1):
        grad = g(w)
        v = gamma * v + (1 - gamma) * ((grad @ grad) if survey else grad**2)   # Eq. (41)
        denom = torch.sqrt(eps + v) if eps_inside else torch.sqrt(v) + eps
        w = w - lr * grad / denom                                    # Eq. (42)
    return w


def ref_adam(w, f, g, steps, lr, gamma1, gamma2, eps, survey, eps_inside):
    m = torch.zeros_like(w)
    v = torch.zeros(()) if survey else torch.zeros_like(w)
    for k in range(1, steps + 1):
        grad = g(w)
        m = gamma1 * m + (1 - gamma1) * grad                         # Eq. (43)
        v = gamma2 * v + (1 - gamma2) * ((grad @ grad) if survey else grad**2)  # Eq. (44)
        m_hat = m / (1 - gamma1**k)                                  # Eq. (45), k from 1
        v_hat = v / (1 - gamma2**k)                                  # Eq. (46), k from 1
        denom = torch.sqrt(eps + v_hat) if eps_inside else torch.sqrt(v_hat) + eps
        w = w - lr * m_hat / denom                                   # Eq. (47)
    return w


def ref_eps_star(grad, rho, p):
    if float(grad.abs().max()) == 0:
        return torch.zeros_like(grad)
    if math.isinf(p):
        return rho * torch.sign(grad)
    q = p / (p - 1)
    u = grad / grad.abs().max()
    return rho * torch.sign(u) * u.abs() ** (q - 1) / (u.abs() ** q).sum() ** (1 / p)  # Eq. (52)


def ref_sam(w, f, g, steps, lr, rho, p):
    for t in range(1, steps + 1):
        eps = ref_eps_star(g(w), rho, p)
        w = w - lr * g(w + eps)                                      # Eq. (54), second term dropped
    return w


def ref_sam_sds(w, f, g, steps, lr, rho, per_sample_loss, per_sample_grad, form, alpha=0.0, gamma=0.5):
    for t in range(1, steps + 1):
        eps = ref_eps_star(g(w), rho, 2.0)
        sharp = per_sample_loss(w + eps) - per_sample_loss(w)        # Eq. (56)'s criterion
        if form == "threshold":
            keep = [i for i in range(sharp.numel()) if sharp[i] > alpha]
        else:
            k = max(1, math.ceil(gamma * sharp.numel()))
            keep = torch.topk(sharp, k).indices.tolist()
        if keep:
            w = w - lr * torch.stack([per_sample_grad(w + eps, i) for i in keep]).mean(0)
    return w


def ref_asam(w, f, g, steps, lr, rho, eta_t=0.0):
    for t in range(1, steps + 1):
        grad = g(w)
        T = w.abs() + eta_t
        eps = rho * T * T * grad / torch.linalg.vector_norm(T * grad)
        w = w - lr * g(w + eps)
    return w


def ref_schedule_free(w, f, g, steps, lr, beta, weighting="uniform"):
    x, z, total = w.clone(), w.clone(), 0.0                        # z_1 = x_1
    for t in range(1, steps + 1):
        y = (1 - beta) * z + beta * x                               # y_t
        z = z - lr * g(y)                                           # z_{t+1}
        if weighting == "uniform":
            c = 1 / (t + 1)                                         # c_{t+1} = 1/(t+1)
        else:
            total = total + lr * lr
            c = lr * lr / total                                     # c_{t+1} = gamma_t^2 / sum_{i<=t} gamma_i^2
        x = (1 - c) * x + c * z                                     # x_{t+1}
    return x

"""Backpropagation by the delta rule (Sec. 3, Eqs. 10-17, Alg. 2), batched over seeds.

For an MLP with pre-activations ``z_l = W_l a_{l-1} + b_l`` and activations
``a_l = s(z_l)`` (the last layer linear), and the loss ``E = 1/(2n) sum_i ||a_L - y_i||^2``:

    delta_L = (a_L - y) / n                                   (output error, Eq. 13's form)
    delta_l = (delta_{l+1} W_{l+1}) * s'(z_l)                  (Eq. 16: error sent backwards)
    dE/dW_l = delta_l^T a_{l-1},   dE/db_l = sum_i delta_l     (Eqs. 12, 17)

with ``s'`` in closed form (sigmoid: s(1 - s); tanh: 1 - s^2; relu: 1{z > 0}). No autograd
is called. :func:`backprop` is the optimizer of Eq. (18): every weight moves by
``-eta dE/dW`` (Eqs. 18-20): a gradient-descent step on all weights at once, all deltas
computed before any weight moves.

:func:`backprop_in_place_step` is Alg. 2 read literally: its loop runs "for layer r from the
last layer to the first" and updates ``w_il`` inside it (lines 8 and 10), so when line 10
computes the hidden layer's ``sum_j delta_j w_ji`` the weights ``w_ji`` of the layer above have
already moved. That is not a gradient step (the survey's Eq. 18 is); the BP-2 study measures
by how much.
"""

from __future__ import annotations

import torch

from .base import Optimizer
from .schedules import Schedule, as_schedule, step_size

__all__ = ["delta_rule_gradient", "backprop", "backprop_in_place_step", "ACTIVATION_DERIVATIVES"]

ACTIVATION_DERIVATIVES = {
    "sigmoid": lambda z, a: a * (1 - a),
    "tanh": lambda z, a: 1 - a * a,
    "relu": lambda z, a: (z > 0).to(z.dtype),
    "identity": lambda z, a: torch.ones_like(z),
    "square": lambda z, a: 2 * z,
}


def delta_rule_gradient(mlp, w: torch.Tensor, idx: torch.Tensor | None = None) -> torch.Tensor:
    """dE/dw of an :class:`~convcheck.objectives.MLP` by the delta rule, shape (S, P).

    ``idx: (S, b)`` restricts the loss to a mini-batch (mean over it); None uses all n samples.
    """
    X = mlp.X if idx is None else mlp.X[idx]
    Y = mlp.Y if idx is None else mlp.Y[idx]
    zs, acts = mlp.forward_all(w, X, batched=idx is not None)
    n = X.shape[-2]
    p = mlp.layout.unflatten(w)
    deriv = ACTIVATION_DERIVATIVES[mlp.activation]
    grads = {}
    delta = (acts[-1] - Y) / n  # (S, n, out)
    for l in range(mlp.depth, 0, -1):
        grads[f"W{l}"] = torch.einsum("sno,sni->soi", delta, acts[l - 1])
        if mlp.bias:
            grads[f"b{l}"] = delta.sum(1)
        if l > 1:
            delta = torch.einsum("sno,soi->sni", delta, p[f"W{l}"]) * deriv(zs[l - 2], acts[l - 1])
    return mlp.layout.flatten(grads)


def backprop_in_place_step(mlp, w: torch.Tensor, lr: float, idx: torch.Tensor | None = None) -> torch.Tensor:
    """One iteration of Alg. 2 as written: layers from the last to the first, each updated
    in place before the deltas of the layer below are sent back through it. Shape (S, P).

    Forward quantities (``z``, ``a``, ``sigma'(a)``) are those of ``w^(k)``; only the weights in
    ``sum_j delta_j w_ji`` are the updated ``w^(k+1)`` of the layer above (line 10)."""
    X = mlp.X if idx is None else mlp.X[idx]
    Y = mlp.Y if idx is None else mlp.Y[idx]
    zs, acts = mlp.forward_all(w, X, batched=idx is not None)
    n = X.shape[-2]
    p = {k: v.clone() for k, v in mlp.layout.unflatten(w).items()}
    deriv = ACTIVATION_DERIVATIVES[mlp.activation]
    delta = (acts[-1] - Y) / n
    for l in range(mlp.depth, 0, -1):
        p[f"W{l}"] = p[f"W{l}"] - lr * torch.einsum("sno,sni->soi", delta, acts[l - 1])
        if mlp.bias:
            p[f"b{l}"] = p[f"b{l}"] - lr * delta.sum(1)
        if l > 1:  # line 10: the weights of layer l have already moved
            delta = torch.einsum("sno,soi->sni", delta, p[f"W{l}"]) * deriv(zs[l - 2], acts[l - 1])
    return mlp.layout.flatten(p)


def backprop(lr: Schedule) -> Optimizer:
    """Alg. 2: gradient descent on all weights, the gradient from :func:`delta_rule_gradient`.

    The oracle's objective must be an MLP; the oracle still counts the evaluation."""
    schedule = as_schedule(lr)

    def init(params):
        return ()

    def update(params, state, oracle, t):
        oracle.evals += oracle.objective.n if oracle.idx is None else oracle.idx.shape[1]
        g = delta_rule_gradient(oracle.objective, params, oracle.idx)
        return params - step_size(schedule(t)) * g, state

    return Optimizer("backprop", init, update, {"lr": lr})

"""Neural-network objectives with parameters batched over seeds (Sections 3, 7, 8).

Parameters are one flat vector per seed, ``w: (S, P)``; a :class:`Layout` maps it to named
tensors ``(S, *shape)`` (views, no copies). Losses are means over the n samples; gradients
come from autograd (seeds are independent rows, so the gradient of the summed loss is the
batch of per-seed gradients) unless a closed form is cheaper.

* :class:`MLP`: fully connected, activation sigmoid / tanh / relu, optional biases, MSE
  ``1/(2n) sum_i ||f(x_i) - y_i||^2``: for backprop (BP-1/2) and sharpness (SAM) studies.
* :class:`QuadraticNet`: Prop. 4's shallow network ``x -> v^T (W x)^2`` with fixed ``v``.
  Since ``v^T (W x)^2 = x^T M x`` with ``M = W^T diag(v) W``, and with at least d positive
  and d negative entries in v every symmetric M is reachable, the global minimum is the
  least-squares fit of a symmetric M: a linear problem in d(d+1)/2 unknowns, solved exactly.
* :func:`prop5_data`, :func:`relu_net`, :func:`ntk_gram_infinite`: Prop. 5's setting (unit
  inputs with last coordinate 1/sqrt(2), deep ReLU nets of width m with NTK scaling), and the
  infinite-width Gram matrix of Du et al. (2018).
"""

from __future__ import annotations

import math

import torch

from .._validation import check_choice, check_int
from .base import FiniteSum

__all__ = ["Layout", "MLP", "QuadraticNet", "TwoLayerReLU", "prop5_data", "relu_net", "ntk_gram_infinite", "ACTIVATIONS"]

# torch's test for a tensor wrapped by a torch.func transform (a private function: where a torch
# lacks it, every tensor counts as possibly wrapped, and the backward concatenates its parts)
_FUNC_WRAPPED = getattr(getattr(torch._C, "_functorch", None), "is_functorch_wrapped_tensor", lambda t: True)


def _traced(*tensors) -> bool:
    """Whether autograd records operations on any of ``tensors``, or a ``torch.func`` transform
    (vmap, jacfwd) wraps one: then out= arguments cannot be used."""
    return any((t.requires_grad and torch.is_grad_enabled()) or _FUNC_WRAPPED(t) for t in tensors)


ACTIVATIONS = {"sigmoid": torch.sigmoid, "tanh": torch.tanh, "relu": torch.relu, "identity": lambda z: z,
               "square": lambda z: z * z}


class Layout:
    """Named shapes packed into one flat vector: ``unflatten(w: (S, P)) -> {name: (S, *shape)}``."""

    def __init__(self, shapes: dict[str, tuple[int, ...]]):
        self.shapes = dict(shapes)
        self.sizes = {k: math.prod(s) for k, s in self.shapes.items()}
        self.size = sum(self.sizes.values())

    def unflatten(self, w: torch.Tensor) -> dict[str, torch.Tensor]:
        out, i = {}, 0
        for k, s in self.shapes.items():
            out[k] = w[:, i:i + self.sizes[k]].view(w.shape[0], *s)
            i += self.sizes[k]
        return out

    def flatten(self, parts: dict[str, torch.Tensor]) -> torch.Tensor:
        S = next(iter(parts.values())).shape[0]
        return torch.cat([parts[k].reshape(S, -1) for k in self.shapes], dim=1)


class _AutogradFiniteSum(FiniteSum):
    """Loss from ``_predict(w, X)``; gradients by autograd; MSE over samples."""

    def _predict(self, w, X):  # (S, n, out)
        raise NotImplementedError

    def _loss_on(self, w, X, Y):
        r = self._predict(w, X) - Y
        return 0.5 * (r * r).sum(-1).mean(-1)

    def loss(self, w):
        return self._loss_on(w, self.X, self.Y)

    def grad(self, w):
        with torch.enable_grad():
            w = w.detach().requires_grad_(True)
            return torch.autograd.grad(self.loss(w).sum(), w)[0]

    def loss_batch(self, w, idx):
        return self._loss_on_batch(w, idx)

    def _loss_on_batch(self, w, idx):
        r = self._predict(w, self.X[idx], batched=True) - self.Y[idx]
        return 0.5 * (r * r).sum(-1).mean(-1)

    def grad_batch(self, w, idx):
        with torch.enable_grad():
            w = w.detach().requires_grad_(True)
            return torch.autograd.grad(self._loss_on_batch(w, idx).sum(), w)[0]

    def per_sample_losses(self, w):
        r = self._predict(w, self.X) - self.Y
        return 0.5 * (r * r).sum(-1)  # (S, n)

    def per_sample_losses_batch(self, w, idx):
        r = self._predict(w, self.X[idx], batched=True) - self.Y[idx]
        return 0.5 * (r * r).sum(-1)  # (S, b)


class MLP(_AutogradFiniteSum):
    """``f(x) = W_L s(... s(W_1 x + b_1) ...) + b_L`` with MSE; ``sizes = [d_in, h_1, ..., d_out]``.

    ``f_star`` is unknown for a generic MLP (set to 0, the value for interpolation) unless
    given; ``L`` and ``mu`` are not global constants here (NaN). ``backward``: gradients by
    autograd (the default) or by the hand-written delta rule (``"analytic"``: the same gradient,
    bit for bit on the wide ReLU nets of ``wide_nets`` and several times faster there than
    autograd's backward; within 2e-16 relative of autograd's on small tanh nets).
    """

    name = "mlp"

    def __init__(self, X: torch.Tensor, Y: torch.Tensor, sizes, activation: str = "tanh", bias: bool = True,
                 f_star: float = 0.0, backward: str = "autograd"):
        check_choice("activation", activation, tuple(ACTIVATIONS))
        # "analytic": the layers' gradients by hand (batched matmuls), for the nets whose autograd
        # backward is most of a study's time; autograd stays the default (BP-1 holds the delta
        # rule to it, so the reference must be autograd itself)
        self.backward = check_choice("backward", backward, ("autograd", "analytic"))
        sizes = [check_int("sizes", int(s), 1) for s in sizes]
        if len(sizes) < 2:
            raise ValueError(f"The 'sizes' parameter must list at least an input and an output size. Got {sizes!r} instead.")
        if Y.ndim == 1:
            Y = Y.unsqueeze(-1)
        if X.shape != (X.shape[0], sizes[0]) or Y.shape != (X.shape[0], sizes[-1]):
            raise ValueError(f"The 'X' and 'Y' parameters must have shapes (n, {sizes[0]}) and (n, {sizes[-1]}). "
                             f"Got {tuple(X.shape)} and {tuple(Y.shape)} instead.")
        self.X, self.Y, self.sizes, self.bias = X, Y, sizes, bias
        self.activation = activation
        self.act = ACTIVATIONS[activation]
        self.n = X.shape[0]
        shapes = {}
        for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:]), start=1):
            shapes[f"W{i}"] = (b, a)
            if bias:
                shapes[f"b{i}"] = (b,)
        self.layout = Layout(shapes)
        self.dim = self.layout.size
        self.depth = len(sizes) - 1
        self.L, self.mu, self.f_star = math.nan, 0.0, float(f_star)
        self.w_star = torch.zeros(self.dim, dtype=X.dtype, device=X.device)  # no known minimiser

    def init(self, S: int, generator: torch.Generator, scale: str = "he") -> torch.Tensor:
        """Gaussian initialisation, ``N(0, gain / fan_in)`` with gain 2 (he) or 1 (lecun); zero biases."""
        gain = {"he": 2.0, "lecun": 1.0}[check_choice("scale", scale, ("he", "lecun"))]
        parts = {}
        for k, s in self.layout.shapes.items():
            if k.startswith("W"):
                parts[k] = torch.randn(S, *s, generator=generator, dtype=self.X.dtype, device=generator.device) * math.sqrt(gain / s[1])
            else:
                parts[k] = torch.zeros(S, *s, dtype=self.X.dtype, device=generator.device)
        return self.layout.flatten(parts).to(self.X.device)

    def forward_all(self, w, X, batched: bool = False):
        """Pre-activations ``z_l`` and activations ``a_l`` of every layer (a_0 = X), each (S, n, width)."""
        p = self.layout.unflatten(w)
        a = X if batched else X.expand(w.shape[0], *X.shape)
        zs, acts = [], [a]
        for i in range(1, self.depth + 1):
            z = torch.einsum("snd,sod->sno", a, p[f"W{i}"])
            if self.bias:  # in place on the fresh product: the same bits, one tensor fewer
                z = z.add_(p[f"b{i}"].unsqueeze(1))
            zs.append(z)
            a = self.act(z) if i < self.depth else z
            acts.append(a)
        return zs, acts

    def _predict(self, w, X, batched: bool = False):
        return self.forward_all(w, X, batched)[1][-1]

    #: The activations' derivatives from (z, a = s(z)), for the analytic backward.
    _DERIVATIVES = {"tanh": lambda z, a: 1 - a * a, "sigmoid": lambda z, a: a * (1 - a),
                    "relu": lambda z, a: z > 0, "identity": lambda z, a: torch.ones_like(z),
                    "square": lambda z, a: 2 * z}

    def _analytic_grad(self, w, X, Y, batched: bool = False):
        """The gradient of ``0.5 sum_out r^2`` averaged over the n samples, layer by layer:
        ``delta_L = r / n``, ``dW_l = delta_l^T a_{l-1}``, ``db_l = sum delta_l``,
        ``delta_{l-1} = (delta_l W_l) * s'(z_{l-1})`` (the delta rule, Eqs. 10-17, batched over seeds)."""
        zs, acts = self.forward_all(w, X, batched)
        p = self.layout.unflatten(w)
        delta = (acts[-1] - Y) / X.shape[-2]
        # Each layer's gradient written into its slice of the flat (S, dim) result: the same bits
        # as computing the parts and concatenating them, without the copy (a quarter of a
        # gradient's time on wide_nets' nets). out= arguments are neither
        # differentiated nor batched, so under autograd or a torch.func transform (the delta rule
        # differentiated for a Hessian) the parts are concatenated instead.
        into = not _traced(w, X, Y)
        out = torch.empty(w.shape[0], self.dim, dtype=w.dtype, device=w.device) if into else None
        grads = self.layout.unflatten(out) if into else {}

        def put(name, fn, *args):  # one layer's part: into its slice of ``out``, or kept to concatenate
            if into:
                fn(*args, out=grads[name])
            else:
                grads[name] = fn(*args)

        for i in range(self.depth, 0, -1):
            put(f"W{i}", torch.matmul, delta.transpose(1, 2), acts[i - 1])
            if self.bias:
                put(f"b{i}", torch.sum, delta, 1)
            if i > 1:
                # A layer with one output sends back an outer product, (S, n, 1) x (S, 1, width): formed by
                # broadcasting, it has the same bits as the batched matmul with K = 1 at a fraction of
                # its cost. The derivative multiplies in place on the fresh product (one (S, n, width)
                # tensor fewer); relu's is its mask, which multiplies as 0 and 1.
                W = p[f"W{i}"]
                back = delta * W if W.shape[1] == 1 else torch.matmul(delta, W)
                delta = back.mul_(self._DERIVATIVES[self.activation](zs[i - 2], acts[i - 1]))
        return out if into else self.layout.flatten(grads)

    def grad(self, w):
        if self.backward == "analytic":
            return self._analytic_grad(w, self.X, self.Y)
        return super().grad(w)

    def grad_batch(self, w, idx):
        if self.backward == "analytic":
            return self._analytic_grad(w, self.X[idx], self.Y[idx], batched=True)
        return super().grad_batch(w, idx)

    def distance(self, w):
        return torch.full((w.shape[0],), math.nan, dtype=w.dtype, device=w.device)

    def gap(self, w):
        return self.loss(w) - self.f_star


class QuadraticNet(_AutogradFiniteSum):
    """Prop. 4's network ``y(x) = v^T (W x)^2``, ``W: (k, d)`` trained, ``v: (k,)`` fixed.

    ``f_star``: the exact global minimum when v has at least d positive and d negative
    entries (``f_star_exact``); otherwise the symmetric least-squares value is only a lower
    bound (e.g. all-positive v forces M to be positive semidefinite).
    """

    name = "quadratic_net"

    def __init__(self, X: torch.Tensor, y: torch.Tensor, v: torch.Tensor):
        if X.ndim != 2 or y.shape != (X.shape[0],) or v.ndim != 1:
            raise ValueError(f"The 'X', 'y', 'v' parameters must have shapes (n, d), (n,), (k,). Got {tuple(X.shape)}, "
                             f"{tuple(y.shape)}, {tuple(v.shape)} instead.")
        self.X, self.y, self.v = X, y, v
        self.Y = y.unsqueeze(-1)
        self.n, self.d = X.shape
        self.k = v.shape[0]
        self.dim = self.k * self.d
        self.L, self.mu = math.nan, 0.0
        self.f_star, self.M_star = self.symmetric_least_squares()
        self.f_star_exact = int((v > 0).sum()) >= self.d and int((v < 0).sum()) >= self.d
        self.w_star = torch.zeros(self.dim, dtype=X.dtype, device=X.device)  # minimisers are not unique

    def symmetric_least_squares(self) -> tuple[float, torch.Tensor]:
        """``min_M 1/(2n) sum_i (x_i^T M x_i - y_i)^2`` over symmetric M, and the minimiser."""
        d = self.d
        iu = torch.triu_indices(d, d, device=self.X.device)
        Phi = self.X[:, iu[0]] * self.X[:, iu[1]] * torch.where(iu[0] == iu[1], 1.0, 2.0).to(self.X.dtype)
        Q, R = torch.linalg.qr(Phi)  # deterministic (see LeastSquares); Phi has full column rank for n >= d(d+1)/2
        if Phi.shape[0] >= Phi.shape[1] and float(torch.abs(torch.diagonal(R)).min()) > 1e-10 * float(torch.abs(R).max()):
            m = torch.linalg.solve_triangular(R, (Q.T @ self.y).unsqueeze(-1), upper=True).squeeze(-1)
        else:  # under-determined: the minimum-norm exact fit
            m = torch.linalg.pinv(Phi) @ self.y
        r = Phi @ m - self.y
        M = torch.zeros(d, d, dtype=self.X.dtype, device=self.X.device)
        M[iu[0], iu[1]] = m
        M = M + M.T - torch.diag(torch.diagonal(M))
        return float(0.5 * (r @ r) / self.n), M

    # Batched matrix products rather than einsum: the same sums with less overhead per call, which
    # bounds long GD runs at these small shapes.
    def _predict(self, w, X, batched: bool = False):
        W = w.view(w.shape[0], self.k, self.d)
        Z = torch.matmul(X, W.transpose(1, 2))  # (S, n, k), X (n, d) or (S, n, d)
        return (Z * Z) @ self.v.unsqueeze(-1)

    def grad(self, w):
        W = w.view(w.shape[0], self.k, self.d)
        Z = torch.matmul(self.X, W.transpose(1, 2))  # (S, n, k)
        Zv = Z * self.v
        r = (Zv * Z).sum(-1) - self.y  # (S, n): residuals of v^T (W x)^2
        # dL/dW_k = 2/n sum_i r_i v_k z_ik x_i: one product with the (S, n, d) residual-weighted data
        return (torch.matmul(Zv.transpose(1, 2), r.unsqueeze(-1) * self.X) * (2.0 / self.n)).reshape(w.shape[0], -1)

    def hessian(self, w):
        """The Hessian ``(S, k d, k d)`` in closed form: with ``z_ik = w_k . x_i`` and residuals r_i,
        ``d^2 L / dw_k dw_l = 4/n sum_i (v_k z_ik x_i)(v_l z_il x_i)^T + delta_kl 2 v_k / n sum_i r_i x_i x_i^T``
        (a Gauss-Newton part J^T J and a block-diagonal residual part); symmetrised, since the
        product J^T J is not symmetric to the bit."""
        S = w.shape[0]
        W = w.view(S, self.k, self.d)
        Z = torch.matmul(self.X, W.transpose(1, 2))  # (S, n, k)
        Zv = Z * self.v
        r = (Zv * Z).sum(-1) - self.y  # (S, n)
        J = (Zv.unsqueeze(-1) * self.X.unsqueeze(1)).reshape(S, self.n, self.dim)  # (S, n, k d): v_k z_ik x_i
        H = torch.matmul(J.transpose(1, 2), J) * (4.0 / self.n)
        M = torch.matmul(self.X.T, r.unsqueeze(-1) * self.X) * (2.0 / self.n)  # (S, d, d): 2/n sum_i r_i x_i x_i^T
        H = H + torch.einsum("kl,sab->skalb", torch.diag(self.v), M).reshape(S, self.dim, self.dim)  # blocks v_k M
        return (H + H.transpose(1, 2)) / 2

    def distance(self, w):
        """Frobenius distance of ``W^T diag(v) W`` to the symmetric least-squares M*."""
        W = w.view(w.shape[0], self.k, self.d)
        M = torch.einsum("skd,k,ske->sde", W, self.v, W)
        return torch.linalg.matrix_norm(M - self.M_star)

    def gap(self, w):
        return self.loss(w) - self.f_star


def prop5_data(n: int, d: int, generator: torch.Generator, dtype=torch.float64, device="cpu") -> torch.Tensor:
    """n points on the unit sphere of R^d with last coordinate 1/sqrt(2) (Prop. 5's normalisation)."""
    n, d = check_int("n", n, 1), check_int("d", d, 2)
    z = torch.randn(n, d - 1, generator=generator, dtype=dtype, device=generator.device)
    z = z / torch.linalg.vector_norm(z, dim=-1, keepdim=True) / math.sqrt(2.0)
    return torch.cat([z, torch.full((n, 1), 1 / math.sqrt(2.0), dtype=dtype, device=z.device)], dim=1).to(device)


def relu_net(X: torch.Tensor, Y: torch.Tensor, width: int, depth: int) -> MLP:
    """A bias-free ReLU MLP with ``depth`` weight layers of width m (the last one linear)."""
    width = check_int("width", width, 1)
    depth = check_int("depth", depth, 2)
    return MLP(X, Y, [X.shape[1]] + [width] * (depth - 1) + [Y.shape[-1] if Y.ndim > 1 else 1], "relu", bias=False,
               backward="analytic")


def ntk_gram_infinite(X: torch.Tensor) -> torch.Tensor:
    """Du et al. (2018): ``H_ij = x_i^T x_j (pi - arccos(x_i^T x_j)) / (2 pi)`` for unit x_i."""
    G = (X @ X.T).clamp(-1.0, 1.0)
    return G * (math.pi - torch.arccos(G)) / (2 * math.pi)


class TwoLayerReLU(FiniteSum):
    """Du et al. (2018)'s two-layer ReLU network: ``f(x) = 1/sqrt(m) sum_r a_r relu(w_r^T x)``.

    Only the first layer ``W: (m, d)`` is trained; ``a_r`` in {-1, +1} is fixed. The loss is the
    SUM ``L(W) = 1/2 sum_i (f(x_i) - y_i)^2``, as in the theorem, so its constants apply as
    stated: with ``w_r ~ N(0, I)`` and m large, GD with step eta keeps
    ``L_k <= (1 - eta lambda_0 / 2)^k L_0``, ``lambda_0`` the smallest eigenvalue of
    :func:`ntk_gram_infinite`. Mini-batch losses and gradients are scaled by n/b, so they are
    unbiased for the sum.
    """

    name = "two_layer_relu"

    def __init__(self, X: torch.Tensor, y: torch.Tensor, a: torch.Tensor):
        if X.ndim != 2 or y.shape != (X.shape[0],) or a.ndim != 1:
            raise ValueError(f"The 'X', 'y', 'a' parameters must have shapes (n, d), (n,), (m,). Got {tuple(X.shape)}, "
                             f"{tuple(y.shape)}, {tuple(a.shape)} instead.")
        self.X, self.y, self.a = X, y, a
        self.n, self.d = X.shape
        self.m = a.shape[0]
        self.dim = self.m * self.d
        self.L, self.mu, self.f_star = math.nan, 0.0, 0.0  # interpolation: zero loss is reachable for wide m
        self.w_star = torch.zeros(self.dim, dtype=X.dtype, device=X.device)

    @classmethod
    def random(cls, X, y, m: int, generator: torch.Generator) -> "TwoLayerReLU":
        m = check_int("width", m, 1)
        a = torch.where(torch.rand(m, generator=generator, device=generator.device) < 0.5, -1.0, 1.0).to(X.dtype).to(X.device)
        return cls(X, y, a)

    def init(self, S: int, generator: torch.Generator) -> torch.Tensor:
        """``w_r ~ N(0, I)``, the initialisation of the theorem."""
        return torch.randn(S, self.dim, generator=generator, dtype=self.X.dtype, device=generator.device).to(self.X.device)

    def _pre(self, w, X):
        """Pre-activations (S, n, m); matmuls rather than einsum (several times faster on CPU)."""
        return torch.matmul(w.view(w.shape[0], self.m, self.d), X.T).transpose(1, 2)

    def predict(self, w, X=None):
        Z = self._pre(w, self.X if X is None else X)
        return torch.relu(Z) @ self.a / math.sqrt(self.m)  # (S, n)

    def loss(self, w):
        r = self.predict(w) - self.y
        return 0.5 * (r * r).sum(-1)

    def distance(self, w):
        return torch.full((w.shape[0],), math.nan, dtype=w.dtype, device=w.device)

    # The gradients scale their fresh products in place: the same bits as out-of-place products,
    # without a new (S, m d) tensor per scalar (wide layers spend their time allocating them).
    def _grad_on(self, w, X, y, scale):
        Z = self._pre(w, X)  # (S, n, m)
        r = torch.relu(Z) @ self.a / math.sqrt(self.m) - y  # (S, n)
        C = (r.unsqueeze(-1) * self.a).mul_(Z > 0)  # (S, n, m): r_i a_r 1{w_r x_i > 0}
        G = torch.matmul(C.transpose(1, 2), X).div_(math.sqrt(self.m))  # (S, m, d)
        G = G.reshape(w.shape[0], -1)
        return G if scale == 1.0 else G.mul_(scale)

    def grad(self, w):
        return self._grad_on(w, self.X, self.y, 1.0)

    def per_sample_losses(self, w):
        r = self.predict(w) - self.y
        return 0.5 * r * r

    def loss_batch(self, w, idx):
        Z = torch.bmm(self.X[idx], w.view(w.shape[0], self.m, self.d).transpose(1, 2))
        r = torch.relu(Z) @ self.a / math.sqrt(self.m) - self.y[idx]
        return 0.5 * (r * r).sum(-1) * (self.n / idx.shape[1])

    def grad_batch(self, w, idx):
        Xb, yb = self.X[idx], self.y[idx]  # (S, b, d), (S, b)
        Z = torch.bmm(Xb, w.view(w.shape[0], self.m, self.d).transpose(1, 2))  # (S, b, m)
        r = torch.relu(Z) @ self.a / math.sqrt(self.m) - yb
        C = (r.unsqueeze(-1) * self.a).mul_(Z > 0)
        G = torch.bmm(C.transpose(1, 2), Xb).div_(math.sqrt(self.m))  # (S, m, d)
        return G.reshape(w.shape[0], -1).mul_(self.n / idx.shape[1])

    def gram(self, w):
        """The empirical NTK Gram matrix ``H_ij = x_i^T x_j (1/m) sum_r 1{w_r x_i >= 0} 1{w_r x_j >= 0}``, (S, n, n)."""
        A = (self._pre(w, self.X) >= 0).to(w.dtype)
        return (self.X @ self.X.T) * (A @ A.transpose(1, 2)) / self.m

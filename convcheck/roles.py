"""Roles: one contract for the method under test.

A study runs methods (gradient descent, SGD, momentum, AdaGrad, RMSProp, Adam, SAM, ...) and
declares each as a named *role* (``ROLES`` in the study module). A role fixes how the study
builds the method: the keyword arguments it passes, named as torch.optim names them, so that

* a convcheck factory ``f(**kwargs) -> Optimizer`` (the library's own, by default), or
* a ``torch.optim.Optimizer`` subclass (run as one instance per seed, see
  :func:`convcheck.optim.from_torch`)

fits the role unchanged. ``torch.optim.SGD`` fits ``gd``, ``sgd`` and ``momentum``;
``torch.optim.Adagrad``, ``RMSprop`` and ``Adam`` fit ``adagrad``, ``rmsprop`` and ``adam``.

=============  ===========================  ===============================================  ==========
role           keyword arguments            default (the library's method)                   survey
=============  ===========================  ===============================================  ==========
gd             lr                           gradient descent, w -= lr grad f                  Eqs. 3-4
sgd            lr                           the same step on a sampled gradient               Eq. 23
line_search    lr                           GD whose step is searched from lr each iteration  Alg. 1
                                            (Alg. 1's halving until f decreases)
momentum       lr, momentum                 heavy ball, dw = momentum dw - lr g               Eq. 8
nesterov       lr, momentum                 Nesterov (torch.optim.SGD's nesterov=True form)   (GD-5)
adagrad        lr, eps                      standard AdaGrad (per-coordinate accumulator)     Eqs. 38-40
rmsprop        lr, alpha, eps               standard RMSProp (per-coordinate v)               Eqs. 41-42
adam           lr, betas, eps               standard Adam (per-coordinate v, k from 1)        Eqs. 43-47
adamw          lr, betas, eps, weight_decay Adam with decoupled weight decay (AdamW)          (AD-3)
sam            lr, rho                      SAM with the l2 dual perturbation                 Eqs. 48-53
swp            lr, rho, beta                SAM with ESAM's stochastic weight perturbation    Eq. 55
asam           lr, rho, eta                 ASAM, T_w = |w| + eta (p = 2)                     Eqs. 57-58
schedule_free  lr, momentum                 schedule-free SGD: gradient at                    -
                                            y = (1 - momentum) z + momentum x, z -= lr g,
                                            x = (1 - 1/(t+1)) x + z/(t+1); the point is x
=============  ===========================  ===============================================  ==========

A role may *require* values of arguments it does not pass (``Role.requires``): the
``nesterov`` role needs ``nesterov=True`` from a class that has that switch (torch.optim.SGD
runs heavy ball without it), and a class holding another value by default is an error, never
a silent verdict for the other algorithm; a value passed explicitly (``hyper``) is the user's
choice and is run. A role whose point is not where the gradient is taken (``Role.modes``:
schedule-free SGD's average x) is entered by a class with ``train()``/``eval()`` modes: it steps
in train mode and its point is read in eval mode (:func:`convcheck.optim.from_torch`). Methods
whose steps evaluate the gradient elsewhere than at the iterate (SAM, ASAM, a line search) are
observed from outside: the study sees where they call the objective (the closure, for a
torch.optim class), so a user's wrapper is judged on what it does, not on what it says it does.

``lr`` is a float, an ``(S,)`` tensor (one step size per seed row: studies sweep step sizes
as one batch) or a schedule ``t -> float | (S,) tensor``; other arguments are plain values.
The survey's own variants (scalar v, bias correction from k = 0, ...) are the subject of the
claims, not methods under test, so they are not roles. A suite whose paper has methods of its
own (AMSGrad, Adam with a decaying beta_1) declares them as :class:`Role` objects in a study's
``ROLES``, beside the names of the roles above.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass, field
from typing import Any, Callable

import torch

from .optim import (adagrad, adam, adamw, asam, gradient_descent, halving, heavy_ball, nesterov_sgd, rmsprop, sam,
                    schedule_free_sgd, sgd)
from .failures import Misfit
from .optim.base import Optimizer

__all__ = ["Role", "ROLES", "COMMON_ARGS", "resolve", "describe"]


@dataclass(frozen=True)
class Role:
    name: str
    params: tuple[str, ...]
    default: Callable[..., Optimizer]
    doc: str
    torch_class: str | None = None  # the torch.optim class that implements the same algorithm
    requires: dict = field(default_factory=dict)  # switches a class must hold at these values (nesterov=True)
    modes: bool = False  # the method's point is read in eval mode: a class enters with train()/eval() modes


#: Common values of the roles' arguments besides ``lr``, for runs that judge a method apart from any
#: study: the contract battery (:func:`convcheck.testing.check_optimizer`) and where a class departs
#: from the role's algorithm (:func:`convcheck.checking.departure`).
COMMON_ARGS = {"momentum": 0.9, "eps": 1e-8, "alpha": 0.99, "betas": (0.9, 0.999), "rho": 0.05, "weight_decay": 0.01,
               "eta": 0.01, "beta": 0.5}

ROLES: dict[str, Role] = {r.name: r for r in (
    Role("gd", ("lr",), lambda lr: gradient_descent(lr), "gradient descent with step lr (full gradient)", "torch.optim.SGD"),
    Role("sgd", ("lr",), lambda lr: sgd(lr), "the gradient step on the step's sampled (mini-batch) gradient", "torch.optim.SGD"),
    Role("line_search", ("lr",), lambda lr: halving(eta0=lr),
         "gradient descent whose step is searched afresh each iteration from lr (Alg. 1: halve until f decreases); "
         "the study reads the accepted step from the iterates"),
    Role("momentum", ("lr", "momentum"), lambda lr, momentum: heavy_ball(lr, momentum),
         "heavy-ball momentum: v = momentum v + g, w -= lr v (torch.optim.SGD's form)", "torch.optim.SGD"),
    Role("nesterov", ("lr", "momentum"), lambda lr, momentum: nesterov_sgd(lr, momentum),
         "Nesterov's momentum: b = momentum b + g, w -= lr (g + momentum b) (torch.optim.SGD with nesterov=True)",
         "torch.optim.SGD", requires={"nesterov": True}),
    Role("adagrad", ("lr", "eps"), lambda lr, eps: adagrad(lr, eps), "AdaGrad, per-coordinate accumulator",
         "torch.optim.Adagrad"),
    Role("rmsprop", ("lr", "alpha", "eps"), lambda lr, alpha, eps: rmsprop(lr, alpha, eps),
         "RMSProp, per-coordinate v with smoothing alpha", "torch.optim.RMSprop"),
    Role("adam", ("lr", "betas", "eps"), lambda lr, betas, eps: adam(lr, betas[0], betas[1], eps),
         "Adam with bias correction", "torch.optim.Adam"),
    Role("adamw", ("lr", "betas", "eps", "weight_decay"),
         lambda lr, betas, eps, weight_decay: adamw(lr, betas[0], betas[1], eps, weight_decay),
         "Adam with decoupled weight decay: w <- (1 - lr weight_decay) w, then Adam's step", "torch.optim.AdamW"),
    Role("sam", ("lr", "rho"), lambda lr, rho: sam(lr, rho=rho),
         "sharpness-aware minimisation: gradient at w + rho g/||g||, then a step of lr", None),
    Role("swp", ("lr", "rho", "beta"),
         lambda lr, rho, beta: sam(lr, rho=rho, swp="coordinate", beta=beta, generator=torch.Generator().manual_seed(0)),
         "SAM with stochastic weight perturbation (ESAM): the ascent mask * rho g/||g|| / beta, each coordinate "
         "kept with probability beta", None),
    Role("asam", ("lr", "rho", "eta"), lambda lr, rho, eta: asam(lr, rho, eta),
         "adaptive SAM: gradient at w + rho T^2 g/||T g|| with T = |w| + eta, then a step of lr", None),
    Role("schedule_free", ("lr", "momentum"), lambda lr, momentum: schedule_free_sgd(lr, momentum),
         "schedule-free SGD: gradient at y = (1 - momentum) z + momentum x, z -= lr g, x = (1 - 1/(t+1)) x + z/(t+1); "
         "the point is the average x (a class with train()/eval() modes: read in eval mode)", None, modes=True),
)}


def describe(role) -> str:
    r = role if isinstance(role, Role) else _role(role)
    return f"{r.name}({', '.join(r.params)})"


def _role(role, table: dict | None = None) -> Role:
    if isinstance(role, Role):
        return role
    table = ROLES if table is None else table
    if role not in table:
        raise ValueError(f"The 'role' parameter must be one of {sorted(table)}. Got {role!r} instead.")
    return table[role]


def _is_torch_class(method) -> bool:
    return inspect.isclass(method) and issubclass(method, torch.optim.Optimizer)


def _check_binds(role: Role, method, hyper: dict, rename: dict | None = None) -> None:
    """A one-line error when ``method`` cannot take the role's keyword arguments (by the class's names)."""
    target = method.__init__ if _is_torch_class(method) else method
    try:
        sig = inspect.signature(target)
    except (TypeError, ValueError):  # a builtin without a signature: trust it
        return
    args = {(rename or {}).get(p, p): None for p in role.params} | dict(hyper)
    try:
        if _is_torch_class(method):
            sig.bind(None, None, **args)  # self, params
        else:
            sig.bind(**args)
    except TypeError as e:
        name = getattr(method, "__qualname__", repr(method))
        raise Misfit(f"role {role.name!r} builds its method as {describe(role)}"
                         + (f" with {', '.join(hyper)}" if hyper else "") + f"; {name} cannot take that: {e}") from None


def _first(value):
    """A hyperparameter's value for one seed: a tensor's first entry, a schedule's first step."""
    if callable(value) and not inspect.isclass(value):
        value = value(1)
    if torch.is_tensor(value):
        return value.reshape(-1)[0].item() if value.numel() else value
    return value


def _check_taken(role: Role, cls, args: dict) -> None:
    """Build ``cls`` once with the role's arguments (one seed's values) and make sure it took each:
    a class that cannot be built says what the role passes; an argument swallowed by ``**kwargs``
    (absent from the signature, the defaults and the param groups) is an error, never a verdict for
    another algorithm."""
    first = {k: _first(v) for k, v in args.items()}
    shown = ", ".join(f"{k}={v!r}" for k, v in first.items())
    try:
        inst = cls([torch.nn.Parameter(torch.zeros(2, dtype=torch.float64))], **first)
    except Exception as e:  # the class's own error, whatever its type: one line that says what was passed
        raise Misfit(f"{cls.__qualname__} in role {role.name!r} cannot be built with what the role passes "
                         f"({shown}): {type(e).__name__}: {e}") from None
    try:
        named = set(inspect.signature(cls.__init__).parameters)
    except (TypeError, ValueError):
        return
    kept = set(getattr(inst, "defaults", {})) | {k for g in getattr(inst, "param_groups", []) for k in g}
    held = getattr(inst, "defaults", {})
    for k, want in role.requires.items():
        if k in held and held[k] != want and k not in first:  # a value passed explicitly is the user's choice
            raise Misfit(f"{cls.__qualname__} in role {role.name!r} runs with {k}={held[k]!r} by default; the role's "
                             f"algorithm needs {k}={want!r} (pass --hyper {k}={want!r}, or hyper={{{k!r}: {want!r}}}; "
                             f"pass {k}={held[k]!r} explicitly to judge the class without it)")
    swallowed = [k for k in first if k not in named and k not in kept]
    if swallowed:
        raise Misfit(f"{cls.__qualname__} in role {role.name!r} did not take {', '.join(map(repr, swallowed))}: "
                         "its signature does not name it and it is in neither its defaults nor its param groups "
                         "(swallowed by **kwargs); the verdict would be for another algorithm. Use a role whose "
                         "arguments the class takes (convcheck list shows them), or an adapter.")


def _betas_default(cls):
    """The default of a class's ``betas`` when it is a tuple (a three-beta class holds three), else None."""
    try:
        p = inspect.signature(cls.__init__).parameters.get("betas")
    except (TypeError, ValueError):
        return None
    d = None if p is None else p.default
    return tuple(d) if isinstance(d, (tuple, list)) else None


def adapt(cls, args: dict, rename: dict | None = None) -> dict:
    """The role's keyword arguments as ``cls`` takes them: renamed (``rename``: role argument -> the
    class's name for it, a user's mapping such as ``{"momentum": "beta"}``), and a role's two betas
    completed with the class's own defaults where it takes more (a three-beta class: (b1, b2) + its b3)."""
    out = {(rename or {}).get(k, k): v for k, v in args.items()}
    if "betas" in out and isinstance(out["betas"], (tuple, list)):
        held = _betas_default(cls)
        if held is not None and len(held) > len(out["betas"]):
            out["betas"] = tuple(out["betas"]) + held[len(out["betas"]):]
    return out


@dataclass
class Method:
    """A resolved role: call it with the role's keyword arguments to get an Optimizer."""

    spec: Role
    target: Any = None
    hyper: dict = field(default_factory=dict)
    checked: bool = field(default=False, repr=False)  # whether a torch class was built once and took every argument
    rename: dict = field(default_factory=dict)  # role argument -> the class's own name for it

    @property
    def role(self) -> str:
        return self.spec.name

    def __call__(self, *, tensors=None, instances: str = "auto", **kwargs) -> Optimizer:
        """The method built with the role's keyword arguments. ``tensors``: sizes summing to the
        dimension, so that a torch.optim class holds each seed as that many parameter tensors (a
        model's layers) and a method that works per tensor is seen doing so; the library's methods
        and factories work on the flat vector. ``instances``: the torch adapter's layout
        (:func:`convcheck.optim.from_torch`; ``"rows"`` for one instance drawing for every seed)."""
        r = self.spec
        if set(kwargs) != set(r.params):
            raise TypeError(f"role {r.name!r} is called with {describe(r)}; got {sorted(kwargs)}")
        if self.target is None:
            return r.default(**kwargs)
        if _is_torch_class(self.target):
            from .optim import from_torch

            args = adapt(self.target, kwargs, self.rename)
            if not self.checked:
                _check_taken(r, self.target, {**args, **self.hyper})
                self.checked = True
            return from_torch(self.target, instances=instances, tensors=tensors, **args, **self.hyper)
        opt = self.target(**kwargs, **self.hyper)
        if not isinstance(opt, Optimizer):
            raise ValueError(f"role {r.name!r}: {getattr(self.target, '__qualname__', self.target)!r} must return a "
                             f"convcheck Optimizer (or be a torch.optim.Optimizer subclass). Got {type(opt).__name__} instead.")
        return opt

    @property
    def label(self) -> str:
        if self.target is None:
            return f"convcheck default ({describe(self.spec)})"
        t = self.target
        return f"{getattr(t, '__module__', '?')}.{getattr(t, '__qualname__', repr(t))}"


def resolve(role, method=None, hyper: dict | None = None, table: dict | None = None, rename: dict | None = None) -> Method:
    """The method for ``role`` (a name, looked up in ``table`` or the standard roles, or a
    :class:`Role`): its default when ``method`` is None, else a ``torch.optim.Optimizer``
    subclass or a convcheck factory, checked against the role's keyword arguments (and the
    fixed ``hyper`` ones, passed on every construction)."""
    r = _role(role, table)
    role = r.name
    hyper = dict(hyper or {})
    clash = set(hyper) & set(r.params)
    if clash:
        raise ValueError(f"The 'hyper' parameter must not set the arguments the study sets for role {role!r} "
                         f"({', '.join(r.params)}). Got {sorted(clash)} instead.")
    if method is None:
        if hyper:
            raise ValueError(f"The 'hyper' parameter needs a method for role {role!r}. Got {sorted(hyper)} with none.")
        return Method(r)
    if isinstance(method, Method):
        return method
    if not (_is_torch_class(method) or callable(method)):
        raise ValueError(f"The method for role {role!r} must be a torch.optim.Optimizer subclass or a factory "
                         f"{describe(r)} -> Optimizer. Got {type(method).__name__} instead.")
    rename = dict(rename or {})
    unknown = sorted(set(rename) - set(r.params))
    if unknown:
        raise ValueError(f"The 'rename' parameter must map arguments of role {role!r} ({', '.join(r.params)}) to the "
                         f"class's names. Got {unknown} instead.")
    if rename and not _is_torch_class(method):
        raise ValueError("The 'rename' parameter applies to a torch.optim.Optimizer subclass. Got a factory instead.")
    _check_binds(r, method, hyper, rename)
    return Method(r, method, hyper, rename=rename)

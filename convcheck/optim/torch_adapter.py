"""Run any ``torch.optim.Optimizer`` class in the engine, all seeds through as few instances and
Python calls per step as the class allows.

This is how a user's own optimizer class joins a study through a role (:mod:`convcheck.roles`):
it yields the same :class:`~convcheck.trace.Trace` as the batched path. Three layouts of S seeds:

* ``"blocks"``: one instance; the seeds whose hyperparameters agree are the rows of one
  ``(n, d)`` parameter (a sweep of K step sizes is K parameters, each in its own param group).
  A per-coordinate method (SGD, Adam, RMSprop, Adagrad...) then updates every seed in a few
  tensor ops, as the library's own methods do;
* ``"rows"``: one instance, one ``(d,)`` parameter per seed (grouped as above): one ``step()``
  for all seeds, its multi-tensor (``foreach``) path over them where the class has one;
* ``"per-seed"``: one instance per seed, S ``step()`` calls: the obvious path, right for any
  class, and the reference the others are held to.

``instances="auto"`` (the default) runs the three side by side for the first ``PROBE_STEPS``
steps and keeps the fastest whose iterates equal the per-seed ones bit for bit and that
evaluates as many gradients (a class that couples its parameters, a SAM normalising its ascent
over all of them, LAMB's per-tensor trust ratio, an L-BFGS, or one that calls its closure once
per parameter, fails the blocks or both: it goes on per seed, with nothing lost);
``optimizer.update.instances()`` says which layout was kept.

Per-seed hyperparameters: studies sweep step sizes as one batch, so ``lr`` (or any other
hyperparameter) may be an ``(S,)`` tensor, row ``s`` going to seed ``s``; ``lr`` may also be a
schedule ``t -> float | (S,) tensor``, written into the param groups before each step.

Closures: ``.grad`` is set to the seed's gradient, then every step is ``opt.step(closure)``
when the class's ``step`` takes a closure (all of torch.optim's do), else ``opt.step()``. The
closure's first call at the unchanged point returns the gradient of the step's batch computed for
all seeds at once; further calls (SAM-type methods evaluate the gradient at a perturbed point)
compute each seed's gradient on the same batch and are counted in the oracle's evaluations.
"""

from __future__ import annotations

import inspect

import torch

from .base import Optimizer

__all__ = ["from_torch", "PROBE_STEPS", "LAYOUTS"]

#: Steps for which ``instances="auto"`` runs every layout side by side.
PROBE_STEPS = 2
#: The layouts, fastest first.
LAYOUTS = ("blocks", "rows", "per-seed")


def _per_seed(value, S: int, name: str):
    """Row values of a hyperparameter: a list of S plain values."""
    if torch.is_tensor(value):
        if value.ndim == 0:
            return [value.item()] * S
        if value.shape != (S,):
            raise ValueError(f"The '{name}' parameter must be a number or a ({S},) tensor, one value per seed. "
                             f"Got shape {tuple(value.shape)} instead.")
        return value.detach().cpu().tolist()
    return [value] * S


def _takes(cls, name: str, method: str = "__init__") -> bool:
    """Whether ``cls.<method>`` has a parameter called ``name``."""
    try:
        return name in inspect.signature(getattr(cls, method)).parameters
    except (TypeError, ValueError):
        return False


class _Layout:
    """S seeds held by optimizer instances: ``views[s]`` is seed s's row of the buffer ``buf``
    (layouts with one instance) or its own parameter (per seed); ``steps`` the instance(s);
    ``groups`` the seeds of each param group."""

    def __init__(self, name, buf, views, opts, groups, params):
        self.name, self.buf, self.views, self.opts, self.groups, self.params = name, buf, views, opts, groups, params
        self.block_of = {s: k for k, seeds in enumerate(groups) for s in seeds}  # seed -> its param group


def from_torch(optimizer_class, instances: str = "auto", **hyper) -> Optimizer:
    """An :class:`Optimizer` over S seeds backed by ``optimizer_class(**hyper)`` in one of the
    layouts of the module docstring (``instances``: ``"auto"`` or one of :data:`LAYOUTS`)."""
    if instances not in ("auto", *LAYOUTS):
        raise ValueError(f"The 'instances' parameter must be one of {['auto', *LAYOUTS]}. Got {instances!r} instead.")
    schedule = hyper.get("lr") if callable(hyper.get("lr")) else None
    closure_ok = _takes(optimizer_class, "closure", "step")
    takes_foreach = _takes(optimizer_class, "foreach")
    mode = {"instances": instances, "probed": 0}  # what the current run settled on (update.instances())

    def rows_of(S, t=1):
        return {k: _per_seed(schedule(t) if (k == "lr" and schedule) else v, S, k) for k, v in hyper.items()}

    def build(name, params):
        S, rows = params.shape[0], rows_of(params.shape[0])
        if name == "per-seed":
            ps = [torch.nn.Parameter(params[s].detach().clone()) for s in range(S)]
            opts = [optimizer_class([p], **{k: rows[k][s] for k in rows}) for s, p in enumerate(ps)]
            return _Layout(name, None, ps, opts, [[s] for s in range(S)], ps)
        varying = [k for k, v in rows.items() if any(x != v[0] for x in v)]
        groups: dict[tuple, list[int]] = {}
        for s in range(S):
            groups.setdefault(tuple(rows[k][s] for k in varying), []).append(s)
        seeds_of = list(groups.values())
        buf = params.detach().clone()
        if name == "blocks":
            if any(seeds != list(range(seeds[0], seeds[-1] + 1)) for seeds in seeds_of):
                raise ValueError("the seeds that share hyperparameters are not consecutive rows")
            tensors = [torch.nn.Parameter(buf[seeds[0]:seeds[-1] + 1]) for seeds in seeds_of]
            group_params = [[t] for t in tensors]
        else:
            tensors = [torch.nn.Parameter(buf[s]) for s in range(S)]  # views of one buffer: one copy in, one out
            group_params = [[tensors[s] for s in seeds] for seeds in seeds_of]
        fixed = {k: v[0] for k, v in rows.items()}  # the constructor's; a group's own values override them
        if takes_foreach and "foreach" not in hyper:
            fixed["foreach"] = True  # the multi-tensor path; the probe holds it to the per-seed bits
        opt = optimizer_class([{"params": ps, **{k: rows[k][seeds[0]] for k in varying}}
                               for ps, seeds in zip(group_params, seeds_of)], **fixed)
        return _Layout(name, buf, [buf[s] for s in range(S)], [opt], seeds_of, tensors)

    def init(params):
        mode["instances"], mode["probed"] = instances, 0  # every run probes afresh
        names = LAYOUTS if instances == "auto" else (instances,)
        layouts = []
        for name in names:
            try:
                layouts.append(build(name, params))
            except (TypeError, ValueError, KeyError) as exc:  # a class that takes no param groups, say
                if instances != "auto" or name == "per-seed":
                    raise ValueError(f"{optimizer_class.__name__} cannot hold the seeds in the layout {name!r}: {exc}") from None
        if len(layouts) == 1:
            mode["instances"] = layouts[0].name
        return layouts

    def update(params, layouts, oracle, t):
        S = params.shape[0]
        if schedule is not None:
            lrs = _per_seed(schedule(t), S, "lr")
            for layout in layouts:
                _set_lr(layout, lrs, optimizer_class.__name__)
        g = oracle.grad(params)
        results = [_try_step(layout, params, g, oracle, closure_ok, probing=len(layouts) > 1) for layout in layouts[:-1]]
        new, extra = results_last = _step(layouts[-1], params, g, oracle, closure_ok)  # the reference while probing
        results.append(results_last)
        if len(layouts) > 1:
            # the same iterates bit for bit, and the same gradient evaluations (a layout whose step failed: dropped)
            same = [r is not None and r_extra == extra and torch.equal(torch.nan_to_num(r, nan=0.0), torch.nan_to_num(new, nan=0.0))
                    and torch.equal(r.isnan(), new.isnan()) for r, r_extra in results]
            layouts = [lay for lay, ok in zip(layouts, same) if ok]
            mode["probed"] += 1
            if mode["probed"] >= PROBE_STEPS or len(layouts) == 1:
                layouts = layouts[:1] if mode["probed"] >= PROBE_STEPS else layouts
            if len(layouts) == 1:
                mode["instances"] = layouts[0].name
        oracle.evals += extra
        return new, layouts

    update.instances = lambda: mode["instances"]  # a layout's name, or "auto" while still probing
    return Optimizer(f"torch.{optimizer_class.__name__}", init, update, dict(hyper), capturable=False)  # Python-side steps


def _set_lr(layout, lrs, name):
    """Write each seed's step into its param group (all of a group's seeds must share it)."""
    for opt_index, opt in enumerate(layout.opts):
        groups = [layout.groups[opt_index]] if len(layout.opts) > 1 else layout.groups
        for group, seeds in zip(opt.param_groups, groups):
            if any(lrs[s] != lrs[seeds[0]] for s in seeds):
                raise ValueError(f"The 'lr' schedule of {name} gave different steps to seeds {seeds} that shared every "
                                 "hyperparameter at the first step; run it with instances='per-seed'.")
            group["lr"] = lrs[seeds[0]]


def _try_step(layout, params, g, oracle, closure_ok, probing):
    """:func:`_step`; while probing, a layout whose step fails (a multi-tensor path that will not
    take these tensors) gives (None, None) and is dropped."""
    if not probing:
        return _step(layout, params, g, oracle, closure_ok)
    try:
        return _step(layout, params, g, oracle, closure_ok)
    except Exception:  # the per-seed reference decides; this layout is not kept
        return None, None


def _step(layout, params, g, oracle, closure_ok):
    """One step of the layout's instance(s): the new iterates (S, d) and the extra evaluations."""
    with torch.no_grad():
        if layout.buf is not None:
            layout.buf.copy_(params)  # the engine may have frozen a diverged row
        else:
            for s, p in enumerate(layout.views):
                p.copy_(params[s])
    # .grad is set before the step too: a step that accepts a closure but never calls it (hand-written
    # optimizers often do) still sees its gradient
    grads = g.detach().clone()
    _set_grads(layout, grads)
    extra = [0] * params.shape[0]
    losses = []  # the batch's losses at params, computed once if an optimizer asks
    if layout.name == "per-seed":
        for s, opt in enumerate(layout.opts):
            opt.step(_closure(oracle, params, g, losses, extra, layout, [s])) if closure_ok else opt.step()
    else:
        opt = layout.opts[0]
        opt.step(_closure(oracle, params, g, losses, extra, layout, range(params.shape[0]))) if closure_ok else opt.step()
    with torch.no_grad():
        new = layout.buf.clone() if layout.buf is not None else torch.stack([p.detach() for p in layout.views]).clone()
    return new, max(extra)


def _set_grads(layout, grads):
    """Every parameter's ``.grad``: its rows of ``grads``."""
    if layout.name == "blocks":
        for p, seeds in zip(layout.params, layout.groups):
            p.grad = grads[seeds[0]:seeds[-1] + 1]
    else:
        for s, p in enumerate(layout.params):
            p.grad = grads[s]


def _closure(oracle, params, g, losses, extra, layout, seeds):
    """The closure of an instance holding ``seeds``: sets their ``.grad`` to the batch gradient at
    their current points and returns the batch loss (summed over the seeds). Per seed, as one
    instance per seed would see it: the first call at the unchanged point gives the step's
    gradient, computed for all seeds at once; any other call evaluates that seed's gradient (and
    is counted)."""
    first = [True]
    seeds = list(seeds)

    def step_loss(s):
        if not losses:  # a replayed gradient stream has no loss to report
            losses.append(oracle.loss(params) if hasattr(oracle, "loss") else None)
        return None if losses[0] is None else losses[0][s]

    def closure():
        out = []
        with torch.no_grad():
            if first[0] and layout.buf is not None and torch.equal(layout.buf, params):  # every seed unchanged
                first[0] = False
                _set_grads(layout, g.detach().clone())
                out = [step_loss(s) for s in seeds]
            else:
                for s in seeds:
                    if first[0] and torch.equal(layout.views[s], params[s]):
                        _set_row_grad(layout, s, g[s])
                        out.append(step_loss(s))
                        continue
                    row = _RowOracle(oracle, s)
                    w = layout.views[s].detach().unsqueeze(0)
                    _set_row_grad(layout, s, row.grad(w)[0])
                    extra[s] += row.evals
                    out.append(row.loss(w)[0])
                first[0] = False
        if any(x is None for x in out):
            return None
        return out[0] if len(out) == 1 else torch.stack(out).sum()

    return closure


def _set_row_grad(layout, s, value):
    """Seed s's ``.grad``: its own parameter's, or its row of its block's."""
    if layout.name != "blocks":
        layout.params[s].grad = value.clone()
        return
    k = layout.block_of[s]
    p = layout.params[k]
    if p.grad is None:  # a step that reset its gradients to None
        p.grad = torch.zeros_like(p)
    p.grad[s - layout.groups[k][0]] = value


class _RowOracle:
    """The step's oracle restricted to seed ``s`` (the same batch row), with its own count."""

    def __init__(self, oracle, s):
        self.objective, self.evals = oracle.objective, 0
        self.idx = None if oracle.idx is None else oracle.idx[s:s + 1]

    def grad(self, w):
        if self.idx is None:
            self.evals += self.objective.n
            return self.objective.grad(w)
        self.evals += self.idx.shape[1]
        return self.objective.grad_batch(w, self.idx)

    def loss(self, w):
        return self.objective.loss(w) if self.idx is None else self.objective.loss_batch(w, self.idx)

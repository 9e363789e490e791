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
    """S seeds held by optimizer instances as views of one buffer ``buf: (S, d)``: ``opts`` the
    instance(s), ``groups`` the seeds of each param group, ``entries`` one ``(param, first seed,
    columns, single)`` per parameter (``single``: a ``(width,)`` parameter of one seed, else an
    ``(n, width)`` block of consecutive seeds), ``by_seed[s]`` the entries holding seed s."""

    def __init__(self, name, buf, opts, groups, entries):
        self.name, self.buf, self.opts, self.groups, self.entries = name, buf, opts, groups, entries
        self.y = self.x_out = None  # a train/eval class: its train-mode point and the eval point handed out
        self.by_seed: dict[int, list] = {}
        for e in entries:
            p, r0, _, single = e
            for s in ([r0] if single else range(r0, r0 + p.shape[0])):
                self.by_seed.setdefault(s, []).append(e)


def _column_slices(d: int, tensors) -> list[slice]:
    """The columns of each of a seed's parameter tensors: ``tensors`` sizes summing to d, or None (one tensor)."""
    if tensors is None:
        return [slice(0, d)]
    sizes = [int(x) for x in tensors]
    if any(x < 1 for x in sizes) or sum(sizes) != d:
        raise ValueError(f"The 'tensors' parameter must be positive sizes summing to the dimension {d}. Got {list(tensors)} instead.")
    cuts = [0, *torch.tensor(sizes).cumsum(0).tolist()]
    return [slice(a, b) for a, b in zip(cuts[:-1], cuts[1:])]


def from_torch(optimizer_class, instances: str = "auto", tensors=None, **hyper) -> Optimizer:
    """An :class:`Optimizer` over S seeds backed by ``optimizer_class(**hyper)`` in one of the
    layouts of the module docstring (``instances``: ``"auto"`` or one of :data:`LAYOUTS`).
    ``tensors``: sizes summing to d; each seed's parameters are then that many tensors, as a
    model's layers are, so a method that works per tensor (a norm per parameter, a trust ratio)
    is run as it would run on a model, not on one flat vector."""
    if instances not in ("auto", *LAYOUTS):
        raise ValueError(f"The 'instances' parameter must be one of {['auto', *LAYOUTS]}. Got {instances!r} instead.")
    schedule = hyper.get("lr") if callable(hyper.get("lr")) else None
    closure_ok = _takes(optimizer_class, "closure", "step")
    modal = _has_modes(optimizer_class)
    takes_foreach = _takes(optimizer_class, "foreach")
    mode = {"instances": instances, "probed": 0}  # what the current run settled on (update.instances())

    def rows_of(S, t=1):
        return {k: _per_seed(schedule(t) if (k == "lr" and schedule) else v, S, k) for k, v in hyper.items()}

    def build(name, params):
        S, rows = params.shape[0], rows_of(params.shape[0])
        cols = _column_slices(params.shape[1], tensors)
        buf = params.detach().clone()  # every parameter is a view of it: one copy in, one out

        def seed_params(s):
            return [(torch.nn.Parameter(buf[s, c]), s, c, True) for c in cols]

        if name == "per-seed":
            entries = [seed_params(s) for s in range(S)]
            opts = [optimizer_class([e[0] for e in es], **{k: rows[k][s] for k in rows}) for s, es in enumerate(entries)]
            _modes(opts, "train", modal)
            return _Layout(name, buf, opts, [[s] for s in range(S)], [e for es in entries for e in es])
        varying = [k for k, v in rows.items() if any(x != v[0] for x in v)]
        groups: dict[tuple, list[int]] = {}
        for s in range(S):
            groups.setdefault(tuple(rows[k][s] for k in varying), []).append(s)
        seeds_of = list(groups.values())
        if name == "blocks":
            if any(seeds != list(range(seeds[0], seeds[-1] + 1)) for seeds in seeds_of):
                raise ValueError("the seeds that share hyperparameters are not consecutive rows")
            group_entries = [[(torch.nn.Parameter(buf[seeds[0]:seeds[-1] + 1, c]), seeds[0], c, False) for c in cols]
                             for seeds in seeds_of]
        else:
            group_entries = [[e for s in seeds for e in seed_params(s)] for seeds in seeds_of]
        fixed = {k: v[0] for k, v in rows.items()}  # the constructor's; a group's own values override them
        if takes_foreach and "foreach" not in hyper:
            fixed["foreach"] = True  # the multi-tensor path; the probe holds it to the per-seed bits
        opt = optimizer_class([{"params": [e[0] for e in es], **{k: rows[k][seeds[0]] for k in varying}}
                               for es, seeds in zip(group_entries, seeds_of)], **fixed)
        _modes([opt], "train", modal)
        return _Layout(name, buf, [opt], seeds_of, [e for es in group_entries for e in es])

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
        point = _train_point(layouts[-1], params) if modal else params  # where the class takes its gradient
        g = oracle.grad(point)
        results = [_try_step(layout, point, g, oracle, closure_ok, probing=len(layouts) > 1) for layout in layouts[:-1]]
        new, extra = results_last = _step(layouts[-1], point, g, oracle, closure_ok)  # the reference while probing
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
        layout.buf.copy_(params)  # the engine may have frozen a diverged row
    # .grad is set before the step too: a step that accepts a closure but never calls it (hand-written
    # optimizers often do) still sees its gradient
    _set_grads(layout, g.detach().clone())
    extra = [0] * params.shape[0]
    losses = []  # the batch's losses at params, computed once if an optimizer asks
    if layout.name == "per-seed":
        for s, opt in enumerate(layout.opts):
            opt.step(_closure(oracle, params, g, losses, extra, layout, [s])) if closure_ok else opt.step()
    else:
        opt = layout.opts[0]
        opt.step(_closure(oracle, params, g, losses, extra, layout, range(params.shape[0]))) if closure_ok else opt.step()
    with torch.no_grad():
        if layout.y is not None or _has_modes(type(layout.opts[0])):  # the point is read in eval mode, then back
            _modes(layout.opts, "eval", True)
            new = layout.buf.clone()
            _modes(layout.opts, "train", True)
            layout.y, layout.x_out = layout.buf.clone(), new
        else:
            new = layout.buf.clone()
    return new, max(extra)


def _has_modes(cls) -> bool:
    """Whether the class has train()/eval() modes (schedule-free methods: steps in train mode, the
    point to evaluate read in eval mode)."""
    return callable(getattr(cls, "train", None)) and callable(getattr(cls, "eval", None))


def _modes(opts, mode: str, modal: bool) -> None:
    if modal:
        for opt in opts:
            getattr(opt, mode)()


def _train_point(layout, params):
    """Where a train/eval class steps from: its train-mode point ``y`` for the rows whose eval point
    the engine hands back unchanged, the engine's point for the others (the first step; a row the
    engine froze)."""
    if layout.y is None or layout.x_out is None or layout.x_out.shape != params.shape:
        return params
    same = (params == layout.x_out).all(-1, keepdim=True)
    return torch.where(same, layout.y, params)


def _set_grads(layout, grads):
    """The ``.grad`` of every parameter: its part of ``grads`` (S, d), a view."""
    for p, r0, cols, single in layout.entries:
        p.grad = grads[r0, cols] if single else grads[r0:r0 + p.shape[0], cols]


def _closure(oracle, params, g, losses, extra, layout, seeds):
    """The closure of an instance holding ``seeds``: sets their ``.grad`` to the batch gradient at
    their current points and returns the batch loss (summed over the seeds). Per seed, as one
    instance per seed would see it: the first call at the unchanged point gives the step's
    gradient, computed for all seeds at once; any other call evaluates that seed's gradient (and
    is counted)."""
    first = [True]
    seeds = list(seeds)
    every = len(seeds) == params.shape[0]

    def step_losses():
        if not losses:  # a replayed gradient stream has no loss to report
            losses.append(oracle.loss(params) if hasattr(oracle, "loss") else None)
        return losses[0]

    def closure():
        out = []
        with torch.no_grad():
            unchanged = first[0] and (torch.equal(layout.buf, params) if every else
                                      all(torch.equal(layout.buf[s], params[s]) for s in seeds))
            if unchanged:  # every seed of the instance at its step's point: the step's gradient
                first[0] = False
                if every:
                    _set_grads(layout, g.detach().clone())
                else:  # this instance's rows only (an instance per seed: no copy of every seed's gradient)
                    for s in seeds:
                        _set_row_grad(layout, s, g[s])
                total = step_losses()  # the seeds' losses summed in one op, not a Python loop over seeds
                return None if total is None else (total.sum() if every else total[seeds].sum())
            for s in seeds:
                if first[0] and torch.equal(layout.buf[s], params[s]):
                    _set_row_grad(layout, s, g[s])
                    total = step_losses()
                    out.append(None if total is None else total[s])
                    continue
                row = _row_oracle(oracle, params, g, s)
                w = layout.buf[s].detach().unsqueeze(0)
                _set_row_grad(layout, s, row.grad(w)[0])
                extra[s] += row.evals
                loss = row.loss(w)
                out.append(None if loss is None else loss[0])
            first[0] = False
        if any(x is None for x in out):
            return None
        return out[0] if len(out) == 1 else torch.stack(out).sum()

    return closure


def _set_row_grad(layout, s, value):
    """Seed s's ``.grad``: its own parameters', or its row of its blocks'."""
    for p, r0, cols, single in layout.by_seed[s]:
        if single:
            p.grad = value[cols].clone()
            continue
        if p.grad is None:  # a step that reset its gradients to None
            p.grad = torch.zeros_like(p)
        p.grad[s - r0] = value[cols]


def _row_oracle(oracle, params, g, s):
    """The step's oracle for seed ``s`` alone, at a point of its own (a closure called again, any
    number of times): a finite sum's batch row (:class:`_RowOracle`); an online round whose loss
    depends on the seed row (:class:`_OnlineRow`); a replayed gradient stream, which hands out the
    seed's given gradient wherever it is asked (:class:`_GivenRow`)."""
    from .base import OnlineOracle

    if isinstance(oracle, OnlineOracle):
        return _OnlineRow(oracle, params, s)
    if not hasattr(oracle, "objective"):
        return _GivenRow(g, s)
    return _RowOracle(oracle, s)


class _GivenRow:
    """Seed ``s``'s row of an oracle that hands out a given gradient whatever the point (a replayed
    stream, :func:`convcheck.optim.base.replay`): the step's gradient ``g: (S, d)``; it has no loss."""

    def __init__(self, g, s):
        self.g, self.s, self.evals = g, s, 0

    def grad(self, w):
        self.evals += 1
        return self.g[self.s:self.s + 1].clone()

    def loss(self, w):
        return None


class _OnlineRow:
    """Seed ``s`` of an online round at a point of its own: the round's loss may differ by seed row
    (an adversary per row), so the point is put in row ``s`` of the step's points and the round is
    evaluated there; one evaluation."""

    def __init__(self, oracle, params, s):
        self.oracle, self.params, self.s, self.evals = oracle, params, s, 0

    def _at(self, w):
        points = self.params.detach().clone()
        points[self.s] = w[0]
        return points

    def grad(self, w):
        self.evals += 1
        o = self.oracle
        return o.objective.grad_at(self._at(w), o.t, o.xi)[self.s:self.s + 1]

    def loss(self, w):
        o = self.oracle
        return o.objective.loss_at(self._at(w), o.t, o.xi)[self.s:self.s + 1]


class _RowOracle:
    """The step's oracle restricted to seed ``s`` (the same batch row), with its own count."""

    def __init__(self, oracle, s):
        self.objective, self.evals, self.s = oracle.objective, 0, s
        self.idx = None if oracle.idx is None else oracle.idx[s:s + 1]

    def grad(self, w):
        note = getattr(self.objective, "note_row", None)  # an observer (convcheck.probes) learns whose row it is
        if note is not None:
            note(self.s)
        if self.idx is None:
            self.evals += self.objective.n
            return self.objective.grad(w)
        self.evals += self.idx.shape[1]
        return self.objective.grad_batch(w, self.idx)

    def loss(self, w):
        return self.objective.loss(w) if self.idx is None else self.objective.loss_batch(w, self.idx)

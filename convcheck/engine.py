"""The engine: run an optimizer on an objective for S seeds at once.

The seed axis is a tensor axis: parameters are ``(S, d)`` and every operation inside the
loop is a batched torch op on one device. Nothing leaves the device inside the loop:
metrics are kept as device tensors at the checkpoints and moved to numpy once at the end,
and divergence is tracked with tensor masks, never with Python branches on tensor values.

A seed *diverges* when its parameters become non-finite, or when at the horizon it lies more
than ``blowup`` times the initial scale away from ``w*`` and is still moving away (its distance
at the last checkpoint exceeds the one before). A non-finite row is frozen at its last finite
value. A diverged run's step of divergence is the first checkpoint at which it was outside that
ball (or non-finite), and its metrics from there on are NaN: a recorded outcome, never a crash.
A run that leaves the ball and comes back (or is on its way back at the horizon) has not
diverged: it made an *excursion*, recorded in ``trace.info["excursions"]`` (its rows, the
checkpoint it left at, its peak distance over the checkpoints, the checkpoint it was back at),
and is judged by the claim's own criterion on its metrics, which stay as measured.

Host traffic: a sampler's batches are drawn ``BLOCK_INDICES`` at a time (one copy to the device
per block of steps, the same bits as one draw per step), evaluation counts stay device tensors
until the end, and the loop reads no tensor value on the host; tests count the host reads.

Compiled steps (:mod:`convcheck.compiling`; by default only CPU runs of 500,000 steps or more):
the step (the update, the divergence test, the freezing of diverged rows, the running average) fused by
``torch.compile``, a CUDA graph on a GPU, ``STEPS_PER_CALL`` steps per call between checkpoints;
the step number is then a device tensor, and ``trace.info["compiled"]`` records whether the run
was compiled (``"compiled_not"``: why not).

Numerics and speed: the engine applies :func:`convcheck._runtime.tune_process` once
(subnormals flushed to zero; glibc's malloc kept from returning large blocks every step).
"""

from __future__ import annotations

import math

import numpy as np
import torch

from . import compiling
from ._runtime import tune_process
from ._validation import check_int, check_real
from .memory import bytes_per_row, check_rows
from .optim.base import OnlineOracle, Optimizer, Oracle
from .stopping import Stopping
from .trace import Trace

__all__ = ["run", "log_checkpoints"]

BLOCK_INDICES = 1 << 20  # indices drawn per block (8 MB of int64): a few copies per run, little memory
MOMENT_CHECKPOINTS = 64  # checkpoints at most at which a run's stochastic second moment is evaluated
STEPS_PER_CALL = 8  # a compiled run's steps per call between checkpoints (the Python overhead of a call, amortised)


class _Blocks:
    """Each step's draws, made ``BLOCK_INDICES`` numbers at a time: ``draw(t, K)`` returns steps
    ``t .. t+K-1`` stacked on a leading axis (the same bits as K single draws)."""

    def __init__(self, draw, per_step: int, steps: int):
        self.draw, self.per_step, self.steps, self.block, self.pos = draw, per_step, steps, None, 0

    def next(self, t: int) -> torch.Tensor:
        if self.block is None or self.pos == self.block.shape[0]:
            K = min(self.steps - t + 1, max(1, BLOCK_INDICES // self.per_step))
            self.block, self.pos = self.draw(t, K), 0
        self.pos += 1
        return self.block[self.pos - 1]

    def ahead(self) -> int:
        """How many steps' draws the current block still holds."""
        return 0 if self.block is None else self.block.shape[0] - self.pos

    def take(self, k: int) -> torch.Tensor:
        """The next ``k`` steps' draws, stacked (``k <= ahead()``)."""
        self.pos += k
        return self.block[self.pos - k:self.pos]


def log_checkpoints(steps: int, per_decade: int = 10, dense_tail: int = 0, tail_from: float = 0.1) -> np.ndarray:
    """Checkpoints ``0, 1, ...`` log-spaced up to ``steps`` (about ``per_decade`` per
    decade, rounded to distinct integers), plus ``dense_tail`` evenly spaced points over
    ``[tail_from * steps, steps]`` (floors need many, evenly spread samples of the tail)."""
    steps = check_int("steps", steps, 1)
    per_decade = check_int("per_decade", per_decade, 1)
    pts = np.unique(np.round(np.logspace(0, np.log10(steps), int(np.ceil(np.log10(steps) * per_decade)) + 1)))
    pts = np.concatenate([[0], pts])
    if dense_tail:
        tail_from = check_real("tail_from", tail_from, 0.0, 1.0)
        pts = np.concatenate([pts, np.linspace(tail_from * steps, steps, check_int("dense_tail", dense_tail, 0))])
    return np.unique(pts.astype(np.int64))


def run(objective, optimizer: Optimizer, w0: torch.Tensor, steps: int, *, checkpoints=None,
        sampler=None, generator: torch.Generator | None = None, average: bool = False,
        blowup: float = 1e8, stop: Stopping | None = None,
        metrics: tuple[str, ...] = ("gap", "grad_norm", "dist"), keep_iterates: bool = False,
        states: tuple[str, ...] = (), compile: bool | str | None = None) -> Trace:
    """Run ``optimizer`` from ``w0: (S, d)`` for ``steps`` steps.

    Args:
      sampler: a :class:`~convcheck.objectives.Sampler` drawing each step's batch (SGD);
        None for full gradients.
      generator: the ``torch.Generator`` the sampler draws from (required with a sampler).
      average: also track the uniform average of the iterates ``w_1 .. w_t`` and record its
        gap as ``avg_gap``.
      blowup: the radius of the ball around w*, relative to ``1 + max ||w0 - w*||``, outside which a
        run still moving away at the horizon has diverged (one that comes back made an excursion).
      metrics: which of ``gap``, ``grad_norm``, ``dist`` to record (each costs an evaluation at
        every checkpoint; recording every step of a large net, ``("gap",)`` saves the gradient).
      keep_iterates: also keep the parameters at every checkpoint, as ``trace.iterates``
        ``(S, C, d)`` on the run's device (for paths and for quantities computed afterwards).
      states: fields of the optimizer's state to record at every checkpoint, as
        ``trace.states[name]`` ``(S, C)`` (a line search's accepted step ``eta`` and its
        ``shrinks``): what a study would otherwise loop the optimizer by hand to read.
      stop: stopping criteria of Sec. 2.2 (:class:`~convcheck.stopping.Stopping`), checked per
        seed after every step on the full objective (these evaluations are not counted in
        ``grad_evals``); stopped seeds are frozen, and the trace records when and why.
      compile: fuse the step with ``torch.compile`` where the run allows it: True, False, or a
        mode of :mod:`convcheck.compiling` (``"auto"``: long CPU runs); None follows
        :func:`convcheck.compiling.compiling` (``"auto"`` outside one).

    Online problems (an objective with ``online = True``, :mod:`convcheck.objectives.online`):
    round t draws its randomness (from ``generator``), adds the round's regret of the current
    iterate, gives the optimizer f_t's gradient, and projects the update onto the feasible set.
    The metrics are then ``regret``, ``avg_regret`` (R(T)/T) and ``dist`` (to the comparator), and on
    request ``realised_regret``: ``sum f_t(x_t) - f_t(x*)`` with the drawn losses, which equals
    ``regret`` for a deterministic sequence (a stochastic problem's ``regret`` is its pseudo-regret).
    The two kinds of problem have a loop each (:func:`_batch_loop`, :func:`_online_loop`) over
    the same recorder and divergence test.
    """
    steps = check_int("steps", steps, 1)
    blowup = check_real("blowup", blowup, 1.0)
    if w0.ndim != 2 or w0.shape[1] != objective.dim:
        raise ValueError(f"The 'w0' parameter must have shape (S, {objective.dim}). Got {tuple(w0.shape)} instead.")
    ref = getattr(objective, "w_star", None)
    if torch.is_tensor(ref) and (ref.device != w0.device or ref.dtype != w0.dtype):
        raise ValueError(f"The 'w0' parameter must live where the objective does ({ref.device}, {ref.dtype}). "
                         f"Got {w0.device}, {w0.dtype} instead.")
    online = bool(getattr(objective, "online", False))
    if online and sampler is not None:
        raise ValueError("The 'sampler' parameter must be None for an online problem (its rounds are its samples).")
    if online and getattr(objective, "stochastic", False) and generator is None:
        raise ValueError("The 'generator' parameter must be a torch.Generator for a stochastic online problem. Got None instead.")
    if online and metrics == ("gap", "grad_norm", "dist"):
        metrics = ("regret", "avg_regret", "dist")
    if sampler is not None and generator is None:
        raise ValueError("The 'generator' parameter must be a torch.Generator when a sampler is given. Got None instead.")
    ck = log_checkpoints(steps) if checkpoints is None else np.unique(np.asarray(checkpoints, dtype=np.int64))
    if ck.min() < 0 or ck.max() > steps:
        raise ValueError(f"The 'checkpoints' parameter must lie in the range [0, {steps}]. Got [{ck.min()}, {ck.max()}] instead.")
    allowed = ("regret", "avg_regret", "dist", "realised_regret") if online else ("gap", "grad_norm", "dist")
    unknown = set(metrics) - set(allowed)
    if unknown or not metrics:
        raise ValueError(f"The 'metrics' parameter must be a non-empty subset of {list(allowed)}. Got {metrics!r} instead.")
    if online and (average or stop is not None):
        raise ValueError("The 'average' and 'stop' parameters are not defined for an online problem.")
    tune_process()
    compiled, why_not = compiling.plan(compiling.wanted() if compile is None else compile, steps=steps,
                                       device=w0.device, online=online, stop=stop, optimizer=optimizer)

    S, device = w0.shape[0], w0.device
    # before anything of size S is allocated: a run that cannot fit stops here (TooManyRows)
    check_rows(S, bytes_per_row(objective.dim, w0.element_size(), checkpoints=len(ck), metrics=len(metrics) + average,
                                keep_iterates=keep_iterates, batch=sampler.b if sampler is not None else None,
                                samples=int(getattr(objective, "n", 0) or 0)), device)
    w = w0.clone()
    state = optimizer.init(w)
    missing = [n for n in states if not hasattr(state, n)]
    if missing:
        raise ValueError(f"The 'states' parameter must name fields of {optimizer.name}'s state. Got {missing} instead.")
    limit = blowup * (1.0 + float(torch.linalg.vector_norm(w0 - objective.w_star, dim=-1).max()))
    rec = _Recorder(objective, metrics, average, keep_iterates, states, S, w0.dtype, device, ck)
    run_ = _Run(objective, optimizer, steps, ck, set(ck.tolist()), limit, rec, S, device)
    if online:
        draws = (_Blocks(lambda t, K: objective.draw_block(t, K, S, generator, device), S, steps)
                 if getattr(objective, "stochastic", False) else None)
        w, state, extra = _online_loop(run_, w, state, draws, real="realised_regret" in metrics)
    else:
        draws = _Blocks(lambda t, K: sampler.draw_block(S, K, generator, device), S * sampler.b, steps) if sampler else None
        w, state, extra, compiled, why_not = _batch_loop(run_, w, state, draws, stop, average, compiled, why_not)

    compiling.count(compiled, why_not)
    metrics_, diverged_at, excursions = _divergence(rec, ck, limit, run_.div_at.cpu().numpy())
    info = {"optimizer": optimizer.name, "objective": objective.name, "final_state": state,
            "dtype": str(w0.dtype).replace("torch.", ""), "device": str(device),
            "sampled": sampler is not None or bool(getattr(objective, "stochastic", False)),
            **({"excursions": excursions} if excursions else {}),
            **({"stochastic_second_moment": torch.stack(rec.moments, dim=1).cpu().numpy()} if rec.moments else {}),
            "compiled": compiled, "compiled_not": why_not, **extra}
    return Trace(steps=ck, metrics=metrics_, grad_evals=np.asarray([int(e) for e in rec.evals_at], dtype=np.int64),
                 diverged_at=diverged_at, info=info, final=w,
                 iterates=torch.stack(rec.kept, dim=1) if keep_iterates else None, states=rec.state_arrays(),
                 objective=objective)


def _divergence(rec, ck, limit: float, nonfinite_at: np.ndarray):
    """The run's metrics, each row's step of divergence (-1: none) and its excursions, from the
    distances to w* recorded at the checkpoints (the rule of the module's docstring)."""
    metrics = rec.metrics()
    norms = torch.stack(rec.norms, dim=1).cpu().numpy()  # (S, C)
    with np.errstate(invalid="ignore"):
        outside = ~(norms <= limit)  # NaN counts as outside
        growing = outside[:, -1] & (norms[:, -1] > norms[:, -2]) if norms.shape[1] > 1 else outside[:, -1]
    first_out = np.where(outside.any(axis=1), outside.argmax(axis=1), -1)
    exit_step = np.where(first_out >= 0, ck[np.maximum(first_out, 0)], -1)
    nonfinite = nonfinite_at >= 0
    diverged = nonfinite | growing
    at = np.where(nonfinite & (exit_step >= 0), np.minimum(nonfinite_at, exit_step), np.where(nonfinite, nonfinite_at, exit_step))
    diverged_at = np.where(diverged, at, -1).astype(np.int64)
    dead = diverged[:, None] & (ck[None, :] >= diverged_at[:, None])
    if dead.any():
        metrics = {k: np.where(dead, np.nan, v) for k, v in metrics.items()}
    came_back = (first_out >= 0) & ~diverged
    excursions = None
    if came_back.any():
        rows = np.flatnonzero(came_back)
        back = [next((int(ck[c]) for c in range(first_out[s], ck.size) if not outside[s, c]), None) for s in rows]
        excursions = {"rows": rows.tolist(), "left_at": exit_step[rows].tolist(),
                      "peak_distance": np.nanmax(np.where(np.isfinite(norms[rows]), norms[rows], np.nan), axis=1).tolist(),
                      "ball": limit, "back_at": back}
    return metrics, diverged_at, excursions


class _Recorder:
    """The metrics, evaluation counts, iterates and state fields kept at each checkpoint (device
    tensors until the end of the run: nothing is read on the host inside the loop)."""

    def __init__(self, objective, metrics, average, keep_iterates, states, S, dtype, device, ck=()):
        self.objective, self.keep_iterates, self.device = objective, keep_iterates, device
        self.rec: dict[str, list] = {k: [] for k in metrics}
        if average:
            self.rec["avg_gap"] = []
        self.states = {n: [] for n in states}
        self.evals_at, self.kept, self.norms = [], [], []
        # E_i ||grad f_i(w)||^2 where the objective has it in closed form: what a run certifies of "bounded
        # stochastic gradients" along the iterates it visits; at up to MOMENT_CHECKPOINTS log-spaced
        # checkpoints (the first and last among them), since it costs about a full gradient each
        self.moments = [] if hasattr(objective, "stochastic_second_moment") else None
        C = len(ck)
        self.moment_at = set((np.unique(np.geomspace(1, C, min(C, MOMENT_CHECKPOINTS)).round().astype(int)) - 1).tolist())
        self.moment_steps, self.calls = [], 0
        w_star = getattr(objective, "w_star", None)
        self.centre = None if not torch.is_tensor(w_star) or bool((w_star == 0).all()) else w_star

    def __call__(self, w, avg, state, div_at, evals, cum=None, real=None, t=0):
        objective, rec = self.objective, self.rec
        # the distance to w* at every checkpoint: the divergence rule reads it after the run
        self.norms.append(torch.linalg.vector_norm(w if self.centre is None else w - self.centre, dim=-1))
        dead = div_at >= 0  # rows gone non-finite (frozen); the others are recorded as they are
        if self.moments is not None and self.calls in self.moment_at:
            self.moments.append(objective.stochastic_second_moment(w))
            self.moment_steps.append(t)
        self.calls += 1
        nan = torch.tensor(float("nan"), dtype=w.dtype, device=self.device)
        if "gap" in rec:
            rec["gap"].append(torch.where(dead, nan, objective.gap(w)))
        if "regret" in rec:
            rec["regret"].append(torch.where(dead, nan, cum))
        if "realised_regret" in rec:
            rec["realised_regret"].append(torch.where(dead, nan, real))
        if "avg_regret" in rec:
            rec["avg_regret"].append(torch.where(dead, nan, cum / max(t, 1)))
        if "grad_norm" in rec:
            rec["grad_norm"].append(torch.where(dead, nan, torch.linalg.vector_norm(objective.grad(w), dim=-1)))
        if "dist" in rec:
            rec["dist"].append(torch.where(dead, nan, objective.distance(w)))
        if avg is not None:
            rec["avg_gap"].append(torch.where(dead, nan, objective.gap(avg)))
        for name, kept in self.states.items():
            x = getattr(state, name)
            x = x if torch.is_tensor(x) else torch.as_tensor(x, device=self.device)  # (a number: on the run's device)
            kept.append(x.detach().clone().reshape(-1))
        self.evals_at.append(evals)
        if self.keep_iterates:
            self.kept.append(w.clone())

    def metrics(self) -> dict[str, np.ndarray]:
        return {k: torch.stack(v, dim=1).cpu().numpy() for k, v in self.rec.items()}

    def state_arrays(self) -> dict[str, np.ndarray]:
        return {k: torch.stack([x.expand(v[0].shape) for x in v], dim=1).cpu().numpy() for k, v in self.states.items()}


def reads_are_free(device) -> bool:
    """Whether the loop may read a flag on the host at each step: free on the CPU; on a GPU a read
    waits for every queued kernel, so the loop there reads nothing (``tests/test_host_traffic.py``)."""
    return torch.device(device).type == "cpu"


class _Run:
    """What both loops share: the problem, the method, the checkpoints, the divergence test."""

    def __init__(self, objective, optimizer, steps, ck, ck_set, limit, record, S, device):
        self.objective, self.optimizer, self.steps, self.ck, self.ck_set = objective, optimizer, steps, ck, ck_set
        self.limit, self.record, self.w_star = limit, record, objective.w_star
        self.div_at = torch.full((S,), -1, dtype=torch.long, device=device)
        # Per-step savings that give the same bits: a reference point of zeros (networks, whose minimisers
        # are not unique) needs no subtraction (w - 0 is w exactly); and on the CPU, where reading a
        # number costs nothing, a step whose rows all stay finite marks nothing, and the freeze of
        # non-finite rows waits until a step has found one (``outside``). A GPU, and a compiled
        # step, keep the unconditional selects: a read there would wait for the device at every step.
        self.centre = None if torch.is_tensor(self.w_star) and bool((self.w_star == 0).all()) else self.w_star
        self.host_reads = reads_are_free(device)
        self.outside = False

    def diverged(self, w_new, div_at, t):
        """``div_at`` with step t marked on the rows that became non-finite now (they are frozen).
        One norm per step: a NaN or inf entry makes the row's norm non-finite."""
        norm = torch.linalg.vector_norm(w_new if self.centre is None else w_new - self.centre, dim=-1)
        if self.host_reads and not isinstance(t, torch.Tensor):
            if norm.numel() == 0 or math.isfinite(float(norm.max())):  # a NaN or inf row makes the max so
                return div_at
            self.outside = True
        return torch.where(~torch.isfinite(norm) & (div_at < 0), t.long() if isinstance(t, torch.Tensor) else t, div_at)

    def freeze_needed(self, t) -> bool:
        """Whether this step must hold non-finite rows at their last finite point: always, unless the
        host knows that no row has gone non-finite yet."""
        return isinstance(t, torch.Tensor) or not self.host_reads or self.outside


def _online_loop(r: _Run, w, state, draws, real: bool):
    """Rounds of an online problem: x_t suffers f_t (its regret added) before it sees g_t; the
    update is projected onto the feasible set; diverged rows are frozen."""
    objective, S = r.objective, w.shape[0]
    cum = torch.zeros(S, dtype=w.dtype, device=w.device)  # the regret so far
    realised = torch.zeros(S, dtype=w.dtype, device=w.device) if real else None
    evals, div_at = 0, r.div_at
    if 0 in r.ck_set:
        r.record(w, None, state, div_at, evals, cum, realised, 0)
    for t in range(1, r.steps + 1):
        xi = draws.next(t) if draws is not None else None
        cum = cum + objective.regret_at(w, t, xi)
        if realised is not None:
            realised = realised + (objective.loss_at(w, t, xi) - objective.loss_at(objective.w_star.expand_as(w), t, xi))
        oracle = OnlineOracle(objective, t, xi)
        w_new, state = r.optimizer.update(w, state, oracle, t)
        w_new = objective.project(w_new)
        div_at = r.diverged(w_new, div_at, t)
        evals = evals + oracle.evals  # never in place: evals_at keeps each checkpoint's count
        w = torch.where((div_at >= 0).unsqueeze(-1), w, w_new) if r.freeze_needed(t) else w_new
        if t in r.ck_set:
            r.record(w, None, state, div_at, evals, cum, realised, t)
    r.div_at = div_at
    return w, state, {}


def _batch_loop(r: _Run, w, state, draws, stop, average, compiled, why_not):
    """Steps of a batch (finite-sum or deterministic) problem: eager, or compiled
    ``STEPS_PER_CALL`` at a time between checkpoints; with stopping criteria, stopped rows are
    frozen and the trace says when and why."""
    objective, optimizer, steps, ck, S, device = r.objective, r.optimizer, r.steps, r.ck, w.shape[0], w.device
    div_at = r.div_at
    stop_at = torch.full((S,), -1, dtype=torch.long, device=device)
    stop_code = torch.zeros(S, dtype=torch.long, device=device)
    if stop is not None:
        f_old, g_old = objective.loss(w), objective.grad(w)
    avg = w.clone() if average else None
    evals = 0
    if 0 in r.ck_set:
        r.record(w, avg, state, div_at, evals)

    def advance(w, state, div_at, avg, idx, t):
        """One step: the update, the divergence test and, without stopping criteria, the freezing
        of diverged rows and the running average. ``t`` is an int, or a float64 0-d device tensor
        in a compiled run (one compiled code for every step)."""
        oracle = Oracle(objective, idx)
        w_new, state = optimizer.update(w, state, oracle, t)
        div_at = r.diverged(w_new, div_at, t)
        if stop is None:
            if r.freeze_needed(t):
                w_new = torch.where((div_at >= 0).unsqueeze(-1), w, w_new)
            if avg is not None:  # the uniform average of w_1 .. w_t (w_1 itself at t = 1, not avg + (w_1 - avg))
                if isinstance(t, torch.Tensor):
                    avg = torch.where(t > 1, avg + (w_new - avg) / t, w_new)
                else:
                    avg = avg + (w_new - avg) / t if t > 1 else w_new.clone()
        return w_new, state, div_at, avg, oracle.evals

    def advance_k(w, state, div_at, avg, idxs, t):
        """``STEPS_PER_CALL`` steps from step ``t`` (a compiled run's call between checkpoints)."""
        used = 0
        for i in range(STEPS_PER_CALL):
            w, state, div_at, avg, ev = advance(w, state, div_at, avg, None if idxs is None else idxs[i], t + i)
            used = used + ev
        return w, state, div_at, avg, used

    step_fn, chunk_fn, t_dev = advance, None, None
    if compiled:
        r.outside = True  # a compiled step reads nothing: an eager step after it (a fallback) cannot skip the freeze
        step_fn = compiling.compile_step(advance, device)
        chunk_fn = compiling.compile_step(advance_k, device) if STEPS_PER_CALL > 1 else None
        t_dev = torch.zeros((), dtype=torch.float64, device=device)  # filled in place: no host copy per step

    def chunk_from(t: int) -> bool:
        """Whether a compiled call may take steps t .. t + STEPS_PER_CALL - 1: no checkpoint before
        the last of them, all within the run, and their draws in the block at hand."""
        last, i = t + STEPS_PER_CALL - 1, int(np.searchsorted(ck, t))
        return (chunk_fn is not None and last <= steps and (i == len(ck) or int(ck[i]) >= last)
                and (draws is None or draws.ahead() >= STEPS_PER_CALL))

    t = 0
    while t < steps:
        t += 1
        if t_dev is not None:
            t_dev.fill_(t)
            k = STEPS_PER_CALL if chunk_from(t) else 1
            try:
                if k > 1:
                    out = chunk_fn(w, state, div_at, avg, draws.take(k) if draws else None, t_dev)
                else:
                    out = step_fn(w, state, div_at, avg, draws.next(t) if draws else None, t_dev)
            except Exception as e:  # the steps are pure: redo step t eagerly and go on eagerly
                if draws is not None:
                    draws.pos -= k
                compiled, why_not, step_fn, t_dev = False, f"compile failed at step {t}: {type(e).__name__}", advance, None
                w_new, state, div_at, avg, used = advance(w, state, div_at, avg, draws.next(t) if draws else None, t)
            else:
                w_new, state, div_at, avg, used = out
                t += k - 1  # the bookkeeping below is the last step's (no checkpoint fell before it)
        else:
            w_new, state, div_at, avg, used = advance(w, state, div_at, avg, draws.next(t) if draws is not None else None, t)
        evals = evals + used  # never in place: evals_at keeps each checkpoint's count
        if stop is None:
            w = w_new  # advance froze the diverged rows
        else:
            frozen = (div_at >= 0) | (stop_at >= 0)
            w = torch.where(frozen.unsqueeze(-1), w, w_new)
            f_new, g_new = objective.loss(w), objective.grad(w)
            code = stop.check(t, f_old, f_new, g_old, g_new)
            fresh = (code > 0) & (stop_at < 0) & (div_at < 0)
            stop_at = torch.where(fresh, t, stop_at)
            stop_code = torch.where(fresh, code, stop_code)
            f_old, g_old = f_new, g_new
            if average:  # (without stopping criteria advance keeps the average)
                avg = avg + (w - avg) / t if t > 1 else w.clone()
        if t in r.ck_set:
            r.record(w, avg, state, div_at, evals)
    r.div_at = div_at
    extra = {"stopped_at": stop_at.cpu().numpy(), "stop_code": stop_code.cpu().numpy()} if stop is not None else {}
    return w, state, extra, compiled, why_not

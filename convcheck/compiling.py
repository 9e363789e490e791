"""Compiled steps: the engine's step fused by ``torch.compile`` (CUDA graphs on a GPU).

Each step of a run is a few dozen small batched kernels; with a few hundred rows most of a
step's time is the cost of launching them, not the arithmetic. ``torch.compile`` fuses a step into a few kernels; on CUDA, ``mode="reduce-overhead"``
also records the step as a CUDA graph and replays it, one launch per step.

What a compiled step needs, and how the engine gives it:

* **The step number as a device tensor.** A Python ``t`` would be a constant of the compiled
  code (a recompile per step, and a CUDA graph would replay step 1's step size forever), so the
  engine hands the optimizer a float64 0-d tensor ``t``, updated in place before each step.
  Schedules and bias corrections are written to accept one (:mod:`convcheck.optim.schedules`,
  :mod:`convcheck.optim.adaptive`); float64 holds every step number up to 2^53 exactly.
* **No host reads inside the step** (a sync, and a break in the graph): a method whose step
  ends on data (line searches, steepest descent's numerical 1-D search, the torch.optim adapter) says so with
  ``Optimizer.capturable = False`` and runs eagerly.

Three modes (``convcheck run --compile auto|on|off``, or :func:`compiling`):

* ``auto`` (the default): compile runs of at least :data:`AUTO_MIN_STEPS` steps on the CPU,
  where compiling pays back its cost; on CUDA only when asked (``auto`` has no threshold
  for a card).
* ``on``: compile every run that can be compiled. ``off``: none.

Between checkpoints a compiled run takes ``engine.STEPS_PER_CALL`` (8) steps per call (one
compiled code unrolled over 8 steps), so the Python around a call is paid once per 8 steps.

``auto``'s threshold: a compiled step saves a little per step on the CPU, while compiling costs
seconds for each new step function (less when inductor's disk cache already holds it), so only
long runs pay it back; short runs compiled are slower than eager ones (the timings are in
``docs/speed.md``). Fused kernels round differently from eager ones (at float64's last digits):
the same seed gives the same bits within one mode on one machine, not across modes, and compiled
results are cached apart.

A run that asks for compilation and cannot have it (online problems, stopping criteria, a
method that is not capturable, a compile that fails) runs eagerly; ``trace.info["compiled"]``
says which, and why not.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools

import torch

__all__ = ["MODES", "AUTO_MIN_STEPS", "compiling", "mode_of", "wanted", "plan", "compile_step", "count", "host_side"]

MODES = ("auto", "on", "off")
AUTO_MIN_STEPS = 500_000  # auto compiles CPU runs this long: the compile's seconds are then paid back

_HOST_SIDE: list[list] = []  # [current, eager-only] callables of host_side, disabled at the first compile

_WANTED: contextvars.ContextVar[str] = contextvars.ContextVar("convcheck_compile", default="auto")
_TALLY: contextvars.ContextVar[dict | None] = contextvars.ContextVar("convcheck_compile_tally", default=None)


def mode_of(value) -> str:
    """``True``/``False``/None or a mode name -> the mode name (checked)."""
    if value is True or value is False:
        return "on" if value else "off"
    if value not in MODES:
        raise ValueError(f"The 'compile' parameter must be one of {list(MODES)}. Got {value!r} instead.")
    return value


@contextlib.contextmanager
def compiling(mode="on"):
    """Within the block, ``engine.run`` compiles its step in ``mode`` (see the module note).

    Yields a tally ``{"mode", "compiled", "eager", "eager_why"}`` of the engine runs made in the
    block (eager runs counted by reason), which the runner records per study."""
    mode = mode_of(mode)
    tally = {"mode": mode, "compiled": 0, "eager": 0, "eager_why": {}}
    tokens = _WANTED.set(mode), _TALLY.set(tally)
    try:
        yield tally
    finally:
        _WANTED.reset(tokens[0])
        _TALLY.reset(tokens[1])


def count(compiled: bool, why_not: str) -> None:
    """Add one finished engine run to the tally of the enclosing :func:`compiling` block."""
    tally = _TALLY.get()
    if tally is None:
        return
    if compiled:
        tally["compiled"] += 1
    else:
        tally["eager"] += 1
        tally["eager_why"][why_not] = tally["eager_why"].get(why_not, 0) + 1


def wanted() -> str:
    """The mode of the runs started now: ``auto`` unless a :func:`compiling` block says otherwise."""
    return _WANTED.get()


def plan(mode, *, steps: int, device: torch.device, online: bool, stop, optimizer) -> tuple[bool, str]:
    """``(compile?, reason)`` for one run: the reason is recorded when the answer is no."""
    mode = mode_of(mode)
    if mode == "off":
        return False, "not asked"
    if mode == "auto" and device.type != "cpu":
        return False, f"auto: compiles on the CPU only ({device.type}: --compile on to ask)"
    if mode == "auto" and steps < AUTO_MIN_STEPS:
        return False, f"auto: fewer than {AUTO_MIN_STEPS} steps"
    if online:
        return False, "online problem (its rounds index the loss by the step number on the host)"
    if stop is not None:
        return False, "stopping criteria"
    if not getattr(optimizer, "capturable", True):
        return False, f"method {optimizer.name!r} reads data on the host inside its step"
    return True, ""


def host_side(fn):
    """``fn`` runs eagerly when a compiled step calls it (``torch.compiler.disable``): for what
    keeps host state, such as a stream's position. The disabling waits for the first
    :func:`compile_step`, because ``torch.compiler.disable`` imports ``torch._dynamo``, about a
    second of every process's start, which eager runs (nearly all) never need."""
    slot = [fn, fn]
    _HOST_SIDE.append(slot)

    @functools.wraps(fn)
    def call(*args, **kwargs):
        return slot[0](*args, **kwargs)

    return call


def compile_step(fn, device: torch.device):
    """``fn`` compiled for ``device``: inductor's fused kernels, replayed as a CUDA graph on a GPU.

    Dynamo's cache is cleared first: every run compiles its own closure (the objective and
    the optimizer are constants of it), and the guards of earlier runs would otherwise count
    towards dynamo's recompile limit, past which it silently runs the step eagerly."""
    for slot in _HOST_SIDE:
        if slot[0] is slot[1]:
            slot[0] = torch.compiler.disable(slot[1])
    torch._dynamo.reset()
    if device.type != "cuda":
        return torch.compile(fn, dynamic=False)
    graphed = torch.compile(fn, mode="reduce-overhead", dynamic=False)

    def step(*args):
        # A replay writes its outputs into the graph's own memory, which the next replay
        # overwrites: each call starts a new step, and what the caller keeps is cloned out.
        torch.compiler.cudagraph_mark_step_begin()
        return torch.utils._pytree.tree_map(lambda x: x.clone() if isinstance(x, torch.Tensor) else x, graphed(*args))

    return step

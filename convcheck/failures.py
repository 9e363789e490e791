"""Whose failure it is when a check of a user's class stops: the class's, or convcheck's.

A class run in a role can fail in three ways, and the message says which:

* ``"class"``: the class raised (its constructor, its ``step``, a helper of its own package, or
  torch.optim's base class it inherits): a result about the class;
* ``"fit"``: convcheck refused the class in this role before running it (it cannot be built with
  the role's arguments, swallows one, holds a switch at another value): :class:`Misfit`;
* ``"convcheck"``: convcheck's own code raised, possibly inside a closure the class called: a bug of
  convcheck, never a result about the class.

The rule reads the traceback from the innermost frame outwards: the first frame that is either
the class's code or convcheck's decides (frames of other libraries that either called, numpy or
torch's tensor functions, decide nothing).
"""

from __future__ import annotations

import inspect
import os
import sys
import traceback

__all__ = ["Misfit", "blame", "describe_failure", "BLAMES"]

#: Who failed: the class, convcheck's refusal of the class in the role, or convcheck itself (a bug).
BLAMES = ("class", "fit", "convcheck")

_CONVCHECK = os.path.dirname(os.path.abspath(__file__)) + os.sep


class Misfit(ValueError):
    """convcheck refuses a class in a role (not a failure of the class or of convcheck)."""


def _class_dirs(target) -> tuple[set[str], set[str]]:
    """(files, folders) holding the class's code: each class of its MRO's file (torch.optim's base
    class included), and its own package's folder (a helper module of the library)."""
    files, dirs = set(), set()
    if not inspect.isclass(target):
        target = getattr(target, "__func__", target)
        mod = inspect.getmodule(target)
        f = getattr(mod, "__file__", None)
        return ({os.path.abspath(f)} if f else set()), set()
    for k in target.__mro__:
        if k is object:
            continue
        mod = sys.modules.get(k.__module__)
        f = getattr(mod, "__file__", None)
        if not f:
            continue
        f = os.path.abspath(f)
        if f.startswith(_CONVCHECK):
            continue
        files.add(f)
        if k is target:
            top = sys.modules.get(k.__module__.split(".")[0])
            top_file = getattr(top, "__file__", None)
            if top_file and k.__module__.split(".")[0] != "torch":
                dirs.add(os.path.dirname(os.path.abspath(top_file)) + os.sep)
            else:  # torch's own classes: their folder (torch/optim), not all of torch
                dirs.add(os.path.dirname(f) + os.sep)
    return files, dirs


def blame(exc: BaseException, target) -> str:
    """``"class"``, ``"fit"`` or ``"convcheck"`` (:data:`BLAMES`) for ``exc`` raised while checking
    ``target`` (the rule of the module docstring)."""
    if isinstance(exc, Misfit):
        return "fit"
    files, dirs = _class_dirs(target)
    for frame in reversed(traceback.extract_tb(exc.__traceback__)):
        f = os.path.abspath(frame.filename)
        if f in files or any(f.startswith(d) for d in dirs):
            return "class"
        if f.startswith(_CONVCHECK):
            return "convcheck"
    return "convcheck"  # raised where neither is seen: convcheck called the code that failed


def describe_failure(exc: BaseException, target) -> tuple[str, str]:
    """(who, one line): who failed (:func:`blame`) and what, worded for that reader."""
    who = blame(exc, target)
    first = str(exc).splitlines()[0] if str(exc) else ""
    what = f"{type(exc).__name__}: {first}"
    if who == "convcheck":
        where = next((f"{os.path.relpath(fr.filename, os.path.dirname(_CONVCHECK))}:{fr.lineno}"
                      for fr in reversed(traceback.extract_tb(exc.__traceback__))
                      if os.path.abspath(fr.filename).startswith(_CONVCHECK)), "")
        return who, (f"convcheck failed (a bug of convcheck, not a result about the class; please report it"
                     f"{', at ' + where if where else ''}): {what}")
    if who == "fit":
        return who, f"not run in this role: {first}"
    return who, f"the class failed: {what}"

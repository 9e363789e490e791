"""Rates and bounds written as formulas in t: ``"4/t"``, ``"2*log(t)/sqrt(t)"``, ``"t^-0.5"``.

One way to name a rate or a bound, in :func:`~convcheck.stats.check_rate`,
:func:`~convcheck.stats.check_bound` and :mod:`convcheck.testing`: a formula string or a
callable of the step array. Formulas are parsed with :mod:`ast` and evaluated with numpy over
a closed vocabulary (numbers, ``t``, ``+ - * / ** ^``, ``log``, ``log2``, ``log10``, ``sqrt``,
``exp``, ``pi``, ``e``), never with ``eval`` on arbitrary code.
"""

from __future__ import annotations

import ast
import operator
from typing import Callable

import numpy as np

__all__ = ["function_of_t"]

_FUNCS = {"log": np.log, "log2": np.log2, "log10": np.log10, "sqrt": np.sqrt, "exp": np.exp}
_CONSTS = {"pi": np.pi, "e": np.e}
_BIN = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv,
        ast.Pow: operator.pow, ast.BitXor: operator.pow}  # "t^-1" is read as a power, as papers write it
_UN = {ast.USub: operator.neg, ast.UAdd: operator.pos}


def function_of_t(text: str, name: str = "rate") -> Callable[[np.ndarray], np.ndarray]:
    """The formula ``text`` as a function of the step array ``t``; a clear error naming
    ``name`` when it is not a formula in t."""
    try:
        tree = ast.parse(str(text).strip(), mode="eval")
    except SyntaxError:
        tree = None

    def bad(why):
        return ValueError(f"The '{name}' parameter must be a callable of t or a formula in t such as '1/t', "
                          f"'4/(t+1)', 'log(t)/sqrt(t)' or 't^-0.5' ({why}). Got {text!r} instead.")

    if tree is None:
        raise bad("not a formula")

    def compile_(node):
        if isinstance(node, ast.Expression):
            return compile_(node.body)
        if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) and not isinstance(node.value, bool):
            v = float(node.value)
            return lambda t: v
        if isinstance(node, ast.Name):
            if node.id == "t":
                return lambda t: t
            if node.id in _CONSTS:
                v = _CONSTS[node.id]
                return lambda t: v
            raise bad(f"unknown name {node.id!r}")
        if isinstance(node, ast.BinOp) and type(node.op) in _BIN:
            op, a, b = _BIN[type(node.op)], compile_(node.left), compile_(node.right)
            return lambda t: op(a(t), b(t))
        if isinstance(node, ast.UnaryOp) and type(node.op) in _UN:
            op, a = _UN[type(node.op)], compile_(node.operand)
            return lambda t: op(a(t))
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in _FUNCS
                and len(node.args) == 1 and not node.keywords):
            f, a = _FUNCS[node.func.id], compile_(node.args[0])
            return lambda t: f(a(t))
        raise bad(f"unsupported element {type(node).__name__}")

    body = compile_(tree)

    def fn(t):
        t = np.asarray(t, dtype=np.float64)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.broadcast_to(np.asarray(body(t), dtype=np.float64), t.shape).copy()

    fn.__name__ = str(text).strip()
    return fn

"""Every tolerance lives in one place: a scan of studies/.

The library's tolerances live in ``convcheck.stats.thresholds``; a suite's own (what its paper's
words mean as numbers, its certificates) in the suite's ``_<suite>_tolerances.py``, each
documented; nowhere else.

The scan reads each study's syntax tree and fails on a numeric literal where a tolerance
goes: a keyword such as ``rtol=1e-9`` passed to a check (``check_*``, ``equivalence``,
``t_interval``, ``combine``, ``Verdict``), a module-level ``*_TOL``/``*RTOL`` constant set
to a number, or a small number (below 1e-3) compared against in the verdict logic.
"""

import ast
from pathlib import Path

import pytest

from convcheck.stats import thresholds as th
from convcheck.study import studies_dir

CHECKS = {"equivalence", "t_interval", "combine", "Verdict"}
TOLERANCE_KEYWORDS = {"rtol", "atol", "tol", "delta", "margin", "alpha", "alpha_fail", "level"}


def _number(node) -> float | None:
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        v = _number(node.operand)
        return None if v is None else -v
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) and not isinstance(node.value, bool):
        return float(node.value)
    return None


def _callee(node: ast.Call) -> str:
    f = node.func
    return f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) else ""


def tolerance_literals(source: str) -> list[str]:
    """Where a tolerance is written as a number in this source, one line each."""
    tree = ast.parse(source)
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and (_callee(node).startswith("check_") or _callee(node) in CHECKS):
            for kw in node.keywords:
                if kw.arg in TOLERANCE_KEYWORDS and _number(kw.value) is not None:
                    found.append(f"line {node.lineno}: {_callee(node)}({kw.arg}={_number(kw.value):g})")
        if isinstance(node, ast.Compare):
            for side in [node.left, *node.comparators]:
                v = _number(side)
                if v is not None and 0 < abs(v) < 1e-3:
                    found.append(f"line {node.lineno}: compared with {v:g}")
    for node in tree.body:
        if isinstance(node, ast.Assign):
            names = [t.id for t in node.targets if isinstance(t, ast.Name)]
            names += [e.id for t in node.targets if isinstance(t, ast.Tuple) for e in t.elts if isinstance(e, ast.Name)]
            values = node.value.elts if isinstance(node.value, ast.Tuple) else [node.value]
            if any(n.endswith(("TOL", "RTOL", "ATOL")) for n in names) and any(_number(v) is not None for v in values):
                found.append(f"line {node.lineno}: {', '.join(names)} set to a number")
    return found


SUITE_FILES = sorted(studies_dir().parent.glob("*/*.py"))
TOLERANCE_FILES = [p for p in SUITE_FILES if p.name.endswith("_tolerances.py")]


@pytest.mark.parametrize("path", [p for p in SUITE_FILES if p not in TOLERANCE_FILES], ids=lambda p: p.stem)
def test_studies_take_their_tolerances_from_thresholds(path):
    found = tolerance_literals(path.read_text())
    assert not found, (f"{path.name} writes tolerances by hand (put them in convcheck/stats/thresholds.py, or in "
                       "the suite's _<suite>_tolerances.py):\n" + "\n".join(found))


@pytest.mark.parametrize("path", TOLERANCE_FILES, ids=lambda p: p.stem)
def test_a_suites_tolerances_are_documented_and_not_the_librarys(path):
    """A suite's tolerance file sets each constant once, with a ``#:`` comment, and none
    shadows a library threshold (one name, one number)."""
    lines = path.read_text().splitlines()
    for i, line in enumerate(lines):
        if line and line[0].isupper() and "=" in line:
            assert any(l.startswith("#:") for l in lines[max(0, i - 3):i]), f"{path.name}: {line} has no '#:' comment above it"
            assert not hasattr(th, line.split("=")[0].strip()), f"{path.name}: {line} shadows convcheck.stats.thresholds"


def test_the_scan_finds_planted_literals():
    planted = ("RTOL = 1e-12\n"
               "v = check_exact(x, c, 'a', rtol=1e-10)\n"
               "ok = err <= 1e-9\n"
               "A_TOL, B = -1e-8, 2\n")
    assert len(tolerance_literals(planted)) == 4
    assert tolerance_literals("RTOL = th.IDENTITY_RTOL\nok = err <= th.IDENTITY_RTOL\nsteps = 1000\n") == []


def test_every_threshold_is_documented():
    """Each constant in thresholds.py has a ``#:`` comment saying what it is and why that size."""
    lines = Path(th.__file__).read_text().splitlines()
    for i, line in enumerate(lines):
        if line and line[0].isupper() and "=" in line:
            assert any(l.startswith("#:") for l in lines[max(0, i - 3):i]), f"{line} has no '#:' comment above it"


def test_round_off_tolerances_are_carried_to_the_dtype():
    import torch

    assert th.carried(1e-12, torch.float64) == 1e-12
    assert th.carried(1e-12, torch.float32) == pytest.approx(1e-12 * 2.0**29)
    assert th.carried(1e-12, "float32") == th.carried(1e-12, torch.float32)

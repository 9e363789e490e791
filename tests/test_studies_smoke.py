"""Every study of every suite runs at its tiny scale and gives one valid verdict per claim and reading.

Nothing here asserts which way a study's verdict goes: a verdict is a result. The recorded
outcome of every claim and reading at the quick scale lives in ``studies/<suite>/recorded_outcomes.json``
and is checked by the slow tier (``tests/test_recorded_outcomes.py``); refutations of planted
wrong inputs are asserted in ``tests/test_planted_wrong.py``.
"""

import pytest

from convcheck.claims import OUTCOMES
from convcheck.report.figures import draw, plt
from convcheck.study import discover, run_study
from convcheck.suites import list_suites

STUDIES = {f"{suite}/{name}": mod for suite in list_suites() for name, mod in discover(suite=suite).items()}


@pytest.mark.parametrize("name", sorted(STUDIES))
def test_study_runs_at_tiny_scale(name):
    module = STUDIES[name]
    for section in ("Claim", "Kind:", "Objective:", "Optimizer", "Verdict rule:", "References:"):
        assert section in module.__doc__, f"{name}'s docstring lacks {section!r} (see convcheck.study)"
    scale = "tiny" if "tiny" in module.SCALES else "quick"
    result = run_study(module, scale)
    expected = sorted(k for c in module.CLAIMS for k in c.keys())
    assert sorted(v.key for v in result.verdicts) == expected, "one verdict per claim as written, reading and supporting check"
    claims = {c.id: c for c in module.CLAIMS}
    for v in result.verdicts:
        assert v.outcome in OUTCOMES and v.summary and v.study == module.NAME
        assert v.supporting == claims[v.claim].is_supporting(v.reading)
        if v.statistic.get("deterministic"):
            assert v.interval is None, f"{v.label}: a deterministic verdict quotes no interval over seeds"
    for spec in result.figures:  # every figure draws from the study's own tables
        assert spec["table"] in result.tables and spec["y"] in result.tables[spec["table"]]
        plt.close(draw(spec, result.tables))


@pytest.mark.parametrize("name", sorted(STUDIES))
def test_study_runs_in_float32(name):
    """float32 runs: reference solves and certificates stay in float64, round-off tolerances are
    carried to float32's eps; no study may fail on the dtype alone."""
    import torch

    module = STUDIES[name]
    result = run_study(module, "tiny" if "tiny" in module.SCALES else "quick", dtype=torch.float32)
    assert all(v.outcome in OUTCOMES for v in result.verdicts)

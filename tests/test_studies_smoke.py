"""Every study of every suite runs at its tiny scale and gives one valid verdict per claim and reading.

Nothing here asserts which way a study's verdict goes: a verdict is a result. The recorded
outcome of every claim and reading at the quick scale lives in ``studies/<suite>/recorded_outcomes.json``
and is checked by the slow tier (``tests/test_recorded_outcomes.py``); refutations of planted
wrong inputs are asserted in ``tests/test_planted_wrong.py``.
"""

import pytest
import torch

from convcheck.claims import OUTCOMES
from convcheck.placement import placement
from convcheck.report.figures import draw, plt
from convcheck.study import discover, run_study
from convcheck.suites import list_suites
from planted import NOT_PLANTED

STUDIES = {f"{suite}/{name}": mod for suite in list_suites() for name, mod in discover(suite=suite).items()}


@pytest.mark.parametrize("name", sorted(STUDIES))
def test_study_runs_at_tiny_scale(name):
    module = STUDIES[name]
    for section in ("Claim", "Kind:", "Objective:", "Optimizer", "Verdict rule:", "References:"):
        assert section in module.__doc__, f"{name}'s docstring lacks {section!r} (see convcheck.study)"
    scale = "tiny" if "tiny" in module.SCALES else "quick"
    # The device guard: torch's default device is `meta` while the study runs, so a tensor made
    # without an explicit device (which on a CUDA run would silently land on the CPU) fails loudly.
    with torch.device("meta"):
        result = run_study(module, scale)
    expected = sorted(k for c in module.CLAIMS for k in c.keys())
    assert sorted(v.key for v in result.verdicts) == expected, "one verdict per claim as written, reading and supporting check"
    claims = {c.id: c for c in module.CLAIMS}
    for v in result.verdicts:
        assert v.outcome in OUTCOMES and v.summary and v.study == module.NAME
        assert v.supporting == claims[v.claim].is_supporting(v.reading)
        # a verdict no buildable instance can support (its hypotheses met by none) is withheld by design, and says why
        assert not v.summary.startswith("withheld") or v.key in NOT_PLANTED, (
            f"{v.label}: the library withheld the verdict (convcheck.hypotheses): {v.summary}")
        if v.statistic.get("deterministic"):
            assert v.interval is None, f"{v.label}: a deterministic verdict quotes no interval over seeds"
    for spec in result.figures:  # every figure draws from the study's own tables
        assert spec["table"] in result.tables and spec["y"] in result.tables[spec["table"]]
        plt.close(draw(spec, result.tables))


@pytest.mark.parametrize("name", sorted(STUDIES))
def test_study_runs_in_float32(name):
    """float32 runs: reference solves and certificates stay in float64, round-off tolerances are
    carried to float32's eps; no study may fail on the dtype alone."""
    module = STUDIES[name]
    if hasattr(module, "DTYPE"):  # the study fixes its own dtype (convcheck.placement): float32 would rerun float64
        assert placement(module, "cpu", "float32")[1] == module.DTYPE
        return
    with torch.device("meta"):
        result = run_study(module, "tiny" if "tiny" in module.SCALES else "quick", dtype=torch.float32)
    assert all(v.outcome in OUTCOMES for v in result.verdicts)


def test_the_device_guard_fails_on_a_tensor_made_without_a_device():
    """The guard above can fail: data drawn on the CPU meeting a tensor made with no device."""
    data = torch.randn(3, generator=torch.Generator().manual_seed(0), dtype=torch.float64, device="cpu")
    with torch.device("meta"), pytest.raises(RuntimeError, match="device"):
        data + torch.zeros(3, dtype=torch.float64)

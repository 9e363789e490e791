"""Every study in studies/ runs at its tiny scale and gives one valid verdict per claim."""

import pytest

from convcheck.claims import OUTCOMES
from convcheck.report.figures import draw, plt
from convcheck.study import discover, run_study

STUDIES = discover()


@pytest.mark.parametrize("name", sorted(STUDIES))
def test_study_runs_at_tiny_scale(name):
    module = STUDIES[name]
    for section in ("Claim", "Kind:", "Objective:", "Optimizer", "Verdict rule:", "References:"):
        assert section in module.__doc__, f"{name}'s docstring lacks {section!r} (see convcheck.study)"
    scale = "tiny" if "tiny" in module.SCALES else "quick"
    result = run_study(module, scale)
    assert sorted(v.claim for v in result.verdicts) == sorted(c.id for c in module.CLAIMS)
    for v in result.verdicts:
        assert v.outcome in OUTCOMES and v.summary and v.study == name
        # the studies' own methods are the true inputs: at any scale they may be inconclusive,
        # never refuted (the planted-wrong tests show the same checks do refute)
        assert v.outcome != "refuted", v.evidence()
    for spec in result.figures:  # every figure draws from the study's own tables
        assert spec["table"] in result.tables and spec["y"] in result.tables[spec["table"]]
        plt.close(draw(spec, result.tables))

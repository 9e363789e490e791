"""Each suite's recorded outcomes: one per claim and reading at the quick scale.

``studies/<suite>/recorded_outcomes.json`` is written from a complete quick run by
``convcheck report RUN --record``. The default tier checks that it covers exactly the claims
and readings the suite's studies register; the slow tier (``pytest -m slow``) re-runs the quick
scale and compares, so a changed verdict is a deliberate change whose commit says why. Neither
asserts which way a verdict should go: the file records what the suite measured.
"""

import json

import pytest

from convcheck.report import outcomes
from convcheck.runner import run_suite
from convcheck.study import discover
from convcheck.suites import list_suites

SUITES = sorted(list_suites())


def _recorded(suite):
    return json.loads((list_suites()[suite].path / "recorded_outcomes.json").read_text())


@pytest.mark.parametrize("suite", SUITES)
def test_recorded_outcomes_cover_every_claim_and_reading(suite):
    registered = sorted(k for m in discover(suite=suite).values() for c in m.CLAIMS for k in c.keys())
    keys = sorted((claim, reading) for claim, readings in _recorded(suite).items() for reading in readings)
    assert keys == registered, (f"re-record with: convcheck run --suite {suite} --no-cache && "
                                "convcheck report reports/latest --record")


@pytest.mark.slow
@pytest.mark.parametrize("suite", SUITES)
def test_a_quick_run_gives_the_recorded_outcomes(tmp_path, suite):
    record = run_suite(scale="quick", out=tmp_path, use_cache=False, progress=False, render=False, suite=suite)
    got, want = outcomes(record.verdicts), _recorded(suite)
    changed = [f"{c} [{r}]: recorded {want.get(c, {}).get(r)}, now {o}" for c, rs in got.items() for r, o in rs.items()
               if want.get(c, {}).get(r) != o]
    assert not changed, "verdicts changed (re-record deliberately and say why in the commit):\n" + "\n".join(changed)

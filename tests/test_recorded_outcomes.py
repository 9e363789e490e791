"""The suite's recorded outcomes: one per claim and reading at the quick scale.

``studies/recorded_outcomes.json`` is written from a complete quick run by
``convcheck report RUN --record``. The default tier checks that it covers exactly the claims
and readings the studies register; the slow tier (``pytest -m slow``) re-runs the quick scale
and compares, so a changed verdict is a deliberate change whose commit says why. Neither
asserts which way a verdict should go: the file records what the suite measured.
"""

import json

import pytest

from convcheck.report import outcomes
from convcheck.runner import run_suite
from convcheck.study import discover, studies_dir

RECORDED = studies_dir() / "recorded_outcomes.json"


def _registered():
    return sorted(k for m in discover().values() for c in m.CLAIMS for k in c.keys())


def test_recorded_outcomes_cover_every_claim_and_reading():
    recorded = json.loads(RECORDED.read_text())
    keys = sorted((claim, reading) for claim, readings in recorded.items() for reading in readings)
    assert keys == _registered(), "re-record with: convcheck run --no-cache && convcheck report reports/latest --record"


@pytest.mark.slow
def test_a_quick_run_gives_the_recorded_outcomes(tmp_path):
    record = run_suite(scale="quick", out=tmp_path, use_cache=False, progress=False, render=False)
    got, want = outcomes(record.verdicts), json.loads(RECORDED.read_text())
    changed = [f"{c} [{r}]: recorded {want.get(c, {}).get(r)}, now {o}" for c, rs in got.items() for r, o in rs.items()
               if want.get(c, {}).get(r) != o]
    assert not changed, "verdicts changed (re-record deliberately and say why in the commit):\n" + "\n".join(changed)

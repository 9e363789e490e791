"""Every claim and reading is refuted on a planted wrong input (tests/planted.py, one table).

A check that cannot fail is a defect: each row of the table runs a study at its tiny scale
with a deliberately wrong method, sampler, bound or step, and asserts ``refuted`` (not merely
"not reproduced") for every claim and reading it names.
"""

import json
from pathlib import Path

import pytest

from convcheck.claims import REFUTED
from convcheck.study import run_study
from planted import NOT_PLANTED, PLANTED


@pytest.mark.parametrize("row", PLANTED, ids=[f"{p.study}: {p.what}" for p in PLANTED])
def test_planted_wrong_input_is_refuted(studies, row):
    # only the row's claims are computed (a claim alone gets the verdicts of a whole run: test_claims_alone.py)
    verdicts = {v.key: v for v in run_study(studies[row.study], "tiny", seeds=row.seeds, methods=row.methods,
                                                claims=sorted({c for c, _ in row.keys}), **row.overrides).verdicts}
    for key in row.keys:
        assert key in verdicts, f"{key} is not a verdict of {row.study}"
        assert verdicts[key].outcome == REFUTED, f"planted: {row.what}\n{verdicts[key].evidence()}"


def test_every_claim_and_reading_has_a_planted_wrong_input(studies):
    registered = {k for m in studies.values() for c in m.CLAIMS for k in c.keys()}
    planted = {k for row in PLANTED for k in row.keys}
    assert not planted & set(NOT_PLANTED), "a planted key is still listed in NOT_PLANTED"
    missing = registered - planted - set(NOT_PLANTED)
    assert not missing, f"claims and readings without a planted wrong input: {sorted(missing)}"
    assert set(NOT_PLANTED) <= registered, "NOT_PLANTED names keys that are not registered"


def _recorded() -> dict:
    """Every suite's recorded quick-scale outcomes: (claim, reading) -> outcome."""
    root = Path(__file__).resolve().parents[1] / "studies"
    out = {}
    for path in root.glob("*/recorded_outcomes.json"):
        out.update({(c, r): o for c, readings in json.loads(path.read_text()).items() for r, o in readings.items()})
    return out


@pytest.mark.parametrize("row", PLANTED, ids=[f"{p.study}: {p.what}" for p in PLANTED])
def test_every_row_flips_a_verdict_that_holds_on_the_true_input(row):
    """A planted row whose every key is refuted on the true input cannot show that its check can
    tell right from wrong: it must flip some verdict, or say why it cannot."""
    recorded = _recorded()
    flips = [k for k in row.keys if recorded.get(k, REFUTED) != REFUTED]
    assert flips or row.why, (f"planted: {row.what}: every key {row.keys} is refuted on the true input "
                              "(recorded_outcomes.json); plant an input that flips a verdict that holds, or say why")

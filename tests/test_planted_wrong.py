"""Every claim and reading is refuted on a planted wrong input (tests/planted.py, one table).

A check that cannot fail is a defect: each row of the table runs a study at its tiny scale
with a deliberately wrong method, sampler, bound or step, and asserts ``refuted`` (not merely
"not reproduced") for every claim and reading it names.
"""

import pytest

from convcheck.claims import REFUTED
from convcheck.study import run_study
from planted import NOT_PLANTED, PLANTED


@pytest.mark.parametrize("row", PLANTED, ids=[f"{p.study}: {p.what}" for p in PLANTED])
def test_planted_wrong_input_is_refuted(studies, row):
    verdicts = {v.key: v for v in run_study(studies[row.study], "tiny", seeds=row.seeds, methods=row.methods,
                                                **row.overrides).verdicts}
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

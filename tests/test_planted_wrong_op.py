"""Section 8 studies: planted wrong inputs (wrong-sign v, a secretly fixed width, a diverging step)."""

from convcheck.claims import REFUTED, REPRODUCED
from convcheck.study import run_study


def _verdicts(studies, name, **kw):
    return {v.claim: v for v in run_study(studies[name], "tiny", **kw).verdicts}


def test_quadratic_net_true_regime_reproduced(studies):
    v = _verdicts(studies, "quadratic_net")
    assert all(v[c].outcome == REPRODUCED for c in ("OP-1", "OP-2", "OP-3")), [x.evidence() for x in v.values()]


def test_all_positive_v_is_not_reported_as_zero_optimum(studies):
    v = _verdicts(studies, "quadratic_net", v_sign="positive")
    assert v["OP-3"].outcome == REFUTED, v["OP-3"].evidence()
    assert v["OP-1"].outcome != REPRODUCED


def test_secretly_fixed_width_shows_no_width_effect(studies):
    v = _verdicts(studies, "wide_nets", width_fn=lambda m: 64)
    assert v["OP-6"].outcome != REPRODUCED, v["OP-6"].evidence()
    assert _verdicts(studies, "wide_nets")["OP-6"].outcome == REPRODUCED


def test_too_large_step_is_recorded_as_diverged(studies):
    v = _verdicts(studies, "wide_nets", lr_scale=20.0)
    assert v["OP-4"].outcome == REFUTED and "diverged" in v["OP-4"].summary

"""``run_study(module, claims=[X])`` computes only what X needs, and gives X the verdicts a whole
run gives it (the parts of a study draw from generators named for them, so skipping one part
changes no other). The default tier checks two studies; ``pytest -m slow`` every study with
more than one claim."""

import pytest

from convcheck.study import discover, run_study

DEFAULT = ("gd_descent", "sam_perturbation")


def _multi_claim_studies():
    out = []
    for suite in ("survey", "adam2015"):
        out += [(suite, n) for n, m in discover(suite=suite).items() if len(m.CLAIMS) > 1]
    return out


def _same_verdicts_alone(suite, name):
    module = discover(suite=suite)[name]
    whole = {v.key: v.to_json() for v in run_study(module, "tiny").verdicts}
    for claim in module.CLAIMS:
        alone = run_study(module, "tiny", claims=[claim.id.lower()])
        assert {v.claim for v in alone.verdicts} == {claim.id}
        assert {v.key: v.to_json() for v in alone.verdicts} == {k: v for k, v in whole.items() if k[0] == claim.id}
        assert all(f["table"] in alone.tables for f in alone.figures if "table" in f)


@pytest.mark.parametrize("name", DEFAULT)
def test_a_claim_alone_gets_the_verdicts_of_a_whole_run(name):
    _same_verdicts_alone("survey", name)


@pytest.mark.slow
@pytest.mark.parametrize("suite,name", [x for x in _multi_claim_studies() if x[1] not in DEFAULT], ids=lambda x: str(x))
def test_every_claim_alone_gets_the_verdicts_of_a_whole_run(suite, name):
    _same_verdicts_alone(suite, name)


def test_claims_asked_for_are_checked():
    module = discover()["gd_descent"]
    with pytest.raises(ValueError, match=r"must name claims of study 'gd_descent', which are \['GD-2', 'GD-3'\]. Got \['GD-9'\]"):
        run_study(module, "tiny", claims=["GD-9"])


def test_a_study_that_skips_an_asked_claim_is_caught(tmp_path):
    """The contract: every reading of a claim asked for has its verdict."""
    from convcheck.study import load_study

    (tmp_path / "s").mkdir()
    path = tmp_path / "s" / "lazy.py"
    path.write_text(
        '"""X-1, X-2: a check.\n\nClaims:\n    x\nKind:\n    k\nObjective:\n    o\nOptimizer:\n    m\nFit:\n    f\n'
        'Verdict rule:\n    v\nReferences:\n    r\n"""\n'
        "from convcheck.evidence import Samples\n"
        "from convcheck.judgments import AtMost\n"
        "from convcheck.study import Claim, StudyResult\n"
        "CLAIMS = [Claim('X-1', 'Eq. 1', 'x', 'property', judgments=AtMost(0.0)),\n"
        "          Claim('X-2', 'Eq. 2', 'y', 'property', judgments=AtMost(0.0))]\n"
        "SCALES = {'quick': {'seeds': 3}, 'full': {'seeds': 3}}\n"
        "def run(ctx):\n"
        "    return StudyResult(evidence={'X-1': {'it': Samples.on(None, [0.0], what='x')}})\n")
    module = load_study(path)
    assert [v.claim for v in run_study(module, claims=["X-1"], family=None).verdicts] == ["X-1"]
    with pytest.raises(RuntimeError, match=r"gave no verdict for \[\('X-2', 'as written'\)\]"):
        run_study(module, claims=["X-2"], family=None)

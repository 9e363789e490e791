"""A suite's claim ids live in its studies' Claims alone; suite.toml holds the sections (prefix, title)."""

import types

import pytest

from convcheck.suites import check_suite, load_suite, section_claims


def _studies(*ids):
    return {"s": types.SimpleNamespace(CLAIMS=[types.SimpleNamespace(id=i) for i in ids])}


def _suite(tmp_path, sections):
    folder = tmp_path / "paper"
    folder.mkdir()
    (folder / "suite.toml").write_text('title = "A paper"\n' + "".join(f"[[sections]]\n{s}\n" for s in sections))
    return load_suite("paper", root=tmp_path)


def test_a_section_holds_the_claims_of_its_prefix_in_natural_order(tmp_path):
    suite = _suite(tmp_path, ['prefix = "GD"\ntitle = "Gradient descent"', 'prefix = "B"\ntitle = "Backprop"'])
    studies = _studies("B-1", "GD-10", "GD-2", "GD-1")
    assert section_claims(suite, studies) == {"GD": ["GD-1", "GD-2", "GD-10"], "B": ["B-1"]}
    assert check_suite(suite, studies) == []


def test_the_check_finds_a_claim_outside_every_section_a_second_copy_and_a_twice_declared_id(tmp_path):
    suite = _suite(tmp_path, ['prefix = "GD"\ntitle = "x"\nclaims = ["GD-1"]', 'prefix = "GD"\ntitle = "y"'])
    problems = check_suite(suite, _studies("GD-1", "GD-1", "SGD-1"))
    assert "the descriptor lists a section prefix twice" in problems
    assert "two studies declare the same claim id" in problems
    assert any(p.startswith("SGD-1 is declared by a study but its prefix names no section") for p in problems)
    assert any(p.startswith("section GD lists claims in suite.toml") for p in problems)


def test_a_section_without_a_title_is_an_error_naming_it(tmp_path):
    with pytest.raises(ValueError, match=r"section 1 must define \['title'\]"):
        _suite(tmp_path, ['prefix = "GD"'])


def test_every_suite_shows_its_claims_by_section():
    from convcheck.discovery import discover
    from convcheck.suites import list_suites

    for name, suite in list_suites().items():
        studies = discover(suite.path)
        by_section = section_claims(suite, studies)
        assert sorted(c for ids in by_section.values() for c in ids) == sorted(c.id for m in studies.values()
                                                                               for c in m.CLAIMS), name


def test_a_suite_helper_is_part_of_its_studies_cache_key(tmp_path):
    """Editing a suite's helper module (tolerances, instances, declared searches) invalidates the
    cached results of the studies beside it, as editing the study does."""
    from convcheck.discovery import source_hash

    study, helper = tmp_path / "s.py", tmp_path / "_helpers.py"
    study.write_text("X = 1\n")
    helper.write_text("TOL = 1e-9\n")
    before = source_hash(study)
    helper.write_text("TOL = 1e-6\n")
    assert source_hash(study) != before
    study.write_text("X = 2\n")
    assert source_hash(study) != before

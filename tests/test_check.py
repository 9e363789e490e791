"""convcheck check: a user's optimizer in a claim's role, from the API, the CLI and the pytest plugin.

The contract (issue "one contract for the method under test"): an optimizer that IS the
library's algorithm gets the library's verdict; a planted wrong ``torch.optim.Optimizer``
subclass, one per optimizer family the claims cover, is refuted by the claim it breaks.
"""

import json

import pytest
import torch

import user_optimizers as uo
from convcheck import check
from convcheck.cli import main

# (the user's class, claim, reading, role): the same algorithm as the library's method in that role
SAME = [
    (torch.optim.SGD, "GD-2", None, "gd"),
    (torch.optim.SGD, "SGD-4", None, "sgd"),
    (torch.optim.SGD, "GD-5", None, "momentum"),
    (torch.optim.Adagrad, "AD-4", None, None),
    (torch.optim.RMSprop, "AD-2", "standard", None),
    (torch.optim.Adam, "AD-3", "standard", None),
    (uo.SAM, "SAM-5", None, None),
    (uo.ModelSAM, "SAM-2", None, "sam"),
    (uo.ASAM, "SAM-8", None, "asam"),
    (uo.HalvingGD, "GD-4", None, "line_search"),
    (torch.optim.AdamW, "AD-3", "decoupled", "adamw"),
    (uo.SWPSAM, "SAM-6", None, "swp"),
]

# (planted wrong class, claim, reading, role, seeds): each family's error, refuted by the claim it breaks
WRONG = [
    (uo.OvershootSGD, "GD-2", "eta < 2/L", "gd", None),
    (uo.FrozenScheduleSGD, "SGD-4", None, "sgd", 24),
    (uo.SignFlippedMomentum, "GD-5", "as written", "momentum", None),  # the tuned reading re-tunes its step
    (uo.TinyAdagrad, "AD-4", None, None, None),
    (uo.EpsInsideRMSprop, "AD-2", "standard", None, None),
    (uo.AdamNoBiasCorrection, "AD-3", "standard", None, None),
    (uo.DownhillSAM, "SAM-5", None, None, 12),
    (uo.SAM, "SAM-2", None, "sam", None),  # one norm and one closure call per tensor: not Eq. (53) on a model
    (uo.FixedEtaASAM, "SAM-8", None, "asam", None),
    (uo.TenthGD, "GD-4", None, "line_search", None),
    (torch.optim.Adam, "AD-3", "decoupled", "adamw", None),  # Adam's weight_decay is the coupled L2 penalty
    (uo.UndividedSWPSAM, "SAM-6", None, "swp", None),
]


@pytest.mark.parametrize("cls, claim, reading, role", SAME, ids=[f"{c.__name__}-{k}" for c, k, _, _ in SAME])
def test_the_same_algorithm_gets_the_library_verdict(cls, claim, reading, role):
    user = check(cls, claim, reading=reading, role=role, scale="tiny")
    library = check(None, claim, reading=reading, role=role, scale="tiny")
    assert user.verdicts, "no verdict tests the role"
    assert [(v.key, v.outcome) for v in user.verdicts] == [(v.key, v.outcome) for v in library.verdicts], user.evidence()


def test_nesterov_role_needs_the_switch_and_then_gets_the_library_verdict():
    with pytest.raises(ValueError, match="runs with nesterov=False by default; the role.s algorithm needs nesterov=True"):
        check(torch.optim.SGD, "GD-5", role="nesterov", scale="tiny")
    user = check(torch.optim.SGD, "GD-5", role="nesterov", hyper={"nesterov": True}, scale="tiny")
    library = check(None, "GD-5", role="nesterov", scale="tiny")
    assert [v.reading for v in user.verdicts] == ["Nesterov's momentum (torch.optim.SGD's nesterov=True form), the same "
                                                  "grid and measures"]
    assert [(v.key, v.outcome, v.summary.split(" (role")[1]) for v in user.verdicts] == \
        [(v.key, v.outcome, v.summary.split(" (role")[1]) for v in library.verdicts], user.evidence()


@pytest.mark.parametrize("cls, claim, reading, role, seeds", WRONG, ids=[c.__name__ for c, *_ in WRONG])
def test_a_planted_wrong_optimizer_is_refuted_by_the_claim_it_breaks(cls, claim, reading, role, seeds):
    check(cls, claim, reading=reading, role=role, scale="tiny", seeds=seeds).assert_refuted()


def test_cli_checks_a_torch_class_and_a_custom_subclass(capsys, monkeypatch, tmp_path):
    args = ["--claim", "AD-3", "--reading", "standard Adam", "--scale", "tiny"]
    assert main(["check", "torch.optim:Adam", *args]) == 0
    assert "REPRODUCED" in capsys.readouterr().out
    assert main(["check", "user_optimizers:AdamNoBiasCorrection", *args, "--json"]) == 1
    doc = json.loads(capsys.readouterr().out)
    assert doc["schema"] == "convcheck.check" and doc["schema_version"] == 1 and doc["scale"] == "tiny"
    records = doc["verdicts"]
    assert [r["outcome"] for r in records] == ["refuted"] and records[0]["reading"].startswith("standard Adam")
    assert records[0]["kind"] == "identity" and doc["departures"]["adam"]["first_step"] == 1
    # a file path works as the module
    f = tmp_path / "my_opt.py"
    f.write_text("import torch\nclass MyRMSprop(torch.optim.RMSprop):\n    pass\n")
    assert main(["check", f"{f}:MyRMSprop", "--claim", "AD-2", "--reading", "standard", "--scale", "tiny"]) == 0


@pytest.mark.parametrize("argv, needle", [
    (["check", "torch.optim:Adam", "--claim", "XX-1"], "'claim' parameter"),
    (["check", "torch.optim:Adam", "--claim", "GD-5", "--role", "momentum"], "cannot take"),
    (["check", "torch.optim:Adam", "--claim", "GD-5", "--role", "adam"], "'role' parameter"),
    (["check", "no_such_module:Adam", "--claim", "AD-3"], "cannot be imported"),
    (["check", "torch.optim:NoSuch", "--claim", "AD-3"], "does not define"),
    (["check", "torch.optim.Adam", "--claim", "AD-3"], "module:attr"),
    (["check", "torch.optim:Adam", "--claim", "MB-1"], "tests no method"),
    (["check", "torch.optim:Adam", "--claim", "AD-3", "--reading", "nonsense"], "'reading' parameter"),
    (["check", "torch.optim:Adam", "--claim", "AD-3", "--hyper", "lr=1"], "must not set"),
    (["check", "torch.optim:Adam", "--claim", "AD-3", "--hyper", "=1"], "KEY=VALUE"),
    (["check", "torch.optim:Adam", "--claim", "rkk-1"], "is a claim of suite 'adam2015': name the suite with --suite adam2015"),
    (["check", "torch.optim:Adam", "--claim", "AD-3", "--dtype", "float16"], "'dtype' parameter"),
    (["check", "torch.optim:Adam", "--claim", "AD-3", "--device", "tpu"], "'device' parameter"),
    (["check", "torch.optim:Adam", "--claim", "AD-3", "--claim", "AD-2", "--reading", "standard"], "one reading of one claim"),
])
def test_cli_bad_input_is_one_line_and_exit_2(capsys, argv, needle):
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert needle in err and len(err.splitlines()) == 1, err


def test_hyper_reaches_the_method():
    seen = {}

    def factory(lr, betas, eps, tag):
        from convcheck.optim import adam

        seen["tag"] = tag
        return adam(lr, betas[0], betas[1], eps)

    user = check(factory, "AD-3", reading="standard", scale="tiny", hyper={"tag": 7})
    library = check(None, "AD-3", reading="standard", scale="tiny")
    assert seen["tag"] == 7 and [(v.key, v.outcome) for v in user.verdicts] == [(v.key, v.outcome) for v in library.verdicts]


def test_pytest_plugin_fixture_and_failure_evidence(pytester):
    pytester.makepyfile(test_user="""
        import torch

        def test_adam_is_adam(convcheck_check):
            convcheck_check(torch.optim.Adam, claim="AD-3", reading="standard Adam").assert_reproduced()

        def test_no_bias_correction(convcheck_check):
            class NoBC(torch.optim.Adam):
                def __init__(self, params, lr, betas, eps):
                    super().__init__(params, lr=lr, betas=betas, eps=eps)
                    self.defaults["bc"] = False
                @torch.no_grad()
                def step(self, closure=None):
                    for g in self.param_groups:
                        for p in g["params"]:
                            p.add_(p.grad, alpha=-1e3)  # not Adam at all
            convcheck_check(NoBC, claim="AD-3", reading="standard Adam").assert_reproduced()
    """)
    res = pytester.runpytest("--convcheck-scale=tiny", "-p", "no:cacheprovider")
    res.assert_outcomes(passed=1, failed=1)
    res.stdout.fnmatch_lines(["*AD-3*REFUTED*"])


def test_several_claims_run_each_study_once_for_those_alone(capsys):
    """Ids are case-insensitive; each study holding some of them runs once, for those claims only."""
    code = main(["check", "torch.optim:SGD", "--claim", "gd-1", "--claim", "SGD-3", "--claim", "GD-2", "--scale", "tiny",
                 "--json"])
    records = json.loads(capsys.readouterr().out)["verdicts"]
    assert code == (1 if any(r["outcome"] == "refuted" for r in records) else 0)  # the exit status says whether any is
    assert {r["claim"] for r in records} == {"GD-1", "GD-2", "SGD-3"}
    assert {r["study"] for r in records} == {"gd_bound", "gd_descent", "sgd_floor"}
    result = check(torch.optim.SGD, ["GD-1", "GD-2"], scale="tiny")
    assert result.claim == "GD-1, GD-2" and result.study == "gd_bound, gd_descent"


def test_pytest_plugin_marks_fixture_tests_and_sets_the_scale_of_check(pytester):
    """``-m "not convcheck"`` deselects the tests that use the fixture; ``convcheck.check`` called
    directly runs at ``--convcheck-scale``."""
    pytester.makepyfile(test_user="""
        import convcheck
        import convcheck.checking

        def test_uses_the_fixture(convcheck_check):
            raise AssertionError("deselected by -m 'not convcheck'")

        def test_plain_check_follows_the_option():
            assert convcheck.checking.default_scale() == "tiny"
    """)
    res = pytester.runpytest("--convcheck-scale=tiny", "-m", "not convcheck", "-p", "no:cacheprovider")
    res.assert_outcomes(passed=1, deselected=1)
    from convcheck.checking import default_scale

    assert default_scale() == "quick"  # the inner run's option does not leak into this one


def test_hyper_passes_an_object_named_module_attr():
    from convcheck.checking import parse_hyper

    got = parse_hyper(["base=torch.optim:SGD", "wd=0.1", "name=plain", "flag=True"])
    assert got == {"base": torch.optim.SGD, "wd": 0.1, "name": "plain", "flag": True}
    with pytest.raises(ValueError, match="does not define"):
        parse_hyper(["base=torch.optim:NoSuchClass"])


def test_a_check_says_where_the_class_departs_from_the_roles_algorithm():
    """Not a verdict, the reason beside one: the same algorithm follows the role's iterates to round-off;
    another (RAdam's rectification, a SAM normalising each tensor alone) departs, at the step named."""
    from convcheck.checking import departure
    from convcheck.roles import resolve

    def words(cls, role, **hyper):
        return departure(resolve(role, cls, hyper), resolve(role))

    assert words(torch.optim.Adam, "adam").startswith("the same iterates")
    assert words(torch.optim.SGD, "nesterov", nesterov=True).startswith("the same iterates")
    assert words(uo.ModelSAM, "sam").startswith("the same iterates")
    assert words(torch.optim.RAdam, "adam").startswith("departs at step 1 of 20")
    assert words(uo.SAM, "sam").startswith("departs at step 1 of 20")  # its own norm per tensor
    assert words(uo.OvershootSGD, "gd").startswith("departs at step 1 of 20")

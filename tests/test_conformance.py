"""The conformance matrix (convcheck check MODULE): which roles a class fits, and cells that are the
claims' own verdicts, never decided by the matrix."""

import json

import pytest
import torch

import user_optimizers as uo
from convcheck import check
from convcheck.cli import main
from convcheck.conformance import classes_of, conformance, fitting_roles, write_page
from convcheck.roles import ROLES


def _fits(cls):
    return {(f.role.name, f.how, tuple(sorted(f.hyper.items()))) for f in fitting_roles(cls, ROLES)}


def test_roles_are_entered_by_reference_defining_arguments_or_what_the_class_does():
    assert _fits(torch.optim.SGD) == {("gd", "reference", ()), ("sgd", "reference", ()), ("momentum", "reference", ()),
                                      ("nesterov", "reference", (("nesterov", True),))}
    assert _fits(torch.optim.AdamW) == {("adamw", "reference", ())}
    # NAdam names Adam's defining betas; its eps alone does not put it in adagrad any more
    assert _fits(torch.optim.NAdam) == {("adam", "by defining arguments", ()), ("adamw", "by defining arguments", ())}
    assert _fits(uo.EpsOnlyAdam) == set()  # Adam behind AdaGrad's signature: its steps are not AdaGrad's
    assert _fits(uo.RenamedAdagrad) == {("adagrad", "by its first steps", ())}
    # Adadelta's rho is not SAM's: its step never takes the gradient away from the iterate
    assert not {r for r, *_ in _fits(torch.optim.Adadelta)} & {"sam", "swp", "asam"}
    assert {(r, how) for r, how, _ in _fits(uo.ASAM)} == {("sam", "by its step's perturbation"),
                                                        ("asam", "by its step's perturbation")}
    # a role needing a switch fits by names only a class that has the switch; lr alone fits GD by its steps only
    assert "nesterov" not in {r for r, *_ in _fits(torch.optim.RMSprop)}
    assert _fits(torch.optim.ASGD) == set()


def test_classes_of_a_module_and_of_a_list():
    found = classes_of("torch.optim")
    assert torch.optim.Adam in found and torch.optim.SGD in found and torch.optim.Optimizer not in found
    assert classes_of("torch.optim:SGD, torch.optim:Adam") == [torch.optim.SGD, torch.optim.Adam]
    with pytest.raises(ValueError, match="must be torch.optim.Optimizer subclasses"):
        classes_of("torch.optim.lr_scheduler:StepLR")
    with pytest.raises(ValueError, match="holds no torch.optim.Optimizer subclass"):
        classes_of("json")


def test_cells_are_the_claims_own_verdicts(tmp_path):
    rows = conformance([torch.optim.Adam, uo.FixedEtaASAM, torch.optim.ASGD], scale="tiny", claims=["AD-3", "SAM-8"])
    by = {(r.target.rsplit(".", 1)[-1], r.role): r for r in rows}
    assert by["ASGD", ""].error.startswith("fits no role") and by["ASGD", ""].failed_by == "fit"
    adam = check(torch.optim.Adam, "AD-3", scale="tiny")
    assert [(v.key, v.outcome) for _, v in by["Adam", "adam"].verdicts] == [(v.key, v.outcome) for v in adam.verdicts]
    # the planted wrong ASAM is refuted in its cell, as check() refutes it, beside convcheck's own ASAM (the
    # role has no torch class) as the reference
    assert [v.outcome for _, v in by["FixedEtaASAM", "asam"].verdicts] == ["refuted"]
    assert [v.outcome for _, v in by["convcheck default (asam)", "asam"].verdicts] == ["reproduced"]
    page = write_page(rows, tmp_path, scale="tiny", spec="test")
    html = page.read_text()
    doc = json.loads((tmp_path / "conformance.json").read_text())
    assert doc["schema"] == "convcheck.conformance" and doc["schema_version"] == 1 and doc["scale"] == "tiny"
    assert doc["torch"] == torch.__version__ and doc["date"].endswith("Z")
    got = [c["outcome"] for r in doc["rows"] for c in r["cells"]]
    assert got == [v.outcome for r in rows for _, v in r.verdicts]  # the page and the JSON show the cells
    asam = next(r for r in doc["rows"] if r["target"].endswith("FixedEtaASAM"))
    assert asam["cells"][0]["cell"] == "not the algorithm" and asam["cells"][0]["reference_cell"] == "same algorithm"
    assert "fits no role" in html and 'href="#r0v0"' in html and 'id="r0v0"' in html  # links resolve
    assert 'class="matrix"' in html  # the table scrolls inside its box instead of widening the page


def test_the_command_line_matrix(tmp_path, capsys):
    code = main(["check", "torch.optim:SGD,torch.optim:Adagrad", "--claim", "GD-2", "--claim", "AD-4", "--scale", "tiny",
                 "--out", str(tmp_path)])
    out = capsys.readouterr().out
    assert "torch.optim.SGD [gd, reference]" in out and "torch.optim.Adagrad [adagrad, reference]" in out
    assert (tmp_path / "conformance.html").is_file() and code in (0, 1)
    assert main(["check", "torch.optim", "--role", "adam", "--out", str(tmp_path)]) == 2  # one class's option


def test_a_pool_of_workers_gives_the_same_rows_in_the_same_order():
    classes = [torch.optim.SGD, torch.optim.Adam, uo.FixedEtaASAM, torch.optim.ASGD]

    def table(rows):
        return [(r.target, r.role, r.error, r.departure, [(s, v.key, v.outcome, v.summary) for s, v in r.verdicts])
                for r in rows]

    claims = ["GD-2", "AD-3", "SAM-8"]
    assert table(conformance(classes, scale="tiny", claims=claims, workers=2)) == \
        table(conformance(classes, scale="tiny", claims=claims))

"""What a conformance matrix and a check hand to a library's CI: cells worded by what the claim is
about, a versioned JSON schema, a diff that fails only when a cell got worse, rows that survive an
interruption, the patterns maintainers use (renamed arguments, three betas, layer-wise classes),
and third-party output kept out of the terminal."""

import json

import pytest
import torch

import user_optimizers as uo
from convcheck.checking import departure_data, parse_rename
from convcheck.cli import main
from convcheck.conformance import Row, cell_label, conformance, document, shape_dependence, write_page
from convcheck.diffing import diff
from convcheck.provenance import read_document
from convcheck.roles import ROLES, resolve


def test_cells_are_worded_by_what_the_claim_is_about():
    # identity: a class that departs from the role's algorithm is another algorithm, never refuted
    assert cell_label("identity", "refuted", departs=True) == "another algorithm"
    assert cell_label("identity", "refuted") == "not the algorithm" and cell_label("identity", "reproduced") == "same algorithm"
    # behaviour: green means the class behaves as the claim says, whatever it says
    assert cell_label("rate", "reproduced", departs=True) == "as claimed"
    assert cell_label("property", "refuted") == "not as claimed" and cell_label("bound", "inconclusive") == "inconclusive"


def _doc(cells, error=""):
    rows = [{"target": "lib.Opt", "role": "adam", "fit": "by defining arguments", "hyper": {}, "seconds": 1.0,
             "error": error, "failed_by": "class" if error else "", "departure": "", "departure_record": {}, "notes": [],
             "warnings": [], "cells": [{"suite": "s", "claim": c, "reading": "as written", "cell": w, "outcome": "x",
                                        "reference_cell": ref} for c, w, ref in cells]}]
    return {"schema": "convcheck.conformance", "schema_version": 1, "rows": rows}


def test_diff_fails_only_when_a_cell_got_worse():
    old = _doc([("RKK-1", "as claimed", "as claimed"), ("AD-3", "same algorithm", "same algorithm"),
                ("GD-1", "not as claimed", "as claimed")])
    # RKK-1 left the reference's verdict (worse); GD-1 reached it (better); AD-3 became another algorithm (worse)
    new = _doc([("RKK-1", "not as claimed", "as claimed"), ("AD-3", "another algorithm", "same algorithm"),
                ("GD-1", "as claimed", "as claimed")])
    got = {c["claim"]: c["change"] for c in diff(old, new)}
    assert got == {"RKK-1": "worse", "AD-3": "worse", "GD-1": "better"}
    assert diff(old, old) == []
    # a cell that disappears and a row that now fails are worse
    assert {c["change"] for c in diff(old, _doc([], error="the class failed: RuntimeError"))} == {"worse"}


def test_diff_on_the_command_line_and_its_exit_status(tmp_path, capsys):
    a, b = tmp_path / "a.json", tmp_path / "b.json"
    a.write_text(json.dumps(_doc([("RKK-1", "as claimed", "as claimed")])))
    b.write_text(json.dumps(_doc([("RKK-1", "inconclusive", "as claimed")])))
    assert main(["diff", str(a), str(a)]) == 0
    assert main(["diff", str(a), str(b)]) == 1
    assert "worse: lib.Opt [adam] RKK-1: as claimed -> inconclusive" in capsys.readouterr().out
    assert main(["diff", str(b), str(a), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["changes"][0]["change"] == "better"
    # a file of another kind is bad input: exit 2, naming what it got
    c = tmp_path / "c.json"
    c.write_text("[]")
    assert main(["diff", str(a), str(c)]) == 2
    assert "must hold one of the schemas" in capsys.readouterr().err


def test_a_document_names_its_schema_and_a_reader_checks_it(tmp_path):
    p = tmp_path / "x.json"
    p.write_text(json.dumps({"schema": "convcheck.conformance", "schema_version": 99}))
    with pytest.raises(ValueError, match="must have schema_version 1.*Got 99"):
        read_document(p)
    doc = document([], scale="tiny", spec="x", classes=[uo.SAM])
    assert {"convcheck", "torch", "python", "libraries", "scale", "seeds", "date"} <= set(doc)


def test_version_flag(capsys):
    with pytest.raises(SystemExit) as e:
        main(["--version"])
    assert e.value.code == 0 and capsys.readouterr().out.startswith("convcheck ")


def test_rows_stream_to_disk_and_an_interrupted_matrix_resumes(tmp_path, monkeypatch):
    from convcheck import conformance as conf

    rows = conformance([uo.FixedEtaASAM], scale="tiny", claims=["SAM-8"], out=tmp_path, references=False)
    kept = list((tmp_path / "rows").glob("*.json"))
    assert len(kept) == 1 and Row.from_json(json.loads(kept[0].read_text())).to_json() == rows[0].to_json()

    def boom(*a, **k):
        raise AssertionError("a finished row must not run again")

    monkeypatch.setattr(conf, "_row", boom)
    again = conformance([uo.FixedEtaASAM], scale="tiny", claims=["SAM-8"], out=tmp_path, references=False)
    assert [r.to_json() for r in again] == [r.to_json() for r in rows]
    # Ctrl-C in the middle: the finished rows are written to the page, marked interrupted
    page = write_page(rows, tmp_path, scale="tiny", spec="x", interrupted=True)
    assert "Interrupted" in page.read_text() and json.loads((tmp_path / "conformance.json").read_text())["complete"] is False


def test_a_renamed_argument_and_three_betas_reach_the_class():
    with pytest.raises(ValueError, match="cannot take"):
        resolve("momentum", uo.BetaMomentumSGD)  # momentum under another name: refused without a mapping
    renamed = resolve("momentum", uo.BetaMomentumSGD, rename=parse_rename(["momentum=beta"]))
    assert departure_data(renamed, resolve("momentum"))["same"]
    # the role's two betas completed with the class's third: Adam's iterates
    assert departure_data(resolve("adam", uo.ThreeBetaAdam), resolve("adam"))["same"]
    with pytest.raises(ValueError, match="'--rename' parameter must be ROLE_ARG=CLASS_ARG.*'momentum'"):
        parse_rename(["momentum"])
    with pytest.raises(ValueError, match="'rename' parameter must map arguments of role 'momentum'.*\\['betas'\\]"):
        resolve("momentum", uo.BetaMomentumSGD, rename={"betas": "b"})


class _RowNormalisedSignSGD(uo.RowNormalisedSGD):
    """Planted: layer-wise on matrices (rows normalised), sign-SGD on vectors: a vector path that is none
    of the standard algorithms, so no fallback may be named."""

    vector_direction = staticmethod(torch.sign)


def test_a_layer_wise_class_is_labelled_with_the_algorithm_it_falls_back_to():
    from convcheck.layerwise import vector_fallback

    # rows normalised on a matrix, plain SGD on a vector (it ignores its momentum): gradient descent, not heavy ball
    rec = vector_fallback(uo.RowNormalisedSGD, ROLES["momentum"])
    assert rec["fallback"] == "gd" and rec["label"] == "fell back to gradient descent on vector parameters", rec
    assert rec["compared"] == ["momentum", "gd"] and rec["shape_gap"] > 1e-3
    note = shape_dependence(uo.RowNormalisedSGD, ROLES["momentum"])
    assert note.startswith("fell back to gradient descent on vector parameters") and "vector path" in note
    # per coordinate: the same on any shape, no label
    assert vector_fallback(torch.optim.SGD, ROLES["momentum"]) == {} and shape_dependence(torch.optim.SGD, ROLES["momentum"]) == ""
    # a vector path that is none of the candidates is not given a name
    other = vector_fallback(_RowNormalisedSignSGD, ROLES["momentum"])
    assert other["fallback"] is None and other["label"] == "another algorithm on vector parameters", other


def test_a_layer_wise_class_falls_back_in_check_json_the_matrix_and_conformance_json(tmp_path):
    from convcheck import check

    result = check(uo.RowNormalisedSGD, "GD-5", role="momentum", scale="tiny")
    doc = result.document()
    assert doc["fallbacks"]["momentum"]["fallback"] == "gd"
    assert doc["verdicts"] and {v["fallback"] for v in doc["verdicts"]} == {"fell back to gradient descent on vector parameters"}
    assert "fell back to gradient descent" in result.evidence()
    plain = check(torch.optim.SGD, "GD-5", role="momentum", scale="tiny").document()
    assert plain["fallbacks"] == {"momentum": {}} and {v["fallback"] for v in plain["verdicts"]} == {None}
    rows = conformance([uo.RowNormalisedSGD], scale="tiny", claims=["GD-5"], references=False)
    page = write_page(rows, tmp_path, scale="tiny", spec="x")
    table = json.loads((tmp_path / "conformance.json").read_text())
    momentum = next(r for r in table["rows"] if r["role"] == "momentum")
    assert momentum["fallback"]["fallback"] == "gd"
    assert momentum["cells"] and {c["fallback"] for c in momentum["cells"]} == {"fell back to gradient descent on vector parameters"}
    assert "fell back to gradient descent on vector parameters" in page.read_text()


def test_pytorch_optimizers_lars_falls_back_to_heavy_ball_on_vectors():
    po = pytest.importorskip("pytorch_optimizer")
    from convcheck.layerwise import vector_fallback

    rec = vector_fallback(po.LARS, ROLES["momentum"])
    assert rec["fallback"] == "momentum" and rec["label"] == "fell back to heavy-ball momentum on vector parameters", rec


class _Noisy(torch.optim.SGD):
    """SGD that warns and prints on every construction (as libraries announce deprecations)."""

    def __init__(self, params, lr, momentum=0.0):
        import warnings

        warnings.warn("this class is deprecated", DeprecationWarning)
        print("hello from the class")
        super().__init__(params, lr=lr, momentum=momentum)


def test_third_party_output_is_kept_in_the_row_not_the_terminal(capfd):
    rows = conformance([_Noisy], scale="tiny", claims=["GD-5"], references=False)
    out, err = capfd.readouterr()
    assert "hello from the class" not in out + err and "deprecated" not in out + err
    assert {"DeprecationWarning: this class is deprecated", "hello from the class"} <= set(rows[0].warnings)


def _schedule_free_by_hand(cls, obj, w0, steps, **kw):
    """The class run as its maintainers document it, one instance per seed: train() before the steps,
    the gradient at the parameters it holds in train mode, the point read in eval()."""
    out = []
    for w in w0:
        p = torch.nn.Parameter(w.clone())
        opt = cls([p], **kw)
        opt.train()
        for _ in range(steps):
            p.grad = obj.grad(p.detach().unsqueeze(0))[0]
            opt.step()
        opt.eval()
        out.append(p.detach().clone())
    return torch.stack(out)


def _through_convcheck(cls, obj, w0, steps, **kw):
    import numpy as np

    from convcheck import engine
    from convcheck.optim import from_torch

    tr = engine.run(obj, from_torch(cls, **kw), w0, steps, checkpoints=np.array([steps]), keep_iterates=True)
    return tr.iterates[:, -1]


def test_a_train_eval_class_steps_in_train_mode_and_is_read_in_eval_mode(monkeypatch):
    from convcheck.objectives import LeastSquares
    from convcheck.optim import torch_adapter

    gen = torch.Generator().manual_seed(3)
    obj = LeastSquares.planted(30, 4, gen, kappa=5.0)
    w0 = torch.randn(3, 4, generator=gen, dtype=torch.float64)
    want = _schedule_free_by_hand(uo.ScheduleFreeSGD, obj, w0, 12, lr=0.1, momentum=0.9)
    assert torch.allclose(_through_convcheck(uo.ScheduleFreeSGD, obj, w0, 12, lr=0.1, momentum=0.9), want,
                          rtol=1e-12, atol=1e-14)
    # planted: without the modes the class cannot step (eval mode) -- the adapter must call train()
    monkeypatch.setattr(torch_adapter, "_has_modes", lambda cls: False)
    with pytest.raises(Exception, match="train mode"):
        _through_convcheck(uo.ScheduleFreeSGD, obj, w0, 12, lr=0.1, momentum=0.9)


def test_the_schedulefree_package_through_convcheck():
    sf = pytest.importorskip("schedulefree")
    from convcheck.objectives import LeastSquares

    gen = torch.Generator().manual_seed(4)
    obj = LeastSquares.planted(30, 4, gen, kappa=5.0)
    w0 = torch.randn(3, 4, generator=gen, dtype=torch.float64)
    for cls, kw in ((sf.SGDScheduleFree, dict(lr=0.1, momentum=0.9)), (sf.AdamWScheduleFree, dict(lr=0.05))):
        want = _schedule_free_by_hand(cls, obj, w0, 10, **kw)
        assert torch.allclose(_through_convcheck(cls, obj, w0, 10, **kw), want, rtol=1e-10, atol=1e-12), cls


def test_assert_like_reference_compares_behaviour_not_identity():
    from convcheck import check

    # RAdam departs from Adam: "another algorithm" on AD-3's identity reading, which is no failure
    check(torch.optim.RAdam, "AD-3", reading="standard Adam", scale="tiny").assert_like_reference()
    # on a behavioural claim the outcome must be the reference's: SGD's is, the planted overshooting one's is not
    ref = check(torch.optim.SGD, "GD-2", reading="eta < 2/L", role="gd", scale="tiny")
    check(torch.optim.SGD, "GD-2", reading="eta < 2/L", role="gd", scale="tiny").assert_like_reference(ref)
    with pytest.raises(AssertionError, match="does not behave as the role's reference: GD-2 \\[eta < 2/L\\]: not as claimed"):
        check(uo.OvershootSGD, "GD-2", reading="eta < 2/L", role="gd", scale="tiny").assert_like_reference(ref)


def test_ctrl_c_keeps_the_finished_rows_and_exits_130(tmp_path, monkeypatch, capsys):
    from convcheck import conformance as conf

    done = Row("lib.Opt", "adam", "by defining arguments", {}, error="the class failed: RuntimeError: x", failed_by="class")

    def interrupted(classes, *, progress=None, planned=None, **kw):
        planned(2)
        progress(done)
        raise KeyboardInterrupt

    monkeypatch.setattr(conf, "conformance", interrupted)
    assert main(["check", "torch.optim:SGD,torch.optim:Adam", "--scale", "tiny", "--out", str(tmp_path)]) == 130
    assert "run the same command again to resume" in capsys.readouterr().err
    doc = read_document(tmp_path / "conformance.json")
    assert doc["complete"] is False and [r["target"] for r in doc["rows"]] == ["lib.Opt"]


def test_a_lower_precision_state_is_round_off_not_another_algorithm():
    from convcheck.checking import departure

    rec = departure_data(resolve("momentum", uo.Float32StateSGD), resolve("momentum"))
    assert not rec["same"] and rec["roundoff"] and rec["max_rel"] < 1e-6
    assert "the same algorithm to round-off" in departure(resolve("momentum", uo.Float32StateSGD), resolve("momentum"))
    row = Row("x", "momentum", "by defining arguments", {}, departure_record=rec)
    assert not row.departs
    # planted: a class that steps 1.3 times its lr departs for real
    bad = departure_data(resolve("gd", uo.OvershootSGD), resolve("gd"))
    assert not bad["same"] and not bad["roundoff"]
    assert Row("x", "gd", "by its first steps", {}, departure_record=bad).departs


def test_a_fullgraph_compile_inside_a_class_runs_eagerly():
    # heavyball compiles its steps with fullgraph=True: under dynamo's disable switch that raises; the
    # matrix runs it eagerly instead (the same numbers, no minutes of compiling, no compile logs)
    from convcheck.conformance import _quiet

    calls = []

    def double(x):
        calls.append(1)
        return x * 2

    f = torch.compile(double, fullgraph=True)
    with _quiet():
        y = f(torch.ones(3))
    assert torch.equal(y, torch.full((3,), 2.0)) and len(calls) == 1  # run once, as Python: not traced

"""Where a study runs and in what dtype is decided once (convcheck.placement), and recorded on its result."""

import types

import pytest
import torch

from convcheck.placement import parse_dtype, placement


def _module(**attrs):
    return types.SimpleNamespace(**attrs)


def test_the_studys_own_device_and_dtype_win_over_the_runs(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert placement(_module(), "auto", "float32") == ("cuda", torch.float32)
    assert placement(_module(DEVICE="cpu", DTYPE=torch.float64), "cuda", "float32") == ("cpu", torch.float64)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert placement(_module(), "auto", torch.float64) == ("cpu", torch.float64)
    assert placement(_module(DEVICE="cpu"), "cuda") == ("cpu", torch.float64)  # it never needs the card
    with pytest.raises(ValueError, match="'device' parameter is 'cuda'"):
        placement(_module(), "cuda")


def test_a_bad_device_or_dtype_names_the_parameter_and_the_choices():
    with pytest.raises(ValueError, match=r"'dtype' parameter must be one of \['float32', 'float64'\]. Got 'float16'"):
        parse_dtype(torch.float16)
    with pytest.raises(ValueError, match=r"'device' parameter must be one of \['auto', 'cpu', 'cuda'\]. Got 'tpu'"):
        placement(_module(DEVICE="cpu"), "tpu")


def test_run_study_records_where_it_ran(tmp_path):
    from convcheck.study import load_study, run_study

    (tmp_path / "s.py").write_text(
        '"""X-1: a check.\n\nClaims:\n    x\nKind:\n    k\nObjective:\n    o\nOptimizer:\n    m\nFit:\n    f\n'
        'Verdict rule:\n    v\nReferences:\n    r\n"""\n'
        "import torch\n"
        "from convcheck.study import Claim, StudyResult\n"
        "CLAIMS = [Claim('X-1', 'Eq. 1', 'x', 'identity')]\n"
        "SCALES = {'quick': {'seeds': 3}, 'full': {'seeds': 3}}\n"
        "SEEN = []\n"
        "def run(ctx):\n    SEEN.append((ctx.device, ctx.dtype))\n    return StudyResult([])\n")
    module = load_study(tmp_path / "s.py")
    result = run_study(module, device="auto", dtype="float32", family=None)
    assert (result.device, result.dtype) == ("cuda" if torch.cuda.is_available() else "cpu", "float32")
    assert module.SEEN == [(result.device, torch.float32)]

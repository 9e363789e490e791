"""The GPU tier: every study at its tiny scale on CUDA against the CPU, and the engine's loop
free of host synchronisation on CUDA. Skipped where CUDA is not available.

Run with ``pytest -m gpu`` (or ``scripts/gpu-check``, which runs it with the benchmarks).

The same seeds give the same data, starts and batches on every device (every draw is made on
a CPU generator and moved), so a study's verdicts on CUDA must be the CPU's, and its key
statistics equal to round-off amplified by the run (float64: relative 1e-6 is generous for
smooth curves; a chaotic or diverging run can differ more, and is then named in the failure).
"""

from __future__ import annotations

import math
import warnings

import pytest
import torch

pytestmark = [pytest.mark.gpu,
              pytest.mark.skipif(not torch.cuda.is_available(), reason="CUDA is not available here")]

RTOL = 1e-6


def _studies():
    from convcheck.study import discover
    from convcheck.suites import list_suites

    return {f"{s}/{n}": m for s in list_suites() for n, m in discover(suite=s).items()}


STUDIES = _studies()


def _numbers(stat: dict, prefix: str = "") -> dict[str, float]:
    out = {}
    for k, v in stat.items():
        if isinstance(v, bool) or v is None:
            continue
        if isinstance(v, (int, float)):
            out[prefix + k] = float(v)
        elif isinstance(v, dict):
            out.update(_numbers(v, f"{prefix}{k}."))
    return out


@pytest.mark.parametrize("name", sorted(STUDIES))
def test_study_on_cuda_matches_the_cpu(name):
    from convcheck.study import run_study

    module = STUDIES[name]
    scale = "tiny" if "tiny" in module.SCALES else "quick"
    cpu = {v.key: v for v in run_study(module, scale, device="cpu").verdicts}
    gpu = {v.key: v for v in run_study(module, scale, device="cuda").verdicts}
    assert set(cpu) == set(gpu)
    flips = [f"{k}: cpu {cpu[k].outcome}, cuda {gpu[k].outcome}" for k in cpu if cpu[k].outcome != gpu[k].outcome]
    assert not flips, f"{name}: verdicts differ between devices: {flips}"
    drift = []
    for k in cpu:
        a, b = _numbers(cpu[k].statistic), _numbers(gpu[k].statistic)
        for s in a.keys() & b.keys():
            x, y = a[s], b[s]
            if math.isnan(x) and math.isnan(y):
                continue
            if not math.isclose(x, y, rel_tol=RTOL, abs_tol=1e-12):
                drift.append(f"{k} {s}: cpu {x:.10g}, cuda {y:.10g}")
    assert not drift, f"{name}: statistics differ beyond {RTOL:g} relative: {drift[:10]}"


def _sync_warnings(run) -> int:
    torch.cuda.set_sync_debug_mode("warn")
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            run()
    finally:
        torch.cuda.set_sync_debug_mode("default")
    return sum("synchroniz" in str(w.message) for w in caught)


def test_the_engine_loop_never_synchronises_on_cuda():
    """CUDA's sync debug mode warns at every host synchronisation: the count over 200 and 400 steps
    (same checkpoints) must be the same, for SGD with a sampler, Adam and SAM with SWP masks."""
    from convcheck import engine
    from convcheck.objectives import LeastSquares, WithReplacement
    from convcheck.optim import adam, sam, sgd
    from convcheck.seeding import torch_generator

    ls = LeastSquares.planted(64, 4, torch_generator("gpu-sync"), device="cuda")
    w0 = ls.w_star + torch.randn(8, 4, generator=torch_generator("gpu-w0"), dtype=torch.float64, device="cpu").to("cuda")
    for make in (lambda: sgd(0.05), lambda: adam(0.01),
                 lambda: sam(0.05, 0.05, swp="coordinate", generator=torch.Generator().manual_seed(0))):
        counts = [_sync_warnings(lambda: engine.run(ls, make(), w0, n, checkpoints=[0, n], sampler=WithReplacement(64, 4),
                                                    generator=torch_generator("gpu-s")))
                  for n in (200, 400)]
        assert counts[0] == counts[1], f"{make().name}: {counts} synchronisations in 200 and 400 steps"


@pytest.mark.parametrize("name", ["sgd 1/sqrt(t)", "adam", "sam-swp"])
def test_a_compiled_run_on_cuda_is_the_eager_run(name):
    """CUDA graphs (torch.compile's reduce-overhead mode) against the eager engine on the card."""
    from test_compiling import METHODS, _agree, _run

    eager, graphed = _run(METHODS[name], False, device="cuda"), _run(METHODS[name], True, device="cuda", steps=60)
    assert graphed.info["compiled"] is True, graphed.info["compiled_not"]
    _agree(eager, graphed)


def test_runner_records_where_each_study_ran(tmp_path):
    from convcheck.runner import run_suite

    rec = run_suite(["asam", "gd_bound"], scale="tiny", device="cuda", out=tmp_path, progress=False, render=False)
    import json

    studies = json.loads((rec.run_dir / "manifest.json").read_text())["studies"]
    assert studies["gd_bound"]["device"] == "cuda" and studies["asam"]["device"] == "cpu"  # asam declares DEVICE = "cpu"

"""The run job end to end: store layout, determinism, cache, resume, report, CLI errors."""

import json
import shutil
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

import convcheck.study
from convcheck import cli
from convcheck.report import render_run
from convcheck.runner import run_suite
from convcheck.store import read_results
from convcheck.study import discover


TWO = ["gd_bound", "sgd_floor"]  # the run job is exercised on two studies to keep the tests quick


def _run(tmp_path, **kw):
    kw.setdefault("names", TWO)
    return run_suite(scale="tiny", out=tmp_path, progress=False, **kw)


def test_run_folder_layout_and_contract(tmp_path):
    rec = _run(tmp_path)
    for name in ("results/gd_bound.parquet", "results/sgd_floor.parquet", "verdicts.json", "manifest.json", "studies.json", "index.html",
                 "gd_bound.html", "sgd_floor.html"):
        assert (rec.run_dir / name).is_file(), name
    # a subset run moves `last`, never `latest` (which names the newest complete run of the suite)
    assert (tmp_path / "last").resolve() == rec.run_dir.resolve() and not (tmp_path / "latest").exists()
    verdicts = json.loads((rec.run_dir / "verdicts.json").read_text())
    assert {v["claim"] for v in verdicts} == {"GD-1", "SGD-3", "SGD-5", "SGD-6", "SGD-7"}
    for v in verdicts:
        assert {"claim", "study", "outcome", "summary", "statistic", "findings"} <= set(v)
        assert v["outcome"] in ("reproduced", "refuted", "inconclusive")
    manifest = json.loads((rec.run_dir / "manifest.json").read_text())
    assert manifest["dtype"] == "float64" and manifest["versions"]["torch"]
    assert set(manifest["studies"]) == {"gd_bound", "sgd_floor"}
    assert all(s["wall_time_s"] >= 0 and s["seeds"] >= 1 for s in manifest["studies"].values())
    results = read_results(rec.run_dir)
    assert {"study", "table", "setting", "seed", "step"} <= set(results.columns)


def test_same_seed_same_bits_and_cache(tmp_path):
    first = _run(tmp_path, use_cache=False)
    second = _run(tmp_path, use_cache=False)
    a = read_results(first.run_dir)
    b = read_results(second.run_dir)
    pd.testing.assert_frame_equal(a, b, check_exact=True)
    third = _run(tmp_path)
    assert all(third.cached.values())
    pd.testing.assert_frame_equal(a, read_results(third.run_dir), check_exact=True)
    # a run from the cache writes no new tables: its results are the cache entries' files, linked
    for name, info in json.loads((third.run_dir / "manifest.json").read_text())["studies"].items():
        linked = (third.run_dir / "results" / f"{name}.parquet").stat()
        entry = (tmp_path / ".cache" / f"survey.{name}-{info['cache_key']}" / "tables.parquet").stat()
        assert (linked.st_ino, linked.st_dev) == (entry.st_ino, entry.st_dev)


def test_interrupted_run_resumes_without_recomputing(tmp_path, monkeypatch):
    calls = []
    real = convcheck.study.run_study

    def killed_after_first(module, *a, **kw):
        if calls:
            raise KeyboardInterrupt  # the run is killed while the second study runs
        calls.append(module.NAME)
        return real(module, *a, **kw)

    monkeypatch.setattr("convcheck.study.run_study", killed_after_first)
    with pytest.raises(KeyboardInterrupt):
        _run(tmp_path)
    assert len(calls) == 1  # the first study finished (the longest first: by the suite's recorded times)
    (first,), (other,) = calls, {"gd_bound", "sgd_floor"} - set(calls)

    recomputed = []

    def counting(module, *a, **kw):
        recomputed.append(module.NAME)
        return real(module, *a, **kw)

    monkeypatch.setattr("convcheck.study.run_study", counting)
    rec = _run(tmp_path)
    assert recomputed == [other]
    assert rec.cached == {first: True, other: False}


def test_report_rebuilds_from_store_alone(tmp_path, monkeypatch):
    rec = _run(tmp_path)
    before = (rec.run_dir / "index.html").read_text()
    for page in rec.run_dir.glob("*.html"):
        page.unlink()

    def no_optimizer(*a, **kw):
        raise AssertionError("the report must not run an optimizer")

    monkeypatch.setattr("convcheck.engine.run", no_optimizer)
    render_run(rec.run_dir)
    assert (rec.run_dir / "index.html").read_text() == before
    for page in rec.run_dir.glob("*.html"):
        html = page.read_text()
        assert "http://" not in html and "https://" not in html, page.name
    study_page = (rec.run_dir / "sgd_floor.html").read_text()
    n_figures = len(json.loads((rec.run_dir / "studies.json").read_text())["sgd_floor"]["figures"])
    assert n_figures >= 3 and study_page.count("data:image/png;base64,") == n_figures


def test_selection_by_claim_id(tmp_path):
    rec = _run(tmp_path, names=["sgd-3"])
    assert {v.study for v in rec.verdicts} == {"sgd_floor"} and "SGD-3" in [v.claim for v in rec.verdicts]
    manifest = json.loads((rec.run_dir / "manifest.json").read_text())
    assert manifest["multiplicity_family"] == sum(len(c.keys()) for m in discover().values() for c in m.CLAIMS)


@pytest.mark.parametrize("argv, needle", [
    (["run", "NOPE-9"], "valid claims: AD-1, AD-2"),
    (["run", "--seeds", "0"], "'--seeds' parameter"),
    (["run", "--seeds", "2"], "range [3, inf). Got 2"),
    (["run", "--scale", "huge"], "'--scale' parameter"),
    (["run", "--device", "tpu"], "'--device' parameter"),
    (["report", "/nonexistent"], "run folder"),
])
def test_cli_bad_input_exits_2_with_one_line(argv, needle, tmp_path, capsys):
    code = cli.main(argv + (["--out", str(tmp_path)] if argv[0] == "run" else []))
    err = capsys.readouterr().err
    assert code == 2 and needle in err and "Traceback" not in err and err.count("\n") == 1


def test_cli_cuda_without_cuda_exits_2(tmp_path):
    import torch

    if torch.cuda.is_available():
        pytest.skip("CUDA is available here")
    proc = subprocess.run([sys.executable, "-m", "convcheck.cli", "run", "--device", "cuda", "--out", str(tmp_path)],
                          capture_output=True, text=True)
    assert proc.returncode == 2 and "CUDA is not available" in proc.stderr and "Traceback" not in proc.stderr


def test_cli_run_prints_verdicts_and_report(tmp_path, capsys):
    assert cli.main(["run", *TWO, "--scale", "tiny", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "GD-1" in out and "SGD-3" in out and "report:" in out


def test_columns_with_numbers_in_one_study_and_labels_in_another_round_trip(tmp_path):
    from convcheck.store import combine_frames, frame_to_tables, tables_to_frame

    a = tables_to_frame("s1", {"paths": pd.DataFrame({"v": [0.1, 1 / 3], "step": [0, 1]})})
    b = tables_to_frame("s2", {"runs": pd.DataFrame({"v": ["balanced", "positive"], "step": [0, 1]})})
    frame = combine_frames([a, b])
    frame.to_parquet(tmp_path / "r.parquet", index=False)
    back = pd.read_parquet(tmp_path / "r.parquet")
    assert frame_to_tables(back, "s1")["paths"].v.tolist() == [0.1, 1 / 3]
    assert frame_to_tables(back, "s2")["runs"].v.tolist() == ["balanced", "positive"]


def test_every_suite_descriptor_agrees_with_its_studies():
    from convcheck.suites import check_suite, list_suites

    suites = list_suites()
    assert "survey" in suites
    for name, suite in suites.items():
        assert not check_suite(suite, discover(suite.path)), (name, check_suite(suite, discover(suite.path)))


def test_a_second_render_draws_nothing_and_gives_the_same_pages(tmp_path, monkeypatch):
    import convcheck.report.render as render

    rec = _run(tmp_path)  # renders once, filling .cache/figures
    first = {p.name: p.read_text() for p in rec.run_dir.glob("*.html")}

    def no_drawing(*a, **k):
        raise AssertionError("a cached figure was drawn again")

    monkeypatch.setattr(render, "draw", no_drawing)
    render_run(rec.run_dir)
    assert {p.name: p.read_text() for p in rec.run_dir.glob("*.html")} == first


def test_a_categorical_figure_is_the_same_whatever_numpy_drew_before():
    """seaborn's stripplot jitters with numpy's global generator: seeded per figure, restored after."""
    from convcheck.report.figures import draw, to_png

    spec = {"kind": "line", "table": "t", "x": "method", "y": "gap", "title": "jitter"}
    tables = {"t": pd.DataFrame({"method": ["a", "b"] * 20, "gap": np.linspace(0.0, 1.0, 40)})}
    np.random.seed(1)
    first = to_png(draw(spec, tables))
    np.random.seed(2)
    state = np.random.get_state()
    assert to_png(draw(spec, tables)) == first
    assert np.array_equal(np.random.get_state()[1], state[1])  # the global state is left as it was


@pytest.mark.parametrize("hue", [None, "setting"])
def test_curves_draw_what_seaborns_median_and_percentile_band_draw(hue):
    """The curves kind's median line and 10-90% band are seaborn's lineplot(estimator="median",
    errorbar=("pi", 80)), computed as one grouped quantile: the same vertices, level by level."""
    import matplotlib.pyplot as plt
    import seaborn as sns

    from convcheck.report.figures import _curves

    rng = np.random.default_rng(0)
    df = pd.DataFrame({"step": np.tile(np.arange(1, 31), 14), "gap": np.exp(rng.normal(size=420)),
                       "setting": np.repeat(["b=1", "b=4"], 210)})
    df = df.iloc[rng.permutation(len(df))[:400]]  # some points miss a seed or two
    palette = dict(zip(dict.fromkeys(df.setting), sns.color_palette("viridis", 2))) if hue else None  # as draw() builds it
    ours, theirs = plt.subplots()[1], plt.subplots()[1]
    _curves(ours, df, "step", "gap", hue, palette)
    sns.lineplot(df, x="step", y="gap", hue=hue, palette=palette, estimator="median", errorbar=("pi", 80), ax=theirs)
    drawn = [line for line in theirs.lines if len(line.get_xydata())]  # (seaborn adds empty legend handles)
    assert len(ours.lines) == len(drawn) == (2 if hue else 1)
    for a, b in zip(ours.lines, drawn):
        np.testing.assert_allclose(a.get_xydata(), b.get_xydata(), rtol=1e-12)
    for a, b in zip(ours.collections, theirs.collections, strict=True):
        np.testing.assert_allclose(a.get_paths()[0].vertices, b.get_paths()[0].vertices, rtol=1e-12)
    plt.close("all")


def test_figures_drawn_by_workers_give_the_pages_drawn_here(tmp_path, monkeypatch):
    import convcheck.report.render as render

    rec = run_suite(["sam_flatness", "asam"], scale="tiny", device="cpu", out=tmp_path, progress=False, render=False)
    monkeypatch.setattr(render, "PARALLEL_MIN_FIGURES", 10**6)  # all drawn in this process
    render_run(rec.run_dir)
    here = {p.name: p.read_text() for p in rec.run_dir.glob("*.html")}
    shutil.rmtree(tmp_path / ".cache" / "figures")
    monkeypatch.setattr(render, "PARALLEL_MIN_FIGURES", 1)
    cache = render._FigureCache(rec.run_dir.parent)
    studies = json.loads((rec.run_dir / "studies.json").read_text())
    assert cache.draw_missing(rec.run_dir, studies, workers=2) == sum(len(i["figures"]) for i in studies.values())
    render_run(rec.run_dir)
    assert {p.name: p.read_text() for p in rec.run_dir.glob("*.html")} == here

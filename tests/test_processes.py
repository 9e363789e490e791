"""The local process pool (``convcheck run``'s default on the CPU): the in-process run, bit for bit,
the longest studies first, and ``auto`` choosing where studies run."""

from __future__ import annotations

import json
import os
import re

import pandas as pd
import pytest

from convcheck.executors import InProcess, Processes, make_executor
from convcheck.runner import run_suite
from convcheck.store import Cache, read_results, write_json

STUDIES = ["GD-1", "SGD-1", "MB-1"]  # gd_bound, sgd_rates, minibatch


def _run(out, executor=None):
    return run_suite(STUDIES, scale="tiny", device="cpu", out=out, progress=False, render=False, executor=executor)


def test_a_pool_run_is_bit_identical_to_the_in_process_run(tmp_path):
    pool = Processes(2)
    try:
        remote = _run(tmp_path / "pool", pool)
    finally:
        pool.close()
    local = _run(tmp_path / "local")
    pd.testing.assert_frame_equal(read_results(local.run_dir), read_results(remote.run_dir), check_exact=True)
    assert [v.to_json() for v in local.verdicts] == [v.to_json() for v in remote.verdicts]
    manifest = json.loads((remote.run_dir / "manifest.json").read_text())
    assert manifest["executor"] == "processes" and manifest["workers"] == 2
    assert {s["host"] for s in manifest["studies"].values()} == {os.uname().nodename}


def test_a_worker_that_dies_fails_its_study_only(tmp_path):
    """A study that kills its worker process (as the kernel's OOM killer would) breaks the pool;
    the studies it took down with it are run again, each alone, and only the killer fails."""
    from convcheck.executors import Task
    from convcheck.study import discover

    killer = tmp_path / "killer.py"
    killer.write_text("import os\nos._exit(1)\n")
    real = [Task(n, str(discover()[n].__file__), "tiny", 3, "cpu", "float64") for n in ("gd_bound", "gd_descent")]
    pool = Processes(2)
    try:
        out = {o["name"]: o for o in pool.run([Task("killer", str(killer), "tiny", 3, "cpu", "float64"), *real])}
    finally:
        pool.close()
    assert out["killer"]["error"] == "its worker process died (killed, or out of memory)"
    assert all("error" not in out[n] and out[n]["verdicts"] for n in ("gd_bound", "gd_descent"))


class _Order:
    """An executor that records the order the runner hands it the studies."""

    name = "order"

    def __init__(self):
        self.seen, self.inner = [], InProcess()

    def run(self, tasks):
        self.seen = [t.name for t in tasks]
        yield from self.inner.run(tasks)

    def describe(self):
        return {"executor": self.name, "workers": 1}


def test_the_longest_studies_start_first(tmp_path):
    _run(tmp_path)  # fills the cache with each study's wall time
    cache = Cache(tmp_path)
    for name, secs in (("gd_bound", 9.0), ("sgd_rates", 1.0), ("minibatch", 5.0)):
        (info_file,) = cache.root.glob(f"survey.{name}-*/study.json")
        write_json(info_file, {**json.loads(info_file.read_text()), "wall_time_s": secs})
    assert cache.last_wall_time("survey.gd_bound", "tiny") == 9.0
    assert cache.last_wall_time("survey.gd_bound", "quick") is None
    order = _Order()
    run_suite(STUDIES, scale="tiny", device="cpu", out=tmp_path, progress=False, render=False, executor=order,
              use_cache=False)
    assert order.seen == ["gd_bound", "minibatch", "sgd_rates"]


def test_auto_picks_a_pool_on_the_cpu_and_this_process_elsewhere(monkeypatch):
    monkeypatch.setattr(os, "cpu_count", lambda: 8)
    ex = make_executor("auto", device="cpu")
    assert isinstance(ex, Processes) and ex.workers == 8 and ex.fit
    assert make_executor("auto", device="cpu", threads=4).workers == 2  # a worker per `threads` cores
    assert isinstance(make_executor("auto", device="cpu", threads=8), InProcess)
    assert isinstance(make_executor("auto", device="cpu", workers=1), InProcess)
    monkeypatch.setattr("torch.cuda.is_available", lambda: True)
    gpu = make_executor("auto", device="cuda")  # the card's studies here, one at a time; the CPU's in the pool
    assert isinstance(gpu, Processes) and gpu.gpu and gpu.workers == 8
    monkeypatch.setattr(os, "cpu_count", lambda: 1)
    assert isinstance(make_executor("auto", device="cpu"), InProcess)


def test_on_a_gpu_only_the_cpu_studies_go_to_the_pool(monkeypatch):
    """Simulated on the CPU: every task runs on the CPU, but the split is the one a GPU run makes."""
    import convcheck.executors as executors
    from convcheck.executors import Task
    from convcheck.study import discover

    studies = discover()
    tasks = [Task(n, str(studies[n].__file__), "tiny", 3, "cpu", "float64", declared_device=getattr(studies[n], "DEVICE", ""))
             for n in ("asam", "gd_bound", "gd_descent")]
    assert [t.declared_device for t in tasks] == ["cpu", "", ""]
    here, real = [], executors.InProcess.run

    def recorded(self, tasks):
        here.extend(t.name for t in tasks)
        return real(self, tasks)

    monkeypatch.setattr(executors.InProcess, "run", recorded)  # what ran in this process
    pool = Processes(4, fit=True, gpu=True)
    try:
        out = {o["name"]: o for o in pool.run(tasks)}
    finally:
        pool.close()
    assert here == ["gd_bound", "gd_descent"] and pool.workers == 1  # asam ran in the pool's one worker
    assert set(out) == {"asam", "gd_bound", "gd_descent"} and not any("error" in o for o in out.values())


def test_a_fitted_pool_runs_a_single_study_here(tmp_path):
    pool = Processes(8, fit=True)
    record = run_suite(["GD-1"], scale="tiny", device="cpu", out=tmp_path, progress=False, render=False, executor=pool)
    assert pool._pool is None and pool.workers == 1 and not record.failed  # no process started for one study
    pool.close()


@pytest.mark.parametrize("workers", [0, -1, 2.5, True])
def test_bad_worker_counts_are_refused(workers):
    with pytest.raises(ValueError, match="The 'workers' parameter must be an int in the range \\[1, inf\\)"):
        make_executor("processes", workers)


def test_a_first_run_orders_by_the_suites_recorded_timings(tmp_path):
    from convcheck.runner import _recorded_timings
    from convcheck.suites import load_suite

    recorded = _recorded_timings(load_suite("survey").path)
    assert set(recorded) >= {"gd_bound", "sgd_rates", "minibatch"}
    order = _Order()
    run_suite(STUDIES, scale="tiny", device="cpu", out=tmp_path, progress=False, render=False, executor=order)
    assert order.seen == sorted(["gd_bound", "sgd_rates", "minibatch"], key=lambda n: -recorded[n])
    assert _recorded_timings(tmp_path) == {}  # no file: no order (unknown studies go first)


def test_figures_are_drawn_while_the_workers_run_and_the_report_draws_none(tmp_path, monkeypatch):
    """With studies in worker processes, this process draws each finished study's figures into the
    figure cache at once; the report at the end then draws nothing (and its pages are the ones
    a report drawing everything itself writes)."""
    import convcheck.report.render as render
    from convcheck.report import render_run

    ahead = []
    real = render.draw_ahead
    monkeypatch.setattr(render, "draw_ahead", lambda out, name, *a: ahead.append(name) or real(out, name, *a))
    pool = Processes(2)
    try:
        rec = run_suite(STUDIES, scale="tiny", device="cpu", out=tmp_path / "pool", progress=False, executor=pool)
    finally:
        pool.close()
    assert sorted(ahead) == ["gd_bound", "minibatch", "sgd_rates"]
    pages = {p.name: p.read_text() for p in rec.run_dir.glob("*.html")}

    def no_drawing(*a, **k):
        raise AssertionError("a figure drawn ahead was drawn again")

    monkeypatch.setattr(render, "draw", no_drawing)
    render_run(rec.run_dir)
    monkeypatch.undo()
    local = run_suite(STUDIES, scale="tiny", device="cpu", out=tmp_path / "local", progress=False)  # drawn by the report
    assert {p.name: p.read_text() for p in local.run_dir.glob("*.html")}.keys() == pages.keys()
    for name, page in pages.items():  # the same figures (the pages differ only in run ids and times)
        assert re.findall(r"data:image/png;base64,[^\"]+", page) == re.findall(
            r"data:image/png;base64,[^\"]+", (local.run_dir / name).read_text()), name


def test_only_an_idle_main_process_draws_ahead():
    """Drawing ahead fills this process's wait; where it runs the GPU's studies itself it must not."""
    assert Processes(2).waits and not Processes(2, gpu=True).waits and not InProcess().waits


def test_the_local_pool_runs_functions_and_reports_a_dead_worker():
    """:class:`LocalPool`, the one pool of local processes (studies, conformance rows, figures):
    results come back through futures; a worker that dies fails its pending futures with BrokenPool."""
    from convcheck.executors import BrokenPool, LocalPool, as_completed

    with LocalPool(2) as pool:
        futures = [pool.submit(pow, 2, k) for k in range(4)]
        assert sorted(f.result() for f in as_completed(futures)) == [1, 2, 4, 8]
    with LocalPool(1) as pool:
        with pytest.raises(BrokenPool):
            pool.submit(os._exit, 1).result()
    with pytest.raises(ValueError, match="'workers' parameter must be an int in the range \\[1, inf\\). Got 0"):
        LocalPool(0)

"""The Dask executor: the same run on a cluster, bit for bit, with nothing lost when a worker dies."""

import threading
import time

import pandas as pd
import pytest

distributed = pytest.importorskip("distributed")

from convcheck.executors import DaskExecutor  # noqa: E402
from convcheck.runner import run_suite  # noqa: E402
from convcheck.store import read_results  # noqa: E402

STUDIES = ["GD-1", "SGD-1", "MB-1"]  # gd_bound, sgd_rates, minibatch


@pytest.fixture(scope="module")
def executor():
    ex = DaskExecutor(workers=2)
    yield ex
    ex.close()


def _run(out, executor=None):
    return run_suite(STUDIES, scale="tiny", out=out, progress=False, render=False, executor=executor)


def test_dask_run_is_bit_identical_to_the_in_process_run(tmp_path, executor):
    local = _run(tmp_path / "local")
    remote = _run(tmp_path / "dask", executor)
    a = read_results(local.run_dir)
    b = read_results(remote.run_dir)
    pd.testing.assert_frame_equal(a, b, check_exact=True)
    assert [v.to_json() for v in local.verdicts] == [v.to_json() for v in remote.verdicts]
    import json

    manifest = json.loads((remote.run_dir / "manifest.json").read_text())
    assert manifest["executor"] == "dask" and manifest["workers"] == 2
    assert all(s["host"] for s in manifest["studies"].values())


def test_a_killed_worker_loses_nothing(tmp_path, executor):
    """Kill a worker while the studies run: Dask reruns its task elsewhere and the run completes,
    with the same results as the in-process run."""
    def kill_one():
        time.sleep(1.5)
        workers = list(executor.client.scheduler_info()["workers"])
        if workers:
            try:
                executor.client.run(lambda: __import__("os")._exit(1), workers=[workers[0]])
            except Exception:  # the worker dies before it can answer: that is the point
                pass

    killer = threading.Thread(target=kill_one)
    killer.start()
    remote = _run(tmp_path / "dask", executor)
    killer.join()
    assert not remote.failed and len(remote.cached) == 3
    local = _run(tmp_path / "local")
    pd.testing.assert_frame_equal(read_results(local.run_dir),
                                  read_results(remote.run_dir), check_exact=True)


def test_a_failing_task_names_its_study_and_the_run_goes_on(tmp_path, executor, monkeypatch):
    from convcheck.executors import Task

    bad = Task("gd_bound", "/nonexistent/gd_bound.py", "tiny", 3, "cpu", "float64")
    out = list(executor.run([bad]))
    assert out[0]["name"] == "gd_bound" and "error" in out[0]


def test_units_of_a_study_run_as_tasks_with_the_same_bits(tmp_path, executor):
    """reddi's search cells go through ctx.map: on a worker they become tasks of their own."""
    local = run_suite(["RKK-2"], suite="adam2015", scale="tiny", out=tmp_path / "l", progress=False, render=False)
    remote = run_suite(["RKK-2"], suite="adam2015", scale="tiny", out=tmp_path / "d", progress=False, render=False,
                       executor=executor)
    pd.testing.assert_frame_equal(read_results(local.run_dir),
                                  read_results(remote.run_dir), check_exact=True)
    assert [v.to_json() for v in local.verdicts] == [v.to_json() for v in remote.verdicts]

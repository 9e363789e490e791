"""The command line keeps its promise: every bad input is one line and exit 2; a failing study is an
internal error (exit 3) with the rest of the run kept; Ctrl-C says how to resume (exit 130)."""

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from convcheck import cli


def _one_line(capsys, rc_expected, argv):
    rc = cli.main(argv)
    err = capsys.readouterr().err.strip()
    assert rc == rc_expected, err
    assert len(err.splitlines()) == 1 and err.startswith("convcheck: error:"), err
    return err


@pytest.mark.parametrize("argv, needle", [
    (["run", "--scale", "huge"], "'--scale' parameter"),
    (["run", "--dtype", "float16"], "'--dtype' parameter"),
    (["run", "--compile", "yes"], "'--compile' parameter must be one of ['auto', 'on', 'off']"),
    (["run", "--seeds", "2", "GD-1"], "'--seeds' parameter"),
    (["run", "XX-9"], "Unknown study or claim"),
    (["run", "--suite", "nope"], "'--suite' parameter"),
    (["run", "--threads", "0"], "'--threads' parameter"),
    (["run", "--out", "/proc/nope", "GD-1"], "'--out' parameter"),
    (["list", "--suite", "nope"], "'suite' parameter"),
    (["report", "/nonexistent"], "'run_dir' parameter"),
])
def test_bad_input_is_one_line_and_exit_2(capsys, tmp_path, argv, needle):
    assert needle in _one_line(capsys, 2, argv)


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("runs")
    assert cli.main(["run", "--scale", "tiny", "GD-1", "--out", str(out)]) == 0
    return next(p for p in out.iterdir() if p.is_dir() and not p.is_symlink() and not p.name.startswith("."))


@pytest.mark.parametrize("damage", ["verdicts.json", "studies.json", "results/gd_bound.parquet", "missing-fields"])
def test_report_on_a_damaged_run_is_one_line(capsys, tiny_run, tmp_path, damage):
    import shutil

    run = tmp_path / "run"
    shutil.copytree(tiny_run, run)
    if damage == "missing-fields":
        (run / "verdicts.json").write_text(json.dumps([{"claim": "GD-1"}]))
    else:
        (run / damage).write_text("{ not what it should be")
    capsys.readouterr()
    _one_line(capsys, 2, ["report", str(run)])


def test_a_failing_study_is_an_internal_error_and_the_run_goes_on(capsys, tmp_path, monkeypatch):
    import convcheck.study as study

    real = study.run_study

    def flaky(module, *args, **kwargs):
        if module.NAME == "gd_bound":
            raise RuntimeError("DefaultCPUAllocator: can't allocate memory: you tried to allocate 40000000000 bytes")
        return real(module, *args, **kwargs)

    monkeypatch.setattr(study, "run_study", flaky)
    rc = cli.main(["run", "--scale", "tiny", "GD-1", "GD-2", "--out", str(tmp_path), "--executor", "in-process"])
    captured = capsys.readouterr()
    assert rc == 3
    assert "study gd_bound failed (too large for this machine): out of memory with 3 seeds" in captured.err
    assert "GD-2" in captured.out and "1 failed" in captured.out  # the other study ran and was reported


@pytest.mark.parametrize("group", [False, True])
def test_ctrl_c_says_how_to_resume(tmp_path, group):
    """SIGINT to the main process alone, and to its whole process group as a terminal's Ctrl-C
    sends it (the pool's workers get it too); the quick scale, so the run is mid-way at 8 s."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    p = subprocess.Popen([sys.executable, "-m", "convcheck.cli", "run", "--scale", "quick", "--no-cache",
                          "--out", str(tmp_path)],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, start_new_session=True,
                         # SIGINT back to its default: a shell's background job (CI started with `&`) ignores
                         # it, the child inherits that, and Python then installs no KeyboardInterrupt handler
                         preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    time.sleep(8)  # past the imports, inside the first studies
    (os.killpg if group else os.kill)(p.pid, signal.SIGINT)
    out, err = p.communicate(timeout=120)
    assert p.returncode == 130, err[-2000:]
    assert "interrupted" in err and "resume" in err and "Traceback" not in err, err[-2000:]


def test_clean_keeps_the_newest_runs_and_the_named_ones(tmp_path, capsys):
    import os

    for name in ("20260101-000000", "20260102-000000", "20260103-000000", "20260104-000000"):
        (tmp_path / name).mkdir()
    (tmp_path / ".cache").mkdir()
    os.symlink("20260101-000000", tmp_path / "latest")  # an old complete run stays while latest names it
    assert cli.main(["clean", "--out", str(tmp_path), "--keep", "1"]) == 0
    left = sorted(p.name for p in tmp_path.iterdir())
    assert left == [".cache", "20260101-000000", "20260104-000000", "latest"]
    assert cli.main(["clean", "--out", str(tmp_path), "--keep", "0", "--cache"]) == 0
    assert not (tmp_path / ".cache").exists() and (tmp_path / "20260101-000000").exists()
    capsys.readouterr()
    assert "'--keep' parameter" in _one_line(capsys, 2, ["clean", "--out", str(tmp_path), "--keep", "-1"])
    assert "'--out' parameter" in _one_line(capsys, 2, ["clean", "--out", str(tmp_path / "nope")])


def test_list_is_kept_and_a_repeat_imports_no_study(tmp_path):
    """`convcheck list` imports every study once; a repeat reads the kept text (same bytes, no torch)."""
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path)}
    probe = ("import sys; from convcheck import cli; rc = cli.main(['list']); "
             "print('IMPORTED-TORCH' if 'torch' in sys.modules else 'NO-TORCH')")
    first = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=env, check=True).stdout
    second = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=env, check=True).stdout
    assert first.endswith("IMPORTED-TORCH\n") and second.endswith("NO-TORCH\n")
    assert first.replace("IMPORTED-TORCH", "") == second.replace("NO-TORCH", "")
    assert "GD-1" in second and len(list((tmp_path / "convcheck").glob("list-survey-*.txt"))) == 1


def test_clean_stale_deletes_only_cache_entries_no_run_can_hit(tmp_path, capsys):
    import shutil

    assert cli.main(["run", "--scale", "tiny", "GD-1", "--out", str(tmp_path)]) == 0
    cache = tmp_path / ".cache"
    (entry,) = [p for p in cache.iterdir() if p.name.startswith("survey.gd_bound-")]
    old = cache / "survey.gd_bound-00000000000000000000"  # made by older sources, linked by no run
    shutil.copytree(entry, old)
    info = json.loads((old / "study.json").read_text())
    (old / "study.json").write_text(json.dumps({**info, "source_hash": "older sources"}))
    (cache / ".survey.gd_bound-cut-off").mkdir()  # a save interrupted before its rename
    assert (cache / "figures").is_dir()
    capsys.readouterr()
    assert cli.main(["clean", "--out", str(tmp_path), "--stale"]) == 0
    assert sorted(p.name for p in cache.iterdir()) == [entry.name]  # the current, linked entry stays
    assert "deleted 3 item(s)" in capsys.readouterr().out
    run = next(p for p in tmp_path.iterdir() if p.name[:1].isdigit())
    assert cli.main(["report", str(run)]) == 0  # the run still renders (figures drawn again)

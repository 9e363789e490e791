"""One printer: verdict listings for the terminal, and ``convcheck run --json`` / ``report --json``
(schema ``convcheck.run``: the provenance header and the records of the run's ``verdicts.json``);
``--version`` after every command."""

import json

import pytest

from convcheck import cli
from convcheck.claims import INCONCLUSIVE, REFUTED, REPRODUCED, Verdict
from convcheck.printing import check_lines, verdict_lines


def _v(claim, outcome, reading="as written", supporting=False, summary="s"):
    return Verdict(claim, "Eq. 1", outcome, summary, reading=reading, supporting=supporting)


def test_the_listing_is_in_the_papers_order_with_readings_under_their_claim():
    vs = [_v("GD-10", REPRODUCED), _v("BP-1", REFUTED), _v("GD-2", REPRODUCED, reading="eta < 2/L"),
          _v("GD-2", INCONCLUSIVE), _v("GD-3", REPRODUCED, reading="a check", supporting=True)]
    lines = verdict_lines(vs, sections=("GD", "BP"))
    assert [line.split()[0] for line in lines[:4]] == ["GD-2", "reading", "GD-10", "BP-1"]  # GD-2 before GD-10
    assert lines[1].strip() == "reading 'eta < 2/L': REPRODUCED: s"
    assert lines[4] == "supporting checks (not statements of the paper):" and lines[5].startswith("  GD-3 [a check]")
    assert lines[-1] == "3 claims as written: 1 reproduced, 1 refuted, 1 inconclusive"


def test_detail_adds_each_verdicts_evidence_under_its_line():
    v = Verdict("GD-1", "Eq. 1", REPRODUCED, "fine", findings=["the slope is -1"], notes=["on 3 seeds"])
    lines = verdict_lines([v], detail=True)
    assert lines[0].split()[:2] == ["GD-1", "REPRODUCED"]
    assert "      note: on 3 seeds" in lines and "      finding: the slope is -1" in lines
    assert not any("finding" in line for line in verdict_lines([v]))


def test_a_check_result_lists_its_verdicts_and_departures():
    from convcheck.checking import CheckResult

    r = CheckResult("MyAdam", "adam", "AD-3", "adaptive", "tiny", [_v("AD-3", REPRODUCED, reading="standard Adam")],
                    departures={"adam": "the same iterates"})
    assert check_lines(r) == ["MyAdam in role 'adam', study adaptive (tiny scale):",
                              "  AD-3 [standard Adam]: REPRODUCED: s", "  against convcheck's adam: the same iterates"]


@pytest.mark.parametrize("command", [[], ["list"], ["run"], ["check"], ["diff"], ["report"], ["clean"]])
def test_every_command_takes_version(capsys, command):
    from convcheck import __version__

    with pytest.raises(SystemExit) as stop:
        cli.main([*command, "--version"])
    assert stop.value.code == 0 and capsys.readouterr().out.strip() == f"convcheck {__version__}"


def test_run_json_is_the_runs_verdicts_with_versions_and_report_json_reads_it_back(capsys, tmp_path):
    """In a process of its own, as a user's script runs it: stdout holds the document alone."""
    import subprocess
    import sys

    import torch

    from convcheck import __version__
    from convcheck.provenance import SCHEMA_VERSION
    from convcheck.store import read_json

    done = subprocess.run([sys.executable, "-m", "convcheck", "run", "GD-1", "--scale", "tiny", "--out", str(tmp_path),
                           "--executor", "in-process", "--json"], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    doc = json.loads(done.stdout)  # the summary went to stderr
    assert "claims as written" not in done.stdout and "done in" in done.stderr
    assert (doc["schema"], doc["schema_version"]) == ("convcheck.run", SCHEMA_VERSION)
    assert (doc["convcheck"], doc["torch"], doc["scale"], doc["dtype"]) == (__version__, torch.__version__, "tiny",
                                                                           "float64")
    run_dir = tmp_path / doc["run"]
    assert doc["verdicts"] == read_json(run_dir / "verdicts.json") and doc["verdicts"]
    assert doc["suite"] == "survey" and doc["failed"] == {} and doc["studies"]["gd_bound"]["cached"] is False
    assert doc["studies"]["gd_bound"]["device"] == "cpu" and doc["studies"]["gd_bound"]["dtype"] == "float64"
    assert cli.main(["report", str(run_dir), "--json"]) == 0
    again = json.loads(capsys.readouterr().out)
    assert {k: v for k, v in again.items() if k != "date"} == {k: v for k, v in doc.items() if k != "date"}
    assert cli.main(["report", str(run_dir), "--json", "--record"]) == 2
    assert "'--json' parameter" in capsys.readouterr().err

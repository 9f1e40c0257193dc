"""`onewindow chaos --size small` as the operator runs it: a stack of its own, every service
killed once, PostgreSQL crashed, the broker's data lost, every legacy system erring and
stalling while 60 applications are filed; nothing may be lost and nothing done twice."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e


@pytest.mark.timeout(300)
def test_under_every_kind_of_fault_nothing_is_lost_and_nothing_done_twice(tmp_path: Path) -> None:
    report_file = tmp_path / "chaos.json"
    run = subprocess.run(
        [str(Path(sys.executable).parent / "onewindow"), "chaos", "--size", "small",
         "--json", str(report_file), "--workdir", str(tmp_path / "stack")],
        capture_output=True, text=True, timeout=280, check=False,
    )  # fmt: skip
    assert report_file.exists(), run.stdout + run.stderr
    report = json.loads(report_file.read_text())
    assert sorted(report["setup"]["faults"]) == ["broker", "kill", "postgres"]
    assert {h["kind"] for h in report["healing"]} == {"kill", "postgres", "broker"}
    assert {h["target"] for h in report["healing"] if h["kind"] == "kill"} == {
        "intake", "router", "dept_adapter", "notifier",
    }  # fmt: skip
    assert [h for h in report["healing"] if h["error"]] == [], "a fault could not be done"
    summary = f"\nseed {report['setup']['seed']}\n{run.stdout}\nlogs: {tmp_path / 'stack' / 'logs'}"
    assert report["accepted"] == report["offered"] == 60, summary
    assert report["lost"] == 0, summary
    assert report["more_than_one_outcome"] == 0, summary
    assert report["double_filings"] == {"per_key": {}, "per_subtask": {}}, summary
    assert report["failures"] == [] and run.returncode == 0, summary

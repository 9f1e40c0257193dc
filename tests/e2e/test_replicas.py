"""`onewindow chaos --replicas 2`: two processes each of router, dept_adapter and notifier share
their consumer groups, relays and workers while 40 applications are filed, and one replica of
each is killed and started again — a rebalance of each of its groups (the dead member leaves,
a new one joins). Nothing may be lost or done twice, and every application ends as it does with
one replica (tests/e2e/test_flow.py): approved, its one result delivered."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e
MIX = "business-startup=4,business-info-change=1,equity-transfer=1,housing-transfer=1,newborn=1"
VICTIMS = ("router", "dept_adapter-2", "notifier")  # one replica of each, at 5, 10 and 15 s


@pytest.mark.timeout(240)
def test_with_two_replicas_each_rebalance_loses_nothing_and_does_nothing_twice(
    tmp_path: Path,
) -> None:
    report_file, workdir = tmp_path / "chaos.json", tmp_path / "stack"
    run = subprocess.run(
        [str(Path(sys.executable).parent / "onewindow"), "chaos", "--replicas", "2",
         "--faults", "kill", "--victims", ",".join(VICTIMS), "--kill-every", "5",
         "--applications", "40", "--rate", "2", "--mix", MIX, "--settle-timeout", "60",
         "--error-rate", "0.05", "--timeout-rate", "0",  # no 30 s stalls: a short test
         "--json", str(report_file), "--workdir", str(workdir)],
        capture_output=True, text=True, timeout=230, check=False,
    )  # fmt: skip
    assert report_file.exists(), run.stdout + run.stderr
    report = json.loads(report_file.read_text())
    assert {h["target"] for h in report["healing"] if h["kind"] == "kill"} == set(VICTIMS)
    assert [h for h in report["healing"] if h["error"]] == [], "a fault could not be done"
    summary = f"\nseed {report['setup']['seed']}\n{run.stdout}\nlogs: {workdir / 'logs'}"
    assert report["accepted"] == report["offered"] == 40, summary
    assert report["lost"] == 0, summary
    assert report["more_than_one_outcome"] == 0, summary
    assert report["double_filings"] == {"per_key": {}, "per_subtask": {}}, summary
    assert report["outcomes"] == {"result": 40}, summary
    assert report["failures"] == [] and run.returncode == 0, summary
    # the replicas shared the work: each one of the notifier prepared and delivered notices
    for replica in ("notifier", "notifier-2"):
        logged = (workdir / "logs" / f"{replica}.log").read_text()
        assert '"notice prepared"' in logged and '"delivery recorded"' in logged, replica

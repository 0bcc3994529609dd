"""Named states (sr_core.runs.status): the enum values are exactly the strings files on disk hold."""
from __future__ import annotations

import json

from sr_core.runs.status import (ENDED_STATUSES, LIVE_STATUSES, RESUMABLE_STATUSES, RunStatus, SweepStatus,
                            TrialStatus)


def test_values_are_the_strings_on_disk() -> None:
    assert [s.value for s in RunStatus] == ["created", "ready", "running", "finished", "stopped", "nan", "failed",
                                            "interrupted"]
    assert [s.value for s in TrialStatus] == ["pending", "running", "finished", "failed"]
    assert [s.value for s in SweepStatus] == ["created", "running", "stopped", "finished"]
    assert json.dumps({"status": RunStatus.FINISHED}) == '{"status": "finished"}'
    assert f"{RunStatus.NAN}: 3/4" == "nan: 3/4" and str(TrialStatus.PENDING) == "pending"


def test_a_string_read_from_a_file_compares_equal() -> None:
    read = json.loads('{"status": "stopped"}')["status"]
    assert read == RunStatus.STOPPED and read in RESUMABLE_STATUSES and RunStatus(read) is RunStatus.STOPPED
    assert set(LIVE_STATUSES).isdisjoint(ENDED_STATUSES) and set(RESUMABLE_STATUSES) <= set(ENDED_STATUSES)


def test_a_written_status_file_is_byte_identical(tmp_path) -> None:
    from sr_core.runs.store import create_run
    run = create_run({"model": "cnn-vae", "steps": 3}, runs_dir=tmp_path, name="r")
    run.write_status(status=RunStatus.RUNNING, step=1)
    assert json.loads(run.status_path.read_text())["status"] == "running"
    assert '"status": "running"' in run.status_path.read_text()

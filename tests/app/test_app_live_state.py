"""Live state is true: after this server's job ends, a run continued by another writer (the CLI's
`train --resume`) shows its state on disk in the Train page, not the stale in-memory snapshot (AppTest)."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from tests.app_support import (  # noqa: F401  (fixtures are found by name; fresh_registry is autouse)
    TRAIN, fresh_registry, job_registry, page, runs, texts, trained_runs, wait_for_status,
)
from sr_core.runs.store import RunDir

ROOT = Path(__file__).resolve().parents[2]


def test_train_page_follows_a_run_continued_from_the_cli(runs: Path) -> None:
    at = page(TRAIN)
    at.selectbox(key="train_resume_run").set_value("tiny-run").run()
    at.number_input(key="train_resume_steps_tiny-run").set_value(24).run()
    at.button(key="train_resume").click().run()
    wait_for_status(at, ("finished",), timeout=180)
    assert job_registry().snapshot().step == 24
    # another writer continues the same run to 30 batches while the page stays open
    out = subprocess.run([sys.executable, "-m", "sr_core", "train", "--resume", "tiny-run", "--steps", "30",
                          "--runs-dir", str(runs), "--no-progress"], cwd=ROOT, env=dict(os.environ),
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert RunDir(runs / "tiny-run").status()["step"] == 30
    at.run()
    assert not at.exception
    line = " ".join(t for t in texts(at, "markdown") if "Run `tiny-run`" in t)
    assert "Status: **finished**" in line and "Step 30 / 30" in line, line
    snap = job_registry().snapshot()
    assert [r["step"] for r in snap.train][-1] == 30 and snap.test[-1]["step"] == 30
    assert "another writer" in " ".join(texts(at, "info"))


def _status_line(at) -> str:
    return " ".join(t for t in texts(at, "markdown") if "Status:" in t)


def _chart_steps(at) -> list[float]:
    """The x values (batches) of the train loss chart's first trace."""
    from tests.app_support import plotly_specs, values

    spec = next(s for s in plotly_specs(at) if "train" in json.dumps(s.get("layout", {}).get("title", "")))
    return values(spec["data"][0]["x"])


def test_stopped_job_finished_by_the_cli_shows_finished_in_old_and_new_tabs(runs: Path) -> None:
    """The issue's case: this server's job stopped part-way ("stopped · Step N / big"); `train --resume` from
    the CLI finishes the run; the tab open before and a tab opened afterwards show finished, the CLI's last
    step and its curves, not the server's stale snapshot."""
    registry = job_registry()
    job = registry.resume("tiny-run", 100_000)
    end = time.monotonic() + 120
    while registry.snapshot().step < 22 and time.monotonic() < end:
        time.sleep(0.05)
    registry.stop()
    assert job.join(120)
    n = registry.snapshot().step
    before = page(TRAIN)
    assert "Status: **stopped**" in _status_line(before) and f"Step {n} / 100000" in _status_line(before)
    out = subprocess.run([sys.executable, "-m", "sr_core", "train", "--resume", "tiny-run", "--steps", str(n + 4),
                          "--runs-dir", str(runs), "--no-progress"], cwd=ROOT, env=dict(os.environ),
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert RunDir(runs / "tiny-run").status()["status"] == "finished"
    for at in (before.run(), page(TRAIN)):  # the tab open before, rerun; a new tab
        assert not at.exception
        line = _status_line(at)
        assert "Status: **finished**" in line and f"Step {n + 4} / {n + 4}" in line, line
        assert max(_chart_steps(at)) == n + 4
        assert "another writer" in " ".join(texts(at, "info"))
        assert not [b for b in at.button if b.key == "train_stop"]

"""Live state is true: after this server's job ends, a run continued by another writer (the CLI's
`train --resume`) shows its state on disk in the Train page, not the stale in-memory snapshot (AppTest)."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.app_support import (  # noqa: F401  (fixtures are found by name; fresh_registry is autouse)
    TRAIN, fresh_registry, job_registry, page, runs, texts, trained_runs, wait_for_status,
)
from sr_core.runs.store import RunDir

ROOT = Path(__file__).resolve().parents[1]


def test_train_page_follows_a_run_continued_from_the_cli(runs: Path) -> None:
    at = page(TRAIN)
    at.selectbox(key="train_resume_run").set_value("tiny-run").run()
    at.number_input(key="train_resume_steps_tiny-run").set_value(24).run()
    at.button(key="train_resume").click().run()
    wait_for_status(at, ("finished",), timeout=180)
    assert job_registry().snapshot()["step"] == 24
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
    assert [r["step"] for r in snap["train"]][-1] == 30 and snap["test"][-1]["step"] == 30
    assert "another writer" in " ".join(texts(at, "info"))

"""Train page: continue a finished run to more batches; the progress line after a run (AppTest)."""
from __future__ import annotations

from tests.app_support import (  # noqa: F401  (fixtures are found by name; fresh_registry is autouse)
    TRAIN, fresh_registry, job_registry, page, runs, texts, trained_runs, wait_for_status,
)
from sr_core.runs.jobs import OPTIMIZER_RESET
from sr_core.runs.store import RunDir


def test_continue_a_finished_run_adds_batches_and_the_curve_goes_on(runs):
    before = RunDir(runs / "tiny-run").read_metrics()
    assert max(r["step"] for r in before) == 20
    at = page(TRAIN)
    assert not at.exception
    at.selectbox(key="train_resume_run").set_value("tiny-run").run()
    at.number_input(key="train_resume_steps_tiny-run").set_value(40).run()
    at.button(key="train_resume").click().run()
    assert not at.exception and not texts(at, "error"), texts(at, "error")
    line = wait_for_status(at, ("finished",), timeout=180)
    assert "Run `tiny-run`" in line and "Step 40 / 40" in line
    # The finished run kept only its weights: the page says Adam starts afresh, config.json records it.
    assert OPTIMIZER_RESET in texts(at, "info")
    assert RunDir(runs / "tiny-run").config()["resumes"][-1]["optimizer"].startswith("reset")
    # The live curve holds the run's history and the new batches: steps 1..40, once each.
    snap = job_registry().snapshot()
    assert [r["step"] for r in snap.train] == list(range(1, 41))
    assert [r["step"] for r in snap.test][-1] == 40 and snap.test[0]["step"] <= 20
    rows = RunDir(runs / "tiny-run").read_metrics()
    assert [r["step"] for r in rows if r["split"] == "train"] == list(range(1, 41))
    assert rows[:len(before)] == before  # the first 20 batches are kept as they were
    # After the run: the run's average images/s and total time, not a last instantaneous value.
    progress = at.get("progress")[0].proto.text
    assert "images/s on average" in progress and "total time" in progress and "left" not in progress
    assert snap.avg_img_s > 0 and snap.total_s > 0


def test_continue_needs_more_batches_than_the_run_has(runs):
    at = page(TRAIN)
    at.selectbox(key="train_resume_run").set_value("tiny-run").run()
    widget = at.number_input(key="train_resume_steps_tiny-run")
    assert widget.min == 21 and widget.value == 40  # the form cannot ask for fewer (default: twice as many)

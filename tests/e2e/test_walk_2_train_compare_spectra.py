"""The browser walk, in order (tests/e2e/conftest.py): Train (start, watch, stop), then Compare and
Spectra on that run."""
from __future__ import annotations

import re

from e2e_helpers import wait_idle, wait_until
from e2e_walk import PAGE_TIMEOUT, Walk, needs_run

TRAIN_STEPS = 600           # the tiny preset with 600 batches: long enough to see progress and press Stop
PROGRESS_TIMEOUT = 120      # s: first step > 0 after Start (data loading + first evaluation on a busy CPU)


def test_train(walk: Walk) -> None:
    """Pick the tiny preset, Start, watch the status and the loss chart grow, Stop."""
    from playwright.sync_api import expect

    page = walk.page
    with walk.step("train"):
        walk.nav("Train")
        walk.heading("Train")
        wait_idle(page)
        walk.check_layout("train")  # the form before a run (fields such as "fashion-mnist" not cut)
        preset = page.get_by_test_id("stSelectbox").filter(has_text="Preset")
        preset.get_by_role("combobox").click()
        page.get_by_role("option", name=re.compile(r"^tiny\b")).click()
        batches = page.get_by_role("spinbutton", name="Batches (training steps)", exact=True)
        expect(batches).to_have_value("60", timeout=30_000)  # the preset filled the form
        batches.fill(str(TRAIN_STEPS))
        batches.press("Tab")
        expect(batches).to_have_value(str(TRAIN_STEPS))
        page.get_by_role("button", name="Start training").click()

        first = wait_until(lambda: (s := walk.train_status()) and s[2] > 0 and s,
                           PROGRESS_TIMEOUT, what="the status to show a step > 0")
        run_name, status, step1, total = first
        walk.run_name = run_name
        assert total == TRAIN_STEPS, first
        expect(page.get_by_role("heading", name="Loss per batch")).to_be_visible()
        wait_until(lambda: walk.visible_count("stPlotlyChart") >= 2, 60, what="the two loss charts")
        points1 = wait_until(walk.train_chart_points, 60, what="points in the train loss chart")
        # Two polls later the job has moved on and the chart has more points.
        second = wait_until(lambda: (s := walk.train_status()) and (s[2] > step1 or s[1] != "running") and s,
                            60, what=f"the step to grow past {step1}")
        if second[1] == "running":
            assert second[2] > step1
            wait_until(lambda: walk.train_chart_points() > points1, 30,
                       what=f"the train chart to grow past {points1} points")
        print(f"[e2e] run {run_name}: status step {step1} -> {second[2]}, train-chart points "
              f"{points1} -> {walk.train_chart_points()}", flush=True)
        walk.no_exception()

        # Scoped to the page body: while a rerun is in progress the header's status widget has a
        # "Stop" button of its own (it stops the script run, not the training).
        stop = page.get_by_test_id("stMainBlockContainer").get_by_role(
            "button", name=re.compile(r"^\s*Stop( training)?\s*$"))
        now = wait_until(walk.train_status, 30, what="the status line")
        if now[1] == "running" and stop.is_visible():
            stop.click()
        final = wait_until(lambda: (s := walk.train_status()) and s[1] in ("stopped", "finished") and s, 90,
                           what="the status 'stopped' (or 'finished')")
        expect(stop).to_have_count(0, timeout=30_000)  # the panel no longer offers Stop
        if final[1] == "stopped":
            expect(page.get_by_text(re.compile(r"stopped at step \d+"))).to_be_visible()
        print(f"[e2e] run {run_name}: {final[1]} at step {final[2]} / {final[3]}", flush=True)
        wait_idle(page)
        assert (walk.server.runs_dir / run_name / "checkpoint.pt").is_file(), \
            f"no checkpoint in {walk.server.runs_dir / run_name}"
        walk.check_layout("train-stopped")
        walk.no_outbound()


def test_compare(walk: Walk) -> None:
    """Compare on the run just trained: the grid and the set-level table with bicubic."""
    from playwright.sync_api import expect

    page = walk.page
    run_name = needs_run(walk)
    with walk.step("compare"):
        walk.nav("Compare")
        walk.heading("Compare")
        walk.wait_visible("stImage", 6, "at least 6 images in the Compare grid")
        # The set-level table comes after the sample grid (scored in the background, 1,000 images).
        table = page.get_by_test_id("stTable").first
        expect(table).to_be_visible(timeout=PAGE_TIMEOUT * 1000)
        expect(table).to_contain_text("bicubic")
        expect(table).not_to_contain_text(re.compile(r"\((computing|stale)\)"), timeout=PAGE_TIMEOUT * 1000)
        wait_idle(page, timeout=PAGE_TIMEOUT)
        shown = walk.selectbox_text("Run")
        assert run_name in shown, f"Compare's Run picker shows {shown!r}, not run {run_name}"
        walk.check_layout("compare")
        walk.no_outbound()


def test_spectra(walk: Walk) -> None:
    needs_run(walk)
    with walk.step("spectra"):
        walk.nav("Spectra")
        walk.heading("Spectra")
        walk.wait_visible("stPlotlyChart", 2, "at least 2 Plotly charts on Spectra")
        wait_idle(walk.page, timeout=PAGE_TIMEOUT)
        walk.check_layout("spectra")
        # The second tab: the set average (background) and the models overlaid, with the long titles.
        walk.page.get_by_role("tab", name=re.compile("Test-set average")).click()
        walk.wait_visible("stPlotlyChart", 3, "the set-average charts and the overlay on Spectra")
        wait_idle(walk.page, timeout=PAGE_TIMEOUT)
        walk.check_layout("spectra-average")
        walk.no_outbound()

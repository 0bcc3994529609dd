"""The browser walk, in order (tests/e2e/conftest.py): Runs (the monitor's history slider on the stopped
run) and Sweeps."""
from __future__ import annotations

from e2e_helpers import wait_idle, wait_until
from e2e_walk import PAGE_TIMEOUT, Walk, needs_run


def test_runs(walk: Walk) -> None:
    from playwright.sync_api import expect

    run_name = needs_run(walk)
    with walk.step("runs"):
        walk.nav("Runs")
        walk.heading("Runs")
        frame = walk.page.get_by_test_id("stDataFrame").first
        expect(frame).to_be_visible(timeout=60_000)
        wait_idle(walk.page)
        # The grid draws on a canvas; its accessible table (glide-data-grid) holds the cell text.
        expect(frame).to_contain_text(run_name, timeout=30_000)
        walk.check_layout("runs")
        scrub_history(walk, run_name)
        walk.no_outbound()


STRIP_JS = """() => { for (const el of document.querySelectorAll('[data-testid="stImage"]')) {
                          const t = el.textContent || '';
                          const m = t.match(/at step (\\d+):/);
                          const img = el.querySelector('img');
                          if (m && img) return [Number(m[1]), img.src]; }
                        return null; }"""


def scrub_history(walk: Walk, run_name: str) -> None:
    """The monitor's step slider, moved with the keyboard (Home, then ArrowRight): the strip's step and
    image change; a screenshot of the monitor is kept (``runs-monitor.png``)."""
    from playwright.sync_api import expect

    page = walk.page
    assert run_name in walk.selectbox_text("Run to inspect")
    slider = page.get_by_test_id("stSlider").filter(has_text="Preview at step").get_by_role("slider")
    expect(slider).to_be_visible(timeout=60_000)
    before = wait_until(lambda: page.evaluate(STRIP_JS), 30, what="the preview strip with its step")
    slider.focus()
    slider.press("Home")  # the first stored evaluation (step 0)
    wait_idle(page)
    first = wait_until(lambda: (s := page.evaluate(STRIP_JS)) and s[0] != before[0] and s, 30,
                       what=f"the strip to leave step {before[0]}")
    assert first[0] == 0 and first[1] != before[1], (before[0], first[0])
    slider.focus()
    slider.press("ArrowRight")  # the next evaluation
    wait_idle(page)
    second = wait_until(lambda: (s := page.evaluate(STRIP_JS)) and s[0] != 0 and s, 30,
                        what="the strip to move past step 0")
    assert second[0] > 0 and second[1] != first[1]
    print(f"[e2e] runs monitor: strip step {before[0]} -> {first[0]} -> {second[0]} (keyboard)", flush=True)
    slider.scroll_into_view_if_needed()
    walk.shot("runs-monitor")
    walk.no_exception()


def test_sweeps(walk: Walk) -> None:
    """The shipped alpha study is drawn without running anything: its chart and table."""
    with walk.step("sweeps"):
        walk.nav("Sweeps")
        walk.heading("Sweeps")
        walk.wait_visible("stPlotlyChart", 1, "the shipped study's chart on Sweeps")
        wait_idle(walk.page, timeout=PAGE_TIMEOUT)
        walk.check_layout("sweeps")
        walk.no_outbound()

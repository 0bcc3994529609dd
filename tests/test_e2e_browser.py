"""End to end in a real browser: ``streamlit run app.py`` driven by Playwright + Debian's Chromium.

    SR_DATA_DIR=../shared/data .venv/bin/python -m pytest tests/test_e2e_browser.py -q -s

One test walks the studio like a user: Home renders → Compare before any training: the shipped
cnn-vae beside the shipped resnet-sr (two SR columns, both in the table) → Train: pick the "tiny" preset (600 batches
instead of 60, so there is time to watch it and press Stop), Start training, watch the status step and
the train loss chart's point count grow, Stop, see "stopped" → Compare: the image grid (≥ 6 images)
and the set-level metrics table → Spectra: ≥ 2 Plotly charts → Runs: the run's name in the table.
No page may show a Python exception.

Offline guarantee: every request of the browser (HTTP and WebSocket) is routed; one to any host other
than 127.0.0.1 / localhost is recorded and aborted, and the test FAILS at the end listing them.

Screenshots: a full-page PNG of each page goes to ``$SR_SCREENSHOT_DIR`` if set, else
``artifacts/screenshots/`` in the project (git-ignored). The folder is printed (visible with ``-s``)
and recorded as the ``screenshots`` property of the test (JUnit XML).

The server runs with a fresh ``SR_RUNS_DIR`` (a temporary folder) and the absolute ``SR_DATA_DIR``;
it is always killed (its process group) at teardown, and its log is printed when the test fails.
Needs /usr/bin/chromium and Fashion-MNIST: skipped without them locally, FAILS under CI (``CI`` set).
"""
from __future__ import annotations

import os
import re
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from e2e_helpers import (CHROMIUM, OutboundGuard, StreamlitServer, full_page_screenshot,  # noqa: E402
                         guarded_page, launch_chromium, main_text, screenshot_dir, skip_or_fail, wait_idle, wait_until)

TRAIN_STEPS = 600           # the tiny preset with 600 batches: long enough to see progress and press Stop
PROGRESS_TIMEOUT = 120      # s: first step > 0 after Start (data loading + first evaluation on a busy CPU)
PAGE_TIMEOUT = 240          # s: a page's background part (Compare scores 1,000 test images) on a shared CPU
VIEWPORT = {"width": 1400, "height": 1000}
STATUS_RE = re.compile(r"Run (\S+) · Status: (\w+) · Step (\d+) / (\d+)")


# ------------------------------------------------------------------------------------------- fixtures

@pytest.fixture(scope="module")
def chromium_ok() -> None:
    if not (Path(CHROMIUM).is_file() and os.access(CHROMIUM, os.X_OK)):
        skip_or_fail(f"{CHROMIUM} not found; install Debian's chromium (apt-get install chromium)")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError as exc:
        skip_or_fail(f"playwright for Python is not installed ({exc}); pip install -r requirements.txt")


@pytest.fixture(scope="module")
def server(chromium_ok, data_dir: Path, tmp_path_factory: pytest.TempPathFactory):
    """The studio on a free port of 127.0.0.1, with a fresh runs folder; killed at teardown."""
    tmp = tmp_path_factory.mktemp("e2e")
    runs = tmp / "runs"
    runs.mkdir()
    env = dict(os.environ, SR_DATA_DIR=str(Path(data_dir).resolve()), SR_RUNS_DIR=str(runs),
               GRADIO_ANALYTICS_ENABLED="False", STREAMLIT_BROWSER_GATHER_USAGE_STATS="false",
               PYTHONUNBUFFERED="1")
    srv = StreamlitServer(env=env, log_path=tmp / "streamlit.log")
    try:
        srv.start(timeout=60)
    except RuntimeError as exc:
        srv.stop()
        pytest.fail(str(exc))
    srv.runs_dir = runs
    try:
        yield srv
    finally:
        srv.stop()


# ------------------------------------------------------------------------------------------- helpers

class Walk:
    """The page plus bookkeeping: screenshots, timings and the name of the step being done."""

    def __init__(self, page, shots: Path) -> None:
        self.page, self.shots = page, shots
        self.current = "start"
        self.timings: dict[str, float] = {}
        self.saved: list[Path] = []

    @contextmanager
    def step(self, name: str):
        self.current, t0 = name, time.monotonic()
        try:
            yield
        except BaseException:
            try:  # a picture of the failure helps more than the traceback
                full_page_screenshot(self.page, self.shots / f"FAILED-{name}.png")
            except Exception:
                pass
            raise
        finally:
            self.timings[name] = round(time.monotonic() - t0, 1)

    def shot(self, name: str) -> None:
        path = full_page_screenshot(self.page, self.shots / f"{name}.png")
        self.saved.append(path)

    def nav(self, label: str) -> None:
        """Go to a page through the router's sidebar link (st.navigation; keeps the browser session).

        The link's name ends with the page title (after its icon); the page is served at ``/<title in
        lower case>``."""
        link = self.page.get_by_test_id("stSidebar").get_by_role("link", name=re.compile(rf"(^|\s){label}$"))
        link.first.click()
        self.page.wait_for_url(re.compile(rf"/{label.lower()}/?$"), timeout=30_000)

    def heading(self, text: str, timeout: float = 60) -> None:
        """Wait for the page title; fail at once (with the traceback text) if the page shows an exception."""
        head = self.page.get_by_role("heading", name=re.compile(re.escape(text))).first

        def ready() -> bool:
            self.no_exception()
            return head.is_visible()

        wait_until(ready, timeout, interval=0.25, what=f"the heading '{text}'", reraise=AssertionError)

    def no_exception(self) -> None:
        exc = self.page.get_by_test_id("stException")
        assert exc.count() == 0, f"{self.current}: the page shows an exception:\n{exc.first.inner_text()[:2000]}"

    def visible_count(self, testid: str) -> int:
        loc = self.page.get_by_test_id(testid)
        return sum(1 for i in range(loc.count()) if loc.nth(i).is_visible())

    def train_status(self) -> tuple[str, str, int, int] | None:
        m = STATUS_RE.search(main_text(self.page))
        return (m.group(1), m.group(2), int(m.group(3)), int(m.group(4))) if m else None

    def selectbox_text(self, label: str) -> str:
        """Label, shown value and input values of the first selectbox whose text starts with ``label``."""
        return self.page.evaluate(
            """(label) => { for (const el of document.querySelectorAll('[data-testid="stSelectbox"]')) {
                               const t = el.textContent || '';
                               if (!t.trim().startsWith(label)) continue;
                               const vals = [...el.querySelectorAll('input')].map(i => i.value + ' ' +
                                                                                  (i.getAttribute('aria-label') || ''));
                               return t + ' ' + vals.join(' '); }
                             return ''; }""", label)

    def train_chart_points(self) -> int:
        """Most points in a trace of the first Plotly chart (the train loss), from Plotly's calcdata
        (gd.data may hold base64-encoded arrays, which have no length)."""
        n = self.page.evaluate(
            """() => { const gd = document.querySelector('[data-testid="stPlotlyChart"] .js-plotly-plot');
                       const cd = (gd && gd.calcdata) || [];
                       const lens = cd.map(t => (t && t.length) || 0);
                       return lens.length ? Math.max(...lens) : 0; }""")
        return int(n or 0)


# ------------------------------------------------------------------------------------------- the test

def test_studio_end_to_end_in_chromium(server: StreamlitServer, record_property) -> None:
    from playwright.sync_api import expect, sync_playwright

    shots = screenshot_dir()
    for old in [*shots.glob("FAILED-*.png"), *shots.glob("[0-9]-*.png")]:  # this test's files of a previous run
        old.unlink(missing_ok=True)
    record_property("screenshots", str(shots))
    print(f"\n[e2e] screenshots folder: {shots}", flush=True)
    guard = OutboundGuard()
    walk = None
    try:
        with sync_playwright() as p:
            browser = launch_chromium(p)
            try:
                page = guarded_page(browser, guard, VIEWPORT, 60_000)
                walk = Walk(page, shots)

                with walk.step("home"):
                    page.goto(server.url, wait_until="domcontentloaded")
                    walk.heading("VAE Super-Resolution Studio")
                    wait_idle(page)
                    sidebar = page.get_by_test_id("stSidebar")
                    for label in ("Train", "Compare", "Latent", "Spectra", "Runs"):
                        expect(sidebar.get_by_role("link", name=re.compile(rf"(^|\s){label}$")).first).to_be_visible()
                    walk.no_exception()
                    walk.shot("1-home")

                with walk.step("compare-shipped"):
                    # Before any training a newcomer's Compare opens on the shipped cnn-vae beside the
                    # shipped resnet-sr (two SR columns: 7 images per row, 4 rows).
                    walk.nav("Compare")
                    walk.heading("Compare")
                    wait_until(lambda: walk.no_exception() or walk.visible_count("stImage") >= 28, PAGE_TIMEOUT,
                               reraise=AssertionError, what="28 images in the two-model Compare grid")
                    table = page.get_by_test_id("stTable").first
                    expect(table).to_contain_text("shipped · resnet-sr: SR from LR", timeout=PAGE_TIMEOUT * 1000)
                    expect(table).to_contain_text("shipped · cnn-vae: SR from LR")
                    # Scored in the background: wait until no row is still "(computing)" or "(stale)".
                    expect(table).not_to_contain_text(re.compile(r"\((computing|stale)\)"),
                                                      timeout=PAGE_TIMEOUT * 1000)
                    wait_idle(page, timeout=PAGE_TIMEOUT)
                    walk.no_exception()
                    walk.shot("2-compare-shipped")

                with walk.step("latent-shipped"):
                    # The paper's latent on the shipped cnn-vae: 3 samples x 8 panels, each with its number.
                    walk.nav("Latent")
                    walk.heading("Latent")
                    wait_until(lambda: walk.no_exception() or walk.visible_count("stImage") >= 24, PAGE_TIMEOUT,
                               reraise=AssertionError, what="24 latent panels on the Latent page")
                    expect(page.get_by_text(re.compile(r"PSNR vs LR \d+\.\d+ dB")).first).to_be_visible()
                    wait_idle(page, timeout=PAGE_TIMEOUT)
                    walk.no_exception()
                    walk.shot("2-latent-shipped")

                with walk.step("train-start"):
                    walk.nav("Train")
                    walk.heading("Train")
                    wait_idle(page)
                    preset = page.get_by_test_id("stSelectbox").filter(has_text="Preset")
                    preset.get_by_role("combobox").click()
                    page.get_by_role("option", name=re.compile(r"^tiny\b")).click()
                    batches = page.get_by_role("spinbutton", name="Batches (training steps)", exact=True)
                    expect(batches).to_have_value("60", timeout=30_000)  # the preset filled the form
                    batches.fill(str(TRAIN_STEPS))
                    batches.press("Tab")
                    expect(batches).to_have_value(str(TRAIN_STEPS))
                    page.get_by_role("button", name="Start training").click()

                with walk.step("train-progress"):
                    first = wait_until(lambda: (s := walk.train_status()) and s[2] > 0 and s,
                                       PROGRESS_TIMEOUT, what="the status to show a step > 0")
                    run_name, status, step1, total = first
                    assert total == TRAIN_STEPS, first
                    expect(page.get_by_role("heading", name="Loss per batch")).to_be_visible()
                    wait_until(lambda: walk.visible_count("stPlotlyChart") >= 2, 60,
                               what="the two loss charts")
                    points1 = wait_until(walk.train_chart_points, 60, what="points in the train loss chart")
                    # Two polls later the job has moved on and the chart has more points.
                    second = wait_until(lambda: (s := walk.train_status()) and (s[2] > step1 or
                                                                                 s[1] != "running") and s,
                                        60, what=f"the step to grow past {step1}")
                    if second[1] == "running":
                        assert second[2] > step1
                        wait_until(lambda: walk.train_chart_points() > points1, 30,
                                   what=f"the train chart to grow past {points1} points")
                    points2 = walk.train_chart_points()
                    print(f"[e2e] run {run_name}: status step {step1} -> {second[2]}, train-chart points "
                          f"{points1} -> {points2}", flush=True)
                    walk.no_exception()

                with walk.step("train-stop"):
                    # Scoped to the page body: while a rerun is in progress the header's status widget
                    # has a "Stop" button of its own (it stops the script run, not the training).
                    stop = page.get_by_test_id("stMainBlockContainer").get_by_role(
                        "button", name=re.compile(r"^\s*Stop( training)?\s*$"))
                    now = wait_until(walk.train_status, 30, what="the status line")
                    if now[1] == "running" and stop.is_visible():
                        stop.click()
                    final = wait_until(lambda: (s := walk.train_status()) and s[1] in ("stopped", "finished")
                                       and s, 90, what="the status 'stopped' (or 'finished')")
                    expect(stop).to_have_count(0, timeout=30_000)  # the panel no longer offers Stop
                    if final[1] == "stopped":
                        expect(page.get_by_text(re.compile(r"stopped at step \d+"))).to_be_visible()
                    print(f"[e2e] run {run_name}: {final[1]} at step {final[2]} / {final[3]}", flush=True)
                    wait_idle(page)
                    walk.no_exception()
                    walk.shot("3-train")
                    assert (server.runs_dir / run_name / "checkpoint.pt").is_file(), \
                        f"no checkpoint in {server.runs_dir / run_name}"

                with walk.step("compare"):
                    walk.nav("Compare")
                    walk.heading("Compare")
                    wait_until(lambda: walk.no_exception() or walk.visible_count("stImage") >= 6, PAGE_TIMEOUT,
                               reraise=AssertionError,
                               what="at least 6 images in the Compare grid")
                    # The set-level table comes after the sample grid (scored in the background, 1,000 images).
                    table = page.get_by_test_id("stTable").first
                    expect(table).to_be_visible(timeout=PAGE_TIMEOUT * 1000)
                    expect(table).to_contain_text("bicubic")
                    expect(table).not_to_contain_text(re.compile(r"\((computing|stale)\)"),
                                                      timeout=PAGE_TIMEOUT * 1000)
                    wait_idle(page, timeout=PAGE_TIMEOUT)
                    shown = walk.selectbox_text("Run")
                    assert run_name in shown, f"Compare's Run picker shows {shown!r}, not run {run_name}"
                    walk.no_exception()
                    walk.shot("4-compare")

                with walk.step("spectra"):
                    walk.nav("Spectra")
                    walk.heading("Spectra")
                    wait_until(lambda: walk.no_exception() or walk.visible_count("stPlotlyChart") >= 2,
                               PAGE_TIMEOUT, reraise=AssertionError,
                               what="at least 2 Plotly charts on Spectra")
                    wait_idle(page, timeout=PAGE_TIMEOUT)
                    walk.no_exception()
                    walk.shot("5-spectra")

                with walk.step("runs"):
                    walk.nav("Runs")
                    walk.heading("Runs")
                    frame = page.get_by_test_id("stDataFrame").first
                    expect(frame).to_be_visible(timeout=60_000)
                    wait_idle(page)
                    # The grid draws on a canvas; its accessible table (glide-data-grid) holds the cell text.
                    expect(frame).to_contain_text(run_name, timeout=30_000)
                    walk.no_exception()
                    walk.shot("6-runs")

                with walk.step("sweeps"):
                    walk.nav("Sweeps")
                    walk.heading("Sweeps")
                    # The shipped alpha study is drawn without running anything: its chart and table.
                    wait_until(lambda: walk.no_exception() or walk.visible_count("stPlotlyChart") >= 1,
                               PAGE_TIMEOUT, reraise=AssertionError, what="the shipped study's chart on Sweeps")
                    wait_idle(page, timeout=PAGE_TIMEOUT)
                    walk.no_exception()
                    walk.shot("7-sweeps")
            finally:
                browser.close()
    except BaseException:
        print(f"\n[e2e] failed during step '{walk.current if walk else 'browser start'}'; server log:\n"
              f"{server.log_text()}", flush=True)
        raise
    finally:
        if walk is not None:
            print(f"[e2e] step times (s): {walk.timings}", flush=True)
            print(f"[e2e] screenshots: {', '.join(p.name for p in walk.saved)} in {shots}", flush=True)
        print(f"[e2e] requests: {guard.allowed} local, {len(guard.blocked)} blocked", flush=True)

    assert not guard.blocked, ("the browser tried to reach other hosts (aborted):\n  "
                               + "\n  ".join(guard.blocked))


GRID_WIDTHS = ({"width": 1280, "height": 900}, {"width": 1920, "height": 1080})
GRID_MODELS = ("shipped · resnet-sr", "shipped · cvae-sr", "shipped · cnn-vae-paper")  # + the primary: 4


def test_compare_grid_fits_at_1280_and_1920(server: StreamlitServer) -> None:
    """Compare with 4 models and projection on: at 1280 and 1920 px no two images overlap and no
    cell title is clipped or broken inside a word (asserted from the page's element boxes)."""
    from playwright.sync_api import sync_playwright

    from e2e_helpers import GRID_BOXES_JS, grid_layout_problems

    shots = screenshot_dir()
    with sync_playwright() as p:
        browser = launch_chromium(p)
        try:
            page = guarded_page(browser, OutboundGuard(), GRID_WIDTHS[0], 60_000)
            walk = Walk(page, shots)
            page.goto(server.url, wait_until="domcontentloaded")
            walk.heading("VAE Super-Resolution Studio")
            walk.nav("Compare")
            walk.heading("Compare")
            wait_idle(page, timeout=PAGE_TIMEOUT)
            page.get_by_test_id("stRadio").filter(has_text="Model source").get_by_text("Shipped checkpoint").click()
            wait_idle(page, timeout=PAGE_TIMEOUT)
            more = page.get_by_test_id("stMultiSelect").filter(has_text="Compare with")
            for label in GRID_MODELS:
                if label in more.inner_text():
                    continue
                more.get_by_role("combobox").click()
                page.get_by_role("option", name=label, exact=True).click()
                page.keyboard.press("Escape")
                wait_idle(page, timeout=PAGE_TIMEOUT)
            page.get_by_test_id("stCheckbox").filter(has_text="LR-consistent projection").locator("label").click()
            per_sample = 5 + 2 * 4  # HR, LR, reconstruction, bicubic, error + 4 x (SR, SR + projection)
            wait_until(lambda: walk.no_exception() or walk.visible_count("stImage") >= 4 * per_sample, PAGE_TIMEOUT,
                       reraise=AssertionError, what=f"{4 * per_sample} images in the 4-model grid")
            wait_idle(page, timeout=PAGE_TIMEOUT)
            for size in GRID_WIDTHS:
                page.set_viewport_size(size)
                page.wait_for_timeout(1000)
                boxes = page.evaluate(GRID_BOXES_JS)
                assert len(boxes["imgs"]) >= 4 * per_sample and len(boxes["titles"]) >= 4 * (per_sample - 1)
                problems = grid_layout_problems(boxes)
                full_page_screenshot(page, shots / f"compare-grid-{size['width']}.png")
                assert not problems, f"at {size['width']} px:\n" + "\n".join(problems[:20])
                walk.no_exception()
        finally:
            browser.close()

"""End to end in a real browser: ``streamlit run app.py`` driven by Playwright + Debian's Chromium.

    SR_DATA_DIR=../shared/data .venv/bin/python -m pytest tests/test_e2e_browser.py -q -s

One test per page, in the order a user walks the studio, sharing one server and one browser tab (so
a failure names the page): Home renders → Compare before any training: the shipped cnn-vae beside the
shipped resnet-sr (two SR columns, both in the table) → Latent → Train: pick the "tiny" preset (600 batches
instead of 60, so there is time to watch it and press Stop), Start training, watch the status step and
the train loss chart's point count grow, Stop, see "stopped" → Compare: the image grid (≥ 6 images)
and the set-level metrics table → Spectra: ≥ 2 Plotly charts → Runs: the run's name in the table →
Sweeps → Compare with 4 models and the projection at 1280 and 1920 px → Compare on the held-out photos
(whole-photo table, the crop box moved with the keyboard).
No page may show a Python exception.

Layout: every page is looked at in windows of 1280×800 and 1920×1080 (:data:`e2e_layout.LAYOUT_SIZES`)
and :func:`e2e_layout.layout_problems` must find nothing: no clipped label/value, no overlapping text,
no image wider than its column, no Plotly title/legend/axis title over another or cut by the chart.

Offline guarantee: every request of the browser (HTTP and WebSocket) is routed; one to any host other
than 127.0.0.1 / localhost is recorded and aborted, and the test FAILS at the end listing them.

Screenshots: a full-page PNG of each page at each size (``<page>-<width>.png``) goes to ``$SR_SCREENSHOT_DIR`` if set, else
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
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from e2e_helpers import (CHROMIUM, ROOT, OutboundGuard, StreamlitServer, guarded_page,  # noqa: E402
                         launch_chromium, screenshot_dir, skip_or_fail, wait_idle, wait_until)
from e2e_layout import GRID_BOXES_JS, grid_layout_problems, svg_min_font_px  # noqa: E402
from e2e_walk import PAGE_TIMEOUT, VIEWPORT, Walk  # noqa: E402

TRAIN_STEPS = 600           # the tiny preset with 600 batches: long enough to see progress and press Stop
PROGRESS_TIMEOUT = 120      # s: first step > 0 after Start (data loading + first evaluation on a busy CPU)
MIN_DIAGRAM_FONT_PX = 9.0  # the Home diagram's smallest text, as rendered


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

# ------------------------------------------------------------------------------------------- the walk

PAGES = ("home", "compare-shipped", "latent", "train", "compare", "spectra", "runs", "sweeps", "compare-grid",
         "compare-photos")


@pytest.fixture(scope="module")
def walk(server: StreamlitServer):
    """One browser tab for the whole walk (a Streamlit session carries over from page to page)."""
    from playwright.sync_api import sync_playwright

    shots = screenshot_dir()
    for name in PAGES:  # this module's files of a previous run
        for old in (*shots.glob(f"{name}-*.png"), shots / f"FAILED-{name}.png"):
            old.unlink(missing_ok=True)
    print(f"\n[e2e] screenshots folder: {shots}", flush=True)
    guard = OutboundGuard()
    with sync_playwright() as p:
        browser = launch_chromium(p)
        try:
            w = Walk(guarded_page(browser, guard, VIEWPORT, 60_000), shots, server, guard)
            yield w
        finally:
            browser.close()
            print(f"\n[e2e] step times (s): {w.timings}\n[e2e] screenshots: "
                  f"{', '.join(p.name for p in w.saved)} in {shots}\n[e2e] requests: {guard.allowed} local, "
                  f"{len(guard.blocked)} blocked", flush=True)


def test_home(walk: Walk) -> None:
    from playwright.sync_api import expect

    page = walk.page
    with walk.step("home"):
        page.goto(walk.server.url, wait_until="domcontentloaded")
        walk.heading("VAE Super-Resolution Studio")
        wait_idle(page)
        sidebar = page.get_by_test_id("stSidebar")
        for label in ("Train", "Compare", "Latent", "Spectra", "Runs", "Sweeps"):
            expect(sidebar.get_by_role("link", name=re.compile(rf"(^|\s){label}$")).first).to_be_visible()
        font, view_w = svg_min_font_px(ROOT / "assets" / "vae_sr_diagram.svg")

        def diagram_font(width: int) -> list[str]:
            """The diagram is an <img>: its smallest text renders at font-size x shown width / viewBox width."""
            img = page.get_by_test_id("stImage").filter(has_text="super-resolution uses only the decoder").locator("img")
            shown = img.first.bounding_box()["width"]
            px = font * shown / view_w
            return [] if px >= MIN_DIAGRAM_FONT_PX else [
                f"the diagram's smallest text renders at {px:.1f} px (< {MIN_DIAGRAM_FONT_PX}; shown {shown:.0f} px wide)"]

        walk.check_layout("home", extra=diagram_font)
        walk.no_outbound()


def test_compare_shipped(walk: Walk) -> None:
    """Before any training a newcomer's Compare opens on the shipped cnn-vae beside the shipped
    resnet-sr (two SR columns: 7 images per sample, 4 samples)."""
    from playwright.sync_api import expect

    page = walk.page
    with walk.step("compare-shipped"):
        walk.nav("Compare")
        walk.heading("Compare")
        wait_until(lambda: walk.no_exception() or walk.visible_count("stImage") >= 28, PAGE_TIMEOUT,
                   reraise=AssertionError, what="28 images in the two-model Compare grid")
        table = page.get_by_test_id("stTable").first
        expect(table).to_contain_text("shipped · resnet-sr: SR from LR", timeout=PAGE_TIMEOUT * 1000)
        expect(table).to_contain_text("shipped · cnn-vae: SR from LR")
        # Scored in the background: wait until no row is still "(computing)" or "(stale)".
        expect(table).not_to_contain_text(re.compile(r"\((computing|stale)\)"), timeout=PAGE_TIMEOUT * 1000)
        wait_idle(page, timeout=PAGE_TIMEOUT)
        walk.check_layout("compare-shipped")
        walk.no_outbound()


def test_latent(walk: Walk) -> None:
    """The paper's latent on the shipped cnn-vae: 3 samples x 8 panels, each with its number."""
    from playwright.sync_api import expect

    page = walk.page
    with walk.step("latent"):
        walk.nav("Latent")
        walk.heading("Latent")
        wait_until(lambda: walk.no_exception() or walk.visible_count("stImage") >= 24, PAGE_TIMEOUT,
                   reraise=AssertionError, what="24 latent panels on the Latent page")
        expect(page.get_by_text(re.compile(r"PSNR vs LR \d+\.\d+ dB")).first).to_be_visible()
        wait_idle(page, timeout=PAGE_TIMEOUT)
        walk.check_layout("latent")
        walk.no_outbound()


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


def needs_run(walk: Walk) -> str:
    if walk.run_name is None:
        pytest.fail("test_train did not leave a run (see its failure above)")
    return walk.run_name


def test_compare(walk: Walk) -> None:
    """Compare on the run just trained: the grid and the set-level table with bicubic."""
    from playwright.sync_api import expect

    page = walk.page
    run_name = needs_run(walk)
    with walk.step("compare"):
        walk.nav("Compare")
        walk.heading("Compare")
        wait_until(lambda: walk.no_exception() or walk.visible_count("stImage") >= 6, PAGE_TIMEOUT,
                   reraise=AssertionError, what="at least 6 images in the Compare grid")
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
        wait_until(lambda: walk.no_exception() or walk.visible_count("stPlotlyChart") >= 2, PAGE_TIMEOUT,
                   reraise=AssertionError, what="at least 2 Plotly charts on Spectra")
        wait_idle(walk.page, timeout=PAGE_TIMEOUT)
        walk.check_layout("spectra")
        # The second tab: the set average (background) and the models overlaid, with the long titles.
        walk.page.get_by_role("tab", name=re.compile("Test-set average")).click()
        wait_until(lambda: walk.no_exception() or walk.visible_count("stPlotlyChart") >= 3, PAGE_TIMEOUT,
                   reraise=AssertionError, what="the set-average charts and the overlay on Spectra")
        wait_idle(walk.page, timeout=PAGE_TIMEOUT)
        walk.check_layout("spectra-average")
        walk.no_outbound()


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
        wait_until(lambda: walk.no_exception() or walk.visible_count("stPlotlyChart") >= 1, PAGE_TIMEOUT,
                   reraise=AssertionError, what="the shipped study's chart on Sweeps")
        wait_idle(walk.page, timeout=PAGE_TIMEOUT)
        walk.check_layout("sweeps")
        walk.no_outbound()


GRID_MODELS = ("shipped · resnet-sr", "shipped · cvae-sr", "shipped · cnn-vae-paper")  # + the primary: 4


def test_compare_grid_4_models_with_projection(walk: Walk) -> None:
    """Compare with 4 shipped models and the projection on, at 1280 and 1920 px: no two images overlap,
    no cell title is clipped or broken inside a word (element boxes); at 1920 the grid uses the width
    (one row of cells per sample); a model that is already LR-consistent gets no
    second, identical "SR + projection" cell but a caption saying so."""
    page = walk.page
    with walk.step("compare-grid"):
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
            # the option text is the label plus the data it was trained on ("shipped · cvae-sr · f-mnist")
            page.get_by_role("option", name=re.compile(rf"^{re.escape(label)}( · .*)?$")).first.click()
            page.keyboard.press("Escape")
            wait_idle(page, timeout=PAGE_TIMEOUT)
        toggle = page.get_by_test_id("stCheckbox").filter(has_text="LR-consistent projection")
        for _ in range(3):  # a click during a rerun can be lost (CI once ran the grid with it off for 240 s)
            if toggle.locator("input").is_checked():
                break
            toggle.locator("label").click()
            wait_idle(page, timeout=PAGE_TIMEOUT)
        assert toggle.locator("input").is_checked(), "the LR-consistent projection toggle does not switch on"
        wait_until(lambda: walk.no_exception() or page.get_by_text("SR + projection ·").count() >= 4, PAGE_TIMEOUT,
                   reraise=AssertionError, what="the projection cells in the 4-model grid")
        wait_idle(page, timeout=PAGE_TIMEOUT)
        boxes = page.evaluate(GRID_BOXES_JS)
        titles = [" ".join(t["text"].split()) for t in boxes["titles"]]
        # Context (HR, LR, reconstruction, bicubic, error) + 4 SR cells, per sample; projections only where
        # they change the image.
        n_samples = sum(1 for t in titles if t == "HR (truth)")
        assert n_samples == 4 and titles.count("Bicubic") == 4, titles
        for label in ("shipped · cnn-vae", *GRID_MODELS):
            assert titles.count(f"SR · {label}") == 4, (label, titles)
        projected = {t.split(" · ", 1)[1] for t in titles if t.startswith("SR + projection")}
        consistent = page.get_by_text(re.compile(r"already LR-consistent")).count()
        assert projected, "no model got a projection cell"
        if len(projected) < 4:  # the others must say why they have none
            assert consistent >= 1, f"projection cells only for {projected}, and no note saying why"

        def grid_checks(width: int) -> list[str]:
            boxes = page.evaluate(GRID_BOXES_JS)
            problems = grid_layout_problems(boxes)
            rows = sorted({round(t["box"][1]) for t in boxes["titles"]})  # one top per row of cells
            height = boxes["titles"][-1]["box"][3] - boxes["titles"][0]["box"][1] + 170  # + the last row's image
            print(f"[e2e] compare grid at {width} px: {len(rows)} rows of cells for {n_samples} samples, "
                  f"grid ~{height:.0f} px, page {walk.page_height()} px", flush=True)
            if width >= 1920 and len(rows) > n_samples:  # was 3 rows a sample (5 cells a row): 3,700-px pages
                problems.append(f"at 1920 px the {n_samples} samples take {len(rows)} rows of cells: "
                                f"the grid does not use the width (one row a sample fits)")
            return problems

        walk.check_layout("compare-grid", extra=grid_checks)
        walk.no_outbound()


def test_compare_photos(walk: Walk) -> None:
    """Compare on a held-out photo: the whole photo with its crop box, the pixel-exact crops and the table."""
    with walk.step("compare-photos"):
        if not walk.page.url.startswith("http"):  # run on its own (-k compare_photos): open the studio first
            walk.page.goto(walk.server.url, wait_until="domcontentloaded")
        walk.nav("Compare")
        walk.heading("Compare")
        wait_idle(walk.page, timeout=PAGE_TIMEOUT)
        print(f"[e2e] compare on photos: {walk.compare_photos()}", flush=True)
        walk.check_layout("compare-photos")
        walk.no_outbound()

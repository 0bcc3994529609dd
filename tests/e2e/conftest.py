"""Fixtures of the browser walk (tests/e2e/test_walk_*.py): one Streamlit server and one browser tab
shared by every page's test, in file order (package scope), so the Streamlit session carries over from
page to page as it does for a user.

SR_DATA_DIR=../shared/data .venv/bin/python -m pytest tests/e2e -q -s -k walk

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
from pathlib import Path

import pytest

from e2e_helpers import (CHROMIUM, OutboundGuard, StreamlitServer, guarded_page, launch_chromium,
                         screenshot_dir, skip_or_fail)
from e2e_walk import VIEWPORT, Walk


# ------------------------------------------------------------------------------------------- fixtures

@pytest.fixture(scope="package")
def chromium_ok() -> None:
    if not (Path(CHROMIUM).is_file() and os.access(CHROMIUM, os.X_OK)):
        skip_or_fail(f"{CHROMIUM} not found; install Debian's chromium (apt-get install chromium)")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError as exc:
        skip_or_fail(f"playwright for Python is not installed ({exc}); pip install -r requirements.txt")


@pytest.fixture(scope="package")
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


@pytest.fixture(scope="package")
def walk(server: StreamlitServer):
    """One browser tab for the whole walk (a Streamlit session carries over from page to page)."""
    from playwright.sync_api import sync_playwright

    shots = screenshot_dir()
    for name in PAGES:  # this walk's files of a previous run
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

"""The try-it demo in a real browser: Playwright + Debian's Chromium against demo.py on 127.0.0.1.

    .venv/bin/python -m pytest tests/e2e/test_e2e_demo.py -q -s

A user uploads a colour photo, sees bicubic vs SR in the slider and the spectrum, moves the slider; draws a
stroke on the sketchpad and upscales the drawing; picks cvae-sr, moves the temperature slider and sees the
samples; uploads a text file renamed .png and gets one line (no traceback); then picks an example in "truth"
mode and sees the scores with their protocol; back on ``auto``, the held-out photo example gets auto's photo choice.
Every request to a host other than localhost fails the test. Screenshots go to ``artifacts/screenshots/``
(or ``$SR_SCREENSHOT_DIR``) as ``demo-*.png``. Needs /usr/bin/chromium: skipped locally without it, FAILS
under CI.
"""
from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from e2e_helpers import (CHROMIUM, OutboundGuard, guarded_page, launch_chromium, screenshot_dir,
                         skip_or_fail)
from e2e_layout import LAYOUT_SIZES, layout_problems
from tests.demo_support import demo_url  # noqa: F401  (fixture)

TIMEOUT = 120_000  # ms: one request on a busy 2-core machine, with margin
VIEWPORT = {"width": 1400, "height": 1000}
GRADIO_ROOT = ".gradio-container"


def check_layout(page, shots: Path, name: str) -> None:
    """At 1280×800 and 1920×1080: no clipped or overlapping text, no image wider than its column, no chart
    title/legend over another (``e2e_layout.layout_problems``); a full-page screenshot of each."""
    found = {}
    for size in LAYOUT_SIZES:
        page.set_viewport_size(size)
        page.wait_for_timeout(1000)
        found[size["width"]] = layout_problems(page, GRADIO_ROOT)
        page.screenshot(path=str(shots / f"demo-{name}-{size['width']}.png"), full_page=True)
    page.set_viewport_size(VIEWPORT)
    bad = [f"at {w} px: {p}" for w, probs in found.items() for p in probs[:15]]
    assert not bad, f"demo ({name}): layout problems\n" + "\n".join(bad)


def _photo(path: Path) -> Path:
    """A 40×48 colour image with structure (a gradient and a disc)."""
    yy, xx = np.mgrid[0:40, 0:48]
    rgb = np.stack([xx / 47, yy / 39, ((xx - 24) ** 2 + (yy - 20) ** 2 < 120).astype(float)], axis=-1)
    Image.fromarray((rgb * 255).astype(np.uint8)).save(path)
    return path


def _clip_percent(page) -> float:
    """Where the slider cuts the SR image, in % of its width (from the image's clip-path)."""
    style = page.locator("#result img[data-testid=imageslider-image]").nth(1).get_attribute("style") or ""
    m = re.search(r"inset\(0px 0px 0px ([\d.]+)%\)", style)
    assert m, style
    return float(m.group(1))


def test_demo_in_the_browser(demo_url: str, tmp_path: Path) -> None:  # noqa: F811
    if not Path(CHROMIUM).exists():
        skip_or_fail(f"{CHROMIUM} not found (apt install chromium)")
    try:
        from playwright.sync_api import expect, sync_playwright
    except ImportError:
        skip_or_fail("playwright is not installed")
    expect.set_options(timeout=TIMEOUT)
    shots = screenshot_dir()
    guard = OutboundGuard()
    with sync_playwright() as p:
        browser = launch_chromium(p)
        try:
            page = guarded_page(browser, guard, VIEWPORT, TIMEOUT)
            page.goto(demo_url)
            expect(page.locator("#run")).to_be_visible()
            assert "Y of YCbCr" in page.inner_text("body") and "1024×1024" in page.inner_text("body")

            # 1. upload a colour photo -> bicubic | SR slider, summary, spectrum
            page.locator("#input-image input[type=file]").set_input_files(str(_photo(tmp_path / "photo.png")))
            page.locator("#run").click()
            expect(page.locator("#summary")).to_contain_text("48×40 → 96×80")
            expect(page.locator("#summary")).to_contain_text("luminance")
            expect(page.locator("#summary")).to_contain_text("chosen by auto")  # the default model: auto
            expect(page.locator("#summary")).to_contain_text("auto: a photograph")
            expect(page.locator("#result img[data-testid=imageslider-image]")).to_have_count(2)
            expect(page.locator("#spectrum .js-plotly-plot")).to_have_count(1)
            page.screenshot(path=str(shots / "demo-1-upload.png"), full_page=True)
            check_layout(page, shots, "layout-result")

            # 2. move the slider: drag its handle to the left quarter of the image
            before = _clip_percent(page)
            handle = page.locator("#result [data-testid=slider]")
            hb = handle.bounding_box()
            ib = page.locator("#result img[data-testid=imageslider-image]").nth(0).bounding_box()
            page.mouse.move(hb["x"] + hb["width"] / 2, hb["y"] + hb["height"] / 2)
            page.mouse.down()
            page.mouse.move(ib["x"] + ib["width"] * 0.25, hb["y"] + hb["height"] / 2, steps=8)
            page.mouse.up()
            after = _clip_percent(page)
            assert after < 40 and before > after + 10, (before, after)  # the divider follows the drag
            page.screenshot(path=str(shots / "demo-2-slider.png"), full_page=True)

            # 3. draw a stroke on the sketchpad and upscale the drawing
            page.get_by_role("tab", name="Draw").click()
            canvas = page.locator("#sketchpad canvas").first
            expect(canvas).to_be_visible()
            cb = canvas.bounding_box()
            x0, y0 = cb["x"] + cb["width"] * 0.3, cb["y"] + cb["height"] * 0.3
            page.mouse.move(x0, y0)
            page.mouse.down()
            page.mouse.move(x0 + cb["width"] * 0.35, y0 + cb["height"] * 0.4, steps=15)
            page.mouse.up()
            page.locator("#run").click()
            expect(page.locator("#summary")).to_contain_text("drawing was resized to 28×28")
            expect(page.locator("#summary")).to_contain_text("28×28 → 56×56")
            page.screenshot(path=str(shots / "demo-3-drawing.png"), full_page=True)

            # 4. a stochastic model: the temperature slider appears; move it; samples and their std
            page.get_by_label("Model").click()
            page.get_by_role("option", name="cvae-sr · trained on Fashion-MNIST", exact=True).click()
            temp = page.locator("#temperature input[type=number]")
            expect(temp).to_be_visible()
            temp.fill("0.8")
            temp.press("Enter")
            page.locator("#run").click()
            expect(page.locator("#summary")).to_contain_text("cvae-sr")
            expect(page.get_by_text("per-pixel std", exact=False).first).to_be_visible()
            page.screenshot(path=str(shots / "demo-4-cvae-samples.png"), full_page=True)
            check_layout(page, shots, "layout-samples")

            # 5. a text file renamed .png: one line, no traceback; the page keeps working
            page.get_by_role("tab", name="Upload or paste").click()
            bad = tmp_path / "notes.png"
            bad.write_text("this is not an image\n")
            page.locator("#input-image button[aria-label='Clear']").click() \
                if page.locator("#input-image button[aria-label='Clear']").count() else None
            page.locator("#input-image input[type=file]").set_input_files(str(bad))
            page.locator("#run").click()
            expect(page.get_by_text("not an image Pillow can read").first).to_be_visible()
            body = page.inner_text("body")
            assert "Traceback" not in body and 'File "' not in body
            page.screenshot(path=str(shots / "demo-5-bad-file.png"), full_page=True)

            # 6. an example image in "truth" mode: scored against itself, with the protocol line
            page.locator("button.gallery-item").first.click()
            page.get_by_label("this is the truth", exact=False).check()
            page.locator("#run").click()
            expect(page.locator("#summary")).to_contain_text("14×14 → 28×28")
            expect(page.locator("#summary")).to_contain_text("Protocol")
            expect(page.locator("#summary table")).to_contain_text("bicubic")
            page.screenshot(path=str(shots / "demo-6-example-truth.png"), full_page=True)

            # 7. back to auto; the held-out photo example (chelsea, colour) gets a photo model or, when none
            #    beats bicubic, resnet-sr with a note saying so
            page.get_by_label("Model").click()
            page.get_by_role("option", name="auto (photos", exact=False).click()
            page.locator("button.gallery-item").nth(10).click()
            page.locator("#run").click()
            expect(page.locator("#summary")).to_contain_text("auto: a photograph")
            expect(page.locator("#summary")).to_contain_text("chosen by auto")
            page.screenshot(path=str(shots / "demo-7-photo-example-auto.png"), full_page=True)
        finally:
            browser.close()
    print(f"[e2e-demo] screenshots in {shots}; requests allowed {guard.allowed}, blocked {len(guard.blocked)}")
    assert guard.allowed > 0
    assert not guard.blocked, f"requests left the machine: {guard.blocked}"

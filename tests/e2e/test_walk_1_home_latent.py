"""The browser walk, in order (tests/e2e/conftest.py): Home, Compare before any training (shipped
checkpoints), Latent."""
from __future__ import annotations

import re

from e2e_helpers import ROOT, wait_idle
from e2e_layout import svg_min_font_px
from e2e_walk import PAGE_TIMEOUT, Walk

MIN_DIAGRAM_FONT_PX = 9.0  # the Home diagram's smallest text, as rendered


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
        walk.wait_visible("stImage", 28, "28 images in the two-model Compare grid")
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
        walk.wait_visible("stImage", 24, "24 latent panels on the Latent page")
        expect(page.get_by_text(re.compile(r"PSNR vs LR \d+\.\d+ dB")).first).to_be_visible()
        wait_idle(page, timeout=PAGE_TIMEOUT)
        walk.check_layout("latent")
        walk.no_outbound()

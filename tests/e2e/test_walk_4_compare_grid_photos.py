"""The browser walk, in order (tests/e2e/conftest.py): Compare with 4 models and the projection at two
widths, and Compare on the held-out photos."""
from __future__ import annotations

import re

from e2e_helpers import wait_idle, wait_until
from e2e_layout import GRID_BOXES_JS, grid_layout_problems
from e2e_walk import PAGE_TIMEOUT, Walk


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

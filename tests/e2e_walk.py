"""The walk through the studio shared by the per-page tests of tests/e2e/test_walk_*.py: one browser tab
(its Streamlit session carries over from page to page), the step being done (a failure saves
``FAILED-<step>.png`` and prints the server log), navigation, status parsing and the layout check of a
page at each of :data:`e2e_layout.LAYOUT_SIZES` with its screenshots."""
from __future__ import annotations

import re
import time
from contextlib import contextmanager
from pathlib import Path

from e2e_helpers import OutboundGuard, StreamlitServer, full_page_screenshot, main_text, wait_idle, wait_until
from e2e_layout import LAYOUT_SIZES, layout_problems

PAGE_TIMEOUT = 240  # s: a page's background part (Compare scores 1,000 test images) on a shared CPU
VIEWPORT = LAYOUT_SIZES[0]  # pages are walked at 1280×800; each is also checked at 1920×1080
STATUS_RE = re.compile(r"Run (\S+) · Status: (\w+) · Step (\d+) / (\d+)")


class Walk:
    """The page plus bookkeeping: screenshots, timings and the name of the step being done."""

    def __init__(self, page, shots: Path, server: StreamlitServer | None = None,
                 guard: OutboundGuard | None = None) -> None:
        self.page, self.shots, self.server, self.guard = page, shots, server, guard
        self.current = "start"
        self.timings: dict[str, float] = {}
        self.saved: list[Path] = []
        self.run_name: str | None = None  # the run test_train started (later pages look for it)

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
            if self.server is not None:
                print(f"\n[e2e] failed during '{name}'; server log:\n{self.server.log_text()}", flush=True)
            raise
        finally:
            self.timings[name] = round(time.monotonic() - t0, 1)

    def shot(self, name: str) -> None:
        path = full_page_screenshot(self.page, self.shots / f"{name}.png")
        self.saved.append(path)

    def check_layout(self, name: str, extra=None) -> dict[int, list[str]]:
        """At each of :data:`LAYOUT_SIZES`: the layout checks, then a full-page screenshot
        ``<name>-<width>.png``; fails listing every problem by size. ``extra(width)`` may add problems.
        Returns {width: problems} (empty lists when it passes). The window goes back to 1280×800."""
        found: dict[int, list[str]] = {}
        try:
            for size in LAYOUT_SIZES:
                self.page.set_viewport_size(size)
                self.page.wait_for_timeout(1200)  # Plotly and the columns re-layout to the new width
                wait_idle(self.page, timeout=PAGE_TIMEOUT, settle=0.3)
                self.no_exception()
                found[size["width"]] = layout_problems(self.page) + (list(extra(size["width"])) if extra else [])
                self.shot(f"{name}-{size['width']}")
        finally:
            self.page.set_viewport_size(VIEWPORT)
        bad = {w: p for w, p in found.items() if p}
        assert not bad, f"{name}: layout problems\n" + "\n".join(
            f"  at {w} px: {p}" for w, probs in bad.items() for p in probs[:15])
        return found

    def no_outbound(self) -> None:
        assert self.guard is not None and not self.guard.blocked, (
            f"{self.current}: the browser tried to reach other hosts (aborted):\n  " + "\n  ".join(self.guard.blocked))

    def page_height(self) -> int:
        return int(self.page.evaluate(
            """() => Math.max(...['stMain', 'stMainBlockContainer'].map(id => document.querySelector(
                     `[data-testid="${id}"]`)).filter(Boolean).map(el => el.scrollHeight))"""))

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

    def wait_visible(self, testid: str, n: int, what: str, timeout: float = PAGE_TIMEOUT) -> None:
        """Wait until ``n`` elements of ``testid`` are visible; an exception on the page fails at once."""
        wait_until(lambda: self.no_exception() or self.visible_count(testid) >= n, timeout,
                   reraise=AssertionError, what=what)

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

    def compare_photos(self) -> str:
        """Compare on the held-out photos: choose them, wait for the whole-photo table (bicubic and every
        model, the photo protocol beside it), move the crop box right with the keyboard and wait for
        the overview to say so. Returns the box caption after the move."""
        from playwright.sync_api import expect

        page = self.page
        page.get_by_test_id("stRadio").filter(has_text="Data").get_by_text(re.compile(r"^Photos \(held-out")).click()
        # The Fashion-MNIST table stays on screen until the rerun ends: wait for the photo caption first,
        # then read the table that is drawn under it (CI once read the stale one).
        expect(page.get_by_text(re.compile(r"scored under the photo protocol .*crop_border = 2")).first).to_be_visible(
            timeout=PAGE_TIMEOUT * 1000)
        table = page.get_by_test_id("stTable").filter(has_text="SR · ").first
        expect(table).to_contain_text("bicubic", timeout=PAGE_TIMEOUT * 1000)
        caption = page.get_by_text(re.compile(r"box 64×64 at \(\d+, \d+\)")).first
        x, y = map(int, re.search(r"at \((\d+), (\d+)\)", caption.inner_text()).groups())
        slider = page.get_by_test_id("stSlider").filter(has_text="Box left (x)")
        thumb = slider.get_by_role("slider")
        thumb.focus()
        for _ in range(5):  # 2 px a step (a key pressed during a rerun may be lost: the slider's value decides)
            thumb.press("ArrowRight")
        wait_idle(page, timeout=PAGE_TIMEOUT)

        def settled() -> int | None:
            """The slider's value once the caption shows it (a late key press may still move the slider:
            CI once read 196 and then saw the box drawn at 198)."""
            now = int(slider.get_by_test_id("stSliderThumbValue").inner_text())
            return now if page.get_by_text(f"box 64×64 at ({now}, {y})", exact=False).count() else None

        now = wait_until(settled, 60, what="the overview caption to follow the box slider")
        assert now > x, f"the crop box did not move: x {x} -> {now}"
        wait_idle(page, timeout=PAGE_TIMEOUT)
        return f"box 64×64 at ({now}, {y})"


def needs_run(walk: Walk) -> str:
    """The run test_train left (the later pages of the walk look at it); fails when there is none."""
    import pytest

    if walk.run_name is None:
        pytest.fail("test_train did not leave a run (see its failure above)")
    return walk.run_name

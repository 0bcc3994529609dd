"""Helpers for the end-to-end browser test (tests/test_e2e_browser.py).

* :class:`StreamlitServer`: ``streamlit run app.py`` as a subprocess on a free port of 127.0.0.1, in its
  own process group (so teardown kills the server and anything it started), logging to a file.
* :func:`launch_chromium`: Playwright driving Debian's Chromium (``/usr/bin/chromium``), headless, with
  background networking off.
* :class:`OutboundGuard`: routes every request (HTTP and WebSocket) of a browser context; a request to
  any host other than 127.0.0.1 / localhost / ::1 is recorded and aborted, so the test can fail on it.
* :func:`full_page_screenshot`: Streamlit scrolls inside its main container, not the document, so
  ``page.screenshot(full_page=True)`` alone would stop at the viewport; this grows the viewport to the
  content height first.

Nothing here runs at import time and nothing imports Streamlit or Playwright at module level, so
the test module can skip cleanly (or fail under CI) when a piece is missing.
"""
from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run",
                 "--disable-dev-shm-usage"]
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1", "[::1]"}
# Schemes that never leave the machine (inline data, in-page blobs, the browser's own pages).
LOCAL_SCHEMES = {"data", "blob", "about", "chrome", "chrome-extension", "devtools"}


def in_ci() -> bool:
    """True under CI (``CI`` set to anything but an empty/false value)."""
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def skip_or_fail(msg: str) -> None:
    """Skip locally; FAIL under CI, so a missing browser or data set never turns CI green."""
    import pytest

    if in_ci():
        pytest.fail(f"{msg} (CI: every test must run)")
    pytest.skip(msg)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def is_local_url(url: str) -> bool:
    """True for URLs that stay on this machine (loopback hosts, data:/blob:/about: …)."""
    parts = urlsplit(url)
    if parts.scheme in LOCAL_SCHEMES:
        return True
    host = (parts.hostname or "").lower()
    return host in LOCAL_HOSTS


def screenshot_dir() -> Path:
    """``$SR_SCREENSHOT_DIR`` if set, else ``artifacts/screenshots`` in the project (git-ignored); created."""
    env = os.environ.get("SR_SCREENSHOT_DIR", "").strip()
    path = Path(env).expanduser() if env else ROOT / "artifacts" / "screenshots"
    if not path.is_absolute():
        path = (ROOT / path).resolve()
    path.mkdir(parents=True, exist_ok=True)
    return path


# ---------------------------------------------------------------------------------------- server

class StreamlitServer:
    """``streamlit run app.py`` on 127.0.0.1:<free port>; ``start()`` waits for /_stcore/health."""

    def __init__(self, *, env: dict[str, str], log_path: Path, app: str = "app.py", cwd: Path = ROOT,
                 port: int | None = None) -> None:
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env, self.log_path, self.app, self.cwd = env, log_path, app, cwd
        self.proc: subprocess.Popen | None = None
        self._log = None

    def command(self) -> list[str]:
        return [sys.executable, "-m", "streamlit", "run", self.app,
                "--server.port", str(self.port), "--server.address", "127.0.0.1",
                "--server.headless", "true", "--browser.gatherUsageStats", "false",
                "--server.fileWatcherType", "none"]

    def start(self, timeout: float = 60.0) -> "StreamlitServer":
        self._log = open(self.log_path, "w", encoding="utf-8")
        self.proc = subprocess.Popen(self.command(), cwd=self.cwd, env=self.env, stdout=self._log,
                                     stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                     start_new_session=True)  # own process group: killpg at teardown
        deadline = time.monotonic() + timeout
        last = ""
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"streamlit exited with code {self.proc.returncode} before it was healthy\n"
                                   f"{self.log_text()}")
            try:
                with urllib.request.urlopen(f"{self.url}/_stcore/health", timeout=2) as resp:
                    body = resp.read().decode("utf-8", "replace").strip()
                    if resp.status == 200 and body == "ok":
                        return self
                    last = f"HTTP {resp.status}: {body[:80]}"
            except (urllib.error.URLError, OSError) as exc:
                last = f"{type(exc).__name__}: {exc}"
            time.sleep(0.25)
        raise RuntimeError(f"streamlit not healthy at {self.url}/_stcore/health after {timeout:.0f} s "
                           f"(last: {last})\n{self.log_text()}")

    def stop(self, timeout: float = 10.0) -> None:
        """SIGTERM the whole process group, then SIGKILL what is left."""
        proc = self.proc
        if proc is not None:
            for sig, wait in ((signal.SIGTERM, timeout), (signal.SIGKILL, 5.0)):
                if proc.poll() is not None:
                    break
                try:
                    os.killpg(proc.pid, sig)
                except ProcessLookupError:
                    break
                try:
                    proc.wait(wait)
                except subprocess.TimeoutExpired:
                    continue
            # Leftover children in the group (none expected): make sure nothing keeps running.
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        if self._log is not None:
            self._log.close()
            self._log = None

    def log_text(self, tail: int = 20_000) -> str:
        try:
            text = self.log_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return "(no server log)"
        return text[-tail:]


# ---------------------------------------------------------------------------------------- browser

def launch_chromium(playwright: Any):
    """Debian's Chromium through Playwright, headless, no background networking."""
    return playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)


def guarded_page(browser: Any, guard: "OutboundGuard", viewport: dict, timeout_ms: float) -> Any:
    """A new page in a fresh context of ``browser`` whose outbound requests ``guard`` aborts and records."""
    context = browser.new_context(viewport=viewport)
    guard.install(context)
    page = context.new_page()
    page.set_default_timeout(timeout_ms)
    return page


class OutboundGuard:
    """Aborts and records every request of ``context`` that leaves the machine (HTTP and WebSocket)."""

    def __init__(self) -> None:
        self.blocked: list[str] = []
        self.allowed = 0

    def install(self, context: Any) -> "OutboundGuard":
        context.route("**/*", self._on_route)
        # WebSockets are not seen by route(); only foreign ones are intercepted (and closed):
        # Streamlit's own socket to 127.0.0.1 is not matched, so it connects as usual.
        context.route_web_socket(lambda url: not is_local_url(url), self._on_ws)
        return self

    def _on_route(self, route: Any) -> None:
        url = route.request.url
        if is_local_url(url):
            self.allowed += 1
            route.continue_()
        else:
            self.blocked.append(f"{route.request.method} {url}")
            route.abort("blockedbyclient")

    def _on_ws(self, ws: Any) -> None:
        self.blocked.append(f"WS {ws.url}")
        ws.close()


def main_text(page: Any) -> str:
    """The visible text of Streamlit's main block (whitespace-normalised)."""
    text = page.get_by_test_id("stMainBlockContainer").inner_text()
    return re.sub(r"[ \t\u00a0]+", " ", text)


def wait_until(predicate, timeout: float, interval: float = 0.5, what: str = "condition",
               reraise: type[BaseException] | tuple[type[BaseException], ...] = ()):
    """Poll ``predicate()`` until it returns a truthy value (returned) or ``timeout`` s pass (AssertionError).

    Exceptions of the predicate are retried (the page may be re-rendering), except ``reraise`` ones,
    which end the wait at once (e.g. an AssertionError for "the page shows a traceback")."""
    deadline = time.monotonic() + timeout
    last_exc: Exception | None = None
    while True:
        try:
            value = predicate()
            if value:
                return value
        except reraise:
            raise
        except Exception as exc:  # the page may be re-rendering; try again
            last_exc = exc
        if time.monotonic() >= deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}"
                                 + (f" (last error: {last_exc})" if last_exc else ""))
        time.sleep(interval)


def wait_idle(page: Any, timeout: float = 60.0, settle: float = 0.5) -> None:
    """Wait until Streamlit reports no script run in progress (its 'Running…' status widget is gone)."""
    def idle() -> bool:
        widget = page.get_by_test_id("stStatusWidget")
        return widget.count() == 0 or not widget.first.is_visible()

    wait_until(idle, timeout, interval=0.25, what="the app to finish running (stStatusWidget)")
    time.sleep(settle)
    wait_until(idle, timeout, interval=0.25, what="the app to finish running (stStatusWidget)")


def full_page_screenshot(page: Any, path: Path, max_height: int = 12_000) -> Path:
    """A screenshot of the whole page: grows the viewport to the height of Streamlit's scrolling
    container (``stMain`` / ``stAppViewContainer``), screenshots, then restores the viewport."""
    size = page.viewport_size or {"width": 1400, "height": 1000}
    height = page.evaluate(
        """() => Math.max(document.documentElement.scrollHeight,
               ...['stMain', 'stAppViewContainer', 'stMainBlockContainer', 'stSidebarContent']
                 .map(id => document.querySelector(`[data-testid="${id}"]`))
                 .filter(Boolean).map(el => el.scrollHeight))""")
    height = int(min(max(height + 40, size["height"]), max_height))
    try:
        page.set_viewport_size({"width": size["width"], "height": height})
        page.wait_for_timeout(500)  # let Plotly/images re-layout to the new size
        page.screenshot(path=str(path), full_page=True, animations="disabled")
    finally:
        page.set_viewport_size(size)
    return path


# JS: boxes of the Compare grid (images, cell titles, captions) for the layout checks below.
GRID_BOXES_JS = """() => {
  const box = el => { const r = el.getBoundingClientRect(); return [r.left, r.top, r.right, r.bottom]; };
  const imgs = [...document.querySelectorAll('[data-testid="stMainBlockContainer"] [data-testid="stImage"] img')]
      .filter(i => i.offsetParent !== null).map(box);
  const titles = [...document.querySelectorAll('.cmp-title')].filter(t => t.offsetParent !== null).map(t => {
      const col = t.closest('[data-testid="stColumn"]') || t.parentElement;
      const words = [...t.querySelectorAll('span')].map(s => ({text: s.textContent, rects: s.getClientRects().length,
                                                               box: box(s)}));
      return {text: t.textContent, box: box(t), col: box(col), scroll: t.scrollWidth, client: t.clientWidth, words};
  });
  return {imgs, titles, width: window.innerWidth};
}"""


def overlaps(a: list[float], b: list[float], tol: float = 0.5) -> bool:
    """True when two boxes [left, top, right, bottom] share more than ``tol`` px in both directions."""
    return min(a[2], b[2]) - max(a[0], b[0]) > tol and min(a[3], b[3]) - max(a[1], b[1]) > tol


def grid_layout_problems(boxes: dict) -> list[str]:
    """What is wrong with a Compare grid's layout: overlapping images, clipped or mid-word-broken titles."""
    problems = []
    imgs = boxes["imgs"]
    for i in range(len(imgs)):
        for j in range(i + 1, len(imgs)):
            if overlaps(imgs[i], imgs[j]):
                problems.append(f"images {i} and {j} overlap: {imgs[i]} {imgs[j]}")
    for t in boxes["titles"]:
        if t["scroll"] > t["client"] + 1:
            problems.append(f"title '{t['text']}' is clipped ({t['scroll']} > {t['client']} px)")
        for w in t["words"]:
            if w["rects"] != 1:
                problems.append(f"title '{t['text']}': the word '{w['text']}' breaks over {w['rects']} lines")
            if w["box"][0] < t["col"][0] - 1 or w["box"][2] > t["col"][2] + 1:
                problems.append(f"title '{t['text']}': the word '{w['text']}' leaves its column")
    return problems


# ---------------------------------------------------------------------------------------- layout checks

#: The window sizes every page is checked (and photographed) at.
LAYOUT_SIZES = ({"width": 1280, "height": 800}, {"width": 1920, "height": 1080})

# JS: what is wrong with the layout of the page as drawn now, from element boxes. ``rootSel`` is a CSS
# selector list of the regions to check (Streamlit: main block + sidebar; Gradio: the app). Reports
#  * clipped text: an element that clips (overflow hidden/clip, text-overflow ellipsis, or a text input)
#    whose content is wider than its box (scrollWidth > clientWidth), e.g. a cut label or a cut value;
#  * overlapping text: two different text nodes whose glyph boxes (Range.getClientRects) overlap;
#  * images wider than their column (or leaving it);
#  * Plotly: title, legend, axis titles and annotations overlapping each other, or leaving the chart.
LAYOUT_JS = r"""(rootSel) => {
  const roots = [...document.querySelectorAll(rootSel)];
  // Shown to the user: not hidden by style, not inside a closed expander (<details>), not zero-sized.
  const vis = el => { if (el.checkVisibility && !el.checkVisibility({contentVisibilityAuto: true, opacityProperty: true,
                                                                     visibilityProperty: true})) return false;
                      if (el.closest('details:not([open])') && !el.closest('summary')) return false;
                      for (let e = el; e; e = e.parentElement) { const s = getComputedStyle(e);
                        if (s.display === 'none' || s.visibility === 'hidden' || +s.opacity === 0) return false; }
                      const r = el.getBoundingClientRect(); return r.width > 0 && r.height > 0; };
  const bx = r => [r.left, r.top, r.right, r.bottom].map(v => Math.round(v * 10) / 10);
  const short = t => (t || '').trim().replace(/\s+/g, ' ').slice(0, 60);
  const tid = el => { const t = el.closest('[data-testid]'); return t ? t.getAttribute('data-testid') : el.tagName; };
  const ov = (a, b, tol) => Math.min(a[2], b[2]) - Math.max(a[0], b[0]) > tol && Math.min(a[3], b[3]) - Math.max(a[1], b[1]) > tol;
  const SKIP = 'svg, canvas, style, script, noscript, [role="tooltip"], [data-testid="stDataFrame"], .js-plotly-plot, pre, code, [data-testid="stCode"], [data-testid="stTooltipContent"]';
  const problems = [];
  for (const root of roots) {
    // 1. clipped text
    for (const el of root.querySelectorAll('*')) {
      if (el.closest(SKIP)) continue;
      const isInput = (el.tagName === 'INPUT' && !['checkbox', 'radio', 'file', 'range', 'hidden'].includes(el.type))
                      || el.tagName === 'TEXTAREA';
      const text = isInput ? el.value : el.textContent;
      if (!text || !text.trim()) continue;
      const s = getComputedStyle(el);
      if (!(isInput || ['hidden', 'clip'].includes(s.overflowX) || s.textOverflow === 'ellipsis')) continue;
      if (el.querySelector('img, canvas, svg, [data-testid="stImage"]')) continue;  // an image box, not text
      if (!vis(el)) continue;
      if (el.scrollWidth > el.clientWidth + 1)
        problems.push(`clipped text in ${tid(el)}: '${short(text)}' (${el.scrollWidth} > ${el.clientWidth} px)`);
    }
    // 2. overlapping text (glyph boxes of different text nodes)
    const rects = [];
    const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    let n = 0;
    while (walker.nextNode()) {
      const node = walker.currentNode, el = node.parentElement;
      if (!node.textContent.trim() || !el || el.closest(SKIP) || !vis(el)) continue;
      const range = document.createRange(); range.selectNodeContents(node);
      for (const r of range.getClientRects()) if (r.width > 0.5 && r.height > 0.5)
        rects.push({n, text: short(node.textContent), b: bx(r), where: tid(el)});
      n++;
    }
    for (let i = 0; i < rects.length; i++) for (let j = i + 1; j < rects.length; j++) {
      const a = rects[i], b = rects[j];
      if (a.n !== b.n && ov(a.b, b.b, 2))
        problems.push(`overlapping text: '${a.text}' (${a.where}) and '${b.text}' (${b.where}) at ${a.b} / ${b.b}`);
    }
    // 3. images wider than their column
    for (const img of root.querySelectorAll('img')) {
      if (!vis(img)) continue;
      const col = img.closest('[data-testid="stColumn"], [data-testid="stVerticalBlock"], .column, .block, .form') || root;
      const r = img.getBoundingClientRect(), c = col.getBoundingClientRect();
      if (r.right > c.right + 1 || r.left < c.left - 1)
        problems.push(`image wider than its column (${tid(img)}): ${Math.round(r.width)} px in ${Math.round(c.width)} px ` +
                      `(${Math.round(r.left - c.left)} .. ${Math.round(r.right - c.right)})`);
    }
    // 4. Plotly: titles, legend, axis titles, annotations
    for (const gd of root.querySelectorAll('.js-plotly-plot')) {
      if (!vis(gd)) continue;
      const svg = gd.querySelector('.main-svg'); if (!svg) continue;
      const frame = bx(svg.getBoundingClientRect());
      const parts = [];
      for (const [sel, kind] of [['.gtitle', 'title'], ['.legend', 'legend'], ['.g-xtitle text, .xtitle', 'x-axis title'],
                                 ['.g-ytitle text, .ytitle', 'y-axis title'], ['.annotation', 'annotation'],
                                 ['.cbtitle text', 'colorbar title']]) {
        for (const el of gd.querySelectorAll(sel)) {
          const r = el.getBoundingClientRect();
          if (r.width > 0.5 && r.height > 0.5 && (el.textContent || '').trim()) parts.push({kind, text: short(el.textContent), b: bx(r)});
        }
      }
      const chart = short((gd.querySelector('.gtitle') || {}).textContent) || '(untitled chart)';
      for (const p of parts) if (p.b[0] < frame[0] - 1 || p.b[2] > frame[2] + 1 || p.b[1] < frame[1] - 1 || p.b[3] > frame[3] + 1)
        problems.push(`chart '${chart}': ${p.kind} '${p.text}' is cut by the chart's edge (${p.b} in ${frame})`);
      for (let i = 0; i < parts.length; i++) for (let j = i + 1; j < parts.length; j++)
        if (ov(parts[i].b, parts[j].b, 1))
          problems.push(`chart '${chart}': ${parts[i].kind} '${parts[i].text}' overlaps ${parts[j].kind} '${parts[j].text}'`);
    }
  }
  return problems;
}"""

STREAMLIT_ROOTS = '[data-testid="stMainBlockContainer"], [data-testid="stSidebarContent"]'


def layout_problems(page: Any, roots: str = STREAMLIT_ROOTS) -> list[str]:
    """What :data:`LAYOUT_JS` finds wrong with the page as drawn now (an empty list when nothing)."""
    return list(page.evaluate(LAYOUT_JS, roots))


def svg_min_font_px(path: Path) -> tuple[float, float]:
    """(smallest font-size, viewBox width) of an SVG file, in its own units."""
    text = path.read_text(encoding="utf-8")
    sizes = [float(v) for v in re.findall(r'font-size="([\d.]+)"', text)]
    sizes += [float(v) for v in re.findall(r"font-size:\s*([\d.]+)", text)]
    view = re.search(r'viewBox="[\d.\s-]+?\s([\d.]+)\s+[\d.]+"', text)
    return min(sizes), float(view.group(1))

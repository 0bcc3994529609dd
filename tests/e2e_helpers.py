"""Helpers for the end-to-end browser test (tests/e2e/test_walk_*.py).

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

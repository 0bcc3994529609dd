"""How long Compare makes a user wait in a real browser: a fresh ``streamlit run app.py`` driven by
Playwright + Debian's Chromium (not AppTest: this includes the websocket, React and the images).

1. ``first_s``: from opening ``/compare`` in a new tab of a fresh server (nothing imported or cached)
   until the sample grid is drawn (the shipped cnn-vae beside the shipped resnet-sr: 4 samples x 7
   cells) and the app is idle (``first_grid_shown_s``: until the grid is on screen); ``table_s``: until
   the set-level table has no "(computing)" row left; ``second_tab_s``: the same in a second tab once
   the server is warm (imports and caches), i.e. what every later visitor waits.
2. Each control, one after the other, from the click until the grid shows the change and the app
   is idle (``steps``): projection on, a model added (cvae-sr), the temperature moved, "Random" test
   images, typed indices.

Usage: ``python bench/browser_compare.py [--data-dir DIR] [--timeout 300]``. Needs /usr/bin/chromium
and playwright; never downloads (the server gets ``SR_DATA_DIR`` and a fresh, empty runs folder).
The last stdout line is one JSON object: first_s, table_s, steps {name: s}, max_step_s, targets
(first ≤ 5 s, each control ≤ 1 s, met or not) and the machine's load average before and after.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any, Callable

from bench._common import fail, fashion_mnist_dir, log

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-dev-shm-usage"]
TARGET_FIRST_S, TARGET_STEP_S = 5.0, 1.0
POLL_S = 0.05

# JS: what the grid shows now: cell titles, the HR captions (which test images) and the busy flag.
STATE_JS = """() => {
  const vis = el => el.offsetParent !== null;
  const titles = [...document.querySelectorAll('.cmp-title')].filter(vis).map(t => t.textContent.trim());
  const caps = [...document.querySelectorAll('[data-testid="stImage"]')].filter(vis)
      .map(i => (i.textContent || '').trim());
  const w = document.querySelector('[data-testid="stStatusWidget"]');
  const table = document.querySelector('[data-testid="stTable"]');
  return {titles, caps, images: caps.length, busy: !!(w && w.offsetParent !== null),
          table: table ? table.textContent : ''};
}"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(data: Path, runs: Path, log_path: Path) -> tuple[subprocess.Popen, str, float]:
    """A fresh studio on 127.0.0.1; returns (process, url, seconds until /_stcore/health answered)."""
    port = free_port()
    env = dict(os.environ, SR_DATA_DIR=str(data), SR_RUNS_DIR=str(runs), PYTHONUNBUFFERED="1",
               GRADIO_ANALYTICS_ENABLED="False", STREAMLIT_BROWSER_GATHER_USAGE_STATS="false")
    cmd = [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port),
           "--server.address", "127.0.0.1", "--server.headless", "true", "--server.fileWatcherType", "none"]
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=open(log_path, "w"), stderr=subprocess.STDOUT,
                            stdin=subprocess.DEVNULL, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    while time.perf_counter() - t0 < 90:
        if proc.poll() is not None:
            fail(f"streamlit exited with code {proc.returncode}; see {log_path}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                if r.read().strip() == b"ok":
                    return proc, url, time.perf_counter() - t0
        except OSError:
            pass
        time.sleep(0.1)
    os.killpg(proc.pid, signal.SIGKILL)
    fail(f"streamlit not healthy after 90 s; see {log_path}")
    raise AssertionError  # unreachable


def wait_for(page: Any, done: Callable[[dict], bool], t0: float, timeout: float, what: str) -> float:
    """Seconds from ``t0`` until ``done(state)`` holds and the app is idle (polled every 50 ms)."""
    while True:
        state = page.evaluate(STATE_JS)
        if done(state) and not state["busy"]:
            return time.perf_counter() - t0
        if time.perf_counter() - t0 > timeout:
            fail(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(POLL_S)


def hr_captions(state: dict) -> list[str]:
    return [c for c in state["caps"] if re.match(r"#\d+ · ", c)]


def run(url: str, timeout: float) -> dict[str, Any]:
    from playwright.sync_api import sync_playwright

    steps: dict[str, float] = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 800})
            page.set_default_timeout(timeout * 1000)
            t0 = time.perf_counter()
            page.goto(f"{url}/compare", wait_until="domcontentloaded")
            grid = lambda s: s["images"] >= 28 and s["titles"].count("HR (truth)") == 4  # noqa: E731
            while not grid(page.evaluate(STATE_JS)):  # the grid on screen, the app possibly still busy
                if time.perf_counter() - t0 > timeout:
                    fail(f"timed out after {timeout:.0f} s waiting for the first grid")
                time.sleep(POLL_S)
            shown = time.perf_counter() - t0
            first = wait_for(page, grid, t0, timeout, "the first grid")
            table = wait_for(page, lambda s: "bicubic" in s["table"] and "(computing)" not in s["table"], t0,
                             timeout, "the set-level table")
            log(f"first grid {first:.2f} s, table {table:.2f} s")

            def step(name: str, act: Callable[[], None], done: Callable[[dict], bool]) -> None:
                page.wait_for_timeout(300)
                t = time.perf_counter()
                act()
                steps[name] = round(wait_for(page, done, t, timeout, name), 3)
                log(f"{name}: {steps[name]:.2f} s")

            # The same page in a second tab of the same server: imports and caches warm.
            page2 = browser.new_page(viewport={"width": 1280, "height": 800})
            t2 = time.perf_counter()
            page2.goto(f"{url}/compare", wait_until="domcontentloaded")
            second = wait_for(page2, grid, t2, timeout, "the grid in a second tab")
            page2.close()
            log(f"second tab: grid {second:.2f} s")

            step("projection_on",
                 lambda: page.get_by_test_id("stCheckbox").filter(has_text="LR-consistent projection")
                 .locator("label").click(),
                 lambda s: any(t.startswith("SR + projection") for t in s["titles"]))

            def add_model() -> None:
                more = page.get_by_test_id("stMultiSelect").filter(has_text="Compare with")
                more.get_by_role("combobox").click()
                page.get_by_role("option", name="shipped · cvae-sr", exact=True).click()
                page.keyboard.press("Escape")
            step("add_model", add_model, lambda s: s["titles"].count("SR · shipped · cvae-sr") == 4)

            before = {}

            def temperature() -> None:
                before["caps"] = page.evaluate(STATE_JS)["caps"]
                slider = page.get_by_test_id("stSlider").filter(has_text="Temperature").get_by_role("slider")
                slider.focus()
                slider.press("ArrowRight")
            step("temperature", temperature, lambda s: s["caps"] != before["caps"] and s["images"] >= 32)

            def mode(label: str) -> Callable[[], None]:
                def act() -> None:
                    before["hr"] = hr_captions(page.evaluate(STATE_JS))
                    page.get_by_test_id("stRadio").filter(has_text="Choose test images").get_by_text(label).click()
                return act
            step("random_images", mode("Random"), lambda s: hr_captions(s) and hr_captions(s) != before["hr"])
            step("by_index", mode("By index"), lambda s: hr_captions(s) and hr_captions(s) != before["hr"])

            def indices() -> None:
                box = page.get_by_role("textbox", name="Test image indices")
                box.fill("5, 6, 7, 8")
                box.press("Enter")
            step("typed_indices", indices, lambda s: (h := hr_captions(s)) and h[0].startswith("#5 "))
        finally:
            browser.close()
    return {"first_s": round(first, 3), "first_grid_shown_s": round(shown, 3), "table_s": round(table, 3),
            "second_tab_s": round(second, 3), "steps": steps}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data-dir", default=None, help="data root with FashionMNIST/raw (default: as the CLI)")
    ap.add_argument("--timeout", type=float, default=300.0, help="seconds to wait for any one step")
    args = ap.parse_args()
    if not Path(CHROMIUM).exists():
        fail(f"{CHROMIUM} not found (apt-get install chromium)")
    data = fashion_mnist_dir(args.data_dir)
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="bench-browser-") as tmp:
        runs = Path(tmp) / "runs"
        runs.mkdir()
        proc, url, start_s = start_server(data, runs, Path(tmp) / "streamlit.log")
        try:
            log(f"server healthy after {start_s:.1f} s at {url}")
            result = run(url, args.timeout)
        finally:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
    max_step = max(result["steps"].values())
    out = {"bench": "browser_compare", "server_start_s": round(start_s, 2), **result,
           "max_step_s": round(max_step, 3),
           "targets": {"first_s<=5": result["first_s"] <= TARGET_FIRST_S, "each_step_s<=1": max_step <= TARGET_STEP_S},
           "loadavg_before": [round(v, 2) for v in load_before],
           "loadavg_after": [round(v, 2) for v in os.getloadavg()], "cpus": os.cpu_count(),
           "browser": "chromium (playwright), 1280x800"}
    print(json.dumps(out))


if __name__ == "__main__":
    main()

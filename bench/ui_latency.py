"""How long the Compare and Spectra pages make a user wait, driven through ``streamlit.testing.v1.AppTest``.

Compare opens on the shipped cnn-vae with the shipped resnet-sr and cvae-sr beside it (N test images
for the set-level table), then: temperature, projection on, temperature again, a sample-mode change.
Spectra opens on cnn-vae, then: another sample index, the same index again. Each step is one script
run (what a browser waits for after a click). ``table_s`` is the time from the last control change
until the set-level table (Spectra: the set average) is complete, polling the page the way the
browser's fragment does; a page that computes everything inline has it at once (``table_s`` = 0).

Usage: ``python bench/ui_latency.py [--limit 1000] [--data-dir DIR]``; last stdout line is one JSON
object ``{"compare": {"first_s", "steps": {name: s}, "max_step_s", "table_s"}, "spectra": {...}}``.
"""
from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path
from typing import Any, Callable

ROOT = Path(__file__).resolve().parents[1]
POLL_S = 0.5


def _pending(at: Any) -> bool:
    """True while the page shows a background computation in progress (a progress bar)."""
    return bool(at.get("progress"))


def _timed(fn: Callable[[], Any]) -> float:
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def _wait_complete(at: Any, timeout: float) -> float:
    """Seconds until the page no longer shows a progress bar (reruns it every POLL_S)."""
    t = time.perf_counter()
    end = t + timeout
    while _pending(at) and time.perf_counter() < end:
        time.sleep(POLL_S)
        at.run()
    if _pending(at):
        raise RuntimeError(f"the set-level result was not complete after {timeout:.0f} s")
    return time.perf_counter() - t


def _report(first: float, steps: dict[str, float], table: float) -> dict[str, Any]:
    return {"first_s": round(first, 3), "steps": {k: round(v, 3) for k, v in steps.items()},
            "max_step_s": round(max(steps.values()), 3), "table_s": round(table, 3)}


def open_page(name: str, timeout: float) -> Any:
    """The app (``app.py``) switched to its registered page ``name`` (:data:`ui.studio.widgets.PAGES`), not run yet."""
    from streamlit.testing.v1 import AppTest

    from ui.studio.widgets import PAGES

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=timeout)
    at.switch_page(PAGES[name])
    return at


def bench_compare(limit: int, timeout: float) -> dict[str, Any]:
    at = open_page("compare", timeout)
    at.session_state["cmp_limit"] = limit
    at.session_state["cmp_more"] = ["shipped · resnet-sr", "shipped · cvae-sr"]
    at.session_state["cmp_indices"] = "0, 1, 2, 3"
    first = _timed(at.run)
    if at.exception:
        raise RuntimeError(f"Compare failed: {at.exception}")
    steps = {
        "temperature": _timed(lambda: at.slider(key="cmp_temperature").set_value(0.2).run()),
        "projection": _timed(lambda: at.toggle(key="cmp_projection").set_value(True).run()),
        "temperature_again": _timed(lambda: at.slider(key="cmp_temperature").set_value(0.8).run()),
        "sample_mode": _timed(lambda: _set_mode(at)),
    }
    table = _wait_complete(at, timeout)
    if at.exception or not at.table:
        raise RuntimeError(f"Compare has no table: {at.exception}")
    return _report(first, steps, table)


def _set_mode(at: Any) -> None:
    """Choose the "Random" sample mode (a key with a label now; the label itself in older pages)."""
    try:
        at.radio(key="cmp_mode").set_value("random").run()
    except ValueError:
        at.radio(key="cmp_mode").set_value("Random").run()


def bench_spectra(limit: int, timeout: float) -> dict[str, Any]:
    at = open_page("spectra", timeout)
    at.session_state["spec_limit"] = limit
    first = _timed(at.run)
    if at.exception:
        raise RuntimeError(f"Spectra failed: {at.exception}")
    steps = {
        "sample_index": _timed(lambda: at.number_input(key="spec_index").set_value(7).run()),
        "sample_index_again": _timed(lambda: at.number_input(key="spec_index").set_value(0).run()),
    }
    table = _wait_complete(at, timeout)
    return _report(first, steps, table)


def _stop_background() -> None:
    """End the pages' background worker, if this version of the pages has one, before the process exits."""
    try:
        from ui.studio.services import worker
    except ImportError:
        return
    worker().shutdown()


def main(argv: list[str] | None = None) -> dict[str, Any]:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--limit", type=int, default=1000, help="test images for the set-level table / spectra")
    ap.add_argument("--data-dir", default=os.environ.get("SR_DATA_DIR"), help="Fashion-MNIST root")
    ap.add_argument("--timeout", type=float, default=600.0)
    args = ap.parse_args(argv)
    if args.data_dir:
        os.environ["SR_DATA_DIR"] = str(args.data_dir)
    with tempfile.TemporaryDirectory() as runs:
        os.environ["SR_RUNS_DIR"] = runs  # no trained run: the pages open on the shipped checkpoints
        from streamlit.testing.v1 import AppTest

        AppTest.from_file(str(ROOT / "app.py"), default_timeout=args.timeout).run()  # imports, not timed
        try:
            report = {"compare": bench_compare(args.limit, args.timeout),
                      "spectra": bench_spectra(args.limit, args.timeout)}
        finally:
            _stop_background()
    for page, r in report.items():
        print(f"{page:8s} first {r['first_s']:7.2f} s  max step {r['max_step_s']:7.2f} s  "
              f"set-level {r['table_s']:7.2f} s  steps {r['steps']}")
    print(json.dumps(report))
    return report


if __name__ == "__main__":
    main()

"""Helpers of bench/monitor_latency.py that touch the app: synthetic run folders of any length, the
pages opened through AppTest by their registered key, and the bytes an AppTest run would send."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from sr_core.monitor.history import PreviewHistory
from sr_core.runs.metrics_log import METRIC_FIELDS
from sr_core.runs.status import RunStatus


def synthetic_run(root: Path, name: str, n_rows: int, eval_every: int = 100, seed: int = 0) -> Path:
    """A finished-looking run folder with ``n_rows`` train rows (a noisy decaying loss), a test row with
    quality columns every ``eval_every`` steps and a 64-entry preview history."""
    rng = np.random.default_rng(seed)
    d = root / name
    d.mkdir(parents=True, exist_ok=True)
    steps = np.arange(1, n_rows + 1)
    loss = 0.3 + 0.4 * np.exp(-steps / (n_rows / 5)) + 0.01 * rng.standard_normal(n_rows)
    lines = [",".join(METRIC_FIELDS)]
    for s, v in zip(steps.tolist(), loss.tolist()):
        lines.append(f"{s},train,{v:.6f},{v * 0.9:.6f},{v * 1.1:.6f},0.5,,,0.75,0.001,{s * 0.01:.2f},5000,,,,,,")
        if s % eval_every == 0:
            lines.append(f"{s},test,{v:.6f},{v * 0.9:.6f},{v * 1.1:.6f},0.5,,12.0,0.75,0.001,{s * 0.01:.2f},,"
                         f"{20 + 5 * (1 - np.exp(-s / n_rows)):.4f},0.8,21.5,0.82,,")
    (d / "metrics.csv").write_text("\n".join(lines) + "\n")
    (d / "config.json").write_text(json.dumps({"train": {"model": "cnn-vae", "steps": n_rows, "seed": seed}}))
    (d / "status.json").write_text(json.dumps({"status": RunStatus.FINISHED, "step": n_rows, "total_steps": n_rows}))
    hist = PreviewHistory(d / "preview_history.npz")
    for s in range(0, n_rows + 1, max(1, n_rows // 64)):
        hist.add({"step": s, "indices": list(range(8)), "lr": rng.random((8, 14, 14)), "sr": rng.random((8, 28, 28)),
                  "hr": rng.random((8, 28, 28)), "z": rng.random((8, 14, 14))})
    return d


def open_page(key: str, timeout: float = 120) -> Any:
    """The app switched to its page ``key`` (``ui.studio.widgets.PAGES``), not run yet."""
    from streamlit.testing.v1 import AppTest

    from ui.studio.widgets import PAGES

    at = AppTest.from_file(str(Path(__file__).resolve().parents[2] / "app.py"), default_timeout=timeout)
    at.switch_page(PAGES[key])
    return at


def sent_bytes(at: Any) -> int:
    """Bytes of the element messages of the last run (what the server sends the browser for them;
    images count as their media files' PNG bytes)."""
    from streamlit.runtime import Runtime

    total = 0

    def walk(node: Any) -> None:
        nonlocal total
        proto = getattr(node, "proto", None)
        if proto is not None and hasattr(proto, "ByteSize"):
            total += proto.ByteSize()
        for child in getattr(node, "children", {}).values():
            walk(child)
    walk(at._tree)
    try:
        mgr = Runtime.instance().media_file_mgr
        for img in at.get("image"):
            for i in img.proto.imgs:
                f = mgr._storage.get_file(i.url.rsplit("/", 1)[-1].split(".")[0])
                total += len(f.content)
    except Exception:  # no runtime in bare mode: the image URLs are counted, not their bytes
        pass
    return total

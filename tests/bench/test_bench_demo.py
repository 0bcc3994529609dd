"""Smoke test of bench/demo_latency.py --quick: it serves the demo, calls the API for every model, and its last
line is the JSON report. No timing assertions: only that every case ran and gave positive, finite numbers."""
from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_demo_latency_quick_prints_json_report(tmp_path: Path) -> None:
    env = {"PATH": "/usr/bin:/bin", "SR_RUNS_DIR": str(tmp_path / "runs"), "GRADIO_ANALYTICS_ENABLED": "False",
           "HOME": str(tmp_path)}
    proc = subprocess.run([sys.executable, str(ROOT / "bench" / "demo_latency.py"), "--quick", "--threads", "1"],
                          cwd=ROOT, capture_output=True, text=True, timeout=600, env=env)
    assert proc.returncode == 0, f"exit {proc.returncode}\nstdout:\n{proc.stdout}\nstderr:\n{proc.stderr[-3000:]}"
    report = json.loads(proc.stdout.strip().splitlines()[-1])
    assert set(report["results"]) == {f"{s}/{m}" for s in (28, 64) for m in ("resnet-sr", "cvae-sr", "cnn-vae")}
    for key, r in report["results"].items():
        for f in ("end_to_end_s", "server_s", "bound_s", "ratio"):
            assert math.isfinite(r[f]) and r[f] > 0, (key, f, r)
        side = int(key.split("/")[0])
        assert r["output"] == [2 * side, 2 * side]  # every model, the CNN-VAEs too (blended 14x14 tiles)
    assert report["results"]["28/cvae-sr"]["samples"] == 4
    assert report["meta"]["threads"] == 1 and report["meta"]["matmul_gflop_s_at_start"] > 0
    assert isinstance(report["targets"]["28_target_met"], bool)

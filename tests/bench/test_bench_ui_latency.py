"""Smoke test of bench/ui_latency.py on the real data (small N): its last stdout line is the JSON report
with every step timed. No timing assertions (the machine is shared). Needs Fashion-MNIST ($SR_DATA_DIR)."""
from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_ui_latency_prints_json_report(data_dir: Path) -> None:
    proc = subprocess.run([sys.executable, str(ROOT / "bench" / "ui_latency.py"), "--limit", "100",
                           "--data-dir", str(data_dir)], cwd=ROOT, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stderr[-3000:]
    report = json.loads(proc.stdout.strip().splitlines()[-1])
    assert set(report) == {"compare", "spectra"}
    assert set(report["compare"]["steps"]) == {"temperature", "projection", "temperature_again", "sample_mode"}
    assert set(report["spectra"]["steps"]) == {"sample_index", "sample_index_again"}
    for page in report.values():
        assert set(page) == {"first_s", "steps", "max_step_s", "table_s"}
        values = [page["first_s"], page["max_step_s"], page["table_s"], *page["steps"].values()]
        assert all(isinstance(v, (int, float)) and math.isfinite(v) and v >= 0 for v in values), page
        assert page["max_step_s"] == max(page["steps"].values())

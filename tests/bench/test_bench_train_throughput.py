"""Smoke test of bench/train_throughput.py on the real data: it runs, and its last line is the JSON report.

No timing assertions: only that the three measurements ran and produced positive, finite numbers.
Uses the ``data_dir`` fixture (conftest.py): skipped without Fashion-MNIST locally, a failure under CI.
"""
from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "bench" / "train_throughput.py"
PRESET_KEYS = {"trainer_img_s", "bare_img_s", "dataloader_img_s", "trainer_vs_bare", "flop_utilization"}


def test_train_throughput_quick_prints_json_report(data_dir: Path) -> None:
    proc = subprocess.run(
        [sys.executable, str(SCRIPT), "--quick", "--device", "cpu", "--data-dir", str(data_dir)],
        cwd=ROOT, capture_output=True, text=True, timeout=600,
    )
    assert proc.returncode == 0, f"exit {proc.returncode}\nstdout:\n{proc.stdout}\nstderr:\n{proc.stderr}"
    lines = proc.stdout.strip().splitlines()
    assert len(lines) > 1, f"expected a table, then the JSON line\nstdout:\n{proc.stdout}\nstderr:\n{proc.stderr}"
    report = json.loads(lines[-1])
    assert set(report) == {"paper", "quick", "meta"}, "extras belong inside 'meta'"
    for preset in ("paper", "quick"):
        assert set(report[preset]) == PRESET_KEYS, report[preset]
        for key, value in report[preset].items():
            assert isinstance(value, (int, float)) and not isinstance(value, bool), (preset, key, value)
            assert math.isfinite(value) and value > 0, (preset, key, value)
    assert report["meta"]["device"] == "cpu"

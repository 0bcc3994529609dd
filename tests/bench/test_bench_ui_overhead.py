"""Smoke test of bench/ui_overhead.py on the real data: ``main(["--quick"])`` runs both modes and its
last stdout line is the JSON report with positive numbers. No timing assertions (the machine is shared).

Needs Fashion-MNIST under $SR_DATA_DIR (the ``data_dir`` fixture): skipped without it on a laptop,
FAILS under CI.
"""
from __future__ import annotations

import importlib.util
import json
import math
import sys
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "bench" / "ui_overhead.py"


def _load_bench():
    spec = importlib.util.spec_from_file_location("_bench_ui_overhead", SCRIPT)
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod  # dataclasses look their module up while the file executes
    spec.loader.exec_module(mod)
    return mod


def test_ui_overhead_quick_prints_json_report(data_dir: Path, capsys) -> None:
    bench = _load_bench()
    threads_before = torch.get_num_threads()
    returned = bench.main(["--quick", "--data-dir", str(data_dir)])
    out = capsys.readouterr().out
    lines = [line for line in out.strip().splitlines() if line.strip()]
    assert len(lines) > 1, f"expected a table before the JSON line, got:\n{out}"
    report = json.loads(lines[-1])
    assert report == json.loads(json.dumps(returned)), "main() returns what it prints"
    assert {"ui_img_s", "headless_img_s", "ratio"} <= set(report), report
    assert set(report) <= {"ui_img_s", "headless_img_s", "ratio", "meta"}, "extras belong under 'meta'"
    for key in ("ui_img_s", "headless_img_s", "ratio"):
        value = report[key]
        assert isinstance(value, (int, float)) and not isinstance(value, bool), (key, value)
        assert math.isfinite(value) and value > 0, (key, value)
    meta = report["meta"]
    assert meta["device"] == "cpu" and meta["slice_pairs"] >= 1
    assert meta["poll_mode"] == "page", f"the Train page could not be rerun: {meta['poll_error']}"
    assert meta["poll_ms_median"] is not None and meta["poll_ms_median"] > 0
    assert torch.get_num_threads() == threads_before, "the benchmark must restore torch's thread count"

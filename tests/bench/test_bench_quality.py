"""bench/quality.py: its target checks (synthetic numbers) and a dry run on the real data (the last line
is the JSON report, one entry per model plus the baselines)."""
from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "bench" / "quality.py"


def load_bench():
    spec = importlib.util.spec_from_file_location("_bench_quality", SCRIPT)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.mark.parametrize("res_psnr, cvae_psnr, diversity, expect", [
    (26.6, 25.7, 0.01, {"resnet-sr PSNR": True, "within 1 dB": True}),
    (26.1, 24.9, 0.01, {"resnet-sr PSNR": False, "within 1 dB": False}),
    (26.6, 26.0, 0.0, {"resnet-sr PSNR": True, "within 1 dB": False}),  # no diversity: not a sampler
])
def test_target_checks(res_psnr, cvae_psnr, diversity, expect):
    bench = load_bench()
    results = {"resnet-sr": {"psnr": res_psnr, "ssim": 0.931},
               "cvae-sr": {"psnr": cvae_psnr, "ssim": 0.92, "diversity": diversity,
                           "projection": {"lr_psnr": 161.0}},
               "cnn-vae": {"psnr": 19.2}, "cnn-vae-class": {"psnr": 19.6}}
    checks = {c["target"]: c for c in bench.target_checks(results)}
    assert len(checks) == 5
    for key, met in expect.items():
        (c,) = [c for t, c in checks.items() if key in t]
        assert c["met"] is met, (key, c)
    ssim = next(c for t, c in checks.items() if "SSIM" in t)
    assert ssim["met"] and ssim["margin"] == pytest.approx(0.001)
    assert next(c for t, c in checks.items() if "cnn-vae-class" in t)["margin"] == pytest.approx(0.4)
    assert bench.target_checks({}) == []


def test_quality_dry_run_prints_table_and_json(data_dir: Path) -> None:
    proc = subprocess.run([sys.executable, str(SCRIPT), "--dry-run", "--models", "resnet-sr,cvae-sr",
                           "--threads", "1", "--data-dir", str(data_dir)],
                          capture_output=True, text=True, timeout=600, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr[-2000:]
    lines = proc.stdout.strip().splitlines()
    report = json.loads(lines[-1])
    assert {"resnet-sr", "cvae-sr", "nearest", "bicubic", "targets"} <= set(report)
    assert report["cvae-sr"]["diversity"] > 0 and report["cvae-sr"]["projection"]["lr_psnr"] > 45
    assert any(line.startswith("target: resnet-sr PSNR") for line in lines)
    assert any(line.startswith("bicubic") for line in lines)

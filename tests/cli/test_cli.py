"""CLI: one-line errors with exit code 2, and a real-data train -> eval --json round trip."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from sr_core.cli.main import main

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("argv", [
    ["train", "--preset", "nope"],
    ["train", "--model", "srgan"],
    ["train", "--lr", "-0.1"],
    ["train", "--lr", "abc"],
    ["train", "--batch-size", "0"],
    ["train", "--steps", "-5"],
    ["train", "--alpha", "0:2.0"],
    ["train", "--lr-schedule", "step"],
    ["train", "--resume", "no-such-run"],
    ["eval", "no-such-run"],
    ["eval", "x", "--limit", "-1"],
    ["frobnicate"],
])
def test_bad_arguments_exit_2_with_one_line(argv: list[str], runs_dir: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: ") and "\n" not in err


def test_module_entry_point_exits_2() -> None:
    proc = subprocess.run([sys.executable, "-m", "sr_core", "train", "--batch-size", "0"], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    assert len(proc.stderr.strip().splitlines()) == 1 and "batch-size" in proc.stderr


def test_missing_data_exits_2(tmp_path: Path, runs_dir: Path, capsys: pytest.CaptureFixture[str],
                              monkeypatch: pytest.MonkeyPatch) -> None:
    # Make the download fail fast instead of touching the network.
    import torchvision.datasets.mnist as tvm

    def offline(self, *a, **k):
        raise RuntimeError("offline")

    monkeypatch.setattr(tvm.MNIST, "download", offline)
    assert main(["train", "--preset", "tiny", "--data-dir", str(tmp_path / "nodata")]) == 2
    err = capsys.readouterr().err
    assert "t10k-images-idx3-ubyte" in err and str((tmp_path / "nodata").resolve()) in err


def test_models_lists_registry_and_presets(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["models"]) == 0
    out = capsys.readouterr().out
    for name in ("cnn-vae-paper", "cnn-vae", "paper", "quick"):
        assert name in out


def test_train_then_eval_json_on_real_data(data_dir: Path, runs_dir: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["train", "--preset", "tiny", "--name", "cli-run", "--no-progress", "--data-dir", str(data_dir)]) == 0
    out = capsys.readouterr().out.strip().splitlines()
    assert out[-1] == str(runs_dir / "cli-run")  # the last line is the run folder
    assert (runs_dir / "cli-run" / "config.json").is_file() and (runs_dir / "cli-run" / "metrics.csv").is_file()

    assert main(["eval", "cli-run", "--json", "--data-dir", str(data_dir)]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 1
    result = json.loads(lines[0])
    assert "per image" in result["protocol"] and result["n_images"] == 10_000
    for key in ("model", "nearest", "bilinear", "bicubic"):
        assert set(result[key]) >= {"psnr", "ssim", "lr_psnr"}
    assert set(result["reconstruction"]) >= {"psnr", "ssim"}
    # The reference measurement: bicubic on the Fashion-MNIST test set, 2x2 box LR.
    assert result["bicubic"]["psnr"] == pytest.approx(19.41, abs=0.05)
    assert result["nearest"]["lr_psnr"] is None  # infinite: nearest is exactly LR-consistent
    assert (runs_dir / "cli-run" / "eval.json").is_file()

    assert main(["list"]) == 0
    listed = capsys.readouterr().out
    assert "cli-run" in listed and "shipped checkpoints (read-only)" in listed
    assert any(line.startswith("resnet-sr ") and " shipped " in line for line in listed.splitlines())

    # resume to more steps continues the step count
    assert main(["train", "--resume", "cli-run", "--steps", "70", "--no-progress", "--data-dir", str(data_dir)]) == 0
    capsys.readouterr()
    import torch
    assert torch.load(runs_dir / "cli-run" / "checkpoint.pt", weights_only=True)["step"] == 70

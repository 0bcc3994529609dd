"""Shipped checkpoints (assets/checkpoints/<model>/): complete, small, loadable, and as good as recorded.

The real-data tests need Fashion-MNIST under ``SR_DATA_DIR``: they skip on a laptop without it and
FAIL when ``CI`` is set (e.g. ``CI=true``), so a missing data folder cannot turn CI green.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
import torch

from sr_core.checkpoint import load_checkpoint, model_from_checkpoint
from sr_core.models import model_names

ROOT = Path(__file__).resolve().parents[2]
CKPT_ROOT = ROOT / "assets" / "checkpoints"
SHIPPED = ("cnn-vae-paper", "cnn-vae", "cnn-vae-class", "cnn-vae-deep", "resnet-sr", "cvae-sr")
FILES = ("checkpoint.pt", "config.json", "metrics.csv", "eval.json", "eval_2000.json")
MAX_TOTAL_BYTES = 10 * 1024 * 1024
TOLERANCE_DB = 0.1


def require_data(root: Path | None = None) -> Path:
    """The Fashion-MNIST root; pytest.fail under CI when it is missing, pytest.skip elsewhere."""
    from sr_core.data import check_dataset, resolve_data_dir

    root = (Path(root) if root is not None else resolve_data_dir(None)).resolve()
    missing = check_dataset("fashion-mnist", root)
    if missing:
        msg = f"Fashion-MNIST not found under {root} (missing {', '.join(missing)}); set SR_DATA_DIR"
        if os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no"):
            pytest.fail(msg)
        pytest.skip(msg)
    return root


@pytest.fixture(scope="module")
def quality_data() -> Path:
    return require_data()


def test_missing_data_fails_under_ci(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="Fashion-MNIST not found"):
        require_data(tmp_path / "nothing-here")
    monkeypatch.delenv("CI")
    with pytest.raises(pytest.skip.Exception):
        require_data(tmp_path / "nothing-here")


@pytest.mark.parametrize("name", SHIPPED)
def test_folder_complete_and_loads_weights_only(name: str) -> None:
    d = CKPT_ROOT / name
    for f in FILES:
        assert (d / f).is_file(), f"{d / f} is missing; run scripts/make_checkpoints.py"
    raw = torch.load(d / "checkpoint.pt", map_location="cpu", weights_only=True)  # must not need pickle
    assert raw["model_name"] == name and name in model_names()
    assert raw.get("optimizer_state") is None
    model, ckpt = model_from_checkpoint(load_checkpoint(d / "checkpoint.pt"))
    assert all(p.dtype == torch.float32 for p in model.parameters())  # fp16 storage loads back as fp32
    cfg = json.loads((d / "config.json").read_text())
    assert cfg["train"]["model"] == name
    ev = json.loads((d / "eval.json").read_text())
    assert ev["n_images"] == 10000 and ev["dataset"] == "fashion-mnist"
    assert "step,split,total" in (d / "metrics.csv").read_text().splitlines()[0]


def test_total_size_within_budget() -> None:
    total = sum((CKPT_ROOT / n / "checkpoint.pt").stat().st_size for n in SHIPPED)
    assert total <= MAX_TOTAL_BYTES, f"shipped checkpoints take {total / 1e6:.2f} MB > 10 MB"


def test_deep_cnn_vae_ships_under_one_megabyte() -> None:
    assert (CKPT_ROOT / "cnn-vae-deep" / "checkpoint.pt").stat().st_size <= 1_000_000


def test_readme_names_every_model() -> None:
    text = (CKPT_ROOT / "README.md").read_text()
    for name in SHIPPED:
        assert f"`{name}`" in text


@pytest.mark.parametrize("name", SHIPPED)
def test_reaches_recorded_psnr(name: str, quality_data: Path) -> None:
    """Same protocol and seed as eval_2000.json (first 2,000 test images): within 0.1 dB."""
    from sr_core.data import load_split
    from sr_core.evaluate import evaluate

    recorded = json.loads((CKPT_ROOT / name / "eval_2000.json").read_text())
    split = load_split("fashion-mnist", train=False, data_dir=quality_data, download=False)
    model, _ = model_from_checkpoint(CKPT_ROOT / name / "checkpoint.pt")
    torch.manual_seed(0)
    got = evaluate(model, split, limit=recorded["n_images"], samples=0, predicted_labels=False)
    assert got["n_images"] == recorded["n_images"] == 2000
    assert abs(got["model"]["psnr"] - recorded["model"]["psnr"]) <= TOLERANCE_DB, (
        f"{name}: PSNR {got['model']['psnr']:.3f} dB vs recorded {recorded['model']['psnr']:.3f} dB")
    assert abs(got["model"]["ssim"] - recorded["model"]["ssim"]) <= 0.005


# ---------------------------------------------------------------- photo models (issue 18)

PHOTO_SHIPPED = ("resnet-sr-photo", "cnn-vae-photo")
PHOTO_FILES = ("checkpoint.pt", "config.json", "metrics.csv", "eval.json", "train_time.json")


@pytest.mark.parametrize("name", PHOTO_SHIPPED)
def test_photo_folder_complete_and_scored_on_held_out_photos(name: str) -> None:
    from sr_core.photos import PHOTO_TEST

    d = CKPT_ROOT / name
    for f in PHOTO_FILES:
        assert (d / f).is_file(), f"{d / f} is missing; run scripts/make_checkpoints.py --models {name}"
    raw = torch.load(d / "checkpoint.pt", map_location="cpu", weights_only=True)
    assert raw.get("optimizer_state") is None
    assert raw["train_config"]["dataset"] == "photos" and raw["train_config"]["preset"] == name
    ev = json.loads((d / "eval.json").read_text())
    assert ev["dataset"] == "photos" and "Y" in ev["protocol"] and "crop_border" in ev["protocol"]
    assert [r["name"] for r in ev["per_image"]] == list(PHOTO_TEST)
    assert f"`{name}`" in (CKPT_ROOT / "README.md").read_text()


@pytest.mark.parametrize("name", PHOTO_SHIPPED)
def test_photo_model_reproduces_its_recorded_scores(name: str) -> None:
    """`eval --dataset photos` of the shipped file gives the recorded per-image Y-PSNR/SSIM (3 held-out photos)."""
    from sr_core.imaging.photo_metrics import benchmark
    from sr_core.imaging.photo_eval import benchmark_images

    ev = json.loads((CKPT_ROOT / name / "eval.json").read_text())
    model, ckpt = model_from_checkpoint(CKPT_ROOT / name / "checkpoint.pt")
    _, items = benchmark_images("photos", None)
    got = benchmark(model, items, degradation=ckpt["train_config"]["degradation"])
    for a, b in zip(got["per_image"], ev["per_image"]):
        assert a["name"] == b["name"]
        assert abs(a["sr"]["psnr"] - b["sr"]["psnr"]) <= 0.01 and abs(a["sr"]["ssim"] - b["sr"]["ssim"]) <= 1e-3
        assert abs(a["bicubic"]["psnr"] - b["bicubic"]["psnr"]) <= 1e-6  # the baseline is pure arithmetic


def test_photo_models_within_the_size_budget() -> None:
    """10 MiB for the Fashion-MNIST models, 3 MiB more for the photo models (scripts/make_checkpoints.py)."""
    total = sum((CKPT_ROOT / n / "checkpoint.pt").stat().st_size for n in SHIPPED + PHOTO_SHIPPED)
    assert total <= 13 * 1024 * 1024, f"shipped checkpoints take {total / 1e6:.2f} MB > 13 MiB"

"""The ``auto`` model (sr_core.runs.auto): a 28×28 grey image gets the Fashion-MNIST resnet-sr, a photograph
the shipped photo model with the best non-negative gain over bicubic; with only a losing photo model (today's
cnn-vae-photo, about -4 dB) resnet-sr and a note; resnet-sr-photo may be absent. The demo's API and
``upscale`` default to it and make the same choice."""
from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from sr_core.cli.main import main
from sr_core.runs import auto
from sr_core.runs.shipped import list_shipped
from _synthetic import random_image_file

GREY_28 = np.random.default_rng(0).random((28, 28)).astype(np.float32)
PHOTO = np.random.default_rng(1).random((40, 60, 3)).astype(np.float32)


def _ship(root: Path, name: str, model: str, dataset: str, gain: float | None = None) -> None:
    """A fake shipped folder: side files only (auto never loads weights)."""
    d = root / name
    d.mkdir(parents=True)
    (d / "checkpoint.pt").write_bytes(b"not read")
    (d / "config.json").write_text(json.dumps({"train": {"model": model, "dataset": dataset, "patch": 48}}))
    if gain is not None:
        ev = {"dataset": dataset, "protocol": "Y", "per_image": [],
              "mean": {"sr": {"psnr": 30.0 + gain}, "bicubic": {"psnr": 30.0}, "gain_db": gain}}
        (d / "eval.json").write_text(json.dumps(ev))


@pytest.fixture()
def fashion_only(tmp_path: Path) -> Path:
    root = tmp_path / "ckpts"
    _ship(root, "resnet-sr", "resnet-sr", "fashion-mnist")
    _ship(root, "cnn-vae", "cnn-vae", "fashion-mnist")
    return root


def test_what_counts_as_a_photograph() -> None:
    assert not auto.is_photograph(GREY_28)
    assert not auto.is_photograph(np.zeros((14, 20), np.float32))          # small grey: like the data
    assert not auto.is_photograph(np.repeat(GREY_28[..., None], 3, axis=2))  # grey stored as RGB
    assert auto.is_photograph(np.zeros((28, 29), np.float32))               # larger than 28×28
    assert auto.is_photograph(PHOTO) and auto.is_photograph(np.random.default_rng(2).random((10, 10, 3)))


def test_grey_28_gets_the_fashion_mnist_model(fashion_only: Path) -> None:
    _ship(fashion_only, "resnet-sr-photo", "resnet-sr", "photos", gain=2.9)
    name, note = auto.default_model_for(GREY_28, fashion_only)
    assert name == "resnet-sr" and "Fashion-MNIST" in note and "\n" not in note


def test_colour_photo_gets_the_photo_model(fashion_only: Path) -> None:
    _ship(fashion_only, "resnet-sr-photo", "resnet-sr", "photos", gain=2.9)
    _ship(fashion_only, "cnn-vae-photo", "cnn-vae", "photos", gain=-4.28)
    name, note = auto.default_model_for(PHOTO, fashion_only)
    assert name == "resnet-sr-photo" and "photos (scikit-image)" in note and "+2.90 dB" in note
    assert auto.default_model_for(np.zeros((300, 400), np.float32), fashion_only)[0] == "resnet-sr-photo"


def test_only_a_losing_photo_model_falls_back_to_resnet_sr_with_a_note(fashion_only: Path) -> None:
    _ship(fashion_only, "cnn-vae-photo", "cnn-vae", "photos", gain=-4.28)
    name, note = auto.default_model_for(PHOTO, fashion_only)
    assert name == "resnet-sr"
    assert "no shipped photo model beats bicubic" in note and "cnn-vae-photo" in note and "-4.28" in note


def test_absent_resnet_sr_photo_uses_the_best_photo_model_that_does_not_lose(fashion_only: Path) -> None:
    assert auto.default_model_for(PHOTO, fashion_only)[0] == "resnet-sr"  # no photo model at all
    assert "no photo model is shipped" in auto.default_model_for(PHOTO, fashion_only)[1]
    _ship(fashion_only, "cnn-vae-photo", "cnn-vae", "photos", gain=-4.28)
    _ship(fashion_only, "cvae-sr-photo", "cvae-sr", "photos", gain=0.4)
    _ship(fashion_only, "my-photo", "cnn-vae-deep", "folder:/data/pics", gain=1.1)
    assert auto.default_model_for(PHOTO, fashion_only)[0] == "my-photo"
    # resnet-sr-photo shipped before its eval.json is written: still the photo choice
    _ship(fashion_only, "resnet-sr-photo", "resnet-sr", "photos")
    assert auto.default_model_for(PHOTO, fashion_only)[0] == "my-photo"  # a recorded winner comes first
    for d in ("my-photo", "cvae-sr-photo"):
        for f in (fashion_only / d).iterdir():
            f.unlink()
        (fashion_only / d).rmdir()
    name, note = auto.default_model_for(PHOTO, fashion_only)
    assert name == "resnet-sr-photo" and "no recorded score" in note


def test_the_shipped_choice_never_loses_to_bicubic() -> None:
    """On this checkout: resnet-sr-photo when shipped (and not losing), never a photo model that loses."""
    name, _ = auto.default_model_for(PHOTO)
    rows = {r["name"]: r for r in list_shipped()}
    if rows[name]["dataset"] == "photos":
        assert rows[name]["gain_db"] is None or rows[name]["gain_db"] >= 0
    else:
        assert name == "resnet-sr"
        assert all(r["gain_db"] is not None and r["gain_db"] < 0 for r in rows.values() if r["dataset"] == "photos")
    if "resnet-sr-photo" in rows and (rows["resnet-sr-photo"]["gain_db"] or 0) >= 0:
        assert name == "resnet-sr-photo" or rows[name]["gain_db"] > rows["resnet-sr-photo"]["gain_db"]
    assert auto.default_model_for(GREY_28)[0] == "resnet-sr"


def test_api_and_upscale_default_to_auto_and_agree(tmp_path: Path, capsys) -> None:
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    import demo

    grey, colour = tmp_path / "in" / "grey.png", tmp_path / "in" / "colour.png"
    random_image_file(grey, 28, 28, 0, rgb=False)
    random_image_file(colour, 30, 44, 1, rgb=True)
    out = tmp_path / "out"
    assert main(["upscale", str(tmp_path / "in"), "--out", str(out), "--json", "--no-progress"]) == 0
    res = json.loads(capsys.readouterr().out)
    assert res["model"] == "auto" and sum(res["models"].values()) == 2
    for src in (grey, colour):
        png, info = demo.api_upscale(str(src))  # the API's default model: auto
        expected, _ = auto.default_model_for(np.asarray(Image.open(src), dtype=np.float32) / 255.0)
        assert info["auto"] is True and info["model"] == expected and info["trained_on"]
        assert info["notes"][0].startswith("auto: ")
        assert Path(png).read_bytes() == (out / src.name).read_bytes()
    png, info = demo.api_upscale(str(colour), "cnn-vae")
    assert info["auto"] is False and info["model"] == "cnn-vae" and info["trained_on"] == "Fashion-MNIST"
    assert not any(n.startswith("auto") for n in info["notes"])

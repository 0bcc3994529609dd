"""The Train page on photographs (AppTest): the dataset choice (Photos, Image folder + path, patch), a tiny
run on scikit-image's photos with a live strip of held-out photo crops, and a bad folder refused in one line."""
from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image

from tests.app_support import TRAIN, empty_runs, fresh_registry, page, texts, wait_for_status  # noqa: F401
from ui.studio.services import job_registry


def photo_form(**widgets):
    """The Train page with the tiny preset on resnet-sr, 8 small batches, evaluated every 4."""
    at = page(TRAIN)
    at.selectbox(key="train_preset").set_value("tiny").run()
    at.selectbox(key="train_model").set_value("resnet-sr")
    for key, value in dict(steps=8, eval_every=4, batch_size=8, checkpoint_every=4, eval_limit=0, **widgets).items():
        at.number_input(key=f"train_{key}").set_value(value)
    return at


def test_tiny_run_on_photos_shows_held_out_photo_crops(empty_runs):
    at = photo_form(patch=32)
    at.radio(key="train_dataset").set_value("photos")
    at.text_input(key="train_name").input("photo-tiny")
    at.button(key="train_start").click().run()
    assert not at.exception and not texts(at, "error"), texts(at, "error")
    wait_for_status(at, ("finished",), timeout=180)
    saved = json.loads((empty_runs / "photo-tiny" / "config.json").read_text())["train"]
    assert (saved["dataset"], saved["patch"], saved["model"]) == ("photos", 32, "resnet-sr")
    caption = at.get("image")[0].proto.imgs[0].caption
    # 8 crops spread over the three held-out photos, at the run's own sizes
    assert "32×32 crops of held-out photos: chelsea ×3, rocket ×3, coins ×2" in caption, caption
    assert "LR 16×16" in caption and "HR 32×32" in caption
    hist = np.load(empty_runs / "photo-tiny" / "preview_history.npz")
    assert hist["hr"].shape == (8, 32, 32) and str(hist["source"]).startswith("32×32 crops")


@pytest.mark.parametrize("path,message", [("", "Image folder needs a path"),
                                          ("/no/such/folder", "no folder at '/no/such/folder'")])
def test_image_folder_without_a_usable_path_is_one_error_and_no_run(empty_runs, path, message):
    at = photo_form()
    at.radio(key="train_dataset").set_value("folder")
    at.text_input(key="train_folder").input(path)
    at.button(key="train_start").click().run()
    assert not at.exception
    errors = texts(at, "error")
    assert len(errors) == 1 and message in errors[0], errors
    assert job_registry().job is None and not empty_runs.exists()


def test_image_folder_with_no_usable_image_is_one_error(empty_runs, tmp_path):
    folder = tmp_path / "imgs"
    folder.mkdir()
    (folder / "notes.txt").write_text("not an image")
    Image.fromarray(np.zeros((6, 6), np.uint8)).save(folder / "tiny.png")  # smaller than a patch
    at = photo_form()
    at.radio(key="train_dataset").set_value("folder")
    at.text_input(key="train_folder").input(str(folder))
    at.button(key="train_start").click().run()
    assert not at.exception
    errors = texts(at, "error")
    assert len(errors) == 1 and "imgs" in errors[0] and "\n" not in errors[0], errors
    assert job_registry().job is None and not any(empty_runs.glob("*/checkpoint.pt"))
    print(errors[0])

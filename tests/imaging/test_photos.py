"""Photo datasets (sr_core.photos): image folders and scikit-image's sample photos; training on them;
whole-photo tiling for the fixed 14×14 CNN-VAEs."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from sr_core import photos
from sr_core.checkpoint import load_checkpoint
from sr_core.cli.main import main
from sr_core.config import TrainConfig
from sr_core.data import load_split
from sr_core.degrade import box_downsample, nearest_up
from sr_core.errors import UserError
from sr_core.imaging.tiling import blended
from _synthetic import random_image_file


@pytest.fixture()
def folder(tmp_path: Path) -> Path:
    root = tmp_path / "imgs"
    for i in range(6):
        random_image_file(root / f"a{i}.png", 40, 50, i, rgb=False)
    random_image_file(root / "nested" / "deep" / "c.jpg", 36, 36, 9, rgb=True, fmt="JPEG")
    random_image_file(root / "nested" / "w.webp", 33, 41, 10, rgb=True, fmt="WEBP")
    random_image_file(root / "tiny.png", 8, 8, 11, rgb=False)
    (root / "corrupt.png").write_bytes(b"\x89PNG not really")
    (root / "notes.txt").write_text("not an image")
    return root


def _both(name: str, patch: int, lines: list[str]):
    photos._CACHE.clear()
    return (photos.load_photo_split(name, True, patch, log=lines.append),
            photos.load_photo_split(name, False, patch, log=lines.append))


def test_folder_split_is_deterministic_recursive_and_skips_bad_files(folder: Path) -> None:
    lines: list[str] = []
    train, test = _both(f"folder:{folder}", 16, lines)
    names = set(train.names) | set(test.names)
    assert {"nested/deep/c.jpg", "nested/w.webp", "a0.png"} <= names and not set(train.names) & set(test.names)
    assert "tiny.png" not in names and "corrupt.png" not in names and len(names) == 8 and test.names
    assert any("corrupt.png" in ln and "not a readable image" in ln for ln in lines)
    assert any("tiny.png" in ln and "smaller than a 16×16 patch" in ln for ln in lines)
    assert any("2 file(s) skipped" in ln for ln in lines)
    assert all(y.dtype == np.uint8 and y.ndim == 2 for y in train.photos)
    again = _both(f"folder:{folder}", 16, [])
    assert again[0].names == train.names and again[1].names == test.names
    assert tuple(test.images.shape[1:]) == (16, 16) and test.images.dtype == torch.uint8


def test_train_and_test_subfolders_are_used_when_present(tmp_path: Path) -> None:
    for i in range(3):
        random_image_file(tmp_path / "train" / f"t{i}.png", 30, 30, i, rgb=False)
    random_image_file(tmp_path / "test" / "held.png", 30, 30, 7, rgb=False)
    train, test = _both(f"folder:{tmp_path}", 16, [])
    assert train.names == ["t0.png", "t1.png", "t2.png"] and test.names == ["held.png"]


def test_no_usable_image_is_one_line_exit_2(tmp_path: Path, capsys) -> None:
    (tmp_path / "x.txt").write_text("no")
    random_image_file(tmp_path / "small.png", 5, 5, 0, rgb=False)
    photos._CACHE.clear()
    rc = main(["train", "--preset", "resnet-sr", "--dataset", f"folder:{tmp_path}", "--steps", "1",
               "--runs-dir", str(tmp_path / "runs"), "--no-progress"])
    err = capsys.readouterr().err.strip().splitlines()
    assert rc == 2 and err[-1].startswith("error: no usable training image")


def test_memory_bound_is_enforced_before_decoding(folder: Path, monkeypatch) -> None:
    monkeypatch.setattr(photos, "MAX_DATASET_PIXELS", 5000)
    with pytest.raises(UserError, match="in-memory limit"):
        _both(f"folder:{folder}", 16, [])


def test_patch_stream_sizes_flips_and_determinism(folder: Path) -> None:
    train, _ = _both(f"folder:{folder}", 16, [])
    s = photos.PatchStream(train, 6, seed=3, device=torch.device("cpu"), degrade=box_downsample)
    hr, lr, labels = s.batch(5)
    assert hr.shape == (6, 1, 16, 16) and lr.shape == (6, 1, 8, 8) and labels.shape == (6,)
    assert 0 <= float(hr.min()) and float(hr.max()) <= 1
    assert torch.equal(hr, s.batch(5)[0]) and not torch.equal(hr, s.batch(6)[0])
    # Every crop is a flip/rotation of a window of some training photo.
    full = [torch.from_numpy(y).float() / 255 for y in train.photos]
    crop = hr[0, 0]
    variants = [torch.rot90(c, k, (0, 1)) for c in (crop, crop.flip(1)) for k in range(4)]
    hit = any(torch.equal(y[r:r + 16, c:c + 16], v) for y in full for v in variants
              for r in range(y.shape[0] - 15) for c in range(y.shape[1] - 15))
    assert hit


def test_photo_lists_load_offline_and_are_disjoint() -> None:
    assert not set(photos.PHOTO_TRAIN) & set(photos.PHOTO_TEST)
    assert set(photos.PHOTO_LICENCES) == set(photos.PHOTO_TRAIN) | set(photos.PHOTO_TEST)
    for name in photos.PHOTO_TRAIN + photos.PHOTO_TEST:
        img = photos.skimage_photo(name)
        assert min(img.shape[:2]) >= 2 * photos.DEFAULT_PATCH_ANY and img.dtype == np.float32  # room for patches


def test_config_checks_for_photos() -> None:
    TrainConfig(model="resnet-sr", dataset="photos", patch=48).validate()
    TrainConfig(model="cnn-vae", dataset="photos").validate()
    with pytest.raises(UserError, match="class labels"):
        TrainConfig(model="cnn-vae-class", dataset="photos").validate()
    with pytest.raises(UserError, match="28×28 patches only"):
        TrainConfig(model="cnn-vae-deep", dataset="photos", patch=48).validate()
    with pytest.raises(UserError, match="photo datasets"):
        TrainConfig(model="cnn-vae", dataset="fashion-mnist", patch=48).validate()
    assert photos.resolve_patch("resnet-sr", 0) == 48 and photos.resolve_patch("cnn-vae-paper", 0) == 28


@pytest.mark.parametrize("model,patch", [("resnet-sr", 24), ("cnn-vae", 28)])
def test_cli_trains_on_photos_and_records_the_dataset(tmp_path: Path, model: str, patch: str) -> None:
    photos._CACHE.clear()
    rc = main(["train", "--preset", "tiny", "--model", model, "--dataset", "photos", "--patch", str(patch),
               "--steps", "3", "--batch-size", "4", "--eval-every", "3", "--eval-limit", "8",
               "--runs-dir", str(tmp_path), "--no-progress"])
    assert rc == 0
    ckpt = load_checkpoint(next(tmp_path.glob("*/checkpoint.pt")))
    assert ckpt["train_config"]["dataset"] == "photos" and ckpt["train_config"]["patch"] == patch
    assert photos.trained_on(ckpt) == f"trained on: photos (scikit-image sample photos), {patch}×{patch} luminance patches"
    assert photos.trained_on({"train_config": {"dataset": "fashion-mnist"}}) == "trained on: fashion-mnist"


def test_load_split_dispatches_photo_datasets() -> None:
    photos._CACHE.clear()
    test = load_split("photos", train=False, patch=28)
    assert isinstance(test, photos.PhotoSplit) and test.names == list(photos.PHOTO_TEST)
    assert tuple(test.images.shape[1:]) == (28, 28) and set(test.labels.tolist()) == {0, 1, 2}


def test_blended_tiles_equal_untiled_where_both_apply() -> None:
    x = torch.rand(1, 1, 37, 23)
    assert torch.allclose(blended(nearest_up, x), nearest_up(x), atol=1e-6)  # a per-pixel map: seamless
    lr = torch.rand(3, 1, 14, 14)
    assert torch.equal(blended(lambda t: nearest_up(t) * 0.5, lr), nearest_up(lr) * 0.5)  # one tile: untouched
    small = torch.rand(1, 1, 5, 9)
    assert blended(nearest_up, small).shape == (1, 1, 10, 18)


@pytest.mark.parametrize("n,expect", [(8, [3, 3, 2]), (3, [1, 1, 1]), (2, [1, 1, 0])])
def test_photo_preview_spreads_crops_over_the_held_out_photos(n, expect):
    import torch

    from sr_core.photos import make_split

    photos = [np.full((96, 96), 10 * i, np.uint8) for i in range(3)]
    split = make_split("photos", False, photos, ["a", "b", "c"], 16)
    idx = split.preview_indices(n)
    labels = split.labels[idx].tolist()
    assert [labels.count(i) for i in range(3)] == expect and len(set(idx)) == len(idx)
    assert labels == sorted(labels)  # grouped by photo, left to right
    crops = split.labels == 0
    assert idx[0] not in (int(torch.nonzero(crops)[0]), int(torch.nonzero(crops)[-1]))  # no corner crop
    assert split.preview_source(idx).startswith("16×16 crops of held-out photos: a ×")

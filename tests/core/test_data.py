"""Data loading from IDX files the test writes itself, degradations, and batch order."""
from __future__ import annotations

import struct
from pathlib import Path

import numpy as np
import pytest
import torch

from sr_core import data, degrade
from sr_core.errors import DataMissingError, UserError


def _write_idx(folder: Path, n_train: int = 12, n_test: int = 5, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    raw = folder / "FashionMNIST" / "raw"
    raw.mkdir(parents=True)
    out = {}
    for prefix, n in (("train", n_train), ("t10k", n_test)):
        imgs = rng.integers(0, 256, size=(n, 28, 28), dtype=np.uint8)
        labels = rng.integers(0, 10, size=n, dtype=np.uint8)
        (raw / f"{prefix}-images-idx3-ubyte").write_bytes(struct.pack(">IIII", 2051, n, 28, 28) + imgs.tobytes())
        (raw / f"{prefix}-labels-idx1-ubyte").write_bytes(struct.pack(">II", 2049, n) + labels.tobytes())
        out[prefix] = (imgs, labels)
    return out["t10k"]


def test_loads_idx_files_written_here(tmp_path: Path) -> None:
    imgs, labels = _write_idx(tmp_path)
    split = data.load_split("fashion-mnist", train=False, data_dir=tmp_path, download=False)
    assert split.images.dtype == torch.uint8 and split.images.shape == (5, 28, 28)
    assert torch.equal(split.images, torch.from_numpy(imgs))
    assert split.labels.tolist() == labels.tolist()
    hr = split.hr([0, 2])
    assert hr.shape == (2, 1, 28, 28) and hr.dtype == torch.float32
    assert torch.allclose(hr[1, 0], torch.from_numpy(imgs[2]).float() / 255)


def test_missing_data_is_one_line_naming_folder_and_files(tmp_path: Path) -> None:
    with pytest.raises(DataMissingError) as err:
        data.load_split("fashion-mnist", train=True, data_dir=tmp_path / "empty", download=False)
    msg = str(err.value)
    assert "\n" not in msg
    assert str((tmp_path / "empty" / "FashionMNIST" / "raw").resolve()) in msg
    for f in data.RAW_FILES:
        assert f in msg


def test_data_dir_resolution(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("SR_DATA_DIR", raising=False)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(data, "PROJECT_ROOT", tmp_path / "proj")  # nothing beside it: ./data
    assert data.resolve_data_dir(None) == Path("data")
    monkeypatch.setenv("SR_DATA_DIR", str(tmp_path))
    assert data.resolve_data_dir(None) == tmp_path
    assert data.resolve_data_dir("x") == Path("x")


@pytest.mark.parametrize("name", list(degrade.DEGRADATIONS))
def test_degradation_shapes_and_range(name: str) -> None:
    hr = torch.rand(3, 1, 28, 28)
    lr = degrade.get_degradation(name)(hr)
    assert lr.shape == (3, 1, 14, 14)
    assert lr.min() >= 0 and lr.max() <= 1


def test_box_is_2x2_average() -> None:
    hr = torch.arange(16.0).view(1, 1, 4, 4) / 15
    lr = degrade.box_downsample(hr)
    assert torch.allclose(lr[0, 0, 0, 0], hr[0, 0, :2, :2].mean())


def test_unknown_degradation_lists_choices() -> None:
    with pytest.raises(UserError, match="box, bicubic"):
        degrade.get_degradation("lanczos")


@pytest.mark.parametrize("step", [0, 5, 11, 12, 30])
def test_batch_stream_matches_pure_indices(step: int) -> None:
    from tests._synthetic import synthetic_split

    split = synthetic_split(60)
    stream = data.BatchStream(split, batch_size=5, seed=3, device=torch.device("cpu"), degrade=degrade.box_downsample)
    hr, lr, labels = stream.batch(step)
    idx = data.batch_indices(60, 5, step, seed=3)
    assert torch.equal(hr, split.hr(idx))
    assert torch.equal(labels, split.labels[idx])
    assert lr.shape == (5, 1, 14, 14)


def test_epoch_is_a_permutation() -> None:
    seen = torch.cat([data.batch_indices(50, 10, s, seed=1) for s in range(5)])
    assert sorted(seen.tolist()) == list(range(50))
    assert not torch.equal(data.batch_indices(50, 10, 0, seed=1), data.batch_indices(50, 10, 5, seed=1))

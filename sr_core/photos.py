"""Photographs as training data: any image folder (``folder:PATH``) or scikit-image's sample photos (``photos``).

* Decoding: every file once, into memory, as 8-bit luminance (Y of YCbCr, ITU-R BT.601 full range, the Y
  the demo super-resolves; :mod:`sr_core.imaging.io`). Formats: PNG, JPEG, WebP, BMP, TIFF, recursive.
  Unreadable files and files smaller than a patch are skipped with one line each and a count; a folder
  with no usable image is a one-line :class:`UserError` (CLI exit 2).
* Memory bound: at most :data:`MAX_DATASET_PIXELS` decoded pixels (one byte each) per dataset, checked from
  the file headers before anything is decoded.
* Split: ``PATH/train`` + ``PATH/test`` when both exist; otherwise by file, deterministically: a file is
  held out when the SHA-1 of its relative path falls in the lowest :data:`TEST_FRACTION` (at least one
  file is held out), so adding files never moves the others.
* Serving: training batches are random ``patch`` × ``patch`` HR crops, uniform over every crop position of
  every training photo, each with one of the 8 flips/rotations, drawn from a generator seeded with
  (run seed, step) — a pure function, so resumed runs see the same batches — then degraded by the run's
  named degradation (``box``, ``bicubic``). The test split is a fixed grid of crops of the held-out photos.
* ``photos``: :data:`PHOTO_TRAIN` / :data:`PHOTO_TEST`, fixed; licences in :data:`PHOTO_LICENCES`.
"""
from __future__ import annotations

import hashlib
import sys
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np
import torch
from PIL import Image

from sr_core.data import DATASETS, Split, check_batch_size
from sr_core.degrade import to_float
from sr_core.errors import UserError
from sr_core.imaging.io import pil_to_float, rgb_to_ycbcr
from sr_core.models import model_class

SUFFIXES = (".png", ".jpg", ".jpeg", ".webp", ".bmp", ".tif", ".tiff")
MAX_DATASET_PIXELS = 512 * 2**20  # decoded pixels per dataset (1 byte each: 512 MiB)
TEST_FRACTION = 0.1
TEST_CROPS_PER_PHOTO = 64       # fixed test crops per held-out photo (evenly spread over its grid)
DEFAULT_PATCH_ANY = 48          # HR patch side for models that train on any size
FIXED_PATCH = 28                # the CNN-VAEs' HR size (encoder with linear heads)
PATCH_SEED_OFFSET = 3_333_331   # patch stream seed = seed * 1_000_003 + step + this (its own stream)

# scikit-image's bundled natural photographs (in its wheel, no download). Held out: never trained on.
PHOTO_TRAIN = ("astronaut", "camera", "coffee", "hubble_deep_field", "motorcycle_left", "motorcycle_right",
               "brick", "grass", "gravel", "text", "cell", "immunohistochemistry")
PHOTO_TEST = ("chelsea", "rocket", "coins")
PHOTO_LICENCES = {
    "astronaut": "NASA, public domain", "camera": "CC0 (Lav Varshney)", "coffee": "CC0 (Rachel Michetti)",
    "hubble_deep_field": "NASA, public domain", "motorcycle_left": "Middlebury 2014 stereo (Scharstein et al.)",
    "motorcycle_right": "Middlebury 2014 stereo (Scharstein et al.)", "brick": "CC0 (CC0Textures)",
    "grass": "CC0 (DeviantArt, linolafett)", "gravel": "CC0 (CC0Textures)",
    "chelsea": "CC0 (Stefan van der Walt)", "rocket": "SpaceX, public domain",
    "coins": "Brooklyn Museum, no known copyright restrictions",
    "text": "public domain (scikit-image)", "cell": "CC0 (scikit-image)",
    "immunohistochemistry": "no known copyright restrictions (scikit-image)",
}

Log = Callable[[str], None]


def is_photo_dataset(name: str) -> bool:
    """True for ``photos`` and ``folder:PATH``."""
    return name == "photos" or name.startswith("folder:")


def dataset_label(name: str) -> str:
    """'fashion-mnist', 'photos (scikit-image)', 'folder:/abs/path' — for "trained on: ..." lines."""
    return "photos (scikit-image sample photos)" if name == "photos" else name


def trained_on(ckpt: dict[str, Any]) -> str:
    """One line naming a checkpoint's training data, e.g. ``trained on: photos (...), 48×48 patches``."""
    tcfg = ckpt.get("train_config") or {}
    name = tcfg.get("dataset", "fashion-mnist") if isinstance(tcfg, dict) else "fashion-mnist"
    patch = tcfg.get("patch", 0) if isinstance(tcfg, dict) else 0
    extra = ""
    if is_photo_dataset(str(name)):
        side = resolve_patch(str(tcfg.get("model", "")), int(patch or 0)) if tcfg.get("model") else patch
        extra = f", {side}×{side} luminance patches"
    return f"trained on: {dataset_label(str(name))}{extra}"


# ---------------------------------------------------------------- config checks

def trains_on_any_size(model_name: str) -> bool:
    """True when the model trains on HR patches of any even size (its declaration, checked against a
    training pass by tests/models/test_model_contract.py)."""
    return model_class(model_name).trains_any_size


def resolve_patch(model_name: str, patch: int) -> int:
    """The HR patch side a photo run uses: ``patch``, or when 0, 48 (any-size models) / 28 (the CNN-VAEs)."""
    if patch:
        return patch
    return DEFAULT_PATCH_ANY if trains_on_any_size(model_name) else FIXED_PATCH


def check_dataset_config(dataset: str, model: str, patch: int) -> None:
    """One-line UserError for an unknown dataset or a patch size the model/dataset cannot use."""
    if not is_photo_dataset(dataset):
        if dataset not in DATASETS:
            raise UserError(f"unknown dataset '{dataset}'; choose one of: {', '.join(DATASETS)}, photos, folder:PATH")
        if patch not in (0, 28):
            raise UserError(f"--patch applies to photo datasets; {dataset} images are 28×28 (drop --patch)")
        return
    if dataset.startswith("folder:") and not dataset[7:].strip():
        raise UserError("folder: needs a path, e.g. --dataset folder:~/my_photos")
    if model_class(model).takes_labels:
        raise UserError(f"{model} conditions on class labels, which photos do not have; "
                        f"use cnn-vae, cnn-vae-deep, resnet-sr or cvae-sr on {dataset}")
    if patch and (patch < 4 or patch % 2 or patch > 512):
        raise UserError(f"--patch must be an even number from 4 to 512 (got {patch}); try 48")
    if patch and patch != FIXED_PATCH and not trains_on_any_size(model):
        raise UserError(f"{model} trains on 28×28 patches only (its encoder ends in linear layers; it still "
                        f"super-resolves any size, tile by tile); use --patch 28 or leave --patch out")


# ---------------------------------------------------------------- decoding

def list_images(root: Path) -> list[Path]:
    """Image files under ``root`` (recursive, by suffix), sorted by relative path."""
    return sorted((p for p in root.rglob("*") if p.is_file() and p.suffix.lower() in SUFFIXES),
                  key=lambda p: p.relative_to(root).as_posix())


def to_y8(pixels: np.ndarray) -> np.ndarray:
    """Float (H, W) grey or (H, W, 3) RGB in [0, 1] -> (H, W) uint8 luminance (BT.601 full range)."""
    y = rgb_to_ycbcr(pixels)[..., 0] if pixels.ndim == 3 else pixels
    return np.clip(np.rint(np.asarray(y, dtype=np.float64) * 255.0), 0, 255).astype(np.uint8)


def _header_pixels(path: Path) -> int:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with Image.open(path) as im:
            return int(im.size[0]) * int(im.size[1])


def decode_y8(path: Path) -> np.ndarray:
    """One file -> (H, W) uint8 luminance; raises on unreadable files."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with Image.open(path) as im:
            im.load()
            pixels, _ = pil_to_float(im)
    return to_y8(pixels)


def load_folder_images(files: list[Path], root: Path, min_side: int, log: Log) -> tuple[list[np.ndarray], list[str]]:
    """Decode ``files`` to Y8, skipping unreadable / too-small ones with one line each (``log``)."""
    total = 0
    sizes: list[int] = []
    for f in files:
        try:
            sizes.append(_header_pixels(f))
        except Exception:
            sizes.append(0)
    total = sum(sizes)
    if total > MAX_DATASET_PIXELS:
        raise UserError(f"{root} holds {total / 2**20:.0f} Mpx of images, above the {MAX_DATASET_PIXELS // 2**20} Mpx "
                        f"in-memory limit; train on a subfolder or downscale the images")
    images, names, skipped = [], [], 0
    for f in files:
        rel = f.relative_to(root).as_posix()
        try:
            y = decode_y8(f)
        except Exception as exc:
            log(f"skipped {rel}: not a readable image ({type(exc).__name__})")
            skipped += 1
            continue
        if min(y.shape) < min_side:
            log(f"skipped {rel}: {y.shape[1]}×{y.shape[0]} is smaller than a {min_side}×{min_side} patch")
            skipped += 1
            continue
        images.append(y)
        names.append(rel)
    if skipped:
        log(f"{skipped} file(s) skipped in {root}")
    return images, names


def split_files(root: Path) -> tuple[list[Path], list[Path], Path, Path]:
    """(train files, test files, train root, test root): PATH/train + PATH/test, or a hash split by file."""
    if (root / "train").is_dir() and (root / "test").is_dir():
        return list_images(root / "train"), list_images(root / "test"), root / "train", root / "test"
    files = list_images(root)
    key = {f: hashlib.sha1(f.relative_to(root).as_posix().encode()).digest() for f in files}
    test = [f for f in files if int.from_bytes(key[f][:4], "big") < TEST_FRACTION * 2**32]
    if not test and len(files) > 1:
        test = [min(files, key=lambda f: key[f])]
    return [f for f in files if f not in test], test, root, root


def skimage_photo(name: str) -> np.ndarray:
    """One of scikit-image's bundled photos as float (H, W[, 3]) in [0, 1] (offline)."""
    import skimage.data as skd  # local: heavy: scikit-image only for its sample photos
    if name.startswith("motorcycle_"):
        left, right, _ = skd.stereo_motorcycle()
        arr = left if name.endswith("left") else right
    else:
        arr = getattr(skd, name)()
    return np.asarray(arr, dtype=np.float32) / 255.0


# ---------------------------------------------------------------- splits and batches

@dataclass
class PhotoSplit(Split):
    """A photo split: ``photos`` (whole Y8 images, (H, W) uint8), ``names``; ``images`` (N, P, P) uint8 is a
    fixed grid of crops (the test loss and preview strip use it), ``labels`` the photo index of each crop."""

    photos: list[np.ndarray] = field(default_factory=list)
    names: list[str] = field(default_factory=list)
    patch: int = FIXED_PATCH

    def preview_indices(self, n: int = 8) -> list[int]:
        """``n`` crops spread over the photos (as even a share each as the crops allow), each photo's
        evenly spaced inside its grid, its first and last crop (often a plain corner) avoided."""
        labels = self.labels.numpy()
        per = [np.flatnonzero(labels == i) for i in range(len(self.names))]
        counts = [0] * len(per)
        for k in range(n):  # round-robin over the photos that still have crops to give
            open_ = [i for i in range(len(per)) if counts[i] < len(per[i])]
            if not open_:
                break
            counts[sorted(open_, key=lambda i: (counts[i], i))[0]] += 1
        out: list[int] = []
        for crops, c in zip(per, counts):
            if c:
                pos = np.linspace(0, len(crops) - 1, c + 2)[1:-1] if len(crops) > c else np.arange(c)
                out += [int(crops[int(round(p))]) for p in pos]
        return out

    def preview_source(self, indices: list[int]) -> str:
        """E.g. ``48×48 crops of held-out photos: chelsea ×3, rocket ×3, coins ×2``."""
        names = [self.names[int(self.labels[i])] for i in indices]
        parts = [f"{n} ×{names.count(n)}" for n in dict.fromkeys(names)]
        return f"{self.patch}×{self.patch} crops of held-out photos: {', '.join(parts)}"


def grid_crops(photos: list[np.ndarray], patch: int, per_photo: int) -> tuple[torch.Tensor, torch.Tensor]:
    """A fixed grid of non-overlapping crops, at most ``per_photo`` per photo (evenly spread):
    (N, patch, patch) uint8 and (N,) photo indices."""
    crops, labels = [], []
    for i, y in enumerate(photos):
        h, w = y.shape
        pos = [(r, c) for r in range(0, h - patch + 1, patch) for c in range(0, w - patch + 1, patch)]
        pick = np.linspace(0, len(pos) - 1, min(per_photo, len(pos))).round().astype(int) if per_photo else range(len(pos))
        for k in sorted(set(int(j) for j in pick)):
            r, c = pos[k]
            crops.append(y[r:r + patch, c:c + patch])
            labels.append(i)
    return torch.from_numpy(np.stack(crops)), torch.tensor(labels, dtype=torch.int64)


def make_split(name: str, train: bool, photos: list[np.ndarray], names: list[str], patch: int) -> PhotoSplit:
    images, labels = grid_crops(photos, patch, 0 if train else TEST_CROPS_PER_PHOTO)
    return PhotoSplit(name=name, train=train, images=images, labels=labels, classes=tuple(names),
                      photos=photos, names=names, patch=patch)


_CACHE: dict[tuple[str, bool, int], PhotoSplit] = {}


def load_photo_split(name: str, train: bool, patch: int, log: Log | None = None) -> PhotoSplit:
    """The train or test :class:`PhotoSplit` of ``photos`` or ``folder:PATH`` (cached per process)."""
    log = log or (lambda s: print(s, file=sys.stderr))
    key = (name, train, patch)
    if key in _CACHE:
        return _CACHE[key]
    if name == "photos":
        names = list(PHOTO_TRAIN if train else PHOTO_TEST)
        photos = [to_y8(skimage_photo(n)) for n in names]
    else:
        root = Path(name[len("folder:"):]).expanduser()
        if not root.is_dir():
            raise UserError(f"{root} is not a folder; give --dataset folder:PATH with a folder of images")
        tr, te, tr_root, te_root = split_files(root)
        files, froot = (tr, tr_root) if train else (te, te_root)
        photos, names = load_folder_images(files, froot, patch, log)
        if not photos:
            which = "training" if train else "held-out test"
            raise UserError(f"no usable {which} image in {froot} (need PNG/JPEG/WebP/BMP/TIFF files of at least "
                            f"{patch}×{patch} pixels, and at least 2 images so one can be held out)")
    split = make_split(name, train, photos, names, patch)
    _CACHE[key] = split
    return split


class PatchStream:
    """Training batches of random HR crops: batch ``step`` is a pure function of (seed, step)."""

    def __init__(self, split: PhotoSplit, batch_size: int, seed: int, device: torch.device,
                 degrade: Callable[[torch.Tensor], torch.Tensor]) -> None:
        check_batch_size(batch_size, len(split))
        self.split, self.batch_size, self.seed, self.device, self.degrade = split, batch_size, seed, device, degrade
        p = split.patch
        self._photos = [torch.from_numpy(y) for y in split.photos]
        counts = torch.tensor([(y.shape[0] - p + 1) * (y.shape[1] - p + 1) for y in split.photos], dtype=torch.float64)
        self._cum = counts.cumsum(0)  # (n_photos,) positions up to and including each photo

    def batch(self, step: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """hr (B,1,P,P), lr (B,1,P/2,P/2) in [0,1] on the device, labels (B,) zeros."""
        p, b = self.split.patch, self.batch_size
        gen = torch.Generator().manual_seed(self.seed * 1_000_003 + step + PATCH_SEED_OFFSET)
        u = torch.rand(b, generator=gen, dtype=torch.float64) * float(self._cum[-1])
        ops = torch.randint(0, 8, (b,), generator=gen).tolist()
        which = torch.searchsorted(self._cum, u, right=True).clamp(max=len(self._photos) - 1).tolist()
        crops = []
        for i, (k, op) in enumerate(zip(which, ops)):
            y = self._photos[k]
            start = float(self._cum[k - 1]) if k else 0.0
            off = min(int(float(u[i]) - start), int(float(self._cum[k]) - start) - 1)
            r, c = divmod(off, y.shape[1] - p + 1)
            crop = y[r:r + p, c:c + p]
            crop = torch.rot90(crop, op % 4, dims=(0, 1))
            crops.append(crop.flip(1) if op >= 4 else crop)
        hr = to_float(torch.stack(crops).to(self.device))  # (B, 1, P, P)
        return hr, self.degrade(hr), torch.zeros(b, dtype=torch.int64, device=self.device)

"""Datasets: locating, loading and checking them, and fast in-memory batches.

A split is loaded once into memory as a uint8 tensor (60k x 28 x 28 is 47 MB) and batches are
served by index, so the training hot path does no per-sample PIL/ToTensor work. LR images are made
from HR images by a named, swappable degradation (:mod:`sr_core.degrade`).
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

import torch

from sr_core.degrade import Degradation, to_float
from sr_core.errors import DataMissingError, UserError
from sr_core.fs import PROJECT_ROOT
from sr_core.seeds import epoch_order_seed

DATASETS = {
    # name -> (torchvision class name, raw folder name, class names)
    "fashion-mnist": ("FashionMNIST", "FashionMNIST", (
        "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
        "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot")),
    "mnist": ("MNIST", "MNIST", tuple(str(d) for d in range(10))),
}
RAW_FILES = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte",
             "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")


# ---------------------------------------------------------------- locating and loading

def data_dir_candidates() -> list[Path]:
    """Where the data is looked for when neither ``--data-dir`` nor ``$SR_DATA_DIR`` is given, in order:
    ``./data``, ``<project>/data``, and ``../shared/data`` beside the checkout (the layout of CI and
    this workspace)."""
    out: list[Path] = []
    for c in (Path("data"), PROJECT_ROOT / "data", PROJECT_ROOT.parent / "shared" / "data"):
        if all(c.resolve() != o.resolve() for o in out):
            out.append(c)
    return out


def _holds(root: Path, name: str | None) -> bool:
    names = [name] if name in DATASETS else list(DATASETS)
    return any(all((root / DATASETS[n][1] / "raw" / f).is_file() for f in RAW_FILES) for n in names)


def resolve_data_dir(data_dir: str | os.PathLike | None = None, dataset: str | None = None) -> Path:
    """The data root, the one rule of the CLI, the studio and the demo: ``data_dir`` (``--data-dir``, or a
    run's recorded folder, see :func:`recorded_data_dir`) if given, else ``$SR_DATA_DIR``, else the first
    of :func:`data_dir_candidates` that holds ``dataset`` (any dataset when None), else ``./data`` (where
    a download puts the files)."""
    if data_dir:
        return Path(data_dir)
    env = os.environ.get("SR_DATA_DIR")
    if env:
        return Path(env)
    for cand in data_dir_candidates():
        if _holds(cand, dataset):
            return cand
    return Path("data")


def recorded_data_dir(run_folder: str | os.PathLike, dataset: str) -> str | None:
    """The data folder recorded in ``run_folder/config.json`` (``"data_dir"``) when it still holds
    ``dataset``, else None (older runs, moved data: the usual resolution applies). Only meant for when
    neither ``--data-dir`` nor ``$SR_DATA_DIR`` is given, so those still win."""
    if os.environ.get("SR_DATA_DIR") or dataset not in DATASETS:  # photos need no data folder
        return None
    try:
        recorded = json.loads((Path(run_folder) / "config.json").read_text(encoding="utf-8")).get("data_dir")
    except Exception:  # no or unreadable config.json (reported elsewhere): the usual search
        return None
    if isinstance(recorded, str) and recorded and not check_dataset(dataset, recorded):
        return recorded
    return None


def downloads_disabled() -> bool:
    """True when ``$SR_NO_DOWNLOAD`` is set (not empty/0): missing data is reported, never fetched
    (tests, air-gapped machines)."""
    return os.environ.get("SR_NO_DOWNLOAD", "").strip().lower() not in ("", "0", "false", "no")


def check_dataset(name: str = "fashion-mnist", data_dir: str | os.PathLike | None = None) -> list[str]:
    """The raw files of dataset ``name`` missing under the data root (empty list = all present)."""
    _, folder, _ = _dataset_info(name)
    raw = resolve_data_dir(data_dir, name) / folder / "raw"
    return [f for f in RAW_FILES if not (raw / f).is_file()]


def _dataset_info(name: str) -> tuple[str, str, tuple[str, ...]]:
    if name not in DATASETS:
        raise UserError(f"unknown dataset '{name}'; choose one of: {', '.join(DATASETS)}")
    return DATASETS[name]


def missing_message(name: str, data_dir: str | os.PathLike | None = None, download_error: str | None = None) -> str:
    """One line: which folders were looked at, whether a download was tried, and what to do."""
    _, folder, _ = _dataset_info(name)
    if data_dir or os.environ.get("SR_DATA_DIR"):
        looked = [resolve_data_dir(data_dir)]
    else:
        looked = data_dir_candidates()
    where = ", ".join(str((p / folder / "raw").resolve()) for p in looked)
    tried = (f"download failed: {download_error}" if download_error else
             "no download was tried (SR_NO_DOWNLOAD is set)" if downloads_disabled() else "no download was tried")
    return (f"{name} was not found (looked in {where}; {tried}); put the four files {', '.join(RAW_FILES)} "
            f"in one of those folders, or point --data-dir / SR_DATA_DIR at a folder that has {folder}/raw/")


@dataclass
class Split:
    """One split held in memory. ``images``: (N, 28, 28) uint8; ``labels``: (N,) int64."""

    name: str
    train: bool
    images: torch.Tensor
    labels: torch.Tensor
    classes: tuple[str, ...]

    def __len__(self) -> int:
        return int(self.images.shape[0])

    def hr(self, index: torch.Tensor | slice | list[int], device: torch.device | str = "cpu") -> torch.Tensor:
        """HR images at ``index`` as float (B, 1, 28, 28) in [0, 1] on ``device``."""
        x = self.images[index]
        if x.dim() == 2:
            x = x.unsqueeze(0)
        # uint8 -> float on the target device: transfer 4x fewer bytes than float32.
        return to_float(x.to(device, non_blocking=True))

    def preview_indices(self, n: int = 8) -> list[int]:
        """The first test image of each of the first ``n`` classes: a fixed, varied preview strip."""
        out: list[int] = []
        labels = self.labels.tolist()
        for cls in range(max(labels) + 1 if labels else 0):
            if cls in labels:
                out.append(labels.index(cls))
            if len(out) == n:
                break
        return out

    def preview_source(self, indices: list[int]) -> str:
        """What the preview strip shows, for its caption."""
        name = {"fashion-mnist": "Fashion-MNIST", "mnist": "MNIST"}.get(self.name, self.name)
        return f"{name} test images {', '.join(map(str, indices))}"


_CACHE: dict[tuple[str, str, bool], Split] = {}


def load_split(name: str = "fashion-mnist", train: bool = False,
               data_dir: str | os.PathLike | None = None, download: bool = True,
               progress: bool = True, patch: int = 0) -> Split:
    """Load a whole split into memory (cached per process).

    ``photos`` and ``folder:PATH`` are photographs (:mod:`sr_core.photos`), served as ``patch``-sized crops.

    Missing files are downloaded through torchvision (with its progress bar) when ``download`` and
    ``$SR_NO_DOWNLOAD`` is not set; if that fails, raises :class:`DataMissingError` with one line naming the folder and files.
    """
    if name == "photos" or name.startswith("folder:"):
        from sr_core.photos import FIXED_PATCH, load_photo_split  # local: cycle, photos builds on data.Split
        return load_photo_split(name, train, patch or FIXED_PATCH)
    cls_name, _, classes = _dataset_info(name)
    root = resolve_data_dir(data_dir, name)
    key = (name, str(root.resolve()), train)
    if key in _CACHE:
        return _CACHE[key]
    import torchvision.datasets as tvd  # local: heavy: torchvision only to read or download the files

    cls = getattr(tvd, cls_name)
    missing = check_dataset(name, root)
    if missing and (not download or downloads_disabled()):
        raise DataMissingError(missing_message(name, data_dir))
    try:
        if missing:
            root.mkdir(parents=True, exist_ok=True)
            ds = cls(root=str(root), train=train, download=True)
        else:
            ds = cls(root=str(root), train=train, download=False)
    except DataMissingError:
        raise
    except Exception as exc:  # offline, unwritable folder, corrupt file: one line for people
        if missing:
            reason = " ".join(f"{type(exc).__name__}: {exc}".split())[:160]
            raise DataMissingError(missing_message(name, data_dir, download_error=reason)) from exc
        raise DataMissingError(f"could not read {name} from {root.resolve()} ({type(exc).__name__}: "
                               f"{exc}); delete the damaged files there so they are downloaded again") from exc
    images = ds.data.to(torch.uint8).contiguous()           # (N, 28, 28)
    labels = torch.as_tensor(ds.targets, dtype=torch.int64)  # (N,)
    check_split(name, root, train, images, labels, len(classes))
    split = Split(name=name, train=train, images=images, labels=labels, classes=classes)
    _CACHE[key] = split
    return split


def check_split(name: str, root: Path, train: bool, images: torch.Tensor, labels: torch.Tensor,
                n_classes: int) -> None:
    """Valid IDX files of the wrong content are one line (DataMissingError), not an error deep in training:
    images (N, 28, 28), one label per image, labels in [0, n_classes)."""
    files = f"{'train' if train else 't10k'}-{{images,labels}}-idx*-ubyte in {root.resolve()}"
    fix = "replace them with the original files (or delete them so they are downloaded again)"
    if images.dim() != 3 or tuple(images.shape[1:]) != (28, 28) or images.shape[0] == 0:
        raise DataMissingError(f"{name} {files}: images are {tuple(images.shape)}, not (N, 28, 28); {fix}")
    if labels.shape != (images.shape[0],):
        raise DataMissingError(f"{name} {files}: {labels.numel()} labels for {images.shape[0]} images; {fix}")
    if labels.numel() and (int(labels.min()) < 0 or int(labels.max()) >= n_classes):
        raise DataMissingError(f"{name} {files}: labels outside 0..{n_classes - 1} "
                               f"(found {int(labels.min())}..{int(labels.max())}); {fix}")


def batch_indices(n: int, batch_size: int, step: int, seed: int) -> torch.Tensor:
    """Indices of training batch ``step``: a fresh seeded permutation per epoch, last partial batch dropped.

    A pure function of (n, batch_size, step, seed), so a resumed run sees exactly the batches an
    uninterrupted run would have seen.
    """
    epoch, pos = divmod(step, max(1, n // batch_size))
    return epoch_permutation(n, seed, epoch)[pos * batch_size:(pos + 1) * batch_size]


def epoch_permutation(n: int, seed: int, epoch: int) -> torch.Tensor:
    """The seeded order of the ``n`` training images in ``epoch``: (n,) int64 on the CPU."""
    return torch.randperm(n, generator=torch.Generator().manual_seed(epoch_order_seed(seed, epoch)))


def check_batch_size(batch_size: int, n_images: int) -> None:
    """One-line UserError when a batch of ``batch_size`` cannot be drawn from ``n_images`` images."""
    if batch_size > n_images:
        raise UserError(f"batch size {batch_size} is larger than the {n_images} training images; "
                        f"use a batch size of at most {n_images}")


class BatchStream:
    """Serves (hr, lr, labels) training batches for steps 0, 1, 2, ... from an in-memory split.

    The whole split is moved to ``device`` once (uint8), so each batch is an index + a cast.
    """

    def __init__(self, split: Split, batch_size: int, seed: int, device: torch.device,
                 degrade: Degradation) -> None:
        check_batch_size(batch_size, len(split))
        self.split, self.batch_size, self.seed = split, batch_size, seed
        self.device, self.degrade = device, degrade
        self._images = split.images.to(device)  # (N, 28, 28) uint8
        self._labels = split.labels.to(device)  # (N,)
        self._epoch = -1
        self._perm: torch.Tensor | None = None

    def batch(self, step: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Batch number ``step``: hr (B,1,28,28), lr (B,1,14,14) in [0,1], labels (B,)."""
        n = len(self.split)
        per_epoch = max(1, n // self.batch_size)
        epoch, pos = divmod(step, per_epoch)
        if epoch != self._epoch:  # one permutation per epoch, the same as batch_indices()
            self._perm = epoch_permutation(n, self.seed, epoch).to(self.device)
            self._epoch = epoch
        idx = self._perm[pos * self.batch_size:(pos + 1) * self.batch_size]
        hr = to_float(self._images[idx])  # (B, 1, 28, 28)
        return hr, self.degrade(hr), self._labels[idx]

"""Which data a checkpoint was trained on, as the studio, the demo and the CLI write it.

Read from the run's (or shipped folder's) ``config.json`` ``train`` section — never from the weights, so
listing many checkpoints stays fast and torch-free. ``dataset`` is ``fashion-mnist`` (also when a config
predates the field), ``mnist``, ``photos`` (scikit-image's sample photographs) or ``folder:PATH``;
``patch`` is the HR patch side a photo run trained on (0: the model's default, 48 or 28).
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Mapping

DEFAULT_DATASET = "fashion-mnist"  # configs written before the dataset field existed trained on it
_NAMES = {"fashion-mnist": "Fashion-MNIST", "mnist": "MNIST"}


def is_photo(dataset: str) -> bool:
    """True for ``photos`` and ``folder:PATH`` (mirrors :func:`sr_core.photos.is_photo_dataset`, without torch)."""
    return dataset == "photos" or dataset.startswith("folder:")


def dataset_text(dataset: str, patch: int = 0, *, short: bool = False) -> str:
    """``Fashion-MNIST``, ``MNIST``, ``photos (scikit-image)``, ``folder <name>``; with ``patch`` (photo
    runs only, unless ``short``) ``, 48×48 patches``. ``short``: ``photos`` without the source."""
    dataset = str(dataset or DEFAULT_DATASET)
    if dataset == "photos":
        text = "photos" if short else "photos (scikit-image)"
    elif dataset.startswith("folder:"):
        folder = dataset[7:].strip().rstrip("/\\")
        text = f"folder {Path(folder).name or folder or '?'}"
    else:
        text = _NAMES.get(dataset, dataset)
    if patch and not short and is_photo(dataset):
        text += f", {patch}×{patch} patches"
    return text


def _field(source: Any, name: str, default: Any) -> Any:
    if isinstance(source, Mapping):
        return source.get(name, default)
    return getattr(source, name, default)


def trained_on_text(source: Any, *, short: bool = False) -> str:
    """The training data of a catalog entry, a run-table row (:class:`~sr_core.runs.table.RunRow` or a
    listing dict) or a ``train`` config dict, as :func:`dataset_text` writes it."""
    dataset = _field(source, "dataset", None) or DEFAULT_DATASET
    patch = _field(source, "patch", 0) or 0
    return dataset_text(str(dataset), int(patch) if isinstance(patch, (int, float)) else 0, short=short)


def read_train_config(folder: str | Path) -> dict[str, Any]:
    """The ``train`` section of ``folder/config.json``; {} when missing or unreadable (no error: callers
    that need the config report a broken run themselves)."""
    try:
        cfg = json.loads((Path(folder) / "config.json").read_text())
    except (OSError, ValueError):
        return {}
    train = cfg.get("train") if isinstance(cfg, dict) else None
    return train if isinstance(train, dict) else {}


def data_fields(train: Mapping[str, Any]) -> dict[str, Any]:
    """``{"dataset": ..., "patch": ...}`` of a ``train`` config (defaults: Fashion-MNIST, patch 0)."""
    dataset = train.get("dataset") or DEFAULT_DATASET
    patch = train.get("patch") or 0
    return {"dataset": str(dataset), "patch": int(patch) if isinstance(patch, (int, float)) else 0}

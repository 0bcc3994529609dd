"""Shipped checkpoints: the read-only, pretrained models in ``assets/checkpoints/<name>/``.

A folder's name is its label (``resnet-sr``, ``cnn-vae-photo``), not necessarily a registry model name: the
model is ``config.json``'s ``train.model`` and the training data its ``train.dataset``. Each folder holds
``checkpoint.pt`` (loads with ``weights_only=True``), ``config.json`` (the training run's config),
``metrics.csv`` (its loss curve), ``eval.json`` (full-test-set evaluation: Fashion-MNIST's protocol, or for
photo models the held-out photos under the Y protocol, ``mean.gain_db`` over bicubic) and
``train_time.json``; ``scripts/make_checkpoints.py`` writes them. The UI lists them beside the user's
runs, marked as shipped, and never deletes or overwrites them.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sr_core.fs import ASSETS_DIR, json_safe
from sr_core.runs.trained_on import data_fields, is_photo

SHIPPED_DIR = ASSETS_DIR / "checkpoints"


def shipped_checkpoints(root: Path | None = None) -> dict[str, Path]:
    """{folder name: checkpoint path} of every shipped checkpoint, in name order."""
    root = SHIPPED_DIR if root is None else Path(root)
    if not root.is_dir():
        return {}
    return {d.name: d / "checkpoint.pt" for d in sorted(root.iterdir()) if (d / "checkpoint.pt").is_file()}


def _read_json(path: Path) -> dict[str, Any]:
    try:
        value = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    return value if isinstance(value, dict) else {}


def _number(v: Any) -> float | None:
    """A finite number from a side file as float; anything else (missing, inf/NaN, text) None."""
    v = json_safe(v)
    return float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else None


def list_shipped(root: Path | None = None) -> list[dict[str, Any]]:
    """One row per shipped checkpoint, in the shape of :func:`sr_core.runs.listing.list_runs` rows plus
    ``shipped`` (True), ``ssim``, ``n_eval_images``, ``train_s``, ``train_img_s``, ``eval_dataset`` and, for
    models scored on photos, ``photo_psnr`` / ``gain_db`` (mean Y-PSNR on the held-out photos and its gain
    over bicubic, dB). ``psnr``/``ssim`` are the Fashion-MNIST protocol's only (None for photo scores).

    Missing side files leave their fields ``None``; a shipped checkpoint is never reported broken
    here (the UI still loads it through :func:`sr_core.checkpoint.model_from_checkpoint`).
    """
    rows = []
    for name, ckpt in shipped_checkpoints(root).items():
        folder = ckpt.parent
        train = _read_json(folder / "config.json").get("train", {})
        ev = _read_json(folder / "eval.json")
        timing = _read_json(folder / "train_time.json")
        model_eval = ev.get("model", {}) if isinstance(ev.get("model"), dict) else {}
        if is_photo(str(ev.get("dataset") or "")):  # never a photo score in the Fashion-MNIST columns
            model_eval = {}
        mean = ev.get("mean", {}) if isinstance(ev.get("mean"), dict) else {}
        mean_sr = mean.get("sr", {}) if isinstance(mean.get("sr"), dict) else {}
        rows.append({
            "name": name, "path": str(folder), "shipped": True, **data_fields(train),
            "model": train.get("model", name), "preset": train.get("preset", ""),
            "status": "shipped", "step": timing.get("steps", train.get("steps")),
            "total_steps": train.get("steps"), "best_test_loss": None,
            "psnr": _number(model_eval.get("psnr")), "ssim": _number(model_eval.get("ssim")),
            "n_eval_images": ev.get("n_images"), "train_s": _number(timing.get("train_s")),
            "train_img_s": _number(timing.get("train_img_s")), "has_checkpoint": True, "error": "",
            "eval_dataset": str(ev.get("dataset") or ""), "photo_psnr": _number(mean_sr.get("psnr")),
            "gain_db": _number(mean.get("gain_db")),
        })
    return rows

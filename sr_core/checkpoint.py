"""Checkpoints: a dict of ``state_dict``s plus configs as plain dicts, written atomically.

A checkpoint alone rebuilds its model: ``model_from_checkpoint(path)`` reads the model's registry
name and config from the file and loads the weights, always with ``torch.load(weights_only=True)``.
"""
from __future__ import annotations

import dataclasses
import os
import tempfile
from pathlib import Path
from typing import Any

import torch

from .errors import CheckpointError, UserError
from .models import SRModel, build_model

FORMAT = "sr_core.checkpoint/1"


def _plain(value: Any) -> Any:
    """Tuples -> lists, recursively, so configs are plain JSON-like values."""
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    return value


def model_config_dict(model: SRModel) -> dict[str, Any]:
    """The model's config dataclass as a plain dict."""
    return _plain(dataclasses.asdict(model.config))


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temp file in the same folder and a rename."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)  # atomic on POSIX: readers see the old file or the new one, never half
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def atomic_write_text(path: str | os.PathLike, text: str) -> None:
    """Text version of :func:`atomic_write_bytes` (UTF-8)."""
    atomic_write_bytes(path, text.encode("utf-8"))


def save_checkpoint(path: str | os.PathLike, model: SRModel, *, train_config: dict[str, Any] | None = None,
                    optimizer: torch.optim.Optimizer | None = None, step: int = 0,
                    extra: dict[str, Any] | None = None) -> Path:
    """Save model weights, configs, optimizer state and step to ``path`` atomically."""
    import io

    ckpt = {
        "format": FORMAT,
        "model_name": model.name,
        "model_config": model_config_dict(model),
        "train_config": _plain(train_config or {}),
        "model_state": {k: v.detach().cpu() for k, v in model.state_dict().items()},
        "optimizer_state": optimizer.state_dict() if optimizer is not None else None,
        "step": int(step),
        "extra": _plain(extra or {}),
    }
    buf = io.BytesIO()
    torch.save(ckpt, buf)
    atomic_write_bytes(path, buf.getvalue())
    return Path(path)


def load_checkpoint(path: str | os.PathLike, map_location: str | torch.device = "cpu") -> dict[str, Any]:
    """Load and check a checkpoint dict (``weights_only=True``); one-line error if it is not ours."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"checkpoint {path} does not exist; give a run name from `python -m sr_core list` "
                              f"or the path of a .pt file")
    try:
        ckpt = torch.load(path, map_location=map_location, weights_only=True)
    except Exception as exc:
        raise CheckpointError(f"cannot read checkpoint {path} ({type(exc).__name__}); it is corrupt or not a "
                              f"weights-only PyTorch file — retrain or restore it") from exc
    if not isinstance(ckpt, dict) or ckpt.get("format") != FORMAT:
        raise CheckpointError(f"{path} is not an sr_core checkpoint (no '{FORMAT}' marker); "
                              f"use a checkpoint written by sr_core")
    return ckpt


def model_from_checkpoint(source: str | os.PathLike | dict[str, Any],
                          map_location: str | torch.device = "cpu") -> tuple[SRModel, dict[str, Any]]:
    """Rebuild the model from a checkpoint path (or loaded dict); returns (model in eval mode, ckpt)."""
    ckpt = source if isinstance(source, dict) else load_checkpoint(source, map_location)
    try:
        model = build_model(ckpt["model_name"], ckpt.get("model_config"))
        model.load_state_dict(ckpt["model_state"])
    except UserError:
        raise
    except Exception as exc:
        raise CheckpointError(f"checkpoint does not match model '{ckpt.get('model_name')}' "
                              f"({type(exc).__name__}); it was written by another version — retrain it") from exc
    model.to(map_location).eval()
    return model, ckpt

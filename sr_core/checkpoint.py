"""Checkpoints: a dict of ``state_dict``s plus configs as plain dicts, written atomically.

A checkpoint alone rebuilds its model: ``model_from_checkpoint(path)`` reads the model's registry
name and config from the file and loads the weights, always with ``torch.load(weights_only=True)``.
"""
from __future__ import annotations

import dataclasses
import io
import os
from pathlib import Path
from typing import Any

import torch

from sr_core.data import DATASETS
from sr_core.degrade import DEGRADATIONS
from sr_core.errors import CheckpointError, UserError
from sr_core.fs import atomic_write_bytes
from sr_core.models import SRModel, build_model

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


def save_checkpoint(path: str | os.PathLike, model: SRModel, *, train_config: dict[str, Any] | None = None,
                    optimizer: torch.optim.Optimizer | None = None, step: int = 0,
                    extra: dict[str, Any] | None = None) -> Path:
    """Save model weights, configs, optimizer state and step to ``path`` atomically."""
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
    """Load and check a checkpoint dict (``weights_only=True``); one-line error if it is not ours or
    any field has the wrong type (see :func:`validate_checkpoint`)."""
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
    validate_checkpoint(ckpt, path)
    return ckpt


# field -> (accepted types, required): a hand-made checkpoint with a field of the wrong type is one
# line at load time, not a TypeError deep inside a page.
_FIELDS: dict[str, tuple[tuple[type, ...], bool]] = {
    "model_name": ((str,), True), "model_config": ((dict, type(None)), False),
    "train_config": ((dict, type(None)), False), "model_state": ((dict,), True),
    "optimizer_state": ((dict, type(None)), False), "step": ((int,), False), "extra": ((dict, type(None)), False),
}


def validate_checkpoint(ckpt: dict[str, Any], path: str | os.PathLike = "checkpoint") -> None:
    """Check every field's type, the tensors' finiteness and the training config's names (CheckpointError)."""
    for key, (types, required) in _FIELDS.items():
        if key not in ckpt:
            if required:
                raise CheckpointError(f"{path} has no '{key}'; it is damaged or hand-made — retrain it")
            continue
        v = ckpt[key]
        if not isinstance(v, types) or isinstance(v, bool):
            raise CheckpointError(f"{path}: '{key}' is a {type(v).__name__}; the file is damaged or hand-made "
                                  f"— retrain it")
    if ckpt.get("step", 0) < 0:
        raise CheckpointError(f"{path}: step {ckpt['step']} is negative; the file is damaged — retrain it")
    bad = [k for k, t in ckpt["model_state"].items() if not isinstance(k, str) or not isinstance(t, torch.Tensor)]
    if bad:
        raise CheckpointError(f"{path}: model_state entry '{bad[0]}' is not a tensor; the file is damaged — "
                              f"retrain it")
    nonfinite = [k for k, t in ckpt["model_state"].items() if t.is_floating_point() and not bool(t.isfinite().all())]
    if nonfinite:
        raise CheckpointError(f"{path}: the weights are not finite (NaN/inf in {len(nonfinite)} tensor(s), e.g. "
                              f"'{nonfinite[0]}'); resume from an earlier checkpoint or retrain with a lower "
                              f"learning rate")
    best = (ckpt.get("extra") or {}).get("best_test_loss")
    if best is not None and (not isinstance(best, (int, float)) or isinstance(best, bool)):
        raise CheckpointError(f"{path}: extra.best_test_loss is a {type(best).__name__}; the file is damaged")
    tcfg = ckpt.get("train_config") or {}

    for key, known in (("dataset", DATASETS), ("degradation", DEGRADATIONS)):
        v = tcfg.get(key)
        if key == "dataset" and isinstance(v, str) and (v == "photos" or v.startswith("folder:")):
            continue  # photographs (sr_core.photos)
        if v is not None and (not isinstance(v, str) or v not in known):
            raise CheckpointError(f"{path}: its training config names {key} '{v}', which this version does not "
                                  f"know ({', '.join(known)}); retrain it")


def model_from_checkpoint(source: str | os.PathLike | dict[str, Any],
                          map_location: str | torch.device = "cpu") -> tuple[SRModel, dict[str, Any]]:
    """Rebuild the model from a checkpoint path (or loaded dict); returns (model in eval mode, ckpt)."""
    ckpt = source if isinstance(source, dict) else load_checkpoint(source, "cpu")
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

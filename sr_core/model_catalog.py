"""Models picked by name: every shipped checkpoint and every trained run, loaded once and cached.

Names: a shipped checkpoint is its model name (``resnet-sr``); a trained run is ``run:<run name>``.
Loading goes through :func:`sr_core.checkpoint.model_from_checkpoint` (``weights_only=True``); a model is
cached by (path, modification time), so a run that keeps training is reloaded when its checkpoint changes.
"""
from __future__ import annotations

import os
import threading
from collections import OrderedDict
from pathlib import Path
from typing import Any

from .checkpoint import model_from_checkpoint
from .errors import UserError
from .runs import list_runs, runs_root
from .shipped import shipped_checkpoints

RUN_PREFIX = "run:"
_CACHE_SIZE = 6
_cache: OrderedDict[tuple[str, int], Any] = OrderedDict()
_lock = threading.Lock()


def model_choices(runs_dir: str | os.PathLike | None = None) -> list[str]:
    """Every usable model name: shipped checkpoints first (by model name), then runs with a checkpoint."""
    names = list(shipped_checkpoints())
    names += [RUN_PREFIX + r["name"] for r in list_runs(runs_dir) if not r["error"] and r.get("has_checkpoint")]
    return names


def checkpoint_path(choice: str, runs_dir: str | os.PathLike | None = None) -> Path:
    """The checkpoint file behind a model name from :func:`model_choices` (one-line error otherwise)."""
    if choice.startswith(RUN_PREFIX):
        run = choice[len(RUN_PREFIX):]
        path = runs_root(runs_dir) / run / "checkpoint.pt"
        if run and "/" not in run and run not in (".", "..") and path.is_file():
            return path
        raise UserError(f"no trained run '{run}' with a checkpoint in {runs_root(runs_dir)}; "
                        f"pick one of: {', '.join(model_choices(runs_dir))}")
    shipped = shipped_checkpoints()
    if choice in shipped:
        return shipped[choice]
    raise UserError(f"unknown model '{choice}'; pick one of: {', '.join(model_choices(runs_dir))}")


def load_model(choice: str, runs_dir: str | os.PathLike | None = None) -> Any:
    """The model (eval mode, CPU) for a name from :func:`model_choices`, cached."""
    path = checkpoint_path(choice, runs_dir)
    key = (str(path.resolve()), path.stat().st_mtime_ns)
    with _lock:
        if key in _cache:
            _cache.move_to_end(key)
            return _cache[key]
    model, _ = model_from_checkpoint(path)  # outside the lock: loading takes a moment
    with _lock:
        _cache[key] = model
        while len(_cache) > _CACHE_SIZE:
            _cache.popitem(last=False)
    return model

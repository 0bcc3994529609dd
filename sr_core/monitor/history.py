"""Preview history: the LR → SR → HR (and LR | z) strips of every test evaluation, in one bounded file.

``preview_history.npz`` in the run folder (rewritten atomically at each evaluation) holds uint8 arrays:
``steps`` (E,), ``lr`` (E, P, h, w), ``sr`` (E, P, H, W), ``z`` (E, P, h, w) for models with a latent,
``hr`` (P, H, W) once, and ``indices`` (P,) of the fixed test images. Past :data:`MAX_ENTRIES`
evaluations it is thinned: every other entry goes, the first and the latest always stay, so a long run
keeps an evenly spread history and the file stays under ~1 MB (8 images of 28×28).
"""
from __future__ import annotations

import io
import os
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from sr_core.fs import atomic_write_bytes
from sr_core.imaging.io import to_uint8

HISTORY_NAME = "preview_history.npz"
MAX_ENTRIES = 64


def thin(steps: list[int], cap: int = MAX_ENTRIES) -> list[int]:
    """Positions to keep of ``steps`` (sorted): all when within ``cap``, else every other one from the
    first, plus the last, repeated until within ``cap``."""
    keep = list(range(len(steps)))
    while len(keep) > cap:
        last = keep[-1]
        keep = keep[::2]
        if keep[-1] != last:
            keep.append(last)
    return keep


def load_history(path: str | os.PathLike) -> dict[str, np.ndarray] | None:
    """The arrays of a history file, or None when it is missing or unreadable (an older run, a torn
    copy): callers say "no preview history" instead of failing."""
    p = Path(path)
    if not p.is_file():
        return None
    try:
        with np.load(p, allow_pickle=False) as f:
            data = {k: f[k] for k in f.files}
    except (OSError, ValueError, zipfile.BadZipFile, EOFError):
        return None
    need = {"steps", "lr", "sr", "hr", "indices"}
    if not need <= set(data) or len(data["steps"]) != len(data["sr"]):
        return None
    return data


def entry(data: dict[str, np.ndarray], step: int) -> dict[str, Any]:
    """The preview (as :meth:`sr_core.trainer.Trainer.preview` returns it, float32 in [0, 1]) of the
    stored evaluation nearest to ``step``."""
    steps = data["steps"]
    i = int(np.argmin(np.abs(steps.astype(np.int64) - int(step))))
    f = lambda a: a.astype(np.float32) / 255.0  # noqa: E731
    out = {"step": int(steps[i]), "indices": [int(v) for v in data["indices"]], "lr": f(data["lr"][i]),
           "sr": f(data["sr"][i]), "hr": f(data["hr"])}
    if "z" in data:
        out["z"] = f(data["z"][i])
    if "source" in data:  # written since the photo datasets; older files: the caption names the indices
        out["source"] = str(data["source"])
    return out


class PreviewHistory:
    """Appends each evaluation's preview to ``path`` (bounded, atomic). ``upto``: on resume, entries
    past this step are dropped (they belong to the abandoned continuation)."""

    def __init__(self, path: str | os.PathLike, cap: int = MAX_ENTRIES, upto: int | None = None) -> None:
        self.path, self.cap = Path(path), cap
        self.data = load_history(self.path)
        if self.data is not None and upto is not None:
            keep = self.data["steps"] <= upto
            self.data = {k: (v[keep] if k in ("steps", "lr", "sr", "z") else v) for k, v in self.data.items()}

    def add(self, prev: dict[str, Any]) -> None:
        """Store preview ``prev`` (keys step, indices, lr, sr, hr[, z]; float arrays in [0, 1])."""
        new = {"steps": np.array([prev["step"]], dtype=np.int64), "lr": to_uint8(prev["lr"])[None],
               "sr": to_uint8(prev["sr"])[None]}
        if "z" in prev:
            new["z"] = to_uint8(prev["z"])[None]
        d = self.data
        if d is None or d["sr"].shape[1:] != new["sr"].shape[1:] or ("z" in d) != ("z" in new):
            d = {"hr": to_uint8(prev["hr"]), "indices": np.asarray(prev["indices"], dtype=np.int64),
                 **{k: v[:0] for k, v in new.items()}}
            if prev.get("source"):  # the caption's "what is shown" (a unicode array: no pickle needed)
                d["source"] = np.array(str(prev["source"]))
        keep_old = d["steps"] < prev["step"]  # a re-evaluated step replaces its entry
        d = {k: (np.concatenate([v[keep_old], new[k]]) if k in new else v) for k, v in d.items()}
        idx = thin(d["steps"].tolist(), self.cap)
        self.data = {k: (v[idx] if k in new else v) for k, v in d.items()}
        buf = io.BytesIO()
        np.savez_compressed(buf, **self.data)
        atomic_write_bytes(self.path, buf.getvalue())

    def __call__(self, trainer: Any, row: dict[str, Any]) -> None:  # an on_eval callback
        prev = trainer.latest_preview()
        if prev is not None:
            self.add(prev)

"""Files: atomic writes with one file mode, and strict JSON for results.

Every file the project writes (checkpoints, config.json, metrics.csv, sweep.json, PNGs) goes through
:func:`atomic_write_bytes`: a temp file in the same folder, fsync, then a rename, so a reader or a
crash sees the old file or the new one, never half of one. Light on purpose (no torch): the CLI's
listing commands import it.
"""
from __future__ import annotations

import math
import os
import tempfile
from pathlib import Path
from typing import Any

#: The checkout's root (where assets/ lives, and beside which ../shared/data may sit): the one place it is
#: derived from this file's location, so a module that moves between packages cannot get it wrong.
PROJECT_ROOT = Path(__file__).resolve().parents[1]
ASSETS_DIR = PROJECT_ROOT / "assets"

FILE_MODE = 0o644  # every file written here (run files included): one mode, whatever mkstemp picks


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


_UMASK = _umask()  # read once at import: os.umask is process-wide and not thread-safe to probe later


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temp file in the same folder and a rename."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            os.fchmod(f.fileno(), FILE_MODE & ~_UMASK)  # mkstemp makes 0600; metrics.csv gets 0644
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


def json_safe(value: Any) -> Any:
    """inf/NaN -> None, recursively through dicts, lists and tuples, so results are strict JSON.

    The one place that decides how a metric that is not a finite number is written down: an infinite
    PSNR (an exact match, e.g. nearest's LR-PSNR) becomes ``null``. Everything else is returned as is.
    """
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    return value

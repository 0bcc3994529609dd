"""``metrics.csv`` of a run: appending rows, reading them back checked, and repairing after a crash.

Crash story (kill -9 at any moment): the recorder appends the rows of steps <= s *before* the
checkpoint of step s is renamed into place, so the file always covers the checkpoint's step; it may
also hold rows past it, and its last line may be torn (a write cut short). :func:`repair_metrics`,
run on resume under the run's lock, drops the torn line and every row past the checkpoint and keeps
one row per (split, step): the resumed run then appends exactly the rows that follow.
"""
from __future__ import annotations

import csv
import io
import os
from pathlib import Path
from typing import Any

from sr_core.fs import atomic_write_text
from sr_core.errors import UserError

#: metrics.csv columns: every registered model's ``loss_names`` fit in (tests check it; a model
#: leaves the others empty), then ``latent_psnr`` (test rows of models with a latent image:
#: PSNR of the encoder's mean latent vs the LR image, see :func:`sr_core.latent.latent_lr_psnr`);
#: the monitor's test-row columns come last (runs of older versions lack them; readers accept both):
#: quality (:mod:`sr_core.monitor.quality`) and validation (:mod:`sr_core.monitor.early_stop`).
METRIC_FIELDS = ("step", "split", "total", "recon", "latent", "kl", "cls", "latent_psnr", "alpha", "lr",
                 "elapsed_s", "img_s", "sr_psnr", "sr_ssim", "bicubic_psnr", "bicubic_ssim", "val_total", "val_psnr")
SPLITS = ("train", "test")


def append_rows(path: str | os.PathLike, rows: list[dict[str, Any]]) -> None:
    """Append rows (dicts keyed by :data:`METRIC_FIELDS`) to ``path``, writing the header once."""
    if not rows:
        return
    path = Path(path)
    new = not path.exists() or path.stat().st_size == 0
    if not new and _header(path) != list(METRIC_FIELDS):
        # A run from an older version (fewer columns): rewrite it under today's header first, or the
        # appended rows would land in the wrong columns.
        _rewrite(path, read_rows(path)[0])
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=METRIC_FIELDS, extrasaction="ignore")
    if new:
        w.writeheader()
    w.writerows(rows)
    with open(path, "a", newline="") as f:  # one write call: a kill leaves at most one torn line
        f.write(buf.getvalue())


def _parse_row(row: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in row.items():
        if k is None or v is None:
            raise ValueError("wrong number of cells")
        if k == "split":
            if v not in SPLITS:
                raise ValueError(f"split '{v}' is not train or test")
            out[k] = v
        elif v == "":
            out[k] = None
        elif k == "step":
            out[k] = int(v)
            if out[k] < 0:
                raise ValueError("negative step")
        else:
            out[k] = float(v)
    if out.get("step") is None:
        raise ValueError("no step")
    return out


def read_rows(path: str | os.PathLike) -> tuple[list[dict[str, Any]], bool]:
    """(parsed rows, whether a torn last line was dropped). Empty cells -> None.

    A malformed line other than a torn last one is a one-line :class:`UserError` naming the line.
    """
    path = Path(path)
    try:
        with open(path, newline="", encoding="utf-8") as f:
            text = f.read()
    except FileNotFoundError:
        return [], False
    except (OSError, UnicodeDecodeError) as exc:
        raise UserError(f"{path} is unreadable ({type(exc).__name__}); delete the run or fix the file") from exc
    torn = bool(text) and not text.endswith("\n")
    if torn:  # the last write was cut short: its line is incomplete whatever it looks like
        text = text[:text.rfind("\n") + 1]
    lines = text.splitlines(keepends=True)
    if not lines:
        return [], torn
    reader = csv.DictReader(lines)
    header = reader.fieldnames or []
    if "step" not in header or "split" not in header or len(set(header)) != len(header):
        raise UserError(f"{path} has no 'step,split,…' header; delete the run or fix the file")
    rows = []
    for i, row in enumerate(reader, start=2):
        try:
            rows.append(_parse_row(row))
        except ValueError as exc:
            raise UserError(f"{path} line {i} is malformed ({exc}); delete the line or the run") from None
    return rows, torn


def repair_metrics(path: str | os.PathLike, last_step: int, *, redo_test: bool = False) -> dict[str, int]:
    """Make ``path`` hold one row per (split, step) with step <= ``last_step`` (atomic rewrite).

    ``redo_test``: the resumed run evaluates again at ``last_step`` (it starts from step 0, or its
    checkpoint has no test loss yet), so that step's test row goes too.

    Returns counts of what was dropped: ``torn``, ``after`` (rows past ``last_step``), ``duplicate``.
    """
    rows, torn = read_rows(path)
    seen: set[tuple[str, int]] = set()
    kept, after, dup = [], 0, 0
    for r in rows:
        key = (r["split"], r["step"])
        if r["step"] > last_step or (redo_test and key == ("test", last_step)):
            after += 1
        elif key in seen:
            dup += 1
        else:
            seen.add(key)
            kept.append(r)
    if torn or after or dup:
        _rewrite(path, kept)
    return {"torn": int(torn), "after": after, "duplicate": dup}



def _header(path: Path) -> list[str]:
    with open(path, newline="", encoding="utf-8", errors="replace") as f:
        return next(csv.reader([f.readline()]), [])


def _rewrite(path: Path, rows: list[dict[str, Any]]) -> None:
    """Atomically replace ``path`` with ``rows`` under the :data:`METRIC_FIELDS` header."""
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=METRIC_FIELDS, extrasaction="ignore")
    w.writeheader()
    w.writerows([{k: ("" if v is None else v) for k, v in r.items()} for r in rows])
    atomic_write_text(path, buf.getvalue())

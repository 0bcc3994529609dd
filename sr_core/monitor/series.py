"""Long runs stay fast: metrics.csv read incrementally (only the bytes appended since the last read) into
per-split columns, and series downsampled to a few points per bucket keeping each bucket's minimum
and maximum (a spike or a dip is never averaged away, unlike every-k-th decimation).

:class:`MetricsSeries` gives the same rows as :func:`sr_core.runs.metrics_log.read_rows` (tests check it): a torn
last line is left for the next read; a rewritten file (repair on resume: a new inode, or a shorter file)
is read again from the start; a malformed line is the same one-line UserError.
"""
from __future__ import annotations

import csv
import math
import os
import threading
from pathlib import Path
from typing import Any

import numpy as np

from sr_core.errors import UserError
from sr_core.runs.metrics_log import _parse_row


class MetricsSeries:
    """Incremental reader of one metrics.csv; ``read()`` picks up new rows, ``columns(split)`` gives
    numpy arrays (float64, NaN for empty cells) per column. Thread-safe. ``keep_rows``: also keep the
    parsed rows as dicts in ``rows`` (off by default: 200k dicts would slow every garbage collection)."""

    def __init__(self, path: str | os.PathLike, keep_rows: bool = False) -> None:
        self.path = Path(path)
        self.keep_rows = keep_rows
        self._lock = threading.Lock()
        self._reset()

    def _reset(self) -> None:
        self.rows: list[dict[str, Any]] = []
        self.header: list[str] | None = None
        self._offset, self._ino, self._line = 0, None, 1
        self._cols: dict[str, dict[str, np.ndarray]] = {}
        self.version = 0

    def read(self) -> bool:
        """Read what was appended since the last call; True when rows were added (or the file was reset)."""
        with self._lock:
            try:
                st = self.path.stat()
            except FileNotFoundError:
                changed = bool(self._cols)
                self._reset()
                return changed
            reset = self._ino is not None and (st.st_ino != self._ino or st.st_size < self._offset)
            if reset:
                self._reset()
            self._ino = st.st_ino
            if st.st_size == self._offset:
                return reset
            try:
                with open(self.path, "rb") as f:
                    f.seek(self._offset)
                    chunk = f.read(st.st_size - self._offset)
            except OSError as exc:
                raise UserError(f"{self.path} is unreadable ({type(exc).__name__}); delete the run or fix the file") from exc
            end = chunk.rfind(b"\n") + 1  # a torn last line waits for its end
            if end == 0:
                return reset
            self._offset += end
            try:
                lines = chunk[:end].decode("utf-8").splitlines()
            except UnicodeDecodeError as exc:
                raise UserError(f"{self.path} is unreadable ({type(exc).__name__}); delete the run or fix the file") from exc
            self._parse(lines)
            self.version += 1
            return True

    def _parse(self, lines: list[str]) -> None:
        reader = csv.reader(lines)
        if self.header is None:
            self.header = next(reader, [])
            self._line = 1
            h = self.header
            if "step" not in h or "split" not in h or len(set(h)) != len(h):
                raise UserError(f"{self.path} has no 'step,split,…' header; delete the run or fix the file")
        n = len(self.header)
        new: dict[str, dict[str, list[float]]] = {}
        for cells in reader:
            if not cells:  # a blank line: csv.DictReader (read_rows) skips it too
                continue
            self._line += 1
            try:
                if len(cells) != n:
                    raise ValueError("wrong number of cells")
                row = _parse_row(dict(zip(self.header, cells)))
            except ValueError as exc:
                raise UserError(f"{self.path} line {self._line} is malformed ({exc}); delete the line or the run") from None
            if self.keep_rows:
                self.rows.append(row)
            cols = new.setdefault(row["split"], {k: [] for k in self.header if k != "split"})
            for k, lst in cols.items():
                v = row.get(k)
                lst.append(math.nan if v is None else float(v))
        for split, cols in new.items():  # kept as arrays: no per-value Python objects for the GC to walk
            old = self._cols.setdefault(split, {k: np.empty(0) for k in cols})
            for k, lst in cols.items():
                old[k] = np.concatenate([old[k], np.asarray(lst, dtype=np.float64)])

    def columns(self, split: str) -> dict[str, np.ndarray]:
        """{column: (n,) float64} of the rows of ``split`` read so far (NaN for empty cells)."""
        with self._lock:
            return dict(self._cols.get(split, {}))


def downsample_minmax(y: np.ndarray, max_points: int = 1000) -> np.ndarray:
    """Indices (sorted, unique) of at most ~``max_points`` points of ``y`` (n,) keeping, per bucket of
    consecutive points, its minimum and maximum, plus the first and last point. NaNs are never kept
    unless a bucket is all NaN (then none of it is)."""
    n = len(y)
    if n <= max_points:
        return np.arange(n)
    buckets = max(1, max_points // 2)
    size = -(-n // buckets)
    pad = buckets * size - n
    yy = np.concatenate([np.asarray(y, dtype=np.float64), np.full(pad, np.nan)]).reshape(buckets, size)
    nan = np.isnan(yy)
    lo = np.where(nan, np.inf, yy).argmin(axis=1) + np.arange(buckets) * size
    hi = np.where(nan, -np.inf, yy).argmax(axis=1) + np.arange(buckets) * size
    ok = ~nan.all(axis=1)
    idx = np.unique(np.concatenate([[0, n - 1], lo[ok], hi[ok]]))
    return idx[idx < n]


def wall_time(steps: np.ndarray, elapsed: np.ndarray, train_steps: np.ndarray | None = None,
              train_elapsed: np.ndarray | None = None) -> np.ndarray:
    """Cumulative wall time (s) of rows at ``steps`` with the run's ``elapsed_s`` (both (n,), file order).

    ``elapsed_s`` restarts at 0 when a run is resumed; each resumed segment is shifted by the wall time
    of the segments before it (their last train row's ``elapsed_s``). Segments are found in the train
    split (``train_steps``/``train_elapsed``; default: these rows): a drop in ``elapsed_s`` starts one.
    A row at the step a segment resumed from belongs to the new segment only when its ``elapsed_s`` is
    not later than that segment's first train row (the evaluation made at resume time); the previous
    segment's last evaluation, at the same step, stays in the previous one. NaN stays NaN.
    """
    steps = np.asarray(steps, dtype=np.float64)
    elapsed = np.asarray(elapsed, dtype=np.float64)
    ts = steps if train_steps is None else np.asarray(train_steps, dtype=np.float64)
    te = elapsed if train_elapsed is None else np.asarray(train_elapsed, dtype=np.float64)
    if len(te) < 2:
        return elapsed.copy()
    drops = np.flatnonzero(te[1:] < te[:-1]) + 1  # first row of each resumed segment
    if not len(drops):
        return elapsed.copy()
    starts = ts[drops]                     # first train step of each resumed segment
    first_e = te[drops]                    # its elapsed_s
    offsets = np.cumsum(te[drops - 1])     # wall time before each resumed segment
    k = np.searchsorted(starts - 1, steps, side="right")  # segments whose resume step is <= the row's step
    at_edge = (k > 0) & (steps == starts[np.maximum(k - 1, 0)] - 1) & (elapsed > first_e[np.maximum(k - 1, 0)])
    k = k - at_edge.astype(np.int64)
    return elapsed + np.where(k > 0, offsets[np.maximum(k - 1, 0)], 0.0)

"""Run folders: one per training run, under ``runs/`` (or ``--runs-dir``, or ``$SR_RUNS_DIR``).

A run folder holds
- ``config.json``: every setting, the command line, package versions, seed (written at creation),
- ``metrics.csv``: one row per train step and per test evaluation,
- ``checkpoint.pt``: the latest checkpoint (see :mod:`sr_core.checkpoint`),
- ``status.json``: status, step, best test loss (rewritten atomically as the run goes),
- ``eval.json``: the last ``eval`` result, when one was run.
"""
from __future__ import annotations

import json
import os
import platform
import re
import shutil
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sr_core.fs import atomic_write_text
from sr_core.errors import UserError
from sr_core.runs.lock import RunLock, lock_holder
from sr_core.runs.metrics_log import METRIC_FIELDS, append_rows, read_rows, repair_metrics
from sr_core.runs.status import LIVE_STATUSES, RunStatus  # noqa: F401  (LIVE_STATUSES re-exported)

__all__ = ["METRIC_FIELDS", "RunDir", "check_runs_dir", "create_run", "delete_run", "get_run", "runs_root",
           "sanitize_name"]
_NAME_RE = re.compile(r"[^A-Za-z0-9._-]+")


# status.json field -> accepted types (None always allowed): a hand-edited file of the wrong type is
# one broken run, never a traceback in `list` or a page.
_STATUS_TYPES: dict[str, tuple[type, ...]] = {"status": (str,), "step": (int,), "total_steps": (int,),
                                              "best_test_loss": (int, float), "checkpoint_step": (int,),
                                              "message": (str,), "updated": (int, float)}


def runs_root(runs_dir: str | os.PathLike | None = None) -> Path:
    """The runs folder: ``runs_dir`` if given, else ``$SR_RUNS_DIR``, else ``./runs``."""
    if runs_dir:
        return Path(runs_dir)
    env = os.environ.get("SR_RUNS_DIR")
    return Path(env) if env else Path("runs")


def check_runs_dir(runs_dir: str | os.PathLike | None = None) -> Path:
    """The runs folder, created if missing; a one-line error if it is a file or not writable."""
    root = runs_root(runs_dir)
    if root.exists() and not root.is_dir():
        raise UserError(f"runs folder {root} is a file, not a folder; pass --runs-dir (or SR_RUNS_DIR) "
                        f"naming a folder")
    try:
        root.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UserError(f"cannot create runs folder {root} ({exc.strerror}); pass --runs-dir (or SR_RUNS_DIR) "
                        f"naming a writable folder") from None
    if not os.access(root, os.W_OK | os.X_OK):
        raise UserError(f"runs folder {root} is not writable; pass --runs-dir (or SR_RUNS_DIR) naming a "
                        f"writable folder")
    return root


def sanitize_name(name: str) -> str:
    """A safe folder name: letters, digits, ``.-_`` only, no leading dot, at most 64 characters.

    Path separators and ``..`` can never survive, so a run name cannot escape the runs folder.
    """
    clean = _NAME_RE.sub("-", name.strip()).strip("-.")
    clean = clean[:64].strip("-.")
    if not clean:
        raise UserError(f"run name '{name}' has no usable characters; use letters, digits, '-', '_' or '.'")
    return clean


def package_versions() -> dict[str, str]:
    """Versions of Python and the packages that decide the numbers."""
    import importlib.metadata as md  # local: ~17 ms at every CLI start, only a new run needs it

    out = {"python": platform.python_version(), "platform": platform.platform()}
    for pkg in ("torch", "torchvision", "numpy", "torchmetrics"):
        try:
            out[pkg] = md.version(pkg)
        except md.PackageNotFoundError:
            out[pkg] = "not installed"
    return out


@dataclass
class RunDir:
    """Paths and small helpers of one run folder. ``lock`` is set while this object writes the run."""

    path: Path
    lock: RunLock | None = field(default=None, repr=False, compare=False)

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def config_path(self) -> Path:
        return self.path / "config.json"

    @property
    def metrics_path(self) -> Path:
        return self.path / "metrics.csv"

    @property
    def checkpoint_path(self) -> Path:
        return self.path / "checkpoint.pt"

    @property
    def status_path(self) -> Path:
        return self.path / "status.json"

    @property
    def eval_path(self) -> Path:
        return self.path / "eval.json"

    def read_json(self, path: Path) -> dict[str, Any]:
        """A JSON object from ``path`` ({} if missing); anything else is a one-line UserError."""
        try:
            data = json.loads(path.read_text())
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as exc:
            raise UserError(f"{path} is unreadable ({type(exc).__name__}); delete the run or fix the file") from exc
        if not isinstance(data, dict):
            raise UserError(f"{path} holds a JSON {type(data).__name__}, not an object; delete the run or fix "
                            f"the file")
        return data

    def config(self) -> dict[str, Any]:
        cfg = self.read_json(self.config_path)
        if not isinstance(cfg.get("train", {}), dict):
            raise UserError(f"{self.config_path}: 'train' is not an object; delete the run or fix the file")
        return cfg

    def status(self) -> dict[str, Any]:
        st = self.read_json(self.status_path)
        for key, types in _STATUS_TYPES.items():
            v = st.get(key)
            if v is not None and (not isinstance(v, types) or isinstance(v, bool)):
                raise UserError(f"{self.status_path}: '{key}' is a {type(v).__name__}; delete the run or fix "
                                f"the file")
        return st

    def write_status(self, **values: Any) -> None:
        current = {}
        try:
            current = self.status()
        except UserError:
            pass
        current.update(values, updated=time.time())
        atomic_write_text(self.status_path, json.dumps(current, indent=2))

    # -------------------------------------------------------------- one writer
    def acquire_lock(self, action: str = "train") -> "RunDir":
        """Take the run's lock (one-line :class:`~sr_core.runs.lock.RunLocked` if another writer has it)."""
        if self.lock is None or not self.lock.held:
            self.lock = RunLock(self.path, action=action)
        return self

    def release_lock(self) -> None:
        if self.lock is not None:
            self.lock.release()

    def writer_pid(self) -> int | None:
        """The pid of the process training this run (0: unknown), None when nobody does."""
        return lock_holder(self.path)

    def remove_stale_temp_files(self) -> list[str]:
        """Delete temp files left by a writer killed mid-write (call with the lock held)."""
        gone = []
        for p in self.path.glob(".*.tmp"):
            p.unlink(missing_ok=True)
            gone.append(p.name)
        return gone

    # -------------------------------------------------------------- metrics.csv
    def append_metrics(self, rows: list[dict[str, Any]]) -> None:
        """Append rows (dicts keyed by :data:`METRIC_FIELDS`) to metrics.csv, writing the header once."""
        append_rows(self.metrics_path, rows)

    def read_metrics(self) -> list[dict[str, Any]]:
        """metrics.csv as a list of dicts with numbers parsed (empty cells -> None); a torn last line is skipped."""
        return read_rows(self.metrics_path)[0]

    def truncate_metrics(self, step: int, *, redo_test: bool = False) -> dict[str, int]:
        """Keep one row per (split, step) up to ``step`` (a resumed run rewrites what followed; with
        ``redo_test`` also the test row at ``step``)."""
        return repair_metrics(self.metrics_path, step, redo_test=redo_test)


def create_run(config: dict[str, Any], *, runs_dir: str | os.PathLike | None = None, name: str | None = None,
               command: list[str] | None = None, lock: bool = False, data_dir: str | None = None) -> RunDir:
    """Make a new run folder and write its config.json. An explicit name that exists is an error.

    ``data_dir``: the data folder the run trains on (absolute), recorded so ``--resume`` finds it again.

    ``lock``: take the run's lock before anything is written (the trainer's own runs), so no lister
    ever sees the new run as interrupted.
    """
    root = check_runs_dir(runs_dir)
    if name:
        clean = sanitize_name(name)
        path = root / clean
        try:
            path.mkdir()
        except FileExistsError:
            raise UserError(f"a run named '{clean}' already exists in {root}; pick another --name or "
                            f"continue it with --resume {clean}") from None
    else:
        stem = sanitize_name(f"{time.strftime('%Y%m%d-%H%M%S')}-{config.get('model', 'run')}")
        for i in range(1000):  # never overwrite: add a counter on collision
            path = root / (stem if i == 0 else f"{stem}-{i}")
            try:
                path.mkdir()
                break
            except FileExistsError:
                continue
    run = RunDir(path)
    if lock:
        run.acquire_lock()
    meta = {"train": config, "seed": config.get("seed"), "command": command or sys.argv,
            "versions": package_versions(), "created": time.strftime("%Y-%m-%dT%H:%M:%S")}
    if data_dir:
        meta["data_dir"] = data_dir
    atomic_write_text(run.config_path, json.dumps(meta, indent=2))
    run.write_status(status=RunStatus.CREATED, step=0, total_steps=config.get("steps"))
    return run


def _find_run_path(name: str, root: Path) -> Path:
    """The folder of run ``name`` in ``root``: the exact child (a hand-made folder too), else the
    sanitized name the way :func:`create_run` stored it (``'a b'`` -> ``a-b``); a one-line error if none."""
    if name and "/" not in name and "\\" not in name and name not in (".", ".."):
        exact = root / name
        if exact.is_dir() or exact.is_symlink():
            return exact
    try:
        clean = root / sanitize_name(name)
    except UserError:
        clean = None
    if clean is None or not clean.is_dir():
        raise UserError(f"no run named '{name}' in {root}; see `python -m sr_core list`")
    return clean


def get_run(name: str, runs_dir: str | os.PathLike | None = None) -> RunDir:
    """The existing run called ``name`` (as typed, or sanitized as stored); a one-line error if there is none."""
    return RunDir(_find_run_path(name, runs_root(runs_dir)))


def delete_run(name: str, runs_dir: str | os.PathLike | None = None) -> None:
    """Delete run ``name`` (its folder; a symlinked run folder loses the link only, never its target).

    Takes the run's lock first, so a run being trained (by this process or another) is refused in one line.
    """
    root = runs_root(runs_dir)
    path = _find_run_path(name, root)
    if path.is_symlink():  # never follow it: the target may be anything, anywhere
        path.unlink()
        return
    run = RunDir(path).acquire_lock(action="delete")
    try:
        # Move it out of sight first (one rename): no lister or resume sees a half-deleted run.
        trash = root / f".deleting-{path.name}-{os.getpid()}"
        os.replace(path, trash)
    except OSError:
        run.release_lock()
        raise
    try:
        shutil.rmtree(trash)
    finally:
        run.release_lock()

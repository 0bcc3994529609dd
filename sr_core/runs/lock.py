"""One writer per run: an OS-level lock (``fcntl.flock``) on ``<run>/.lock``.

Training, resuming and deleting a run take the lock; a second writer gets a one-line error naming the
process that holds it. The OS drops the lock when its holder exits, however it exits (kill -9
included), so a run whose status says "running" while nobody holds its lock was interrupted.
A flock belongs to one open file: a second open in the same process (the Streamlit server's
training thread and its Runs page) conflicts like another process would.
"""
from __future__ import annotations

import errno
import fcntl
import os
from pathlib import Path

from sr_core.errors import UserError

LOCK_NAME = ".lock"


class RunLocked(UserError):
    """Another process (or another job of this one) writes into the run."""


def _read_pid(path: Path) -> int | None:
    try:
        text = path.read_text().strip()
    except OSError:
        return None
    return int(text) if text.isdigit() else None


class RunLock:
    """An exclusive lock on one run folder; ``release()`` (or process exit) frees it."""

    def __init__(self, run_path: str | os.PathLike, *, action: str = "train") -> None:
        self.path = Path(run_path) / LOCK_NAME
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            os.close(fd)
            if exc.errno not in (errno.EAGAIN, errno.EACCES):
                raise
            pid = _read_pid(self.path)
            who = f"process {pid}" if pid else "another process"
            hint = f"stop it first (kill -TERM {pid})" if pid and pid != os.getpid() else "stop it first"
            raise RunLocked(f"run '{Path(run_path).name}' is being trained by {who}; cannot {action} it "
                            f"now — wait for it or {hint}") from None
        os.ftruncate(fd, 0)
        os.write(fd, str(os.getpid()).encode())
        self._fd: int | None = fd

    def release(self) -> None:
        """Free the lock (idempotent)."""
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None

    @property
    def held(self) -> bool:
        return self._fd is not None

    def __del__(self) -> None:  # a trainer dropped without running must not keep its run locked
        try:
            self.release()
        except Exception:
            pass


def lock_holder(run_path: str | os.PathLike) -> int | None:
    """The pid holding the run's lock (0 when the holder is unknown), or None when nobody holds it."""
    path = Path(run_path) / LOCK_NAME
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except OSError:
        return _read_pid(path) or 0
    else:
        fcntl.flock(fd, fcntl.LOCK_UN)
        return None
    finally:
        os.close(fd)

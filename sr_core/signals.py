"""SIGTERM and SIGINT for a command-line training: stop at a step boundary, never mid-step.

While a trainer runs, the first signal only asks it to stop (:meth:`Trainer.request_stop` sets an
event), so the batch in flight finishes and the checkpoint it then saves holds weights and optimizer
state of one and the same step. Before the trainer exists (data loading, model building) a signal
aborts start-up with :class:`Interrupted`; a second signal while stopping aborts at once (the last
checkpoint is kept; the run then lists as interrupted). The CLI turns :class:`Interrupted` into one line.
"""
from __future__ import annotations

import signal
import threading
from typing import Any

SIGNALS = (signal.SIGINT, signal.SIGTERM)


class Interrupted(BaseException):
    """A signal that ends the command now (BaseException: no ``except Exception`` swallows it)."""

    def __init__(self, signum: int, during: str) -> None:
        self.signum, self.during = signum, during
        super().__init__(f"{signal.Signals(signum).name} during {during}")

    @property
    def exit_code(self) -> int:
        return 128 + self.signum


class GracefulStop:
    """Context manager installing the handlers (main thread only); set ``trainer`` once it exists."""

    def __init__(self) -> None:
        self.trainer: Any = None
        self.signum: int | None = None
        self._old: dict[int, Any] = {}

    def _handle(self, signum: int, frame: Any) -> None:
        if self.trainer is None:
            raise Interrupted(signum, "start-up")
        if self.signum is not None:
            raise Interrupted(signum, "stopping")
        self.signum = signum
        self.trainer.request_stop(f"stopped by {signal.Signals(signum).name}")

    def __enter__(self) -> "GracefulStop":
        if threading.current_thread() is threading.main_thread():
            for s in SIGNALS:
                self._old[s] = signal.signal(s, self._handle)
        return self

    def __exit__(self, *exc: Any) -> None:
        for s, old in self._old.items():
            signal.signal(s, old)
        self._old.clear()

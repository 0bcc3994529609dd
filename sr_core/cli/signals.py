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

#: A signal that arrived where acting on it was not safe (inside an import: raising there can leave a
#: library half-imported, and a later import of it then fails in odd ways); acted on at the next safe point.
_pending: int | None = None


def _inside_import(frame: Any) -> bool:
    """True when ``frame`` (a signal handler's interrupted frame) runs inside an import."""
    while frame is not None:
        if frame.f_code.co_filename.startswith("<frozen importlib"):
            return True
        frame = frame.f_back
    return False


def _defer(signum: int, frame: Any) -> None:
    global _pending
    if _pending is None:
        _pending = signum


def defer_signals() -> None:
    """Record SIGINT/SIGTERM instead of acting on them (``python -m sr_core`` while it imports torch)."""
    if threading.current_thread() is threading.main_thread():
        for s in SIGNALS:
            signal.signal(s, _defer)


def _term_as_interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt


def end_deferral(during: str = "start-up") -> None:
    """Back to acting on signals at once (TERM like Ctrl-C); raise :class:`Interrupted` for one recorded."""
    global _pending
    if threading.current_thread() is threading.main_thread():  # only where defer_signals() put them
        if signal.getsignal(signal.SIGINT) is _defer:
            signal.signal(signal.SIGINT, signal.default_int_handler)
        if signal.getsignal(signal.SIGTERM) is _defer:
            signal.signal(signal.SIGTERM, _term_as_interrupt)
    if _pending is not None:
        signum, _pending = _pending, None
        raise Interrupted(signum, during)


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
            if _inside_import(frame):
                _defer(signum, frame)  # acted on by attach(), once the trainer exists
                return
            raise Interrupted(signum, "start-up")
        if self.signum is not None:
            raise Interrupted(signum, "stopping")
        self.signum = signum
        self.trainer.request_stop(f"stopped by {signal.Signals(signum).name}")

    def attach(self, trainer: Any) -> None:
        """The trainer now exists: a signal deferred during start-up asks it to stop (at step 0)."""
        global _pending
        self.trainer = trainer
        if _pending is not None:
            signum, _pending = _pending, None
            self._handle(signum, None)

    def __enter__(self) -> "GracefulStop":
        if threading.current_thread() is threading.main_thread():
            for s in SIGNALS:
                self._old[s] = signal.signal(s, self._handle)
        return self

    def __exit__(self, *exc: Any) -> None:
        for s, old in self._old.items():
            signal.signal(s, old)
        self._old.clear()

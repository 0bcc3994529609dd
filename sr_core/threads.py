"""The one way this project starts background work: a named daemon thread.

Named, so a stack dump (``py-spy dump``, ``faulthandler``) says which thread is the trainer and
which the set-level worker; daemon, so a thread still running never keeps the interpreter (the
Streamlit server, a test run) from exiting. Who owns what runs there: :class:`sr_core.runs.jobs.TrainJob`
(a training run), ``ui.background.BackgroundWorker`` (set-level tasks for the pages).
"""
from __future__ import annotations

import threading
from typing import Callable


def start_daemon(target: Callable[[], object], name: str) -> threading.Thread:
    """Start ``target()`` in a new daemon thread called ``name``; returns the started thread."""
    thread = threading.Thread(target=target, name=name, daemon=True)
    thread.start()
    return thread

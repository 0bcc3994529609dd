"""Set-level work (scoring N test images, set-average spectra) off the script thread, with progress.

A widget change reruns a Streamlit script; a script that scores thousands of images makes the user
wait behind a greyed page. Instead a page describes the work it wants as :class:`Task` s (a cache key,
a size in images, and a function) and calls :meth:`BackgroundWorker.request`, which returns at once.
One worker thread per process computes what is not cached yet, task by task, and pages poll
:meth:`~BackgroundWorker.lookup` and :meth:`~BackgroundWorker.progress` (from an ``st.fragment``
with ``run_every``) to draw what is ready.

Rules:

* Results are cached per task key, process-wide (every session and page switch sees them) with
  least-recently-used eviction, so returning to a setting is instant.
* The newest request of a client wins: a request replaces that client's previous one (a client is one
  page in one browser session), and a running task that no client wants any more is told to stop (its
  ``stop`` event is set; it returns after the current batch) and its partial result is dropped.
* One progress/cancel protocol, the one of :mod:`sr_core` (``evaluate.per_image_metrics``,
  ``latent.latent_per_image``): ``progress(done, total)`` after each batch, ``stop: threading.Event``
  checked before each batch. Several clients share the worker: the most recent request's tasks go first,
  and a client that stops polling (closed tab, other page) drops out after :data:`CLIENT_TTL_S`.
  A finished task only ever fills its own key, so an old request cannot overwrite newer numbers.
* Errors are kept per key (``error(key)``) and shown by the page; the worker keeps going.

Plain Python (no Streamlit), so tests drive it directly.
"""
from __future__ import annotations

import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any, Callable, Hashable

from sr_core.rate import RateMeter
from sr_core.threads import start_daemon

Progress = Callable[[int, int], None]  # (images done in this task, images in this task)
Stop = threading.Event                  # set when nobody wants the task any more: return early
CLIENT_TTL_S = 10.0  # a client's request lapses when it has not been renewed (polled) for this long


@dataclass(frozen=True)
class Task:
    """One unit of background work: ``run(progress, stop)`` computes the value cached under ``key``
    (``progress(done, total)`` after each batch; return early once ``stop`` is set)."""

    key: Hashable
    label: str                       # what it is, for the progress line ("shipped · cvae-sr")
    images: int                      # its size, for images done / total
    run: Callable[[Progress, Stop], Any] = field(compare=False, hash=False)


@dataclass
class Status:
    """Where a page's request stands: images done / total over its uncached tasks, time left."""

    done: int
    total: int
    eta_s: float | None
    current: str          # label of the task being (or next to be) computed ("" when idle)
    complete: bool        # every task of the request is cached (or failed)

    @property
    def fraction(self) -> float:
        return 1.0 if self.total <= 0 else min(1.0, self.done / self.total)


class BackgroundWorker:
    """A process-wide cache of set-level results and the one thread that fills it."""

    def __init__(self, max_entries: int = 64, torch_threads: int | None = None) -> None:
        self.max_entries = max_entries
        self.torch_threads = torch_threads
        self._cond = threading.Condition()
        self._cache: OrderedDict[Hashable, Any] = OrderedDict()
        self._errors: dict[Hashable, str] = {}
        self._queue: list[Task] = []
        self._wanted: set[Hashable] = set()
        self._current: Task | None = None
        self._current_done = 0
        self._current_stop = threading.Event()  # the running task's stop event
        self._requests: dict[str, tuple[float, list[Task]]] = {}  # client -> (time of request, tasks)
        self._sizes: dict[Hashable, int] = {}
        self._meter = RateMeter(tau_s=3.0)
        self._images_done = 0          # running total over every task (feeds the rate meter)
        self._thread: threading.Thread | None = None
        self._closed = False

    # ------------------------------------------------------------ page side

    def lookup(self, key: Hashable) -> Any | None:
        """The cached result of ``key`` or None (marks it recently used)."""
        with self._cond:
            if key in self._cache:
                self._cache.move_to_end(key)
                return self._cache[key]
            return None

    def error(self, key: Hashable) -> str | None:
        with self._cond:
            return self._errors.get(key)

    def request(self, tasks: list[Task], client: str = "default") -> None:
        """Want ``tasks`` computed, in order; replaces ``client``'s previous request (returns at once)."""
        with self._cond:
            self._closed = False
            now = time.monotonic()
            self._requests[client] = (now, list(tasks))
            self._requests = {c: r for c, r in self._requests.items() if now - r[0] <= CLIENT_TTL_S}
            self._sizes.update({t.key: t.images for t in tasks})
            queue: dict[Hashable, Task] = {}
            for _, wanted in sorted(self._requests.values(), key=lambda r: -r[0]):  # newest request first
                for t in wanted:
                    if t.key not in self._cache and t.key not in self._errors:
                        queue.setdefault(t.key, t)
            self._queue = list(queue.values())
            self._wanted = set(queue)
            if self._current is not None and self._current.key not in self._wanted:
                self._current_stop.set()  # nobody wants the running task any more: newest wins
            self._cond.notify_all()
            if self._queue and (self._thread is None or not self._thread.is_alive()):
                self._thread = start_daemon(self._main, "set-level-worker")

    def status(self, keys: list[Hashable]) -> Status:
        """Progress of ``keys`` (a page's request): images of uncached tasks done / total, time left."""
        with self._cond:
            missing = [k for k in keys if k not in self._cache and k not in self._errors]
            total = sum(self._sizes.get(k, 0) for k in missing)
            current = self._current
            done = self._current_done if current is not None and current.key in missing else 0
            eta = self._meter.eta(total - done) if missing else 0.0
            # What is being (or about to be) computed: the running task, else the next queued one of ours.
            nxt = [t.label for t in self._queue if t.key in missing]
            label = current.label if current is not None and current.key in missing else (nxt[0] if nxt else "")
            return Status(done=done, total=total, eta_s=eta, current=label,
                          complete=not missing)

    def stop(self, client: str = "default") -> None:
        """Drop ``client``'s request; its running task is abandoned unless another client wants it."""
        self.request([], client)

    def shutdown(self, timeout: float = 60.0) -> None:
        """Drop every request and end the worker thread (benchmarks, tests, server shutdown)."""
        with self._cond:
            self._requests.clear()
            self._queue, self._wanted = [], set()
            self._closed = True
            self._current_stop.set()
            self._cond.notify_all()
            thread = self._thread
        if thread is not None:
            thread.join(timeout)

    def clear(self) -> None:
        """Forget every cached result and error (tests; a changed data folder)."""
        with self._cond:
            self._cache.clear()
            self._errors.clear()

    def wait(self, keys: list[Hashable], timeout: float = 300.0) -> bool:
        """Block until ``keys`` are all cached or failed (tests and benchmarks; pages never block)."""
        end = time.monotonic() + timeout
        with self._cond:
            while any(k not in self._cache and k not in self._errors for k in keys):
                left = end - time.monotonic()
                if left <= 0:
                    return False
                self._cond.wait(min(left, 0.5))
            return True

    # ------------------------------------------------------------ worker side

    def _main(self) -> None:
        if self.torch_threads:
            import torch

            torch.set_num_threads(self.torch_threads)
        while True:
            with self._cond:
                while not self._queue:
                    if self._closed or (not self._cond.wait(timeout=30.0) and not self._queue):
                        self._thread = None  # idle: let the thread end; the next request starts one
                        return
                task = self._queue.pop(0)
                if task.key in self._cache:
                    continue
                self._current, self._current_done = task, 0
                stop = self._current_stop = threading.Event()
            try:
                value = task.run(lambda done, total, t=task: self._report(t, done), stop)
            except Exception as exc:  # shown on the page; the worker must survive a broken checkpoint
                with self._cond:
                    self._errors[task.key] = f"{type(exc).__name__}: {exc}"
                    self._current = None
                    self._cond.notify_all()
                continue
            with self._cond:
                self._current = None
                if not stop.is_set():  # a stopped task's (partial) value is dropped
                    self._cache[task.key] = value
                    self._cache.move_to_end(task.key)
                    while len(self._cache) > self.max_entries:
                        self._cache.popitem(last=False)
                self._cond.notify_all()

    def _report(self, task: Task, done: int) -> None:
        with self._cond:
            self._images_done += max(0, done - self._current_done)
            self._current_done = done
            self._meter.update(self._images_done)
            if task.key not in self._wanted:  # e.g. its client dropped out (CLIENT_TTL_S)
                self._current_stop.set()

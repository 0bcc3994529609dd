"""Timing and turn-taking for bench/ui_overhead.py (see its docstring): per-step clocks, the gate that
parks a training job outside its time slices, and the scheduler that alternates the UI-attached and
the headless job so machine load falls on both alike.
"""
from __future__ import annotations

import threading
import time
from typing import Any

class StepClock:
    """Per-step times of one trainer, grouped by slice: a step runs from ``resume()`` to ``step_end()``."""

    def __init__(self) -> None:
        self.slice = -1
        self.slices: dict[int, list[float]] = {}
        self._resumed: float | None = None

    def step_end(self, now: float) -> None:
        if self._resumed is not None and self.slice >= 0:
            self.slices.setdefault(self.slice, []).append(now - self._resumed)
        self._resumed = None

    def resume(self, now: float) -> None:
        self._resumed = now


class Gate:
    """The UI job's extra ``on_step`` callback: times its steps and parks it outside its slices."""

    def __init__(self) -> None:
        self.clock = StepClock()
        self._cond = threading.Condition()
        self._open = False
        self.parks = 0        # times the job has parked (the main thread waits for this to grow)

    def on_step(self, trainer: Any, row: dict[str, Any]) -> None:
        self.clock.step_end(time.perf_counter())
        with self._cond:
            if not self._open:
                self.parks += 1
                self._cond.notify_all()
                self._cond.wait_for(lambda: self._open)
        self.clock.resume(time.perf_counter())

    def open(self, slice_index: int) -> None:
        with self._cond:
            self.clock.slice = slice_index
            self._open = True
            self._cond.notify_all()

    def close_and_wait(self, timeout: float = 120.0) -> None:
        """Close the gate and wait until the job has finished its current step and parked."""
        with self._cond:
            parks = self.parks
            self._open = False
            if not self._cond.wait_for(lambda: self.parks > parks, timeout):
                raise RuntimeError(f"the UI job did not park within {timeout:.0f} s")

    def wait_parked(self, timeout: float = 300.0) -> None:
        with self._cond:
            if not self._cond.wait_for(lambda: self.parks > 0, timeout):
                raise RuntimeError(f"the UI job did not reach its first step within {timeout:.0f} s")

    def release(self) -> None:
        with self._cond:
            self._open = True
            self._cond.notify_all()


class Scheduler:
    """The headless trainer's ``on_step`` callback: times its steps and runs the UI slices in between.

    ``fragments``: the benchmark's ``Fragment`` objects (name, refresh period, refresh callable)."""

    def __init__(self, *, gate: Gate, fragments: list[Any], slice_s: float, steps: int, job: Any,
                 headless: Any) -> None:
        self.gate, self.fragments, self.slice_s, self.steps = gate, fragments, slice_s, steps
        self.job, self.headless = job, headless
        self.clock = StepClock()
        self.slice_index = 0          # pair index: headless slice i is followed by UI slice i
        self._slice_start: float | None = None
        self.ui_time = 0.0            # seconds of UI slices so far: the page's refresh clock
        self.error: BaseException | None = None

    def counted(self, clock: StepClock) -> int:
        return sum(len(v) for k, v in clock.slices.items() if k >= 1)   # slice pair 0 is the warm-up

    def on_step(self, trainer: Any, row: dict[str, Any]) -> None:
        now = time.perf_counter()
        self.clock.step_end(now)
        if self._slice_start is None:         # first step (after the initial evaluation): start slice 0
            self.clock.slice = 0
            self._slice_start = now
        elif now - self._slice_start >= self.slice_s:
            try:
                self.ui_slice()
            except BaseException as exc:      # never leave the job parked; stop both and report
                self.error = exc
                self.headless.request_stop()
                raise
            if min(self.counted(self.clock), self.counted(self.gate.clock)) >= self.steps:
                self.headless.request_stop()
            self.slice_index += 1
            self.clock.slice = self.slice_index
            self._slice_start = time.perf_counter()
        self.clock.resume(time.perf_counter())

    def ui_slice(self) -> None:
        self.gate.open(self.slice_index)
        t0 = time.perf_counter()
        while True:
            elapsed = time.perf_counter() - t0
            if elapsed >= self.slice_s:
                break
            clock = self.ui_time + elapsed
            for f in self.fragments:
                if clock >= f.next_due:
                    s = time.perf_counter()
                    f.call()
                    f.ms.append((time.perf_counter() - s) * 1000)
                    f.next_due += f.period
                    while f.next_due <= clock:   # a refresh that took longer than its period: skip ahead
                        f.next_due += f.period
            wake = min([f.next_due for f in self.fragments] + [self.ui_time + self.slice_s])
            time.sleep(max(0.0, min(wake - (self.ui_time + time.perf_counter() - t0), self.slice_s)))
        self.ui_time += time.perf_counter() - t0
        self.gate.close_and_wait()


def slice_rates(clock: StepClock, batch: int) -> dict[int, tuple[float, int, float]]:
    """slice -> (images/s, steps, seconds), warm-up slice 0 dropped, empty slices skipped."""
    out = {}
    for k, times in sorted(clock.slices.items()):
        if k >= 1 and times and sum(times) > 0:
            out[k] = (len(times) * batch / sum(times), len(times), sum(times))
    return out



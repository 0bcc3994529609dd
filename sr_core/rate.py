"""Steady progress figures: images per second and time left, smoothed over several seconds.

A trainer's per-batch rate jumps by 10x when one batch shares the CPU with an evaluation, a
checkpoint or another process; shown raw, "time left" jumps with it. :class:`RateMeter` keeps an
exponential moving average of the rate with a *time* constant (``tau_s`` seconds, not a number of
updates), so the figure moves the same way whether it is fed every batch (the CLI bar) or every
second (the Train page): after a step change in the true rate, the shown rate has moved
1 - exp(-dt / tau) of the way after dt seconds. After the run, :meth:`average` gives the run's
mean rate (images done / wall time), which is what a finished run should report.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, field


@dataclass
class RateMeter:
    """Smoothed rate of a counter (e.g. images trained) and the time left to a total.

    ``update(done, now)`` with the counter's running total and a clock in seconds; readings closer
    together than ``min_dt_s`` are merged into the next one (a burst of updates does not count as
    an instantaneous rate).
    """

    tau_s: float = 5.0
    min_dt_s: float = 0.25
    rate: float | None = None          # smoothed units per second, None before two readings
    _t0: float | None = None           # first reading (for the run average)
    _done0: float = 0.0
    _last_t: float | None = None
    _last_done: float = 0.0
    _now: float = field(default=0.0)
    _now_done: float = 0.0

    def update(self, done: float, now: float | None = None) -> float | None:
        """Feed the counter's running total at time ``now`` (default: ``time.monotonic()``); returns the rate."""
        now = time.monotonic() if now is None else float(now)
        self._now, self._now_done = now, done
        if self._t0 is None:
            self._t0, self._done0, self._last_t, self._last_done = now, done, now, done
            return self.rate
        dt = now - self._last_t
        if dt < self.min_dt_s:
            return self.rate
        inst = (done - self._last_done) / dt
        # EMA with a time constant: the weight of the new reading grows with the time it covers.
        w = 1.0 - math.exp(-dt / self.tau_s)
        self.rate = inst if self.rate is None else self.rate + w * (inst - self.rate)
        self._last_t, self._last_done = now, done
        return self.rate

    def current(self) -> float | None:
        """The smoothed rate; before it exists (readings under ``min_dt_s`` apart), the mean so far."""
        return self.rate if self.rate is not None else self.average()

    def eta(self, remaining: float) -> float | None:
        """Seconds to do ``remaining`` more units at the smoothed rate (None before a rate exists)."""
        if self.rate is None or self.rate <= 0:
            return None
        return max(0.0, remaining) / self.rate

    def average(self) -> float | None:
        """Mean rate since the first reading: units done / seconds elapsed, to the latest reading (None
        before two readings at different times)."""
        if self._t0 is None or self._now <= self._t0:
            return None
        return (self._now_done - self._done0) / (self._now - self._t0)

    def elapsed(self) -> float:
        """Seconds from the first reading to the latest one."""
        return 0.0 if self._t0 is None else self._now - self._t0

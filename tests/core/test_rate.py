"""sr_core.rate.RateMeter on synthetic timings: steady under jittery batches, follows real changes."""
from __future__ import annotations

import random

import pytest

from sr_core.rate import RateMeter


def feed(meter: RateMeter, batch_times: list[float], batch: int = 100, refresh_s: float = 1.0) -> list[float]:
    """Feed a run of batches (seconds each) as a page would: one reading per ``refresh_s``; returns the rates shown."""
    t, done, next_read, shown = 0.0, 0, 0.0, []
    meter.update(0, 0.0)
    for dt in batch_times:
        t += dt
        done += batch
        if t >= next_read:
            meter.update(done, t)
            if meter.rate is not None:
                shown.append(meter.rate)
            next_read = t + refresh_s
    return shown


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("refresh_s", [0.0, 1.0])
def test_smoothed_rate_stays_within_2x_of_the_true_average(seed, refresh_s):
    # Steady load with the spikes that made the raw figure jump 10x: every 50th batch takes 15x longer
    # (a test-set evaluation), the rest vary by +-30 %.
    rng = random.Random(seed)
    times = [(0.5 if i % 50 == 49 else 0.035 * rng.uniform(0.7, 1.3)) for i in range(3000)]
    true_avg = 100 * len(times) / sum(times)
    meter = RateMeter(tau_s=5.0)
    shown = feed(meter, times, refresh_s=refresh_s)
    settled = shown[len(shown) // 10:]  # after the first few seconds
    assert settled and all(true_avg / 2 <= r <= true_avg * 2 for r in settled), (min(settled), max(settled), true_avg)
    # consecutive figures never jump by 2x
    assert all(0.5 <= b / a <= 2 for a, b in zip(settled, settled[1:]))
    assert meter.average() == pytest.approx(100 * len(times) / sum(times), rel=0.02)


def test_raw_per_batch_rate_would_jump_10x():
    """The problem the meter solves: the instantaneous rate of the same timings jumps by > 10x."""
    times = [0.5 if i % 50 == 49 else 0.035 for i in range(200)]
    raw = [100 / t for t in times]
    assert max(raw) / min(raw) > 10


def test_rate_follows_a_real_change_within_a_few_time_constants():
    meter = RateMeter(tau_s=2.0)
    feed(meter, [0.1] * 200, refresh_s=0.5)           # 1000 img/s for 20 s
    assert meter.rate == pytest.approx(1000, rel=0.05)
    t0 = meter._last_t
    done = meter._last_done
    for k in range(1, 41):                              # then 250 img/s for 20 s
        meter.update(done + 250 * 0.5 * k, t0 + 0.5 * k)
    assert meter.rate == pytest.approx(250, rel=0.05)
    assert meter.eta(1000) == pytest.approx(4.0, rel=0.05)


def test_no_rate_before_two_readings_and_merged_bursts():
    meter = RateMeter(min_dt_s=0.25)
    assert meter.update(0, 10.0) is None and meter.eta(100) is None and meter.average() is None
    assert meter.update(50, 10.1) is None  # too close: merged into the next reading
    assert meter.update(100, 11.0) == pytest.approx(100.0)

"""Named seed streams (sr_core.seeds): their values are part of every result, and streams stay apart."""
from __future__ import annotations

import pytest

from sr_core import seeds


@pytest.mark.parametrize("seed", [0, 1, 42])
def test_stream_values_are_pinned(seed: int) -> None:
    # Changing any of these changes every trained model and score: this pins them.
    assert seeds.epoch_order_seed(seed, 3) == seed * 1_000_003 + 3
    assert seeds.step_noise_seed(seed, 250) == seed * 1_000_003 + 250
    assert seeds.eval_noise_seed(seed) == seed + 7_777_777
    assert seeds.samples_seed(seed) == seed + 1_000_003


def test_positional_streams_of_two_run_seeds_do_not_meet() -> None:
    steps = range(0, 100_000, 997)
    a = {seeds.step_noise_seed(0, s) for s in steps}
    b = {seeds.step_noise_seed(1, s) for s in steps}
    assert not a & b

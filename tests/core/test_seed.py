"""A seed fixes a run: two runs with the same config and seed are bit-identical (metrics.csv losses and
checkpoint tensors, Adam state included); a different seed gives a different run."""
from __future__ import annotations

from pathlib import Path

import pytest

from _runs import losses, max_diff, train, weights


pytestmark = pytest.mark.usefixtures("one_torch_thread")


def test_same_seed_bit_identical_and_different_seed_differs(data_dir: Path, tmp_path: Path) -> None:
    a = train(tmp_path, "a", seed=3)
    b = train(tmp_path, "b", seed=3)
    c = train(tmp_path, "c", seed=4)
    assert losses(a) == losses(b)  # exact floats: initial weights, data order, noise, test noise
    assert max_diff(weights(a), weights(b)) == 0.0
    la, lc = losses(a), losses(c)
    assert [r[:2] for r in la] == [r[:2] for r in lc]
    assert la[0] != lc[0]  # even the step-0 test loss differs: the initial weights come from the seed
    assert max_diff(weights(a), weights(c)) > 1e-3

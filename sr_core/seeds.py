"""Seed streams: every random number a run draws comes from a stream named here, seeded by a pure
function of the run's seed and a position (epoch, step), so a resumed run replays exactly the
numbers an uninterrupted one would have drawn, and no two streams share seeds by accident.

The constants are part of the results: changing one changes every trained model and every score.
"""
from __future__ import annotations

#: Seeds per run seed in a positional stream: seed ``s`` uses ``s * STREAM_STRIDE + position``, so the
#: streams of two run seeds overlap only after a million epochs or steps (a prime, so that the
#: per-position seeds of different run seeds never line up on a common multiple).
STREAM_STRIDE = 1_000_003
#: Offset of the test-loss noise from the run seed: one fixed stream for every evaluation of a run (so
#: test curves are smooth), far from the small seeds of the positional streams.
EVAL_NOISE_OFFSET = 7_777_777
#: Offset of the extra SR samples of an evaluation batch from that batch's seed, so drawing samples
#: for diversity and best-of-K never changes the primary SR image (which uses the batch seed itself).
SAMPLES_OFFSET = STREAM_STRIDE


def epoch_order_seed(seed: int, epoch: int) -> int:
    """Seed of the permutation of the training images in ``epoch``."""
    return seed * STREAM_STRIDE + epoch


def step_noise_seed(seed: int, step: int) -> int:
    """Seed of the model's noise (e.g. the VAE's ζ) in training step ``step``."""
    return seed * STREAM_STRIDE + step


def eval_noise_seed(seed: int) -> int:
    """Seed of the noise in every test-loss evaluation of a run."""
    return seed + EVAL_NOISE_OFFSET


def samples_seed(batch_seed: int) -> int:
    """Seed of the extra SR samples drawn for one evaluation batch seeded ``batch_seed``."""
    return batch_seed + SAMPLES_OFFSET

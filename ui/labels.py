"""Display strings for the core's concepts: how the pages name shipped checkpoints, state the
evaluation protocol in a caption and write a duration. The core (``sr_core``) holds data; the words on screen live here.
"""
from __future__ import annotations

import math

#: Label prefix that marks a shipped checkpoint wherever runs and shipped checkpoints share a list; a
#: run folder name cannot contain it (``sr_core.runs.store.sanitize_name`` drops spaces and "·").
SHIPPED_PREFIX = "shipped · "

#: The evaluation protocol of :data:`sr_core.metrics.PROTOCOL` in one caption-sized sentence.
SHORT_PROTOCOL = ("per-image PSNR/SSIM on 28×28 HR, data range 1, no border crop, mean over the set; "
                  "LR-PSNR = SR downscaled vs LR input")


def shipped_label(model: str) -> str:
    """The list label of the shipped checkpoint of ``model``: ``shipped · <model>``."""
    return SHIPPED_PREFIX + model


def fmt_duration(seconds: float | None) -> str:
    """``42 s``, ``3 min 05 s``, ``1 h 02 min``; ``–`` for None or a non-finite value."""
    if seconds is None or not math.isfinite(seconds):
        return "–"
    seconds = int(round(seconds))
    if seconds < 60:
        return f"{seconds} s"
    m, s = divmod(seconds, 60)
    if m < 60:
        return f"{m} min {s:02d} s"
    h, m = divmod(m, 60)
    return f"{h} h {m:02d} min"

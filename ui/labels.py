"""Display strings for the core's concepts: how the pages name shipped checkpoints and state the
evaluation protocol in a caption. The core (``sr_core``) holds data; the words on screen live here.
"""
from __future__ import annotations

#: Label prefix that marks a shipped checkpoint wherever runs and shipped checkpoints share a list; a
#: run folder name cannot contain it (``sr_core.runs.sanitize_name`` drops spaces and "·").
SHIPPED_PREFIX = "shipped · "

#: The evaluation protocol of :data:`sr_core.metrics.PROTOCOL` in one caption-sized sentence.
SHORT_PROTOCOL = ("per-image PSNR/SSIM on 28×28 HR, data range 1, no border crop, mean over the set; "
                  "LR-PSNR = SR downscaled vs LR input")


def shipped_label(model: str) -> str:
    """The list label of the shipped checkpoint of ``model``: ``shipped · <model>``."""
    return SHIPPED_PREFIX + model

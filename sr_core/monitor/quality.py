"""Quality curves during training: decoder-only SR PSNR/SSIM at each test evaluation, beside the losses.

Protocol (:data:`QUALITY_PROTOCOL`): the first :data:`QUALITY_IMAGES` test images (fewer if the test
set is smaller), SR from the LR image alone (``super_resolve``; stochastic models at temperature 0,
i.e. their mean; class-conditioned models with the dataset's labels, as ``eval``'s ``model`` entry),
clamped to [0, 1], PSNR and SSIM per image (data range 1, :mod:`sr_core.metrics`), averaged. Bicubic
upsampling of the same LR images is the reference line (``bicubic_psnr``/``bicubic_ssim``, computed
once). ``eval --limit 256`` at temperature 0 gives the same numbers (tests check it).

Nothing here draws from the global RNG: the SR pass gets its own seeded generator, so a run's losses
are the same with or without these columns.
"""
from __future__ import annotations

from typing import Any

import torch

from sr_core.baselines import upsample
from sr_core.data import Split
from sr_core.degrade import get_degradation
from sr_core.metrics import psnr, ssim

QUALITY_IMAGES = 256
QUALITY_COLUMNS = ("sr_psnr", "sr_ssim", "bicubic_psnr", "bicubic_ssim")
QUALITY_PROTOCOL = (f"decoder-only SR from LR on the first {QUALITY_IMAGES} test images (temperature 0), "
                    f"PSNR/SSIM per image, data range 1, no border crop, averaged; bicubic on the same images")


class QualityProbe:
    """Scores a model's decoder-only SR on a fixed test subset; ``__call__`` is a trainer eval hook.

    ``split``: the test split (images (N, 28, 28) uint8); ``n``: images scored (the first ``n``)."""

    def __init__(self, split: Split, degradation: str, device: torch.device | str, n: int = QUALITY_IMAGES,
                 seed: int = 0) -> None:
        n = min(n, len(split))
        self.n, self.seed = n, seed
        self.hr = split.hr(slice(0, n), device)  # (n, 1, 28, 28) in [0, 1]
        self.lr = get_degradation(degradation)(self.hr)  # (n, 1, 14, 14)
        self.labels = split.labels[:n].to(device)
        bic = upsample(self.lr, "bicubic").clamp(0, 1)
        self.reference = {"bicubic_psnr": float(psnr(bic, self.hr).mean()),
                          "bicubic_ssim": float(ssim(bic, self.hr).mean())}

    @torch.no_grad()
    def measure(self, model: Any) -> dict[str, float]:
        """{"sr_psnr", "sr_ssim"} of ``model``'s SR on the subset, plus the bicubic reference columns.
        The model's train/eval mode is restored."""
        was_training = model.training
        model.eval()
        gen = torch.Generator(device=self.hr.device).manual_seed(self.seed)
        try:
            sr = model.super_resolve(self.lr, labels=self.labels, generator=gen, temperature=0.0).clamp(0, 1)
        finally:
            model.train(was_training)
        return {"sr_psnr": float(psnr(sr, self.hr).mean()), "sr_ssim": float(ssim(sr, self.hr).mean()),
                **self.reference}

    def __call__(self, trainer: Any, alpha: float) -> dict[str, float]:
        return self.measure(trainer.model)

"""Classical interpolation baselines for super-resolution.

These are the reference points every learned model has to beat: they know nothing about
Fashion-MNIST and only interpolate the LR pixels.

Conventions: images are float tensors in [0, 1], NCHW ``(B, 1, h, w)``. The output is
``(B, 1, h*scale, w*scale)`` in the input dtype, clamped to [0, 1] (bicubic overshoots at
edges). Bilinear and bicubic use ``align_corners=False``, i.e. pixel centres, which is the
geometry that matches 2x2 box averaging: each LR pixel is the centre of its 2x2 HR block.

Pure functions only; nothing runs at import time.
"""
from __future__ import annotations

import torch.nn.functional as F
from torch import Tensor

BASELINES: tuple[str, ...] = ("nearest", "bilinear", "bicubic")


def upsample(lr: Tensor, method: str, scale: int = 2) -> Tensor:
    """Upsample LR images by an integer factor with a classical interpolator.

    lr: (B, 1, h, w) float in [0, 1].
    method: one of :data:`BASELINES` ("nearest", "bilinear", "bicubic").
    scale: positive integer factor (2 for 14x14 -> 28x28).
    Returns (B, 1, h*scale, w*scale), same dtype as ``lr``, clamped to [0, 1].
    """
    if method not in BASELINES:
        raise ValueError(f"unknown upsampling method '{method}'; choose one of: {', '.join(BASELINES)}")
    if isinstance(scale, bool) or not isinstance(scale, int) or scale < 1:
        raise ValueError(f"scale must be a positive integer, got {scale!r}")
    if not isinstance(lr, Tensor) or lr.ndim != 4:
        shape = tuple(lr.shape) if isinstance(lr, Tensor) else type(lr).__name__
        raise ValueError(f"lr must have shape (B, 1, h, w), got {shape}")
    if not lr.is_floating_point():
        # interpolate's bilinear/bicubic kernels need floats; uint8 images are not in [0, 1] anyway.
        raise ValueError(f"lr must be a float tensor in [0, 1], got dtype {lr.dtype}")

    h, w = lr.shape[-2:]
    # An explicit output size (not scale_factor) so the result is exactly h*scale x w*scale.
    size = (h * scale, w * scale)
    if method == "nearest":
        # For integer factors "nearest" replicates each pixel into a scale x scale block,
        # so box-averaging the result gives back the LR input exactly.
        out = F.interpolate(lr, size=size, mode="nearest")  # (B, 1, h*s, w*s)
    else:
        out = F.interpolate(lr, size=size, mode=method, align_corners=False)  # (B, 1, h*s, w*s)
    # Bicubic rings past the input range at sharp edges; outputs must stay valid images.
    return out.clamp(0.0, 1.0)


def upsample_all(lr: Tensor, scale: int = 2) -> dict[str, Tensor]:
    """Every baseline at once: name -> (B, 1, h*scale, w*scale) in [0, 1]."""
    return {name: upsample(lr, name, scale) for name in BASELINES}

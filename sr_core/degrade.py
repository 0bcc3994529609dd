"""Degradations (how LR is made from HR) and the pixel ops they share: box/nearest resampling, uint8 -> float.

The default degradation is the paper's: average pooling. The paper writes "averaging the pixel values
of each 4x4 block", but 4x4 blocks of a 28x28 image give 7x7, not the 14x14 it uses everywhere else;
2x2 blocks give 14x14, so that is what ``box`` does. Models, projections and the trainer import this
module, never the dataset module :mod:`sr_core.data`.
"""
from __future__ import annotations

from typing import Callable

import torch
import torch.nn.functional as F

from sr_core.errors import UserError

Degradation = Callable[[torch.Tensor], torch.Tensor]


SCALE = 2  # the one super-resolution factor: every degradation halves each side (28 -> 14, any photo -> half)


def box_down(x: torch.Tensor, scale: int = SCALE) -> torch.Tensor:
    """s x s block average (the one owner of box resampling). (B, C, H, W) -> (B, C, H/s, W/s)."""
    return F.avg_pool2d(x, kernel_size=scale)


def nearest_up(x: torch.Tensor, scale: int = SCALE) -> torch.Tensor:
    """Replicate each pixel into an s x s block: box_down's adjoint up to 1/s^2, and its right
    inverse (box_down(nearest_up(x)) == x). (B, C, h, w) -> (B, C, h*s, w*s)."""
    return x.repeat_interleave(scale, dim=-2).repeat_interleave(scale, dim=-1)


def box_downsample(hr: torch.Tensor) -> torch.Tensor:
    """2x2 box average. (B, 1, 28, 28) in [0, 1] -> (B, 1, 14, 14) in [0, 1]."""
    return box_down(hr, 2)


def bicubic_downsample(hr: torch.Tensor) -> torch.Tensor:
    """Bicubic 2x downsampling with antialiasing, clamped. (B,1,H,W) -> (B,1,H/2,W/2) in [0, 1]."""
    h, w = hr.shape[-2:]
    out = F.interpolate(hr, size=(h // 2, w // 2), mode="bicubic", align_corners=False, antialias=True)
    return out.clamp(0.0, 1.0)


DEGRADATIONS: dict[str, Degradation] = {"box": box_downsample, "bicubic": bicubic_downsample}
DEFAULT_DEGRADATION = "box"  # the paper's


def get_degradation(name: str) -> Degradation:
    """The degradation function called ``name`` (``box`` or ``bicubic``)."""
    if name not in DEGRADATIONS:
        raise UserError(f"unknown degradation '{name}'; choose one of: {', '.join(DEGRADATIONS)}")
    return DEGRADATIONS[name]


def to_float(images: torch.Tensor) -> torch.Tensor:
    """uint8 images (B, 28, 28) in 0..255 -> float32 (B, 1, 28, 28) in [0, 1], on the same device."""
    return images.unsqueeze(1).float().div_(255.0)

"""Network blocks and pixel losses shared by the residual SR models (``resnet-sr``, ``cvae-sr``,
``cnn-vae-deep``): EDSR residual blocks and body, the ESPCN sub-pixel upsampler, the fixed
interpolation a residual is added to, the LR-consistent output, and the pixel losses.

Lim et al., "Enhanced Deep Residual Networks for Single Image Super-Resolution" (EDSR), CVPR-W 2017;
Shi et al., "Real-Time Single Image and Video Super-Resolution Using an Efficient Sub-Pixel
Convolutional Neural Network" (ESPCN), CVPR 2016.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from sr_core.degrade import SCALE, nearest_up
from sr_core.errors import UserError
from sr_core.projection import project

BASES = ("nearest", "bicubic", "zero")
PIXEL_LOSSES = ("l1", "mse", "psnr")
PSNR_LOSS_EPS = 1e-4  # MSE floor of the "psnr" loss (40 dB): one near-perfect image cannot dominate


class ResBlock(nn.Module):
    """conv3x3 - ReLU - conv3x3, scaled and added to the input (EDSR block, no batch norm)."""

    def __init__(self, channels: int, res_scale: float = 1.0) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(channels, channels, 3, padding=1)
        self.conv2 = nn.Conv2d(channels, channels, 3, padding=1)
        self.res_scale = res_scale

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.res_scale * self.conv2(F.relu(self.conv1(x)))


class Body(nn.Module):
    """head conv -> ``blocks`` ResBlocks -> conv, with a long skip. (B,c_in,h,w) -> (B,C,h,w)."""

    def __init__(self, in_channels: int, channels: int, blocks: int, res_scale: float = 1.0) -> None:
        super().__init__()
        self.head = nn.Conv2d(in_channels, channels, 3, padding=1)
        self.blocks = nn.Sequential(*[ResBlock(channels, res_scale) for _ in range(blocks)])
        self.tail = nn.Conv2d(channels, channels, 3, padding=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.head(x)
        return h + self.tail(self.blocks(h))


class SubPixelUp(nn.Module):
    """conv3x3 to ``out * s^2`` channels, then PixelShuffle(s). (B,C,h,w) -> (B,out,s*h,s*w)."""

    def __init__(self, channels: int, out_channels: int = 1, scale: int = SCALE) -> None:
        super().__init__()
        self.conv = nn.Conv2d(channels, out_channels * scale * scale, 3, padding=1)
        self.shuffle = nn.PixelShuffle(scale)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.shuffle(self.conv(x))


def base_upsample(lr: torch.Tensor, base: str) -> torch.Tensor:
    """The fixed interpolation the network's residual is added to. (B,1,h,w) -> (B,1,2h,2w)."""
    if base == "nearest":
        return nearest_up(lr, SCALE)
    if base == "bicubic":
        return F.interpolate(lr, scale_factor=SCALE, mode="bicubic", align_corners=False)
    return lr.new_zeros(lr.shape[0], lr.shape[1], lr.shape[2] * SCALE, lr.shape[3] * SCALE)


def consistent_output(sr: torch.Tensor, lr: torch.Tensor, consistent: bool) -> torch.Tensor:
    """Training-time output: with ``consistent`` the linear back-projection (box(out) == lr exactly), so
    the network only has to learn what the LR image does not fix: 3 of the 4 values of each 2x2 block."""
    return project(sr, lr) if consistent else sr


def finish(sr: torch.Tensor, lr: torch.Tensor, consistent: bool) -> torch.Tensor:
    """SR-time output in [0, 1]: the bounded projection (still exactly consistent) or a plain clamp."""
    return project(sr, lr, clamp=True) if consistent else sr.clamp(0.0, 1.0)


def pixel_loss(pred: torch.Tensor, target: torch.Tensor, kind: str) -> torch.Tensor:
    """``l1``/``mse``: mean over pixels and batch. ``psnr``: mean over images of log10(1 + MSE_i / eps),
    = (40 dB - PSNR_i) / 10 with the MSE floored at eps = 1e-4 (40 dB): minimizing it maximizes the
    mean per-image PSNR that the evaluation reports, and it is >= 0 (0 for a perfect image)."""
    if kind == "l1":
        return F.l1_loss(pred, target)
    if kind == "mse":
        return F.mse_loss(pred, target)
    per_image = (pred - target).pow(2).flatten(1).mean(dim=1)  # (B,)
    return torch.log10(1.0 + per_image / PSNR_LOSS_EPS).mean()


def check_choice(value: str, choices: tuple[str, ...], what: str) -> None:
    """One-line UserError naming the valid choices when ``value`` is not one of them."""
    if value not in choices:
        raise UserError(f"unknown {what} '{value}'; choose one of: {', '.join(choices)}")

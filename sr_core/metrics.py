"""Image-quality metrics for super-resolution: PSNR, SSIM and LR-consistency PSNR.

Conventions (every function here follows them):

* Images are float tensors with values in [0, 1], laid out NCHW as ``(B, 1, H, W)``.
  ``(B, H, W)`` is accepted too and treated as a batch of single-channel images
  (a channel axis is added). Nothing is clamped: a metric scores what the model produced.
* Every metric is computed PER IMAGE, in float64 (SSIM's convolutions in float32, see
  :func:`ssim`), with data range 1 and no border crop,
  and returns a ``(B,)`` float64 tensor. A set-level number is the plain mean of the
  per-image values (see :func:`summarize`), never a metric of the concatenated set, so
  one bad image cannot be diluted by pooling its pixels with the others'.
* PSNR of two identical images is ``+inf`` (zero MSE); it is not capped.
* SSIM is torchmetrics' implementation: a Gaussian window with sigma=1.5 (torchmetrics
  derives the 11x11 size from sigma), K1=0.01, K2=0.03. The images are reflect-padded by
  5 px so the SSIM map has the full H x W size, and the map is averaged over all pixels.
  Images need H, W >= 6 for that padding.

Pure functions only; nothing runs at import time.
"""
from __future__ import annotations

import math
from typing import Any, Callable

import torch
from torch import Tensor
from torchmetrics.functional.image import structural_similarity_index_measure

PROTOCOL: str = (
    "PSNR and SSIM are computed per image on the 28×28 HR test images, data range 1, "
    "no border crop, then averaged over the set; SSIM uses torchmetrics' 11×11 Gaussian window "
    "(σ=1.5, K1=0.01, K2=0.03, reflect padding, mean over all pixels); LR-PSNR is the PSNR "
    "between the SR image downscaled with the same degradation that made the LR input and "
    "the 14×14 LR input itself."
)

# SSIM hyper-parameters, kept in one place so PROTOCOL and the call cannot drift apart.
SSIM_SIGMA: float = 1.5
SSIM_KERNEL: int = 11
# torchmetrics reflect-pads by (kernel-1)/2 = 5 px; reflection needs the pad < image size.
_SSIM_MIN_SIZE: int = SSIM_KERNEL // 2 + 1


def _as_nchw(x: Tensor, name: str) -> Tensor:
    """(B, H, W) or (B, C, H, W) -> (B, C, H, W) float64; anything else is a ValueError."""
    if not isinstance(x, Tensor):
        raise ValueError(f"{name} must be a torch.Tensor, got {type(x).__name__}")
    if x.ndim == 3:
        x = x.unsqueeze(1)  # (B, H, W) -> (B, 1, H, W)
    elif x.ndim != 4:
        raise ValueError(f"{name} must have shape (B, 1, H, W) or (B, H, W), got {tuple(x.shape)}")
    # float64 so that tiny errors (e.g. near-perfect reconstructions) are not lost to rounding.
    return x.to(torch.float64)


def _pair(pred: Tensor, target: Tensor) -> tuple[Tensor, Tensor]:
    """Normalise both images to (B, C, H, W) float64 and check they match."""
    p = _as_nchw(pred, "pred")
    t = _as_nchw(target, "target")
    if p.shape != t.shape:
        # Name the shapes as the caller passed them, which is what they can go and fix.
        raise ValueError(
            f"pred and target shapes differ: pred {tuple(pred.shape)} vs target {tuple(target.shape)}"
        )
    return p, t


def mse(pred: Tensor, target: Tensor) -> Tensor:
    """Per-image mean squared error.

    pred, target: (B, 1, H, W) or (B, H, W), values in [0, 1].
    Returns (B,) float64, >= 0.
    """
    p, t = _pair(pred, target)  # (B, C, H, W)
    return (p - t).pow(2).flatten(1).mean(dim=1)  # (B,)


def psnr(pred: Tensor, target: Tensor, data_range: float = 1.0) -> Tensor:
    """Per-image peak signal-to-noise ratio in dB.

    pred, target: (B, 1, H, W) or (B, H, W), values in [0, data_range].
    Returns (B,) float64; ``+inf`` where an image is reproduced exactly.
    """
    err = mse(pred, target)  # (B,)
    # 10*log10(R^2 / 0) -> +inf by IEEE division; no epsilon, so "perfect" stays visible.
    return 10.0 * torch.log10((data_range**2) / err)


def ssim(pred: Tensor, target: Tensor, data_range: float = 1.0) -> Tensor:
    """Per-image structural similarity (torchmetrics, Gaussian window sigma=1.5, 11x11).

    pred, target: (B, 1, H, W) or (B, H, W), values in [0, data_range]; H, W >= 6.
    Returns (B,) float64 in [-1, 1]; identical images give 1.
    """
    p, t = _pair(pred, target)  # (B, C, H, W)
    h, w = p.shape[-2:]
    if min(h, w) < _SSIM_MIN_SIZE:
        raise ValueError(
            f"ssim needs images of at least {_SSIM_MIN_SIZE}x{_SSIM_MIN_SIZE} pixels, got {h}x{w}"
        )
    # data_range is passed as a float (not a tuple) so torchmetrics does not clamp the inputs;
    # reduction='none' keeps one value per image, which we average ourselves.
    # SSIM runs in float32: torch's float64 conv2d on CPU is many times slower, and SSIM's windowed
    # means of [0, 1] images lose nothing a reported digit shows in float32 (tests/core/test_metrics.py pins
    # known values); the result is returned as float64 like every other metric.
    out = structural_similarity_index_measure(
        p.float(),
        t.float(),
        gaussian_kernel=True,
        sigma=SSIM_SIGMA,
        kernel_size=SSIM_KERNEL,
        reduction="none",
        data_range=float(data_range),
    )
    return out.reshape(-1).to(torch.float64)  # (B,)


def lr_psnr(sr: Tensor, lr: Tensor, degrade: Callable[[Tensor], Tensor]) -> Tensor:
    """LR-consistency PSNR: how well the SR image, degraded again, matches its LR input.

    sr: (B, 1, 28, 28) in [0, 1]; lr: (B, 1, 14, 14) in [0, 1];
    degrade: the degradation that made ``lr``, (B, 1, 28, 28) -> (B, 1, 14, 14).
    ``degrade`` receives a float64 tensor so that an exactly consistent SR image (e.g. a
    nearest-neighbour upsample under box averaging) scores +inf instead of ~140 dB of
    float32 rounding noise. Returns (B,) float64 in dB.
    """
    sr64 = _as_nchw(sr, "sr")  # (B, 1, 28, 28)
    return psnr(degrade(sr64), lr)  # (B,)


def mean_finite(x: Tensor) -> float:
    """Mean of the finite entries of ``x`` (drops +/-inf and NaN); NaN if none are finite.

    Useful for PSNR sets containing perfect reconstructions (+inf), where the plain mean
    is +inf. Report which one you used: it is not the protocol's plain mean.
    """
    x = x.detach().to(torch.float64).reshape(-1)
    keep = torch.isfinite(x)
    if not bool(keep.any()):
        return math.nan
    return float(x[keep].mean())


def summarize(values: dict[str, Tensor], finite_only: bool = False) -> dict[str, float]:
    """Set-level numbers: the mean of each per-image metric.

    values: name -> (B,) per-image values (e.g. {"psnr": psnr(...), "ssim": ssim(...)}).
    Returns name -> Python float. With ``finite_only`` the mean skips +/-inf and NaN
    (see :func:`mean_finite`); by default it is the plain mean, as in :data:`PROTOCOL`.
    """
    out: dict[str, float] = {}
    for name, v in values.items():
        v = torch.as_tensor(v).detach().to(torch.float64).reshape(-1)  # numpy arrays too
        out[name] = mean_finite(v) if finite_only else float(v.mean())
    return out



"""LR-consistent projection: make any SR image downsample exactly to its LR input.

For the box degradation (2x2 average) the set of HR images consistent with an LR image ``y`` is
the affine subspace {x : box(x) = y}. Its orthogonal (Euclidean) projection is *back-projection*
with a nearest upsampler, because box averaging's adjoint spreads each LR value evenly over its
2x2 block::

    project(sr, y) = sr + nearest_up(y - box(sr))          (exact: box(project(sr, y)) == y)

It changes each 2x2 block by a constant, so it keeps all the detail a model invented inside the
block (the high frequencies) and only corrects each block's mean (the LR content).

A projected image can leave [0, 1] (a bright block pushed brighter), and clamping it afterwards
breaks the consistency again. :func:`project` with ``clamp=True`` solves the bounded problem
instead: the Euclidean projection onto {x in [0, 1]^(2x2) : mean(x) = y} per block, which is
``clip(sr + t, 0, 1)`` for the per-block shift ``t`` that makes the block mean equal ``y`` (found by
bisection; the mean is monotone in t). For ``y`` in [0, 1] that shift always exists.

Conventions: images are float (B, C, H, W); ``lr`` is (B, C, H/s, W/s). Pure functions.
"""
from __future__ import annotations

import torch
from torch import Tensor

from .data import box_down, nearest_up  # the one owner of box/nearest resampling

__all__ = ["box_down", "nearest_up", "project", "lr_error"]


def _check(sr: Tensor, lr: Tensor, scale: int) -> None:
    if sr.ndim != 4 or lr.ndim != 4:
        raise ValueError(f"sr and lr must be (B, C, H, W); got {tuple(sr.shape)} and {tuple(lr.shape)}")
    if sr.shape[:2] != lr.shape[:2] or sr.shape[-2] != lr.shape[-2] * scale or sr.shape[-1] != lr.shape[-1] * scale:
        raise ValueError(f"sr {tuple(sr.shape)} is not {scale}x the size of lr {tuple(lr.shape)}")


def project(sr: Tensor, lr: Tensor, *, scale: int = 2, clamp: bool = False, iters: int = 40) -> Tensor:
    """Back-project ``sr`` onto the images whose ``scale`` x ``scale`` box average is ``lr``.

    sr: (B, C, H, W); lr: (B, C, H/scale, W/scale), same dtype family.
    ``clamp=False``: ``sr + nearest_up(lr - box_down(sr))``, exact in real arithmetic (float32
    rounding leaves < 1e-6). ``clamp=True``: the result also stays in [0, 1] (needs lr in [0, 1]);
    the block means then match ``lr`` to ~1e-7 after ``iters`` bisection steps (float64 inside).
    Returns a tensor shaped and typed like ``sr``.
    """
    _check(sr, lr, scale)
    if not clamp:
        return sr + nearest_up(lr.to(sr.dtype) - box_down(sr, scale), scale)
    x = sr.to(torch.float64)
    y = lr.to(torch.float64).clamp(0.0, 1.0)
    # The shift t that makes mean(clip(x + t)) == y lies in [-max, 1 - min] of each block, so
    # [-3, 3] brackets it for x in [-1, 2]; wider inputs are clamped into that range first (any
    # pixel below -1 or above 2 ends clipped at 0 or 1 either way unless the shift exceeds 1).
    x = x.clamp(-1.0, 2.0)
    b, c, h, w = y.shape
    # Each block's pixels on the last axis, (B, C, h, w, s*s): a per-block shift is then a broadcast add
    # and the block mean a contiguous mean, with no upsampled copy per bisection step.
    xb = x.reshape(b, c, h, scale, w, scale).permute(0, 1, 2, 4, 3, 5).reshape(b, c, h, w, scale * scale)
    lo = torch.full_like(y, -3.0)
    hi = torch.full_like(y, 3.0)
    for _ in range(iters):
        mid = 0.5 * (lo + hi)
        m = (xb + mid[..., None]).clamp_(0.0, 1.0).mean(dim=-1)  # (B, C, h, w)
        too_low = m < y
        lo = torch.where(too_low, mid, lo)
        hi = torch.where(too_low, hi, mid)
    # 40 halvings of a width-6 bracket leave the shift, and so the block mean, within ~6e-12.
    out = (x + nearest_up(0.5 * (lo + hi), scale)).clamp(0.0, 1.0)
    return out.to(sr.dtype)


def lr_error(sr: Tensor, lr: Tensor, scale: int = 2) -> Tensor:
    """Largest |box_down(sr) - lr| per image. (B,) in the input dtype; 0 for a consistent image."""
    _check(sr, lr, scale)
    return (box_down(sr, scale) - lr.to(sr.dtype)).abs().flatten(1).amax(dim=1)

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
``clip(sr + t, 0, 1)`` for the per-block shift ``t`` that makes the block mean equal ``y``. For ``y`` in
[0, 1] that shift exists, and it is found exactly: the block mean is a non-decreasing piecewise-linear function
of t whose kinks are where a pixel reaches 0 or 1 (t = -x_i, 1 - x_i), so it is evaluated at those 2 s^2
kinks and interpolated linearly on the segment that contains ``y`` (3-5x faster than a 40-step
bisection over the blocks on a 1024² image, and exact instead of within ~1e-11).

Conventions: images are float (B, C, H, W); ``lr`` is (B, C, H/s, W/s). Pure functions.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

from sr_core.degrade import box_down, nearest_up  # the one owner of box/nearest resampling

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
    the block means then match ``lr`` to float64 round-off before the cast back (``iters`` is
    ignored: kept for callers of the former bisection).
    Returns a tensor shaped and typed like ``sr``.
    """
    _check(sr, lr, scale)
    if not clamp:
        return sr + nearest_up(lr.to(sr.dtype) - box_down(sr, scale), scale)
    b, c, h, w = lr.shape
    n = scale * scale
    # Any pixel below -1 or above 2 ends clipped at 0 or 1 either way unless the shift exceeds 1, as before.
    x = sr.to(torch.float64).clamp(-1.0, 2.0)
    y = lr.to(torch.float64).clamp(0.0, 1.0).unsqueeze(2)  # (B, C, 1, h, w)
    a = F.pixel_unshuffle(x, scale).reshape(b, c, n, h, w)  # (B, C, n, h, w): each block's n pixels
    kinks = torch.cat([-a, 1.0 - a], dim=2).sort(dim=2).values  # (B, C, 2n, h, w), ascending
    # Block mean at every kink: f_k = mean_i clip(a_i + t_k, 0, 1), non-decreasing in k.
    f = (a.unsqueeze(2) + kinks.unsqueeze(3)).clamp(0.0, 1.0).mean(dim=3)  # (B, C, 2n, h, w)
    k = (f < y).sum(dim=2, keepdim=True)  # first kink with f >= y (f ends at 1 >= y)
    lo, hi = (k - 1).clamp(min=0), k.clamp(max=2 * n - 1)
    t_lo, t_hi = kinks.gather(2, lo), kinks.gather(2, hi)
    f_lo, f_hi = f.gather(2, lo), f.gather(2, hi)
    den = f_hi - f_lo
    # Linear between the two kinks; den == 0 only when y is at or below the first kink's mean (y = 0).
    t = torch.where(den > 0, t_lo + (y - f_lo) * (t_hi - t_lo) / den.clamp(min=1e-300), t_hi)  # (B, C, 1, h, w)
    out = (x + nearest_up(t[:, :, 0], scale)).clamp(0.0, 1.0)
    return out.to(sr.dtype)


def lr_error(sr: Tensor, lr: Tensor, scale: int = 2) -> Tensor:
    """Largest |box_down(sr) - lr| per image. (B,) in the input dtype; 0 for a consistent image."""
    _check(sr, lr, scale)
    return (box_down(sr, scale) - lr.to(sr.dtype)).abs().flatten(1).amax(dim=1)

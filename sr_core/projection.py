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
``clip(sr + t, 0, 1)`` for the per-block shift ``t`` that makes the block mean equal ``y`` (the mean
is monotone and piecewise linear in t, so :func:`block_shift` solves for it exactly). For ``y`` in [0, 1] that shift always exists.

Conventions: images are float (B, C, H, W); ``lr`` is (B, C, H/s, W/s). Pure functions.
"""
from __future__ import annotations

import torch
from torch import Tensor

from .data import box_down, nearest_up  # the one owner of box/nearest resampling

__all__ = ["box_down", "nearest_up", "project", "block_shift", "lr_error"]


def _check(sr: Tensor, lr: Tensor, scale: int) -> None:
    if sr.ndim != 4 or lr.ndim != 4:
        raise ValueError(f"sr and lr must be (B, C, H, W); got {tuple(sr.shape)} and {tuple(lr.shape)}")
    if sr.shape[:2] != lr.shape[:2] or sr.shape[-2] != lr.shape[-2] * scale or sr.shape[-1] != lr.shape[-1] * scale:
        raise ValueError(f"sr {tuple(sr.shape)} is not {scale}x the size of lr {tuple(lr.shape)}")


def project(sr: Tensor, lr: Tensor, *, scale: int = 2, clamp: bool = False) -> Tensor:
    """Back-project ``sr`` onto the images whose ``scale`` x ``scale`` box average is ``lr``.

    sr: (B, C, H, W); lr: (B, C, H/scale, W/scale), same dtype family.
    ``clamp=False``: ``sr + nearest_up(lr - box_down(sr))``, exact in real arithmetic (float32
    rounding leaves < 1e-6). ``clamp=True``: the result also stays in [0, 1] (needs lr in [0, 1]);
    the block means match ``lr`` to float64 rounding (:func:`block_shift`).
    Returns a tensor shaped and typed like ``sr``.
    """
    _check(sr, lr, scale)
    if not clamp:
        return sr + nearest_up(lr.to(sr.dtype) - box_down(sr, scale), scale)
    x = sr.to(torch.float64)
    y = lr.to(torch.float64).clamp(0.0, 1.0)
    # Pixels below -1 or above 2 end clipped at 0 or 1 either way unless the shift exceeds 1, and the
    # shift lies in [-max, 1 - min] of each block, so [-1, 2] inputs keep it within [-3, 3].
    x = x.clamp(-1.0, 2.0)
    b, c, h, w = y.shape
    # Each block's pixels on the last axis, (B, C, h, w, s*s): a per-block shift is then a broadcast add.
    xb = x.reshape(b, c, h, scale, w, scale).permute(0, 1, 2, 4, 3, 5).reshape(b, c, h, w, scale * scale)
    chunk = max(1, _CHUNK_BLOCKS // max(1, c * h * w))  # images per pass: bounds the (..., 2s², s²) temporary
    t = torch.cat([block_shift(xb[i:i + chunk], y[i:i + chunk]) for i in range(0, b, chunk)])  # (B, C, h, w)
    out = (x + nearest_up(t, scale)).clamp(0.0, 1.0)
    return out.to(sr.dtype)


_CHUNK_BLOCKS = 1 << 18  # blocks per block_shift pass: 2^18 x 8 x 4 float64 temporaries = 64 MiB


def block_shift(xb: Tensor, y: Tensor) -> Tensor:
    """The shift t per block with mean(clip(xb + t, 0, 1)) == y, solved exactly.

    xb: (..., n) float64 pixels of each block; y: (...) float64 targets in [0, 1]. Returns (...) float64.
    f(t) = mean(clip(xb + t, 0, 1)) is continuous, non-decreasing and linear between its 2n breakpoints
    (t = -x_i and t = 1 - x_i), so the root lies between the last breakpoint with f < y and the first
    with f >= y, where one linear interpolation finds it. Same answer as a bisection to convergence,
    in one pass instead of ~40 (see tests/test_projection.py).
    """
    bp = torch.cat([-xb, 1.0 - xb], dim=-1)  # (..., 2n) breakpoints
    f = (xb.unsqueeze(-2) + bp.unsqueeze(-1)).clamp_(0.0, 1.0).mean(dim=-1)  # (..., 2n): f at each
    below = f < y.unsqueeze(-1)
    inf = torch.tensor(float("inf"), dtype=bp.dtype, device=bp.device)
    lo = torch.where(below, bp, -inf).amax(dim=-1)  # (...): last breakpoint under y (-inf: none, y == f(min))
    hi = torch.where(below, inf, bp).amin(dim=-1)   # (...): first breakpoint at or over y (always exists)
    f_lo = torch.where(below, f, -inf).amax(dim=-1)
    f_hi = torch.where(below, inf, f).amin(dim=-1)
    has_lo = torch.isfinite(lo)
    # Linear between lo and hi (consecutive breakpoints, f_hi > f_lo there); without lo, y is f's minimum
    # and the smallest breakpoint already reaches it.
    frac = (y - f_lo) / torch.where(has_lo, f_hi - f_lo, torch.ones_like(f_hi))
    return torch.where(has_lo, lo + frac * (hi - lo), hi)


def lr_error(sr: Tensor, lr: Tensor, scale: int = 2) -> Tensor:
    """Largest |box_down(sr) - lr| per image. (B,) in the input dtype; 0 for a consistent image."""
    _check(sr, lr, scale)
    return (box_down(sr, scale) - lr.to(sr.dtype)).abs().flatten(1).amax(dim=1)

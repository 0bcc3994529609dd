"""Super-resolve images of any size with bounded memory: overlapping tiles, stitched without seams.

A fully convolutional model's output pixel depends only on the LR pixels within its receptive field.
Each tile is therefore cut from the LR image with a ``margin`` of context on every side that is at
least the receptive-field radius; the model runs on the padded tile and only the tile's own (inner)
part of the output is kept. Inside the image the result is then the untiled result (to float
round-off: different tile shapes can pick different convolution algorithms). At the image border a
tile ends where the image ends, so the model's zero padding is the same as untiled.

The radius is bounded by the model's own declaration, :meth:`sr_core.models.SRModel.receptive_margin`:
the sum of every convolution's half-width (an upper bound for any path through the network, residual
branches included) plus the reach of the interpolation its residual is added to (bicubic: 2 pixels).

Random sampling (cvae-sr at temperature > 0) draws the noise per tile from one generator, so a tiled
sample is reproducible for a seed but is a different draw than the untiled one; at temperature 0
(and for deterministic models) tiled equals untiled.
"""
from __future__ import annotations

from typing import Callable

import torch

from sr_core.degrade import SCALE

DEFAULT_TILE = 384  # LR pixels per tile side at most: ~25 MB per 32-channel float32 activation map

SRFunction = Callable[[torch.Tensor], torch.Tensor]
"""(B, 1, h, w) LR -> (B, 1, 2h, 2w) SR."""


def _spans(n: int, tile: int) -> list[tuple[int, int]]:
    """[start, end) of the fewest equal tiles of at most ``tile`` that cover 0..n (equal sizes waste the
    least margin: 512 with tile 384 is two tiles of 256, not 384 + 128)."""
    k = max(1, -(-n // tile))
    step = -(-n // k)
    return [(s, min(s + step, n)) for s in range(0, n, step)]


@torch.no_grad()
def tiled(fn: SRFunction, lr: torch.Tensor, *, tile: int = DEFAULT_TILE, margin: int = 16) -> torch.Tensor:
    """Run ``fn`` on overlapping tiles of ``lr`` and stitch the inner parts.

    lr: (B, C, h, w); ``fn`` maps (B, C, th, tw) -> (B, C', 2 th, 2 tw). ``tile``: inner tile side in LR
    pixels; ``margin``: LR pixels of context on each side (>= the receptive-field radius for an exact
    result). An image no larger than one tile runs untiled. Returns (B, C', 2h, 2w).
    """
    if tile < 1 or margin < 0:
        raise ValueError(f"tile must be >= 1 and margin >= 0, got tile={tile}, margin={margin}")
    b, _, h, w = lr.shape
    if h <= tile and w <= tile:
        return fn(lr)
    out: torch.Tensor | None = None
    for y0, y1 in _spans(h, tile):
        for x0, x1 in _spans(w, tile):
            # Padded window, clipped to the image: at a border the tile simply ends with the image.
            py0, px0 = max(0, y0 - margin), max(0, x0 - margin)
            py1, px1 = min(h, y1 + margin), min(w, x1 + margin)
            sr = fn(lr[..., py0:py1, px0:px1])  # (B, C', 2 (py1-py0), 2 (px1-px0))
            if out is None:
                out = sr.new_empty(b, sr.shape[1], SCALE * h, SCALE * w)
            iy, ix = SCALE * (y0 - py0), SCALE * (x0 - px0)
            out[..., SCALE * y0:SCALE * y1, SCALE * x0:SCALE * x1] = \
                sr[..., iy:iy + SCALE * (y1 - y0), ix:ix + SCALE * (x1 - x0)]
    assert out is not None
    return out


FIXED_TILE = 14    # LR tile side of the models with a fixed 14×14 -> 28×28 mapping (the CNN-VAEs)
FIXED_STRIDE = 7   # tiles overlap by half: every output pixel is a blend of up to 4 tiles
TILE_BATCH = 1024  # tiles per model call


def blend_window(side: int) -> torch.Tensor:
    """(side, side) separable sine window, > 0 everywhere: tile centres weigh most, edges least."""
    w = torch.sin(torch.pi * (torch.arange(side, dtype=torch.float32) + 0.5) / side)
    return w[:, None] * w[None, :]


@torch.no_grad()
def blended(fn: SRFunction, lr: torch.Tensor, *, tile: int = FIXED_TILE, stride: int = FIXED_STRIDE,
            batch: int = TILE_BATCH) -> torch.Tensor:
    """Super-resolve ``lr`` of any size with a model that only maps ``tile``×``tile`` LR to 2× that.

    lr: (B, C, h, w). Overlapping tiles every ``stride`` LR pixels (the image is edge-replicated up to a
    whole number of strides, and to at least one tile) go through ``fn`` in batches of ``batch``; the
    outputs are weighted by :func:`blend_window`, summed and normalised, so seams are blended away. One
    tile (an image of exactly ``tile``×``tile``) returns ``fn(lr)`` unchanged. Returns (B, C', 2h, 2w).
    """
    if tile < 1 or not 1 <= stride <= tile:
        raise ValueError(f"need tile >= 1 and 1 <= stride <= tile, got tile={tile}, stride={stride}")
    b, c, h, w = lr.shape
    if h == tile and w == tile:
        return fn(lr)
    cover = lambda n: tile + -(-(max(n, tile) - tile) // stride) * stride  # noqa: E731
    hp, wp = cover(h), cover(w)
    x = torch.nn.functional.pad(lr, (0, wp - w, 0, hp - h), mode="replicate") if (hp, wp) != (h, w) else lr
    cols = torch.nn.functional.unfold(x, tile, stride=stride)  # (B, C*t*t, L)
    n_tiles = cols.shape[-1]
    tiles = cols.transpose(1, 2).reshape(b * n_tiles, c, tile, tile)
    sr = torch.cat([fn(tiles[i:i + batch]) for i in range(0, tiles.shape[0], batch)])  # (B*L, C', 2t, 2t)
    t2, c2 = SCALE * tile, sr.shape[1]
    win = blend_window(t2).to(sr)
    weighted = (sr * win).reshape(b, n_tiles, c2 * t2 * t2).transpose(1, 2)
    size = (SCALE * hp, SCALE * wp)
    num = torch.nn.functional.fold(weighted, size, t2, stride=SCALE * stride)
    den = torch.nn.functional.fold(win.reshape(1, t2 * t2, 1).expand(1, t2 * t2, n_tiles), size, t2,
                                   stride=SCALE * stride)
    return (num / den)[..., :SCALE * h, :SCALE * w]

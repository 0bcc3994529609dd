"""Pixel-exact images for the browser: nearest-neighbour zoom with numpy, lossless PNG with PIL.

Streamlit re-encodes numpy arrays and may pick JPEG; it passes PNG *bytes* through untouched as long
as the image is not wider than the ``width`` it is shown at (it resizes bilinearly otherwise). So the
pages call ``st.image(png_bytes(...), width=<the PNG's width>, output_format="PNG")``.
"""
from __future__ import annotations

import io
from typing import Sequence

import numpy as np
from PIL import Image

from sr_core.imaging.io import png_from_uint8, to_uint8, zoom

#: Anchor colours of the error/std colour map (black -> purple -> orange -> yellow, like "inferno").
_CMAP_ANCHORS = np.array([[0, 0, 4], [87, 16, 110], [188, 55, 84], [249, 142, 9], [252, 255, 164]], dtype=float)


def colorize(values: np.ndarray, vmax: float) -> np.ndarray:
    """Map values in [0, vmax] to RGB uint8 (H, W, 3) with an inferno-like colour map (0 = black)."""
    t = np.clip(np.asarray(values, dtype=np.float64) / max(vmax, 1e-12), 0.0, 1.0)
    pos = t * (len(_CMAP_ANCHORS) - 1)
    lo = np.floor(pos).astype(int).clip(0, len(_CMAP_ANCHORS) - 2)
    frac = (pos - lo)[..., None]
    rgb = _CMAP_ANCHORS[lo] * (1.0 - frac) + _CMAP_ANCHORS[lo + 1] * frac
    return np.clip(np.rint(rgb), 0, 255).astype(np.uint8)


def png_bytes(img: np.ndarray, scale: int = 4) -> bytes:
    """A float grey image in [0, 1], (H, W), as a ``scale``x nearest-neighbour zoomed PNG."""
    return png_from_uint8(zoom(to_uint8(img), scale))


def heat_png(values: np.ndarray, vmax: float, scale: int = 4) -> bytes:
    """A non-negative map (error, std) as a colour PNG, ``vmax`` and above at full brightness."""
    return png_from_uint8(zoom(colorize(values, vmax), scale))


def mosaic(rows: Sequence[Sequence[np.ndarray]], size: int = 28, gap: int = 2, fill: float = 1.0) -> np.ndarray:
    """Tile grey float images into one (R*size + gaps, C*size + gaps) float image.

    Images smaller than ``size`` (e.g. 14x14 LR) are zoomed by an integer factor with nearest
    neighbour so every tile has the same on-screen size. ``fill`` is the gap colour (1 = white).
    """
    n_rows = len(rows)
    n_cols = max((len(r) for r in rows), default=0)
    out = np.full((n_rows * size + (n_rows - 1) * gap, n_cols * size + (n_cols - 1) * gap), fill, dtype=np.float64)
    for i, row in enumerate(rows):
        for j, img in enumerate(row):
            img = np.asarray(img, dtype=np.float64)
            if img.shape[0] != size:
                factor = size // img.shape[0]
                if factor * img.shape[0] != size or img.shape[0] != img.shape[1]:
                    raise ValueError(f"cannot tile a {img.shape} image into {size}x{size} cells")
                img = zoom(img, factor)
            y, x = i * (size + gap), j * (size + gap)
            out[y:y + size, x:x + size] = img
    return out


def png_size(data: bytes) -> tuple[int, int]:
    """(width, height) of encoded image bytes."""
    with Image.open(io.BytesIO(data)) as im:
        return im.size

"""Compare and Spectra on held-out photographs (:data:`sr_core.photos.PHOTO_TEST`): no Streamlit here.

* A model super-resolves the WHOLE photo, shrunk 2× with the page's degradation, exactly as
  ``eval CKPT --dataset photos`` does (:func:`sr_core.imaging.photo_metrics.benchmark`: ``upscale`` in truth
  mode, tiled; the CNN-VAEs in overlapping 14×14 LR tiles), and is scored on the whole image under
  :data:`sr_core.imaging.photo_metrics.PROTOCOL_Y` against bicubic from the same LR.
* A crop box (HR pixels; even corner and side, so it maps onto whole LR pixels) picks the region shown
  pixel-exact (nearest-neighbour zoom of 8-bit PNGs) and the region whose spectra Spectra draws.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any, Mapping

import numpy as np
import torch

from sr_core.imaging.io import png_from_uint8, rgb_to_ycbcr, to_uint8, zoom
from sr_core.imaging.photo_metrics import PROTOCOL_Y, score
from sr_core.imaging.upscale import upscale
from sr_core.photos import PHOTO_TEST, skimage_photo

PHOTOS = PHOTO_TEST
BOX_SIZES = (32, 48, 64, 96, 128)  # crop side in HR pixels
DEFAULT_BOX = 64
CELL_PX = 192                      # a crop cell shows about this many pixels a side (3 a row at 1280 px)
BOX_RGB = (255, 40, 40)            # the crop box drawn on the full image
NOT_FOR_PHOTOS = (
    "Not on photos: the 28×28 sample grid's full-VAE reconstruction, error map, LR-consistent projection and "
    "diversity view, the class-conditioned decoder (it needs a class label; photos have none), the choice of "
    "test images by class or rank, and set-level scoring over the 10,000 test images: here each held-out photo "
    "is scored whole, one image at a time. A model trained on 28×28 Fashion-MNIST still runs on a photo (tile "
    "by tile), but it has never seen one.")


@functools.lru_cache(maxsize=len(PHOTOS))
def load_photo(name: str) -> np.ndarray:
    """One held-out photo, float (H, W[, 3]) in [0, 1] (scikit-image's bundled copy, offline)."""
    if name not in PHOTOS:
        raise ValueError(f"'{name}' is not a held-out photo; choose one of: {', '.join(PHOTOS)}")
    return skimage_photo(name)


@dataclass
class PhotoSR:
    """One model on one whole photo: images float32 in [0, 1] ((H, W) grey or (H, W, 3) RGB)."""

    name: str
    truth: np.ndarray                   # the HR photo scored against (even size)
    lr: np.ndarray                      # (H/2, W/2[, 3]) the model's input
    bicubic: np.ndarray
    sr: np.ndarray
    scores: dict[str, dict[str, float]]  # {"sr": {psnr, ssim}, "bicubic": {psnr, ssim}} under PROTOCOL_Y
    notes: list[str]


@torch.no_grad()
def photo_sr(model: Any, name: str, degradation: str = "box") -> PhotoSR:
    """``model`` on the whole held-out photo ``name`` (seed 0, the model's default temperature), scored as
    :func:`sr_core.imaging.photo_metrics.benchmark` scores it."""
    r = upscale(model, load_photo(name), mode="truth", degradation=degradation)
    return PhotoSR(name, r.truth, r.lr, r.bicubic, r.sr, {"sr": score(r.sr, r.truth), "bicubic": score(r.bicubic, r.truth)},
                   list(r.notes))


def clamp_box(x: int, y: int, size: int, height: int, width: int) -> tuple[int, int, int]:
    """(x, y, side) of a crop box inside a ``height`` × ``width`` image: even values (whole LR pixels),
    side at most the image's short side, the corner moved back inside."""
    side = max(2, min(int(size), height - height % 2, width - width % 2))
    side -= side % 2
    x = min(max(0, int(x)), width - side)
    y = min(max(0, int(y)), height - side)
    return x - x % 2, y - y % 2, side


def centre_box(height: int, width: int, size: int = DEFAULT_BOX) -> tuple[int, int, int]:
    """A box of side ``size`` in the middle of the image (clamped as :func:`clamp_box`)."""
    return clamp_box((width - size) // 2, (height - size) // 2, size, height, width)


def crop(img: np.ndarray, x: int, y: int, side: int, *, lr: bool = False) -> np.ndarray:
    """The box's region of an HR-size image, or of the LR image (``lr``: half the corner and side)."""
    if lr:
        x, y, side = x // 2, y // 2, side // 2
    return img[y:y + side, x:x + side]


def zoom_factor(side: int, target: int = CELL_PX) -> int:
    """Integer nearest-neighbour zoom that shows ``side`` pixels at about ``target`` (at least 1)."""
    return max(1, int(target) // max(1, int(side)))


def crop_png(img: np.ndarray, x: int, y: int, side: int, *, lr: bool = False) -> tuple[bytes, int]:
    """Pixel-exact PNG of the box's region (8-bit, nearest zoom to about :data:`CELL_PX`) and its zoom."""
    region = crop(img, x, y, side, lr=lr)
    factor = zoom_factor(region.shape[0])
    return png_from_uint8(zoom(to_uint8(region), factor)), factor


def overview_png(img: np.ndarray, x: int, y: int, side: int, width: int = 3) -> bytes:
    """The whole image (8-bit) with the crop box outlined in :data:`BOX_RGB` (grey images become RGB)."""
    a = to_uint8(img)
    a = np.repeat(a[..., None], 3, axis=2) if a.ndim == 2 else a.copy()
    h, w = a.shape[:2]
    x0, y0 = max(0, x - width), max(0, y - width)
    x1, y1 = min(w, x + side + width), min(h, y + side + width)
    colour = np.array(BOX_RGB, dtype=np.uint8)
    a[y0:y1, x0:x0 + width] = colour
    a[y0:y1, x1 - width:x1] = colour
    a[y0:y0 + width, x0:x1] = colour
    a[y1 - width:y1, x0:x1] = colour
    return png_from_uint8(a)


def fmt(v: float, digits: int) -> str:
    return "∞" if v == float("inf") else ("–" if v != v else f"{v:.{digits}f}")


def metrics_rows(results: Mapping[str, PhotoSR], trained: Mapping[str, str] | None = None) -> list[dict[str, str]]:
    """Table rows: bicubic (from the first result; it does not depend on the model), then each model's SR:
    PSNR/SSIM on Y under :data:`PROTOCOL_Y` and the gain over bicubic, whole image."""
    if not results:
        return []
    first = next(iter(results.values()))
    bic = first.scores["bicubic"]
    rows = [{"Method": "bicubic", "PSNR (dB)": fmt(bic["psnr"], 2), "SSIM": fmt(bic["ssim"], 4), "Gain (dB)": "0.00",
             "Trained on": "–"}]
    for label, r in results.items():
        s = r.scores["sr"]
        rows.append({"Method": f"SR · {label}", "PSNR (dB)": fmt(s["psnr"], 2), "SSIM": fmt(s["ssim"], 4),
                     "Gain (dB)": fmt(s["psnr"] - r.scores["bicubic"]["psnr"], 2),
                     "Trained on": (trained or {}).get(label, "?").removeprefix("trained on: ")})
    return rows


def protocol_caption(name: str, degradation: str, size: tuple[int, int]) -> str:
    """What the numbers are: whole photo, protocol, degradation, seed."""
    return (f"Whole photo '{name}' ({size[0]}×{size[1]}), scored under the photo protocol — {PROTOCOL_Y} "
            f"Degradation: {degradation}. Stochastic models: the sample of seed 0 at their default temperature.")


def y_plane(img: np.ndarray) -> torch.Tensor:
    """(H, W) grey or (H, W, 3) RGB in [0, 1] -> (1, 1, H, W) float64 luminance (BT.601 full range, the Y
    the models super-resolve)."""
    y = rgb_to_ycbcr(img)[..., 0] if img.ndim == 3 else img
    return torch.from_numpy(np.ascontiguousarray(y, dtype=np.float64))[None, None]


def crop_spectra_images(result: PhotoSR, x: int, y: int, side: int) -> dict[str, torch.Tensor]:
    """The box's HR, LR, bicubic and SR regions as (1, 1, h, w) Y planes: the input of
    :func:`ui.spectra.spectra_summary` (LR Nyquist of the crop: ``side / 4`` cycles per crop)."""
    return {"hr": y_plane(crop(result.truth, x, y, side)), "lr": y_plane(crop(result.lr, x, y, side, lr=True)),
            "sr": y_plane(crop(result.sr, x, y, side)), "bicubic": y_plane(crop(result.bicubic, x, y, side))}

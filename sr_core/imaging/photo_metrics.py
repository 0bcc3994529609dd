"""The field's benchmark protocol for photographs (BasicSR's ``calculate_psnr`` / ``calculate_ssim`` with
``test_y_channel=True`` and ``crop_border=scale``), and whole-image benchmarks of a model against bicubic.

* Images are scored as saved 8-bit images (rounded to 0..255).
* Y channel: BasicSR's ``rgb2ycbcr`` (ITU-R BT.601 *studio* range, 16..235: Y = 16 + 65.481 R +
  128.553 G + 24.966 B with R, G, B in [0, 1]); grey images as R = G = B (BasicSR reads every file as
  colour), so their Y is 16 + 219·v.
* ``crop_border = scale`` pixels shaved from every edge before scoring.
* PSNR = 10 log10(255² / MSE) over the whole cropped image (∞ when identical).
* SSIM: 11×11 Gaussian window, σ = 1.5, C1 = (0.01·255)², C2 = (0.03·255)², averaged over the *valid*
  window positions only (no padding), as BasicSR's ``_ssim``.
* Baseline: bicubic from the same LR image (Y and chroma upscaled bicubically, as the SR image's chroma).
"""
from __future__ import annotations

import math
from typing import Any, Iterable

import numpy as np
import torch
import torch.nn.functional as F

from sr_core.degrade import SCALE
from sr_core.imaging.upscale import upscale

PROTOCOL_Y = ("PSNR/SSIM on Y (BasicSR protocol: 8-bit images; Y = BT.601 studio range 16–235, grey images as "
              "R = G = B; crop_border = 2 pixels shaved from each edge; PSNR over the whole image, "
              "∞ when identical; SSIM: 11×11 Gaussian σ 1.5, valid windows only); whole images, HR shrunk 2× "
              "with the run's degradation; SR vs bicubic from the same LR.")


def y_channel(img: np.ndarray) -> np.ndarray:
    """(H, W) grey or (H, W, 3) RGB, uint8 or float in [0, 1] -> (H, W) float64 Y on the 0..255 scale,
    after rounding to 8 bits (BasicSR ``to_y_channel``)."""
    a = np.asarray(img)
    a8 = a.astype(np.float64) if a.dtype == np.uint8 else np.clip(np.rint(a.astype(np.float64) * 255.0), 0, 255)
    if a8.ndim == 3 and a8.shape[2] == 3:
        return 16.0 + (a8 / 255.0) @ np.array([65.481, 128.553, 24.966])
    grey = a8[..., 0] if a8.ndim == 3 else a8
    return 16.0 + (grey / 255.0) * (65.481 + 128.553 + 24.966)


def shave(img: np.ndarray, border: int) -> np.ndarray:
    """``border`` pixels off every edge (BasicSR ``crop_border``)."""
    return img[border:-border, border:-border] if border else img


def psnr_y(sr: np.ndarray, hr: np.ndarray, border: int = SCALE) -> float:
    """PSNR in dB on Y, border shaved, peak 255 (inf when identical)."""
    a, b = shave(y_channel(sr), border), shave(y_channel(hr), border)
    if a.shape != b.shape:
        raise ValueError(f"image shapes differ: {a.shape} vs {b.shape}")
    mse = float(np.mean((a - b) ** 2))
    return math.inf if mse == 0 else 10.0 * math.log10(255.0 ** 2 / mse)


def gaussian_window(size: int = 11, sigma: float = 1.5) -> torch.Tensor:
    """(size, size) float64 Gaussian, sums to 1 (OpenCV ``getGaussianKernel`` outer product)."""
    x = torch.arange(size, dtype=torch.float64) - (size - 1) / 2
    g = torch.exp(-x ** 2 / (2 * sigma ** 2))
    g = g / g.sum()
    return g[:, None] * g[None, :]


def ssim_y(sr: np.ndarray, hr: np.ndarray, border: int = SCALE) -> float:
    """SSIM on Y, border shaved, mean over valid 11×11 windows (nan when the image is smaller than one)."""
    a = torch.from_numpy(shave(y_channel(sr), border))[None, None]
    b = torch.from_numpy(shave(y_channel(hr), border))[None, None]
    if a.shape != b.shape:
        raise ValueError(f"image shapes differ: {tuple(a.shape)} vs {tuple(b.shape)}")
    if min(a.shape[-2:]) < 11:
        return math.nan
    w = gaussian_window()[None, None]
    c1, c2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2
    mu1, mu2 = F.conv2d(a, w), F.conv2d(b, w)  # valid positions only
    s11 = F.conv2d(a * a, w) - mu1 ** 2
    s22 = F.conv2d(b * b, w) - mu2 ** 2
    s12 = F.conv2d(a * b, w) - mu1 * mu2
    ssim_map = ((2 * mu1 * mu2 + c1) * (2 * s12 + c2)) / ((mu1 ** 2 + mu2 ** 2 + c1) * (s11 + s22 + c2))
    return float(ssim_map.mean())


def score(sr: np.ndarray, hr: np.ndarray, border: int = SCALE) -> dict[str, float]:
    """{"psnr", "ssim"} of ``sr`` against ``hr`` under :data:`PROTOCOL_Y`."""
    return {"psnr": psnr_y(sr, hr, border), "ssim": ssim_y(sr, hr, border)}


def benchmark(model: Any, images: Iterable[tuple[str, np.ndarray]], *, degradation: str = "box",
              temperature: float | None = None) -> dict[str, Any]:
    """Score ``model`` and bicubic on whole HR images (name, float (H, W[, 3]) in [0, 1]) in ``truth`` mode.

    Returns {"protocol", "degradation", "n_images", "per_image": [{name, size, sr: {psnr, ssim},
    bicubic: {...}, gain_db}], "mean": {sr: {...}, bicubic: {...}, gain_db}} (means over images; an image
    scored ∞ counts as ∞).
    """
    rows = []
    for name, hr in images:
        r = upscale(model, hr, mode="truth", degradation=degradation, temperature=temperature)
        sr_s, bic_s = score(r.sr, r.truth), score(r.bicubic, r.truth)
        rows.append({"name": name, "size": [int(r.truth.shape[1]), int(r.truth.shape[0])], "sr": sr_s,
                     "bicubic": bic_s, "gain_db": sr_s["psnr"] - bic_s["psnr"]})
    mean = lambda k, m: float(np.mean([r[k][m] for r in rows])) if rows else math.nan  # noqa: E731
    means = {k: {m: mean(k, m) for m in ("psnr", "ssim")} for k in ("sr", "bicubic")}
    means["gain_db"] = means["sr"]["psnr"] - means["bicubic"]["psnr"]
    return {"protocol": PROTOCOL_Y, "degradation": degradation, "n_images": len(rows), "per_image": rows,
            "mean": means}

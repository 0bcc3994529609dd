"""Your image through one model, beside bicubic: the try-it pipeline behind ``demo.py``.

Two modes (:data:`MODES`): ``lr`` treats the image as the low-resolution input and makes it 2x larger;
``truth`` treats it as the high-resolution truth, shrinks it 2x with a named degradation
(:mod:`sr_core.degrade`), super-resolves that and scores the result against the image.

* Colour: SR runs on luminance (Y of YCbCr, :mod:`sr_core.imaging.io`); Cb and Cr are upscaled bicubically
  and merged back — the field's standard practice (:data:`Y_NOTE`).
* Fully convolutional models (resnet-sr, cvae-sr) run at the image's own size, in overlapping tiles
  (:mod:`sr_core.imaging.tiling`) so memory stays bounded. Models with a fixed 14×14 -> 28×28 mapping (the CNN-VAEs)
  super-resolve the whole image too, in overlapping 14×14 LR tiles blended together
  (:func:`sr_core.imaging.tiling.blended`); a note says so. (:func:`fit_square` remains for 28×28 sketches.)
* Stochastic models give ``samples`` SR images (seeds ``seed .. seed+n-1``) and their per-pixel std.
* Metrics (truth mode) follow :data:`PROTOCOL`: per image, on Y, data range 1, no border crop.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from sr_core.baselines import upsample
from sr_core.degrade import get_degradation
from sr_core.errors import UserError
from sr_core.imaging.io import DecodedImage, rgb_to_ycbcr, ycbcr_to_rgb
from sr_core.metrics import lr_psnr, psnr, ssim
from sr_core.spectra import frequency_radius, power_spectrum
from sr_core.imaging.tiling import DEFAULT_TILE, FIXED_STRIDE, FIXED_TILE, blended, tiled

MODES = ("lr", "truth")
FIXED_LR_SIDE = 14   # LR side of the models with a fixed 28×28 output
MAX_SAMPLES = 8
Y_NOTE = ("Colour images: super-resolution runs on the luminance (Y of YCbCr, BT.601); the colour channels "
          "(Cb, Cr) are upscaled bicubically and merged back — the field's standard practice.")
PROTOCOL = ("PSNR/SSIM of the SR image against your image (the truth), on the luminance (Y) channel, per image, "
            "data range 1, no border crop; SSIM: 11×11 Gaussian window, σ = 1.5; LR-PSNR: the SR image shrunk "
            "with the same degradation vs the LR input (∞ = exactly consistent).")

def sr_call(model: Any, lr: torch.Tensor, *, temperature: float | None = None,
            generator: torch.Generator | None = None) -> torch.Tensor:
    """The one call of the model's SR entry point: (B,1,h,w) LR in [0,1] -> (B,1,2h,2w) SR in [0,1].
    ``temperature`` goes through the model's own policy (:meth:`SRModel.clamp_temperature`)."""
    kw = {"temperature": model.clamp_temperature(temperature)} if model.takes_temperature else {}
    return model.super_resolve(lr, generator=generator, **kw).clamp(0.0, 1.0)


def fit_square(pixels: np.ndarray, side: int) -> np.ndarray:
    """Pad (H, W[, 3]) to a centred square with black, then resize to ``side`` (antialiased bicubic)."""
    h, w = pixels.shape[:2]
    n = max(h, w)
    pad = [((n - h) // 2, n - h - (n - h) // 2), ((n - w) // 2, n - w - (n - w) // 2)] + [(0, 0)] * (pixels.ndim - 2)
    sq = torch.from_numpy(np.pad(pixels, pad).astype(np.float32))
    planes = sq.permute(2, 0, 1).unsqueeze(1) if sq.ndim == 3 else sq[None, None]  # (C, 1, n, n)
    out = F.interpolate(planes, size=(side, side), mode="bicubic", align_corners=False, antialias=n > side)
    out = out.clamp(0.0, 1.0)[:, 0]  # (C, side, side)
    return (out.permute(1, 2, 0) if pixels.ndim == 3 else out[0]).numpy()


@dataclass
class UpscaleResult:
    """Images are float32 numpy in [0, 1], (H, W) grey or (H, W, 3) RGB; SR-size ones are 2x the LR."""

    lr: np.ndarray                      # what the model was given
    bicubic: np.ndarray
    sr: np.ndarray                      # the first sample
    samples: list[np.ndarray]           # all samples (one for deterministic models)
    std: np.ndarray | None              # (H, W) per-pixel std of the samples' Y, stochastic models
    truth: np.ndarray | None            # truth mode: the image scored against
    metrics: dict[str, dict[str, float]]  # truth mode: {"sr": {psnr, ssim, lr_psnr}, "bicubic": {...}}
    spectra: dict[str, tuple[np.ndarray, np.ndarray]]  # name -> (radii, power), cycles per image
    nyquist: float                      # LR Nyquist radius, cycles per image
    notes: list[str] = field(default_factory=list)
    tiled: bool = False
    fitted: bool = False


def radial_power(img: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Radially averaged power of (H, W), DFT normalised by H·W so different sizes compare.

    Integer-radius bins (cycles per image), as :func:`sr_core.spectra.radial_profile`, via bincount
    so 2048×2048 images stay cheap. Returns (radii (R,), power (R,))."""
    t = torch.from_numpy(np.asarray(img, dtype=np.float64))
    h, w = t.shape
    p = (power_spectrum(t) / float(h * w) ** 2).reshape(-1)  # (H*W,)
    bins = torch.floor(frequency_radius(h, w) + 1e-9).to(torch.long).reshape(-1)
    sums = torch.bincount(bins, weights=p)
    counts = torch.bincount(bins).clamp(min=1)
    return np.arange(len(sums), dtype=np.float64), (sums / counts).numpy()


def _planes(img: np.ndarray) -> torch.Tensor:
    """(H, W) -> (1, 1, H, W); (H, W, 3) -> (3, 1, H, W): channels as a batch of grey images."""
    t = torch.from_numpy(np.ascontiguousarray(img, dtype=np.float32))
    return t[None, None] if t.ndim == 2 else t.permute(2, 0, 1).unsqueeze(1)


def _image(planes: torch.Tensor) -> np.ndarray:
    """Inverse of :func:`_planes`."""
    return planes[0, 0].numpy() if planes.shape[0] == 1 else planes[:, 0].permute(1, 2, 0).contiguous().numpy()


def _prepare(pixels: np.ndarray, mode: str, degradation: str, fully_conv: bool,
             notes: list[str]) -> tuple[np.ndarray, np.ndarray | None]:
    """The LR image the model gets and, in truth mode, the truth it is scored against."""
    if mode not in MODES:
        raise UserError(f"unknown mode '{mode}'; choose one of: {', '.join(MODES)}")
    if mode == "lr":
        return pixels, None
    h, w = pixels.shape[:2]
    if h < 2 or w < 2:
        raise UserError(f"the image is {w}×{h} pixels; 'truth' mode needs at least 2×2 to shrink it — "
                        f"use the 'low-resolution input' mode")
    truth = pixels[: h - h % 2, : w - w % 2]
    if h % 2 or w % 2:
        notes.append(f"odd size: the last row/column was dropped to halve it ({truth.shape[1]}×{truth.shape[0]})")
    lr = get_degradation(degradation)(_planes(truth))  # (C, 1, h, w)
    return _image(lr.clamp(0.0, 1.0)), truth


def _scores(sr_y: torch.Tensor, truth_y: torch.Tensor, lr_y: torch.Tensor, degrade: Any) -> dict[str, float]:
    out = {"psnr": float(psnr(sr_y, truth_y)[0]), "lr_psnr": float(lr_psnr(sr_y, lr_y, degrade)[0])}
    out["ssim"] = float(ssim(sr_y, truth_y)[0]) if min(truth_y.shape[-2:]) >= 6 else float("nan")
    return out


@torch.no_grad()
def upscale(model: Any, image: DecodedImage | np.ndarray, *, mode: str = "lr", degradation: str = "box",
            temperature: float | None = None, samples: int = 1, seed: int = 0,
            tile: int = DEFAULT_TILE) -> UpscaleResult:
    """Super-resolve one image 2x with ``model`` beside bicubic (see the module docstring).

    image: a :class:`DecodedImage` or float (H, W[, 3]) in [0, 1]. ``samples``: SR samples of a stochastic
    model (1 .. :data:`MAX_SAMPLES`; ignored for deterministic ones). ``temperature``: for models that take
    one (None: the model's default; clamped into the model's range). ``tile``: LR tile side for fully convolutional models.
    """
    decoded = image if isinstance(image, DecodedImage) else DecodedImage(np.asarray(image, dtype=np.float32))
    notes = list(decoded.notes)
    fully_conv = model.fully_convolutional
    lr, truth = _prepare(decoded.pixels, mode, degradation, fully_conv, notes)
    color = lr.ndim == 3
    ycc = rgb_to_ycbcr(lr) if color else lr[..., None]  # (h, w, C)
    y = _planes(ycc[..., 0])  # (1, 1, h, w)
    bic = upsample(_planes(ycc), "bicubic")  # (C, 1, 2h, 2w): Y and the chroma, bicubic
    n = max(1, min(int(samples), MAX_SAMPLES)) if model.stochastic else 1
    margin = model.receptive_margin()
    outs = []
    for k in range(n):
        gen = torch.Generator().manual_seed(int(seed) + k)
        fn = lambda t, g=gen: sr_call(model, t, temperature=temperature, generator=g)  # noqa: E731
        outs.append(tiled(fn, y, tile=tile, margin=margin) if fully_conv else blended(fn, y))  # (1, 1, 2h, 2w)
    is_tiled = max(y.shape[-2:]) > tile if fully_conv else tuple(y.shape[-2:]) != (FIXED_TILE, FIXED_TILE)
    if not fully_conv and is_tiled:
        notes.append(f"this model maps 14×14 to 28×28: the image was super-resolved in overlapping {FIXED_TILE}×"
                     f"{FIXED_TILE} LR tiles (every {FIXED_STRIDE} pixels), blended with a sine window")

    def merge(y_sr: torch.Tensor) -> np.ndarray:
        if not color:
            return y_sr[0, 0].numpy()
        return ycbcr_to_rgb(np.stack([y_sr[0, 0].numpy(), _image(bic[1:2]), _image(bic[2:3])], axis=-1))

    sample_imgs = [merge(o) for o in outs]
    std = torch.cat(outs).std(dim=0, unbiased=False)[0].numpy() if n > 1 else None
    metrics: dict[str, dict[str, float]] = {}
    if truth is not None:
        truth_y = _planes(rgb_to_ycbcr(truth)[..., 0] if color else truth)
        degrade = get_degradation(degradation)
        metrics = {"sr": _scores(outs[0], truth_y, y, degrade), "bicubic": _scores(bic[:1], truth_y, y, degrade)}
    if color:
        notes.append(Y_NOTE)
    spectra = {"input (LR)": radial_power(ycc[..., 0]), "bicubic": radial_power(bic[0, 0].numpy()),
               "SR": radial_power(outs[0][0, 0].numpy())}
    return UpscaleResult(lr=lr, bicubic=merge(bic[:1]), sr=sample_imgs[0], samples=sample_imgs, std=std,
                         truth=truth, metrics=metrics, spectra=spectra, nyquist=min(y.shape[-2:]) / 2,
                         notes=notes, tiled=is_tiled, fitted=False)

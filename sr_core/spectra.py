"""Fourier-domain views of images: what frequencies a super-resolver adds, and where it errs.

Conventions (every function here follows them):

* Spectra are the unnormalised 2-D DFT ``torch.fft.fft2`` over the last two axes, computed
  in float64/complex128, then ``torch.fft.fftshift``-ed so that DC sits at the centre pixel
  ``(H // 2, W // 2)`` (for even and odd sizes alike).
* Frequencies are in cycles per image: along an axis of length N they are the integers
  ``fftshift(fftfreq(N) * N)``, i.e. -N/2 .. N/2-1 for even N. The radius of a frequency is
  ``r = sqrt(fx**2 + fy**2)`` in cycles per image.
* Power is ``|F|**2``. By Parseval, ``sum |F|**2 == H * W * sum |x|**2``.
* Any H x W works (28x28 HR, 14x14 LR, ...). Inputs are ``(..., H, W)``: a single image
  ``(H, W)``, or a batch ``(B, 1, H, W)``; leading axes are carried through.

For 2x super-resolution of 28x28 images the LR input (14x14) can only represent
frequencies with |fx|, |fy| <= 7 cycles per image (:data:`LR_NYQUIST`); everything beyond
must be invented by the model. Note the LR band is a square while the radius cutoff used by
:func:`hf_energy_share` is a circle, so e.g. (5, 5), r = 7.07, counts as high frequency.

Pure functions only; nothing runs at import time.
"""
from __future__ import annotations

import math

import torch
from torch import Tensor

# Nyquist frequency of the 14x14 LR image, in cycles per 28x28 HR image (= 14 / 2).
LR_NYQUIST: int = 7


def _check_image(img: Tensor, name: str = "img") -> Tensor:
    """Validate (..., H, W) and return it as float64 (complex inputs are rejected)."""
    if not isinstance(img, Tensor) or img.ndim < 2:
        shape = tuple(img.shape) if isinstance(img, Tensor) else type(img).__name__
        raise ValueError(f"{name} must have shape (..., H, W), got {shape}")
    if img.is_complex():
        raise ValueError(f"{name} must be a real tensor, got dtype {img.dtype}")
    return img.to(torch.float64)


def centered_spectrum(img: Tensor) -> Tensor:
    """Centred complex spectrum. (..., H, W) real -> (..., H, W) complex128, DC at (H//2, W//2)."""
    x = _check_image(img)  # (..., H, W)
    return torch.fft.fftshift(torch.fft.fft2(x), dim=(-2, -1))  # (..., H, W)


def frequency_radius(h: int, w: int, device: torch.device | str | None = None) -> Tensor:
    """Radius of each centred frequency in cycles per image. Returns (h, w) float64, 0 at DC."""
    # fftfreq(n, d=1/n) gives integer cycles per image; fftshift matches centered_spectrum.
    fy = torch.fft.fftshift(torch.fft.fftfreq(h, d=1.0 / h, dtype=torch.float64, device=device))  # (h,)
    fx = torch.fft.fftshift(torch.fft.fftfreq(w, d=1.0 / w, dtype=torch.float64, device=device))  # (w,)
    return torch.sqrt(fy[:, None] ** 2 + fx[None, :] ** 2)  # (h, w)


def log_magnitude(img: Tensor) -> Tensor:
    """Centred log-magnitude spectrum, for display.

    img: (..., H, W) real (values typically in [0, 1]).
    Returns (..., H, W) float64 ``log(1 + |F|)`` >= 0; the centre pixel is log(1 + |sum(img)|).
    """
    return torch.log1p(centered_spectrum(img).abs())  # (..., H, W)


def power_spectrum(img: Tensor) -> Tensor:
    """Centred power spectrum ``|F|**2``. (..., H, W) -> (..., H, W) float64 >= 0."""
    return centered_spectrum(img).abs().pow(2)  # (..., H, W)


def radial_profile(img: Tensor) -> tuple[Tensor, Tensor]:
    """Radially averaged power spectrum.

    img: (..., H, W) real, e.g. (B, 1, H, W) or (H, W).
    Bins are integer radii k = 0 .. floor(max radius); bin k is the MEAN power over the
    frequencies with k <= r < k + 1 (so an on-axis frequency at exactly k cycles lands in bin k).
    Bins beyond min(H, W) / 2 only see the spectrum's corners (partial rings).
    Returns (radii (R,) float64, power (..., R) float64).
    """
    power = power_spectrum(img)  # (..., H, W)
    h, w = power.shape[-2:]
    r = frequency_radius(h, w, device=power.device)  # (H, W)
    n_bins = int(math.floor(float(r.max()))) + 1  # R
    # floor + small tolerance: sqrt of an integer square must not fall just below k.
    bins = torch.floor(r + 1e-9).to(torch.long).clamp_(max=n_bins - 1).reshape(-1)  # (H*W,)
    # One-hot bin membership turns the per-bin mean into one matmul over any leading axes.
    onehot = torch.nn.functional.one_hot(bins, n_bins).to(torch.float64)  # (H*W, R)
    counts = onehot.sum(dim=0)  # (R,)
    sums = power.reshape(*power.shape[:-2], h * w) @ onehot  # (..., R)
    # Every bin of an integer frequency grid is populated; clamp only guards the division.
    profile = sums / counts.clamp(min=1.0)  # (..., R)
    radii = torch.arange(n_bins, dtype=torch.float64, device=power.device)  # (R,)
    return radii, profile


def mean_radial_profile(batch: Tensor) -> tuple[Tensor, Tensor]:
    """Radial power profile averaged over all images of a batch.

    batch: (B, 1, H, W) or (B, H, W) real.
    Returns (radii (R,), power (R,)), both float64.
    """
    radii, prof = radial_profile(batch)  # (R,), (..., R)
    return radii, prof.reshape(-1, prof.shape[-1]).mean(dim=0)  # (R,), (R,)


def hf_energy_share(img: Tensor, cutoff: float = float(LR_NYQUIST)) -> Tensor:
    """Share of an image's spectral power at radius > ``cutoff`` cycles per image.

    img: (..., H, W) real. The total INCLUDES the DC term, so an image's mean brightness
    counts as low-frequency energy: a constant image gives 0, a zero-mean +/-1
    checkerboard gives 1, and a 0/1 checkerboard gives 0.5 (half its power is DC).
    Returns (...,) float64 in [0, 1]; an all-zero image (no power at all) gives 0.
    """
    power = power_spectrum(img)  # (..., H, W)
    h, w = power.shape[-2:]
    r = frequency_radius(h, w, device=power.device)  # (H, W)
    high = (power * (r > cutoff)).sum(dim=(-2, -1))  # (...,)
    total = power.sum(dim=(-2, -1))  # (...,)
    # 0/0 for a blank image would be NaN; "no energy above the cutoff" is the useful answer.
    return torch.where(total > 0, high / total.clamp(min=torch.finfo(torch.float64).tiny), 0.0)


def error_spectrum(sr: Tensor, hr: Tensor) -> Tensor:
    """Log-magnitude spectrum of the SR error, showing which frequencies the model gets wrong.

    sr, hr: (..., H, W) real with equal shapes, values in [0, 1].
    Returns (..., H, W) float64 ``log(1 + |FFT(sr - hr)|)``, centred.
    """
    if sr.shape != hr.shape:
        raise ValueError(f"sr and hr shapes differ: sr {tuple(sr.shape)} vs hr {tuple(hr.shape)}")
    # Subtract in float64 so small errors are not rounded away before the FFT.
    return log_magnitude(_check_image(sr, "sr") - _check_image(hr, "hr"))  # (..., H, W)


# ---------------------------------------------------------------- set summaries (what the Spectra page shows)

#: Spectra of images of different sizes are compared on the scale of a 28x28 image: an H x W image is
#: multiplied by 784 / (H*W) before its DFT, so a 14x14 LR image (the mean of 2x2 blocks) has the same
#: low frequencies as its HR image.
REF_PIXELS = 28 * 28
#: Image kinds a summary covers, in display order; ``error`` spectra are of these minus HR.
SUMMARY_KEYS = ("hr", "lr", "recon", "sr", "bicubic")
ERROR_KEYS = ("sr", "bicubic", "recon")


def ref_scale(x: Tensor) -> Tensor:
    """``x`` (..., H, W) in float64, multiplied by REF_PIXELS / (H*W) (see :data:`REF_PIXELS`)."""
    h, w = x.shape[-2:]
    return x.to(torch.float64) * (REF_PIXELS / (h * w))


def rms_log_spectrum(batch: Tensor) -> Tensor:
    """log(1 + RMS over the batch of |F|), centred, on the 28x28 scale. (B,1,H,W) -> (H, W) float64.

    For one image this is :func:`log_magnitude` of the rescaled image.
    """
    power = power_spectrum(ref_scale(batch)).reshape(-1, *batch.shape[-2:]).mean(dim=0)  # (H, W)
    return torch.log1p(power.sqrt())


def spectrum_summary(images: dict[str, Tensor], *, cutoff: float = float(LR_NYQUIST)) -> dict:
    """Every spectral view of a batch of images (B = 1 for one sample, N for a set average).

    images: key -> (B, 1, H, W) in [0, 1], keys among :data:`SUMMARY_KEYS` (``hr`` required).
    Returns numpy values keyed like the input: ``panels`` {key: (H, W)} RMS log-magnitude spectra;
    ``radial`` {key: (radii (R,), mean power (R,))}; ``hf_share`` {key: mean share of power above
    ``cutoff``}; ``error_panels`` {key: (28, 28)} RMS log-magnitude spectrum of key - HR for
    :data:`ERROR_KEYS`; ``n`` the batch size.
    """
    panels, radial, hf = {}, {}, {}
    for key in SUMMARY_KEYS:
        if key not in images:
            continue
        x = images[key]
        panels[key] = rms_log_spectrum(x).numpy()
        radii, power = mean_radial_profile(ref_scale(x))
        radial[key] = (radii.numpy(), power.numpy())
        hf[key] = float(hf_energy_share(x.to(torch.float64), cutoff).mean())
    hr = images["hr"].to(torch.float64)
    errors = {key: rms_log_spectrum(images[key].to(torch.float64) - hr).numpy() for key in ERROR_KEYS
              if key in images}
    return {"panels": panels, "radial": radial, "hf_share": hf, "error_panels": errors, "n": int(hr.shape[0])}

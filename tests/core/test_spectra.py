"""Tests for sr_core.spectra: Parseval, sinusoid peaks, HF share, centring, odd sizes."""
from __future__ import annotations

import math

import pytest
import torch

from sr_core.spectra import (
    LR_NYQUIST,
    error_spectrum,
    frequency_radius,
    hf_energy_share,
    log_magnitude,
    mean_radial_profile,
    radial_profile,
)


def _checker(h: int, w: int) -> torch.Tensor:
    """Zero-mean +/-1 checkerboard, the highest frequency an h x w grid holds. (h, w)"""
    y, x = torch.meshgrid(torch.arange(h), torch.arange(w), indexing="ij")
    return 1.0 - 2.0 * ((x + y) % 2).double()


def _cosine(k: int, h: int = 28, w: int = 28, axis: str = "x") -> torch.Tensor:
    """cos(2*pi*k*x/W) (or along y), offset into [0, 1]. (h, w)"""
    y, x = torch.meshgrid(torch.arange(h), torch.arange(w), indexing="ij")
    t = x.double() / w if axis == "x" else y.double() / h
    return 0.5 + 0.5 * torch.cos(2 * math.pi * k * t)


@pytest.mark.parametrize("shape", [(28, 28), (14, 14), (3, 1, 28, 28), (2, 13, 17)])
def test_parseval(shape: tuple[int, ...]) -> None:
    x = torch.rand(shape, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    h, w = shape[-2:]
    spec = torch.fft.fft2(x)
    assert torch.allclose((x**2).sum() * h * w, spec.abs().pow(2).sum(), rtol=1e-10)
    # The same identity through radial_profile: mean power per bin times bin counts.
    radii, prof = radial_profile(x)
    r = frequency_radius(h, w)
    counts = torch.bincount(torch.floor(r + 1e-9).long().reshape(-1), minlength=len(radii)).double()
    assert torch.allclose((prof * counts).sum(-1), (x**2).sum(dim=(-2, -1)) * h * w, rtol=1e-10)


@pytest.mark.parametrize("k", [3, 7, 10])
@pytest.mark.parametrize("axis", ["x", "y"])
def test_sinusoid_peaks_at_k(k: int, axis: str) -> None:
    img = _cosine(k, axis=axis)
    radii, prof = radial_profile(img)
    # Ignore DC (the 0.5 offset); the remaining peak must be the sinusoid's frequency.
    assert int(radii[1 + prof[1:].argmax()].item()) == k
    assert radii.dtype == torch.float64 and prof.shape == radii.shape


def test_radial_bins_cover_zero_to_floor_max() -> None:
    for h, w in [(28, 28), (14, 14), (13, 13), (28, 14)]:
        radii, prof = radial_profile(torch.rand(h, w))
        r_max = frequency_radius(h, w).max().item()
        assert radii.tolist() == list(range(math.floor(r_max) + 1))
        assert prof.shape == radii.shape


def test_radial_profile_batch_shapes_and_mean() -> None:
    batch = torch.rand(5, 1, 28, 28, generator=torch.Generator().manual_seed(1))
    radii, prof = radial_profile(batch)
    assert prof.shape == (5, 1, len(radii))
    _, single = radial_profile(batch[2, 0])
    assert torch.allclose(prof[2, 0], single)
    r2, mean = mean_radial_profile(batch)
    assert torch.equal(r2, radii) and torch.allclose(mean, prof.mean(dim=(0, 1)))


@pytest.mark.parametrize("hw", [(28, 28), (14, 14), (13, 17)])
def test_hf_share_constant_is_zero(hw: tuple[int, int]) -> None:
    assert hf_energy_share(torch.full(hw, 0.7)).item() == pytest.approx(0.0, abs=1e-12)


@pytest.mark.parametrize("hw", [(28, 28), (14, 14)])
def test_hf_share_checkerboard(hw: tuple[int, int]) -> None:
    h, w = hw
    cutoff = 0.25 * min(h, w)  # well below the checkerboard's radius sqrt((h/2)^2 + (w/2)^2)
    assert hf_energy_share(_checker(h, w), cutoff).item() == pytest.approx(1.0, abs=1e-12)
    # A 0/1 checkerboard keeps half its power at DC, which the total includes.
    assert hf_energy_share((_checker(h, w) + 1) / 2, cutoff).item() == pytest.approx(0.5, abs=1e-12)


def test_hf_share_uses_lr_nyquist_by_default() -> None:
    assert LR_NYQUIST == 7
    # Zero-mean cosines: frequency 7 is not above the cutoff, frequency 8 is.
    low, high = _cosine(7) - 0.5, _cosine(8) - 0.5
    assert hf_energy_share(low).item() == pytest.approx(0.0, abs=1e-12)
    assert hf_energy_share(high).item() == pytest.approx(1.0, abs=1e-12)


def test_hf_share_batch_shape_range_and_blank() -> None:
    batch = torch.rand(4, 1, 28, 28, generator=torch.Generator().manual_seed(2))
    share = hf_energy_share(batch)
    assert share.shape == (4, 1)
    assert ((share >= 0) & (share <= 1)).all()
    assert hf_energy_share(torch.zeros(28, 28)).item() == 0.0


@pytest.mark.parametrize("hw", [(28, 28), (14, 14), (13, 17)])
def test_log_magnitude_centre_is_dc(hw: tuple[int, int]) -> None:
    x = torch.rand(2, 1, *hw, generator=torch.Generator().manual_seed(3))
    lm = log_magnitude(x)
    assert lm.shape == x.shape and lm.dtype == torch.float64
    centre = lm[..., hw[0] // 2, hw[1] // 2]  # (2, 1)
    expected = torch.log1p(x.double().sum(dim=(-2, -1)).abs())
    assert torch.allclose(centre, expected, rtol=1e-12)
    assert (lm >= 0).all()


def test_log_magnitude_cosine_location() -> None:
    k = 5
    lm = log_magnitude(_cosine(k) - 0.5)  # zero-mean, so only the +/-k peaks remain
    peaks = (lm > 1.0).nonzero().tolist()
    assert sorted(peaks) == [[14, 14 - k], [14, 14 + k]]


def test_error_spectrum() -> None:
    hr = torch.rand(2, 1, 28, 28, generator=torch.Generator().manual_seed(4))
    assert torch.equal(error_spectrum(hr, hr.clone()), torch.zeros(2, 1, 28, 28, dtype=torch.float64))
    sr = hr + 0.1
    es = error_spectrum(sr, hr)
    # Constant error: all energy at DC, |sum| = 0.1 * 784.
    assert es[0, 0, 14, 14].item() == pytest.approx(math.log1p(0.1 * 784), rel=1e-6)
    assert torch.allclose(es, log_magnitude(sr.double() - hr.double()))
    with pytest.raises(ValueError):
        error_spectrum(torch.zeros(1, 1, 28, 28), torch.zeros(1, 1, 14, 14))


def test_rejects_bad_input() -> None:
    with pytest.raises(ValueError):
        log_magnitude(torch.zeros(5))
    with pytest.raises(ValueError):
        radial_profile(torch.zeros(4, 4, dtype=torch.complex64))

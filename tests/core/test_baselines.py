"""Tests for sr_core.baselines: shapes, exact nearest/box round trip, clamping, bad names."""
from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from sr_core.baselines import BASELINES, upsample, upsample_all


def _lr(b: int = 3, h: int = 14, w: int = 14, dtype: torch.dtype = torch.float32) -> torch.Tensor:
    return torch.rand(b, 1, h, w, generator=torch.Generator().manual_seed(0), dtype=dtype)


@pytest.mark.parametrize("method", BASELINES)
@pytest.mark.parametrize("hw, scale", [((14, 14), 2), ((7, 9), 2), ((14, 14), 3), ((5, 5), 1)])
def test_shapes_and_dtype(method: str, hw: tuple[int, int], scale: int) -> None:
    lr = _lr(h=hw[0], w=hw[1])
    out = upsample(lr, method, scale=scale)
    assert out.shape == (3, 1, hw[0] * scale, hw[1] * scale)
    assert out.dtype == lr.dtype


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_nearest_then_box_is_identity(dtype: torch.dtype) -> None:
    hr = torch.rand(4, 1, 28, 28, generator=torch.Generator().manual_seed(1), dtype=dtype)
    lr = F.avg_pool2d(hr, 2)  # (4, 1, 14, 14)
    back = F.avg_pool2d(upsample(lr, "nearest"), 2)
    if dtype == torch.float64:
        assert torch.equal(back, lr)
    else:
        # Exact on CPU today, but a backend may sum four float32 values with a last-bit rounding.
        assert torch.allclose(back, lr, rtol=0, atol=1e-6)


def test_nearest_replicates_blocks() -> None:
    lr = _lr()
    out = upsample(lr, "nearest")
    for dy in (0, 1):
        for dx in (0, 1):
            assert torch.equal(out[..., dy::2, dx::2], lr)


@pytest.mark.parametrize("method", BASELINES)
def test_constant_image_is_preserved(method: str) -> None:
    lr = torch.full((2, 1, 14, 14), 0.3)
    assert torch.allclose(upsample(lr, method), torch.full((2, 1, 28, 28), 0.3), atol=1e-6)


@pytest.mark.parametrize("method", BASELINES)
def test_output_clamped(method: str) -> None:
    # A hard 0/1 checkerboard makes bicubic overshoot; the result must still be in [0, 1].
    idx = torch.arange(14)
    lr = ((idx[:, None] + idx[None, :]) % 2).float().expand(2, 1, 14, 14)
    out = upsample(lr, method)
    assert out.min() >= 0.0 and out.max() <= 1.0


def test_bicubic_would_overshoot_without_clamp() -> None:
    idx = torch.arange(14)
    lr = ((idx[:, None] + idx[None, :]) % 2).float().expand(1, 1, 14, 14)
    raw = F.interpolate(lr, scale_factor=2, mode="bicubic", align_corners=False)
    assert raw.max() > 1.0 or raw.min() < 0.0  # so test_output_clamped really tests clamping


@pytest.mark.parametrize("bad", ["lanczos", "Nearest", "", "area"])
def test_unknown_method_lists_names(bad: str) -> None:
    with pytest.raises(ValueError) as info:
        upsample(_lr(), bad)
    msg = str(info.value)
    assert "\n" not in msg
    assert all(name in msg for name in BASELINES)


@pytest.mark.parametrize("scale", [0, -2, 1.5, True])
def test_bad_scale_raises(scale) -> None:
    with pytest.raises(ValueError):
        upsample(_lr(), "nearest", scale=scale)


@pytest.mark.parametrize("x", [torch.zeros(14, 14), torch.zeros(2, 14, 14), torch.zeros(2, 1, 14, 14, dtype=torch.uint8)])
def test_bad_input_raises(x: torch.Tensor) -> None:
    with pytest.raises(ValueError):
        upsample(x, "bilinear")


def test_upsample_all_has_every_baseline() -> None:
    out = upsample_all(_lr())
    assert tuple(out) == BASELINES
    assert all(v.shape == (3, 1, 28, 28) for v in out.values())

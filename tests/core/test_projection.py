"""The LR-consistent projection (sr_core.projection): exact, bounded, idempotent, closest, shape errors."""
from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from sr_core.degrade import box_downsample
from sr_core.projection import lr_error, project


@pytest.mark.parametrize("clamp", [False, True])
def test_projection_is_exact(clamp: bool) -> None:
    g = torch.Generator().manual_seed(5)
    sr = torch.rand(6, 1, 28, 28, generator=g) * 1.4 - 0.2  # also outside [0, 1]
    lr = torch.rand(6, 1, 14, 14, generator=g)
    lr[0] = 0.0
    lr[1] = 1.0  # extreme blocks: the bounded projection must give all-0 / all-1 blocks
    p = project(sr, lr, clamp=clamp)
    assert p.shape == sr.shape and p.dtype == sr.dtype
    assert (box_downsample(p) - lr).abs().max() <= 1e-6
    assert lr_error(p, lr).max() <= 1e-6
    if clamp:
        assert p.min() >= 0 and p.max() <= 1
        assert p[0].abs().max() <= 1e-6 and (p[1] - 1).abs().max() <= 1e-6


def test_projection_identity_idempotent_and_keeps_detail() -> None:
    g = torch.Generator().manual_seed(6)
    hr = torch.rand(3, 1, 28, 28, generator=g)
    lr = box_downsample(hr)
    assert torch.allclose(project(hr, lr), hr, atol=1e-6)             # consistent image: unchanged
    assert torch.allclose(project(hr, lr, clamp=True), hr, atol=1e-6)
    sr = torch.rand(3, 1, 28, 28, generator=g)
    once = project(sr, lr, clamp=True)
    assert torch.allclose(project(once, lr, clamp=True), once, atol=1e-6)
    # Unbounded: each 2x2 block moves by a constant, so the within-block detail is kept.
    d = project(sr, lr) - sr
    assert torch.allclose(d, F.interpolate(box_downsample(d), scale_factor=2, mode="nearest"), atol=1e-6)
    # And it is the closest consistent image: never farther from HR than the input is.
    assert ((project(sr, lr) - hr).pow(2).sum() <= (sr - hr).pow(2).sum())


def test_projection_shape_errors() -> None:
    with pytest.raises(ValueError, match="2x the size"):
        project(torch.rand(1, 1, 28, 28), torch.rand(1, 1, 13, 14))



def _bisection_project(sr: torch.Tensor, lr: torch.Tensor, iters: int = 60) -> torch.Tensor:
    """Reference: the bounded projection with each block's shift found by bisection on [-3, 3]."""
    x = sr.double().clamp(-1.0, 2.0)
    y = lr.double().clamp(0.0, 1.0)
    b, c, h, w = y.shape
    xb = x.reshape(b, c, h, 2, w, 2).permute(0, 1, 2, 4, 3, 5).reshape(b, c, h, w, 4)
    lo, hi = torch.full_like(y, -3.0), torch.full_like(y, 3.0)
    for _ in range(iters):
        mid = 0.5 * (lo + hi)
        too_low = (xb + mid[..., None]).clamp(0.0, 1.0).mean(dim=-1) < y
        lo, hi = torch.where(too_low, mid, lo), torch.where(too_low, hi, mid)
    t = F.interpolate(0.5 * (lo + hi), scale_factor=2, mode="nearest")
    return (x + t).clamp(0.0, 1.0)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_exact_bounded_projection_matches_bisection(seed: int) -> None:
    g = torch.Generator().manual_seed(seed)
    sr = torch.rand(8, 1, 28, 28, generator=g, dtype=torch.float64) * 3.0 - 1.0  # pixels in [-1, 2]
    sr[0] = 0.3                                  # ties: every pixel of a block equal
    sr[1, :, ::2, ::2], sr[1, :, 1::2, 1::2] = 0.0, 1.0
    lr = torch.rand(8, 1, 14, 14, generator=g, dtype=torch.float64)
    lr[2], lr[3] = 0.0, 1.0                      # the extreme targets
    p = project(sr, lr, clamp=True)
    assert torch.isfinite(p).all()
    assert (box_downsample(p) - lr).abs().max() <= 1e-12   # the block means hit their targets
    # Both give the same clipped blocks (the projection is unique even where the shift is not).
    assert (p - _bisection_project(sr, lr)).abs().max() <= 1e-12

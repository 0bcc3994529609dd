"""Tests for sr_core.metrics: pinned PSNR/SSIM values, per-image averaging, shape handling."""
from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

from sr_core import metrics
from sr_core.fs import json_safe
from sr_core.metrics import lr_psnr, mean_finite, psnr, ssim, summarize


def _images(b: int = 4, h: int = 28, w: int = 28, seed: int = 0) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    return torch.rand(b, 1, h, w, generator=g)  # (B, 1, H, W) in [0, 1]


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_psnr_constant_error_is_20db(dtype: torch.dtype) -> None:
    target = torch.zeros(3, 1, 28, 28, dtype=dtype)
    pred = torch.full_like(target, 0.1)  # MSE = 0.01 -> 10*log10(1/0.01) = 20 dB
    out = psnr(pred, target)
    assert out.shape == (3,)
    assert out.dtype == torch.float64
    # float64 0.1 gives 19.999999999999996 dB; float32 0.1 is 0.10000000149 -> 19.99999987 dB.
    tol = 1e-12 if dtype == torch.float64 else 1e-6
    assert out.tolist() == pytest.approx([20.0] * 3, abs=tol)


def test_psnr_data_range_scales() -> None:
    target = torch.zeros(2, 1, 8, 8)
    pred = torch.full_like(target, 25.5)  # 0.1 of a 255 range -> still 20 dB
    assert psnr(pred, target, data_range=255.0).tolist() == pytest.approx([20.0, 20.0], abs=1e-6)


@pytest.mark.parametrize("shape", [(2, 1, 28, 28), (2, 28, 28), (1, 1, 14, 14)])
def test_identical_images(shape: tuple[int, ...]) -> None:
    x = torch.rand(shape, generator=torch.Generator().manual_seed(1))
    p = psnr(x, x.clone())
    s = ssim(x, x.clone())
    assert torch.isinf(p).all() and (p > 0).all()
    assert s.shape == (shape[0],)
    assert s.tolist() == pytest.approx([1.0] * shape[0], abs=1e-6)


@pytest.mark.parametrize("fn", [psnr, ssim])
@pytest.mark.parametrize(
    "a, b",
    [((2, 1, 28, 28), (2, 1, 14, 14)), ((2, 1, 28, 28), (3, 1, 28, 28)), ((4, 28, 28), (4, 1, 28, 27))],
)
def test_shape_mismatch_raises(fn, a: tuple[int, ...], b: tuple[int, ...]) -> None:
    with pytest.raises(ValueError) as info:
        fn(torch.zeros(a), torch.zeros(b))
    msg = str(info.value)
    assert "\n" not in msg
    assert str(a) in msg and str(b) in msg


def test_three_dim_input_matches_four_dim() -> None:
    x, y = _images(seed=2), _images(seed=3)
    assert torch.equal(psnr(x[:, 0], y[:, 0]), psnr(x, y))
    assert torch.allclose(ssim(x[:, 0], y[:, 0]), ssim(x, y))


def test_bad_ndim_raises() -> None:
    with pytest.raises(ValueError):
        psnr(torch.zeros(28, 28), torch.zeros(28, 28))


def test_per_image_not_per_batch() -> None:
    """One perfect + one noisy image: the set number is the mean of the per-image values."""
    target = _images(b=2, seed=4)
    pred = target.clone()
    pred[1] = (pred[1] + 0.05 * torch.randn(1, 28, 28, generator=torch.Generator().manual_seed(5))).clamp(0, 1)
    per = psnr(pred, target)
    assert math.isinf(per[0].item()) and math.isfinite(per[1].item())
    # Per-batch PSNR (pixels pooled) would be finite and ~3 dB above the noisy image's value.
    pooled = 10 * torch.log10(1.0 / (pred.double() - target.double()).pow(2).mean())
    assert pooled.item() == pytest.approx(per[1].item() + 10 * math.log10(2), abs=1e-9)
    assert summarize({"psnr": per})["psnr"] == math.inf
    assert mean_finite(per) == pytest.approx(per[1].item())
    s = ssim(pred, target)
    assert s[0].item() == pytest.approx(1.0, abs=1e-6) and s[1].item() < 0.99
    assert summarize({"ssim": s})["ssim"] == pytest.approx((s[0] + s[1]).item() / 2)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_ssim_decreases_with_noise(seed: int) -> None:
    target = F.avg_pool2d(_images(b=3, seed=seed), 3, stride=1, padding=1)  # smooth-ish images
    g = torch.Generator().manual_seed(100 + seed)
    noise = torch.randn(target.shape, generator=g)
    scores = [ssim((target + s * noise).clamp(0, 1), target) for s in (0.0, 0.02, 0.05, 0.1, 0.2)]
    for hi, lo in zip(scores, scores[1:]):
        assert (lo < hi).all()
    psnrs = [psnr((target + s * noise).clamp(0, 1), target) for s in (0.02, 0.05, 0.1, 0.2)]
    for hi, lo in zip(psnrs, psnrs[1:]):
        assert (lo < hi).all()


def test_ssim_matches_torchmetrics_mean() -> None:
    from torchmetrics.functional.image import structural_similarity_index_measure as tm_ssim

    x, y = _images(seed=6).double(), _images(seed=7).double()
    ref = tm_ssim(x, y, data_range=1.0)  # default reduction: mean over the batch  # ours runs in float32
    assert ssim(x, y).mean().item() == pytest.approx(ref.item(), abs=1e-5)


def test_ssim_too_small_raises() -> None:
    with pytest.raises(ValueError, match="at least"):
        ssim(torch.zeros(1, 1, 5, 5), torch.zeros(1, 1, 5, 5))


def test_lr_psnr_consistent_and_inconsistent() -> None:
    lr = F.avg_pool2d(_images(seed=8), 2)  # (B, 1, 14, 14)
    sr_nearest = F.interpolate(lr, scale_factor=2, mode="nearest")  # exactly consistent with box
    out = lr_psnr(sr_nearest, lr, lambda x: F.avg_pool2d(x, 2))
    assert out.shape == (4,) and torch.isinf(out).all()
    out2 = lr_psnr(torch.full((4, 1, 28, 28), 0.5), lr, lambda x: F.avg_pool2d(x, 2))
    assert torch.isfinite(out2).all()
    assert torch.equal(out2, psnr(torch.full((4, 1, 14, 14), 0.5), lr))


def test_summarize_and_mean_finite() -> None:
    vals = {"a": torch.tensor([1.0, 2.0, 3.0]), "b": torch.tensor([math.inf, 4.0, math.nan])}
    out = summarize(vals)
    assert out["a"] == pytest.approx(2.0) and isinstance(out["a"], float)
    assert summarize(vals, finite_only=True)["b"] == pytest.approx(4.0)
    assert math.isnan(mean_finite(torch.tensor([math.inf, math.nan])))


def test_protocol_mentions_the_essentials() -> None:
    for word in ("per image", "data range 1", "no border crop", "11×11", "σ=1.5", "LR-PSNR"):
        assert word in metrics.PROTOCOL


def test_json_safe_turns_non_finite_numbers_into_null() -> None:
    value = {"psnr": math.inf, "nested": {"lr_psnr": -math.inf, "ssim": 0.5}, "rows": (1.0, math.nan), "n": 3,
             "name": "x", "none": None}
    out = json_safe(value)
    assert out == {"psnr": None, "nested": {"lr_psnr": None, "ssim": 0.5}, "rows": [1.0, None], "n": 3,
                   "name": "x", "none": None}
    import json

    json.dumps(out, allow_nan=False)  # strict JSON now

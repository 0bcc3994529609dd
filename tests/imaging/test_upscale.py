"""sr_core.imaging.tiling and sr_core.imaging.upscale: tiled SR equals untiled within 1e-5, the pipeline's sizes, fitting,
colour handling, samples and truth-mode metrics — on small untrained models and images made in the test."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from sr_core.degrade import box_downsample
from sr_core.errors import UserError
from sr_core.imaging.io import rgb_to_ycbcr
from sr_core.metrics import psnr
from sr_core.models import build_model
from sr_core.imaging.tiling import tiled
from sr_core.imaging.upscale import (Y_NOTE, fit_square, radial_power, sr_call, upscale)

SMALL = {"resnet-sr": {"channels": 8, "blocks": 2}, "cvae-sr": {"channels": 8, "blocks": 2, "enc_channels": 8}}


def _model(name: str) -> torch.nn.Module:
    torch.manual_seed(0)
    return build_model(name, SMALL.get(name), seed=0).eval()


@pytest.mark.parametrize("name", ["resnet-sr", "cvae-sr"])
@pytest.mark.parametrize("tile", [13, 32])
def test_tiled_equals_untiled(name: str, tile: int) -> None:
    model = _model(name)
    lr = torch.rand(1, 1, 45, 38, generator=torch.Generator().manual_seed(1))
    fn = lambda t: sr_call(model, t, temperature=0.0)  # noqa: E731  (T = 0: cvae-sr is deterministic)
    full = fn(lr)
    out = tiled(fn, lr, tile=tile, margin=model.receptive_margin())
    assert out.shape == (1, 1, 90, 76)
    assert (out - full).abs().max().item() < 1e-5


def test_too_small_margin_is_not_exact() -> None:
    """The equality above is not vacuous: without enough context the seams differ."""
    model = _model("resnet-sr")
    lr = torch.rand(1, 1, 40, 40, generator=torch.Generator().manual_seed(2))
    fn = lambda t: sr_call(model, t)  # noqa: E731
    assert (tiled(fn, lr, tile=10, margin=1) - fn(lr)).abs().max().item() > 1e-4


def test_receptive_margin_counts_every_conv() -> None:
    # resnet-sr: head + 2 x 2 block convs + tail + sub-pixel conv = 7 convs of radius 1, plus bicubic's 2.
    assert _model("resnet-sr").receptive_margin() == 7 + 2


@pytest.mark.parametrize("shape", [(20, 30), (20, 30, 3), (1, 1)])
def test_lr_mode_sizes(shape: tuple) -> None:
    img = np.random.default_rng(0).random(shape).astype(np.float32)
    r = upscale(_model("resnet-sr"), img, mode="lr")
    assert r.sr.shape[:2] == r.bicubic.shape[:2] == (2 * shape[0], 2 * shape[1])
    assert r.sr.ndim == len(shape) and not r.metrics and not r.fitted
    assert (Y_NOTE in r.notes) == (len(shape) == 3)


def test_tiled_pipeline_flag_and_equality() -> None:
    img = np.random.default_rng(3).random((70, 50)).astype(np.float32)
    m = _model("resnet-sr")
    small, big = upscale(m, img, tile=24), upscale(m, img, tile=512)
    assert small.tiled and not big.tiled
    assert np.abs(small.sr - big.sr).max() < 1e-5


def test_fixed_size_model_tiles_the_whole_image_with_a_note() -> None:
    model = _model("cnn-vae")
    img = np.random.default_rng(0).random((40, 60)).astype(np.float32)
    r = upscale(model, img)
    assert not r.fitted and r.tiled and r.lr.shape == (40, 60) and r.sr.shape == (80, 120)
    assert any("overlapping 14×14 LR tiles" in n for n in r.notes)
    rt = upscale(model, np.zeros((40, 60, 3), np.float32), mode="truth")
    assert rt.truth.shape == (40, 60, 3) and rt.sr.shape == (40, 60, 3)
    # One 14×14 LR image is exactly one tile: the untiled model output.
    lr = img[:14, :14]
    with torch.no_grad():
        direct = model.super_resolve(torch.from_numpy(lr)[None, None]).clamp(0, 1)[0, 0].numpy()
    assert np.array_equal(upscale(model, lr).sr, direct)


def test_fit_square_pads_with_black_and_keeps_a_constant() -> None:
    out = fit_square(np.ones((10, 20), np.float32), 14)
    assert out.shape == (14, 14) and out[0, 7] < 0.05 and abs(out[7, 7] - 1) < 1e-5


def test_truth_mode_metrics_match_sr_core() -> None:
    model = _model("resnet-sr")
    hr = np.random.default_rng(4).random((24, 30)).astype(np.float32)
    r = upscale(model, hr, mode="truth")
    hr_t = torch.from_numpy(hr)[None, None]
    with torch.no_grad():
        expected = psnr(model.super_resolve(box_downsample(hr_t)).clamp(0, 1), hr_t)
    assert r.metrics["sr"]["psnr"] == pytest.approx(float(expected), abs=1e-9)
    assert r.metrics["sr"]["lr_psnr"] > 100  # resnet-sr projects onto its LR input
    assert set(r.metrics) == {"sr", "bicubic"} and 0 < r.metrics["bicubic"]["ssim"] <= 1


def test_truth_mode_colour_scores_luminance_and_crops_odd_sizes() -> None:
    rgb = np.random.default_rng(5).random((21, 16, 3)).astype(np.float32)
    r = upscale(_model("resnet-sr"), rgb, mode="truth")
    assert r.truth.shape == (20, 16, 3) and r.sr.shape == (20, 16, 3) and r.lr.shape == (10, 8, 3)
    y = torch.from_numpy(rgb_to_ycbcr(r.truth)[..., 0])[None, None]
    assert r.metrics["bicubic"]["psnr"] == pytest.approx(
        float(psnr(torch.from_numpy(rgb_to_ycbcr(r.bicubic)[..., 0])[None, None], y)), abs=0.05)
    assert any("odd size" in n for n in r.notes)
    with pytest.raises(UserError, match="at least 2×2"):
        upscale(_model("resnet-sr"), np.zeros((1, 1), np.float32), mode="truth")


def test_stochastic_samples_std_and_temperature() -> None:
    m = _model("cvae-sr")
    img = np.random.default_rng(6).random((12, 12)).astype(np.float32)
    r = upscale(m, img, samples=4, temperature=1.0, seed=3)
    assert len(r.samples) == 4 and r.std is not None and r.std.shape == (24, 24) and r.std.max() > 0
    again = upscale(m, img, samples=4, temperature=1.0, seed=3)
    assert np.array_equal(r.sr, again.sr)  # a seed reproduces the samples
    cold = upscale(m, img, samples=3, temperature=0.0)
    assert cold.std.max() < 1e-6  # T = 0: every sample is the same image
    assert len(upscale(_model("resnet-sr"), img, samples=4).samples) == 1  # deterministic: one


def test_radial_power_parseval() -> None:
    img = np.random.default_rng(7).random((16, 20))
    radii, power = radial_power(img)
    assert radii[0] == 0 and power[0] == pytest.approx(img.mean() ** 2)  # DC of the H·W-normalised DFT
    with pytest.raises(UserError, match="unknown mode"):
        upscale(_model("resnet-sr"), img.astype(np.float32), mode="x2")

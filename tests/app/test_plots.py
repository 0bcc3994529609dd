"""Figure builders, pixel-exact images and the pages' compute, called directly (no browser, no data)."""
from __future__ import annotations

import io
import math

import numpy as np
import pytest
import torch
from PIL import Image

from sr_core.data import Split
from sr_core.errors import UserError
from sr_core.spectra import error_spectrum, hf_energy_share, log_magnitude
from sr_core.imaging import io as imageio
from ui import compare, figures, images, spectra


def rows(n: int = 50, split: str = "train", every: int = 1) -> list[dict]:
    """Synthetic snapshot rows: decreasing losses, alpha 0.75 then 0.25 from step 30."""
    out = []
    for s in range(every, n + 1, every):
        alpha = 0.75 if s < 30 else 0.25
        out.append({"step": s, "split": split, "total": 0.7 - 0.005 * s, "recon": 0.6 - 0.004 * s,
                    "latent": 0.8 - 0.006 * s, "kl": 0.01, "alpha": alpha, "lr": 1e-3, "elapsed_s": s * 0.1,
                    "img_s": 1000.0 if split == "train" else None})
    return out


# ---------------------------------------------------------------- loss charts

def test_loss_figure_traces_marker_and_log_axis():
    fig = figures.loss_figure(rows(), alpha_changes=[(30, 0.25)], log_y=True, title="Loss per batch — train")
    names = [t.name for t in fig.data]
    assert names == ["total", "recon", "latent", "kl"]
    assert fig.layout.yaxis.type == "log"
    assert "Loss per batch" in fig.layout.title.text
    shapes = [s for s in fig.layout.shapes if s.name == "alpha change"]
    assert len(shapes) == 1 and shapes[0].x0 == 30 and shapes[0].x1 == 30
    assert any("0.25" in a.text for a in fig.layout.annotations)
    assert list(fig.data[0].x) == list(range(1, 51))


def test_loss_figure_linear_components_and_smoothing():
    fig = figures.loss_figure(rows(), components=["total", "recon"], smoothing=0.9)
    assert fig.layout.yaxis.type == "linear"
    assert [t.name for t in fig.data] == ["total (raw)", "total", "recon (raw)", "recon"]
    raw, smooth = np.array(fig.data[0].y, dtype=float), np.array(fig.data[1].y, dtype=float)
    assert raw[0] == pytest.approx(smooth[0])  # bias-corrected EMA starts at the first value
    assert smooth[-1] > raw[-1]  # a decreasing curve's EMA lags above it


def test_loss_figure_skips_nonpositive_values_on_log_axis_and_empty_rows():
    r = rows(10)
    for row in r:
        row["kl"] = 0.0
    fig = figures.loss_figure(r, log_y=True)
    assert "kl" not in [t.name for t in fig.data]  # all zeros: nothing to draw on a log axis
    empty = figures.loss_figure([], alpha_changes=[40])
    assert len(empty.data) == 0 and len(empty.layout.shapes) == 1


def test_loss_figure_test_rows_and_decimation():
    fig = figures.loss_figure(rows(3000), max_points=500)
    assert len(fig.data[0].x) <= 501 and fig.data[0].x[-1] == 3000
    test_fig = figures.loss_figure(rows(50, "test", every=10), markers=True)
    assert test_fig.data[0].mode == "lines+markers" and list(test_fig.data[0].x) == [10, 20, 30, 40, 50]


def test_ema():
    assert figures.ema([1.0, 2.0, None, 3.0], 0.0) == [1.0, 2.0, None, 3.0]
    out = figures.ema([1.0, 3.0], 0.5)
    assert out[0] == pytest.approx(1.0) and out[1] == pytest.approx((0.25 + 1.5) / 0.75)
    with pytest.raises(ValueError):
        figures.ema([1.0], 1.0)


def test_loss_components_from_rows_keeps_model_specific_names():
    r = [{"step": 1, "split": "train", "pixel": 0.3, "total": 0.3, "alpha": 1.0}]
    assert figures.loss_components(r) == ["total", "pixel"]


def test_runs_loss_figure_one_trace_per_run():
    curves = {"run-a": rows(50, "train") + rows(50, "test", every=10), "run-b": rows(50, "test", every=25)}
    fig = figures.runs_loss_figure(curves, component="recon", split="test", log_y=True)
    assert [t.name for t in fig.data] == ["run-a", "run-b"]
    assert list(fig.data[1].x) == [25, 50]
    assert fig.layout.yaxis.type == "log"
    assert "Test loss per batch" in fig.layout.title.text


# ---------------------------------------------------------------- spectra charts

def test_spectrum_panels_figure_shared_scale_and_axes():
    panels = {"HR": np.random.rand(28, 28), "LR": np.random.rand(14, 14) + 2.0}
    fig = figures.spectrum_panels_figure(panels, title="2-D log-magnitude spectra — x")
    assert [t.type for t in fig.data] == ["heatmap", "heatmap"]
    assert [t.name for t in fig.data] == ["HR", "LR"]
    assert fig.data[0].zmin == fig.data[1].zmin and fig.data[0].zmax == pytest.approx(panels["LR"].max())
    assert list(fig.data[1].x) == list(range(-7, 7))  # 14 frequencies, DC at index 7
    assert fig.layout.yaxis.range[0] > fig.layout.yaxis.range[1]  # image orientation: fy grows downwards


def test_radial_profile_figure_nyquist_marker_and_log():
    r = np.arange(10.0)
    fig = figures.radial_profile_figure({"HR": (r, np.exp(-r)), "SR": (r, np.exp(-2 * r))}, nyquist=7)
    assert [t.name for t in fig.data] == ["HR", "SR"]
    assert fig.layout.yaxis.type == "log"
    nyq = [s for s in fig.layout.shapes if s.name == "LR Nyquist"]
    assert len(nyq) == 1 and nyq[0].x0 == 7
    assert "Radially averaged power spectrum" in fig.layout.title.text


def test_psnr_histogram_drops_infinite_values():
    fig = figures.psnr_histogram_figure({"a": np.array([10.0, np.inf, 12.0])})
    assert list(fig.data[0].x) == [10.0, 12.0]


# ---------------------------------------------------------------- pixel-exact PNGs

def test_png_is_lossless_nearest_neighbour_zoom():
    img = np.random.default_rng(0).random((14, 14))
    data = images.png_bytes(img, scale=8)
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    decoded = np.array(Image.open(io.BytesIO(data)))
    assert decoded.shape == (112, 112)
    expected = np.repeat(np.repeat(imageio.to_uint8(img), 8, 0), 8, 1)
    assert np.array_equal(decoded, expected)
    assert images.png_size(data) == (112, 112)


def test_colorize_and_heat_png():
    rgb = images.colorize(np.array([[0.0, 0.5, 1.0, 2.0]]), vmax=1.0)
    assert rgb.shape == (1, 4, 3) and rgb.dtype == np.uint8
    assert tuple(rgb[0, 0]) == (0, 0, 4) and tuple(rgb[0, 2]) == tuple(rgb[0, 3]) == (252, 255, 164)
    decoded = np.array(Image.open(io.BytesIO(images.heat_png(np.zeros((28, 28)), 0.5, scale=2))))
    assert decoded.shape == (56, 56, 3)


def test_mosaic_tiles_and_zooms_lr():
    lr, hr = np.full((14, 14), 0.2), np.full((28, 28), 0.8)
    m = images.mosaic([[lr, lr], [hr, hr]], size=28, gap=2, fill=1.0)
    assert m.shape == (58, 58)
    assert m[0, 0] == 0.2 and m[30, 30] == 0.8 and m[28, 0] == 1.0
    with pytest.raises(ValueError):
        images.mosaic([[np.zeros((10, 10))]], size=28)
    with pytest.raises(ValueError):
        imageio.zoom(np.zeros((2, 2)), 0)


# ---------------------------------------------------------------- choosing samples, tables

def fake_split(n: int = 40) -> Split:
    g = torch.Generator().manual_seed(0)
    imgs = torch.randint(0, 256, (n, 28, 28), generator=g, dtype=torch.uint8)
    labels = torch.arange(n) % 10
    return Split(name="fashion-mnist", train=False, images=imgs, labels=labels, classes=tuple("abcdefghij"))


def test_parse_indices():
    assert compare.parse_indices("0, 5 10-12, 5", 20) == [0, 5, 10, 11, 12]
    for bad in ("x", "3-1", "", "25"):
        with pytest.raises(UserError):
            compare.parse_indices(bad, 20)


def test_select_indices_modes():
    split = fake_split()
    assert compare.select_indices("index", split, indices="1,2") == [1, 2]
    assert compare.select_indices("class", split, class_index=3, count=3) == [3, 13, 23]
    r1 = compare.select_indices("random", split, count=5, seed=7)
    assert r1 == compare.select_indices("random", split, count=5, seed=7) and len(set(r1)) == 5
    psnr = np.array([20.0, 10.0, np.inf, 15.0, np.nan])
    assert compare.select_indices("worst", split, count=2, psnr_values=psnr) == [4, 1]
    assert compare.select_indices("best", split, count=2, psnr_values=psnr) == [2, 0]
    with pytest.raises(UserError):
        compare.select_indices("worst", split, psnr_values=None)
    with pytest.raises(UserError):
        compare.select_indices("Sideways", split)


# ---------------------------------------------------------------- model outputs (untrained tiny models)

def test_spectra_summary_single_image_matches_core():
    g = torch.Generator().manual_seed(1)
    hr = torch.rand(1, 1, 28, 28, generator=g)
    lr = torch.nn.functional.avg_pool2d(hr, 2)
    sr = torch.rand(1, 1, 28, 28, generator=g)
    s = spectra.spectra_summary({"hr": hr, "lr": lr, "sr": sr, "bicubic": hr * 0.5})
    assert list(s["panels"]) == ["HR", "LR", "Decoder-only SR", "Bicubic"]
    assert np.allclose(s["panels"]["HR"], log_magnitude(hr[0, 0]).numpy())
    assert np.allclose(s["panels"]["LR"], log_magnitude(lr[0, 0] * 4).numpy())  # on the 28x28 scale
    assert np.allclose(s["error_panels"]["SR − HR"], error_spectrum(sr[0, 0], hr[0, 0]).numpy())
    assert s["hf_share"]["HR"] == pytest.approx(float(hf_energy_share(hr[0, 0])))
    radii, power = s["radial"]["HR"]
    assert radii[0] == 0 and power[0] == pytest.approx(float(hr.sum()) ** 2)  # DC power
    # A box-downsampled LR keeps the HR's DC on the 28x28 scale.
    assert s["radial"]["LR"][1][0] == pytest.approx(power[0])
    assert s["n"] == 1
    rows_ = spectra.hf_share_table(s["hf_share"])
    assert rows_[0]["Image"] == "HR" and rows_[0]["Energy above 7 cycles/image"].endswith("%")


def test_spectra_summary_set_average_is_rms():
    hr = torch.rand(4, 1, 28, 28, generator=torch.Generator().manual_seed(2))
    s = spectra.spectra_summary({"hr": hr})
    power = torch.fft.fftshift(torch.fft.fft2(hr.double()), dim=(-2, -1)).abs().pow(2).mean(dim=(0, 1))
    assert np.allclose(s["panels"]["HR"], torch.log1p(power.sqrt()).numpy())
    assert s["n"] == 4 and not s["error_panels"]
    assert math.isclose(s["hf_share"]["HR"], float(hf_energy_share(hr.double()).mean()))

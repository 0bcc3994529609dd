"""App tests: Compare and Spectra on held-out photos (AppTest; see tests/app_support.py), and the pure
helpers behind them (ui.photo_compare)."""
from __future__ import annotations

import io

import numpy as np
import pytest
import torch
from PIL import Image

from tests.app_support import (  # noqa: F401  (fixtures are found by name; fresh_registry is autouse)
    COMPARE, SPECTRA, preset_config, prepare_run, TrainJob, require_data, page, texts, fresh_registry, empty_runs,
    plotly_specs, values,
)
from sr_core.imaging.io import to_uint8, zoom
from sr_core.imaging.photo_metrics import PROTOCOL_Y, benchmark
from sr_core.imaging.photo_eval import benchmark_images
from sr_core.runs.catalog import load_path
from sr_core.runs.shipped import shipped_checkpoints
from ui import photo_compare
from ui.studio import photo_views


@pytest.fixture()
def counted(monkeypatch):
    """Empty SR cache; counts the whole-photo SR computations (ui.studio.photo_views.photo_sr)."""
    photo_views.cached_photo_sr.clear()
    calls = []
    real = photo_views.photo_sr

    def counting(model, name, degradation):
        calls.append(name)
        return real(model, name, degradation)

    monkeypatch.setattr(photo_views, "photo_sr", counting)
    yield calls
    photo_views.cached_photo_sr.clear()


def captions(at) -> list[str]:
    return texts(at, "caption") + [i.proto.imgs[0].caption for i in at.get("image")]


def test_compare_on_photos_metrics_match_photo_eval_and_box_moves_without_recomputing(empty_runs, counted):
    require_data()  # the page opens on the shipped (Fashion-MNIST) cnn-vae
    at = page(COMPARE, cmp_data="photos", cmp_photo="coins", cmp_more=["shipped · resnet-sr", "shipped · cnn-vae-class"])
    assert not at.exception, at.exception
    assert sorted(counted) == ["coins", "coins"]  # cnn-vae and resnet-sr; the class-conditioned one is not run
    caps = texts(at, "caption")
    assert any("Not shown on photos: `shipped · cnn-vae-class`" in c and "class label" in c for c in caps)
    assert any(c.startswith("Not on photos:") and "set-level scoring" in c for c in caps)
    assert any(PROTOCOL_Y in c and "Whole photo 'coins' (384×302)" in c for c in caps)  # odd height trimmed
    assert any("`shipped · resnet-sr` trained on: fashion-mnist" in c for c in caps)
    table = at.table[0].value.set_index("Method")
    shipped = shipped_checkpoints()
    coins = [item for item in benchmark_images("photos", None)[1] if item[0] == "coins"]
    for name in ("cnn-vae", "resnet-sr"):
        model, _ = load_path(shipped[name])  # scored with the primary's (shipped cnn-vae's) degradation, box
        ref = benchmark(model, coins, degradation="box")["per_image"][0]  # what `eval --dataset photos` prints
        row = table.loc[f"SR · shipped · {name}"]
        assert row["PSNR (dB)"] == f"{ref['sr']['psnr']:.2f}" and row["SSIM"] == f"{ref['sr']['ssim']:.4f}"
        assert row["Gain (dB)"] == f"{ref['gain_db']:.2f}" and row["Trained on"] == "fashion-mnist"
        assert table.loc["bicubic", "PSNR (dB)"] == f"{ref['bicubic']['psnr']:.2f}"
    before = [c for c in captions(at) if "whole 384×302 photo" in c]
    assert before and "box 64×64 at (160, 118)" in before[0]  # centred by default
    # 3 context crops (HR, LR, bicubic) + 2 models, plus the overview.
    assert len(at.get("image")) == 6
    at.slider(key="cmp_x").set_value(300).run()
    at.selectbox(key="cmp_box").set_value(128).run()  # the corner moves back inside: 384 - 128 = 256
    assert not at.exception
    assert any("box 128×128 at (256, 118)" in c for c in captions(at))
    assert "128×128, shown 1×" in captions(at) and "64×64, shown 3×" in captions(at)  # HR and LR crops
    assert sorted(counted) == ["coins", "coins"]  # moving the box reused the cached SR images
    at.selectbox(key="cmp_photo").set_value("chelsea").run()
    assert not at.exception and sorted(counted) == ["chelsea", "chelsea", "coins", "coins"]


@pytest.fixture(scope="module")
def photo_run(tmp_path_factory):
    """A runs folder with 'photo-run': resnet-sr trained 5 batches on 32×32 photo patches."""
    root = tmp_path_factory.mktemp("photoruns")
    cfg = preset_config("tiny", model="resnet-sr", dataset="photos", patch=32, steps=5, eval_every=5,
                        checkpoint_every=5)
    trainer, run = prepare_run(cfg, runs_dir=root, name="photo-run")
    job = TrainJob(trainer, run, torch_threads=1).start()
    assert job.join(120) and job.status == "finished", job.snapshot().error
    return root


def test_spectra_on_a_photo_crop_of_a_photo_run(photo_run, monkeypatch, counted):
    """A photo-trained run opens Spectra on photos (no MNIST files asked for); the crop's radial spectra are
    sr_core.spectra's of the HR / SR crops, and the HF table uses the crop's LR Nyquist (side / 4)."""
    from sr_core.spectra import mean_radial_profile, ref_scale

    monkeypatch.setenv("SR_RUNS_DIR", str(photo_run))
    monkeypatch.setenv("SR_DATA_DIR", str(photo_run / "nodata"))  # photos need no data folder
    at = page(SPECTRA, spec_photo="coins", spec_box=32, spec_x=10, spec_y=20)
    assert not at.exception, at.exception
    assert at.radio(key="spec_data").value == "photos"  # the default for a photo-trained model
    assert any("`photo-run` trained on: photos (scikit-image sample photos), 32×32 luminance patches" in c
               for c in texts(at, "caption"))
    assert any("crop at (10, 20) of 'coins'" in c and "LR Nyquist radius 8" in c for c in texts(at, "caption"))
    assert list(at.table[0].value.columns) == ["Image", "Energy above 8 cycles/image"]
    model, info = load_path(photo_run / "photo-run" / "checkpoint.pt")
    r = photo_compare.photo_sr(model, "coins", info["train_config"]["degradation"])  # the run's degradation
    panels = next(s for s in plotly_specs(at) if "2-D log-magnitude" in str(s["layout"]["title"]))
    assert panels["layout"]["xaxis"]["range"] == [-16.5, 15.5]  # the 32×32 crop's whole spectrum, not 28×28's
    radial = next(s for s in plotly_specs(at) if "Radially averaged" in str(s["layout"]["title"]))
    shown = {t["name"]: values(t["y"]) for t in radial["data"] if "y" in t}
    for key, img in (("HR", r.truth), ("Decoder-only SR", r.sr)):
        crop = torch.from_numpy(photo_compare.crop(img, 10, 20, 32).astype(np.float64))[None, None]
        _, power = mean_radial_profile(ref_scale(crop))
        assert np.allclose(shown[key], power.numpy(), rtol=1e-6), key
    at.slider(key="spec_x").set_value(200).run()
    assert not at.exception and any("crop at (200, 20)" in c for c in texts(at, "caption"))
    assert counted == ["coins"]


# ---------------------------------------------------------------- ui.photo_compare

def test_crop_box_is_clamped_even_and_pngs_are_pixel_exact():
    assert photo_compare.clamp_box(999, -5, 64, 302, 384) == (320, 0, 64)
    assert photo_compare.clamp_box(11, 13, 33, 302, 384) == (10, 12, 32)
    assert photo_compare.clamp_box(0, 0, 512, 302, 384) == (0, 0, 302)
    img = np.random.default_rng(0).random((40, 60, 3)).astype(np.float32)
    png, factor = photo_compare.crop_png(img, 10, 4, 32)
    assert factor == 6
    got = np.asarray(Image.open(io.BytesIO(png)))
    assert np.array_equal(got, zoom(to_uint8(img[4:36, 10:42]), 6))
    lr_png, lr_factor = photo_compare.crop_png(img[::2, ::2], 10, 4, 32, lr=True)
    assert lr_factor == 12 and np.asarray(Image.open(io.BytesIO(lr_png))).shape == (192, 192, 3)
    over = np.asarray(Image.open(io.BytesIO(photo_compare.overview_png(img[..., 0], 10, 4, 8))))
    assert over.shape == (40, 60, 3) and tuple(over[2, 14]) == photo_compare.BOX_RGB  # the box's top edge
    assert np.array_equal(over[20, 40], to_uint8(img[20, 40, 0]).repeat(3))  # outside the box: untouched

"""The BasicSR Y protocol (sr_core.imaging.photo_metrics) and ``eval --images`` / ``eval --dataset photos``."""
from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from scipy.ndimage import correlate

from sr_core.cli.main import main
from sr_core.runs.catalog import load_model, resolve
from sr_core.imaging.photo_metrics import PROTOCOL_Y, gaussian_window, psnr_y, score, ssim_y, y_channel
from sr_core.imaging.upscale import upscale


def _basicsr_ssim(a: np.ndarray, b: np.ndarray) -> float:
    """BasicSR's ``_ssim`` with cv2.filter2D (reflect-101 borders) replaced by scipy's 'mirror' mode, then the
    same [5:-5, 5:-5] crop to the valid windows."""
    c1, c2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2
    k = np.exp(-((np.arange(11) - 5) ** 2) / (2 * 1.5 ** 2))
    k /= k.sum()
    win = np.outer(k, k)
    f = lambda x: correlate(x, win, mode="mirror")[5:-5, 5:-5]  # noqa: E731
    mu1, mu2 = f(a), f(b)
    s1, s2, s12 = f(a * a) - mu1 ** 2, f(b * b) - mu2 ** 2, f(a * b) - mu1 * mu2
    return float((((2 * mu1 * mu2 + c1) * (2 * s12 + c2)) / ((mu1 ** 2 + mu2 ** 2 + c1) * (s1 + s2 + c2))).mean())


def test_identical_images_are_inf_psnr_and_ssim_1() -> None:
    img = np.random.default_rng(0).integers(0, 256, (30, 40, 3), dtype=np.uint8)
    assert psnr_y(img, img) == math.inf and ssim_y(img, img) == pytest.approx(1.0, abs=1e-12)


def test_hand_computed_cases() -> None:
    hr = np.zeros((8, 8), np.uint8)
    sr = hr.copy()
    sr[3, 4] = 255  # inside the 4×4 centre left after shaving 2 pixels; grey Y = 16 + 219·v
    assert psnr_y(sr, hr) == pytest.approx(10 * math.log10(255 ** 2 / (219 ** 2 / 16)), abs=1e-9)
    sr2 = hr.copy()
    sr2[0, :] = 255  # only in the shaved border: not counted
    assert psnr_y(sr2, hr) == math.inf
    rgb_hr = np.zeros((10, 10, 3), np.uint8)
    rgb_sr = rgb_hr.copy()
    rgb_sr[..., 0] = 255  # pure red: Y differs by 65.481 everywhere
    assert psnr_y(rgb_sr, rgb_hr) == pytest.approx(20 * math.log10(255 / 65.481), abs=1e-9)
    assert y_channel(np.full((2, 2, 3), 255, np.uint8))[0, 0] == pytest.approx(235.0)
    assert y_channel(np.zeros((2, 2), np.float32))[0, 0] == pytest.approx(16.0)


def test_ssim_agrees_with_basicsr_formula_and_skimage_on_a_random_image() -> None:
    from skimage.metrics import structural_similarity

    rng = np.random.default_rng(1)
    hr = rng.integers(0, 256, (48, 40, 3), dtype=np.uint8)
    sr = np.clip(hr.astype(int) + rng.integers(-20, 21, hr.shape), 0, 255).astype(np.uint8)
    a, b = y_channel(sr)[2:-2, 2:-2], y_channel(hr)[2:-2, 2:-2]
    ours = ssim_y(sr, hr)
    assert ours == pytest.approx(_basicsr_ssim(a, b), abs=1e-10)
    sk = structural_similarity(a, b, gaussian_weights=True, sigma=1.5, use_sample_covariance=False, data_range=255)
    assert ours == pytest.approx(sk, abs=1e-8) and 0.3 < ours < 0.99
    assert float(gaussian_window().sum()) == pytest.approx(1.0)


def test_eval_images_matches_a_hand_computation(tmp_path: Path, capsys) -> None:
    rng = np.random.default_rng(2)
    img = (np.add.outer(np.arange(32), np.arange(30)) * 4 + rng.integers(0, 30, (32, 30))).clip(0, 255).astype(np.uint8)
    (tmp_path / "sub").mkdir()
    Image.fromarray(img).save(tmp_path / "sub" / "g.png")
    (tmp_path / "bad.png").write_bytes(b"nope")
    rc = main(["eval", str(resolve("resnet-sr")), "--images", str(tmp_path), "--json"])
    out = capsys.readouterr()
    res = json.loads(out.out)
    assert rc == 0 and res["n_images"] == 1 and res["protocol"] == PROTOCOL_Y and "skipped bad.png" in out.err
    row = res["per_image"][0]
    r = upscale(load_model("resnet-sr"), img.astype(np.float32) / 255, mode="truth", degradation="box")
    sr8 = np.clip(np.rint(r.sr.astype(np.float64) * 255), 0, 255)
    y_sr, y_hr = 16 + sr8 * 219 / 255, 16 + img.astype(np.float64) * 219 / 255
    mse = np.mean((y_sr[2:-2, 2:-2] - y_hr[2:-2, 2:-2]) ** 2)
    assert row["name"] == "sub/g.png" and row["sr"]["psnr"] == pytest.approx(10 * math.log10(255 ** 2 / mse), abs=1e-9)
    assert row["gain_db"] == pytest.approx(row["sr"]["psnr"] - row["bicubic"]["psnr"])


def test_eval_on_the_held_out_photos(capsys) -> None:
    rc = main(["eval", str(resolve("cnn-vae")), "--dataset", "photos", "--limit", "1"])
    out = capsys.readouterr().out
    assert rc == 0 and "chelsea" in out and "trained on: fashion-mnist" in out and "Protocol: PSNR/SSIM on Y" in out
    assert score(np.zeros((12, 12)), np.zeros((12, 12)))["psnr"] == math.inf

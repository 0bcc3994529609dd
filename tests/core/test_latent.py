"""Latent measurements (sr_core/latent.py): hand computation on a small batch, the latent gap of the
shipped cnn-vae, eval --json's "latent" object, and the trainer's latent column in metrics.csv."""
from __future__ import annotations

import csv
import json
import math
from pathlib import Path

import numpy as np
import pytest
import torch

from sr_core.data import Split
from sr_core.latent import LATENT_PROTOCOL, latent_lr_psnr, latent_metrics, latent_per_image
from sr_core.models import build_model

torch.set_num_threads(1)
ROOT = Path(__file__).resolve().parents[2]
SHIPPED = ROOT / "assets" / "checkpoints"


def _split(n: int = 6) -> Split:
    g = torch.Generator().manual_seed(0)
    images = (torch.rand(n, 28, 28, generator=g) * 255).to(torch.uint8)
    return Split(name="synthetic", train=False, images=images, labels=torch.arange(n) % 10,
                 classes=tuple(str(i) for i in range(10)))


def _psnr_by_hand(a: np.ndarray, b: np.ndarray) -> float:
    return 10.0 * math.log10(1.0 / float(np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2)))


@pytest.mark.parametrize("name", ["cnn-vae", "cnn-vae-paper"])
def test_latent_metrics_match_a_hand_computation(name: str) -> None:
    model = build_model(name, seed=0).eval()
    split = _split()
    per = latent_per_image(model, split, batch_size=4, seed=7)
    hr = split.images.float().div(255).unsqueeze(1)
    lr = hr.reshape(6, 1, 14, 2, 14, 2).mean(dim=(3, 5)).numpy()  # 2x2 block means, by hand
    with torch.no_grad():
        for i, (lo, hi) in enumerate(((0, 4), (4, 6))):  # the batches and their seeds: 7 + 0, 7 + 4
            post = model.encode(hr[lo:hi], generator=torch.Generator().manual_seed(7 + lo))
            mu = post.mu.clamp(0, 1).numpy()
            z = post.z.clamp(0, 1).numpy()
            dec_mu = model.super_resolve(post.mu.clamp(0, 1)).clamp(0, 1).numpy()
            dec_lr = model.super_resolve(torch.from_numpy(lr[lo:hi])).clamp(0, 1).numpy()
            sig = post.sigma.numpy()
            loc = post.loc.numpy().astype(np.float64)
            for j in range(hi - lo):
                k = lo + j
                assert per["mu_lr_psnr"][k].item() == pytest.approx(_psnr_by_hand(mu[j], lr[k]), abs=1e-4)
                assert per["z_lr_psnr"][k].item() == pytest.approx(_psnr_by_hand(z[j], lr[k]), abs=1e-4)
                assert per["sigma_mean"][k].item() == pytest.approx(float(sig[j].mean()), rel=1e-5)
                var = sig[j].astype(np.float64) ** 2
                kl = 0.5 * np.mean(loc[j] ** 2 + var - np.log(np.maximum(var, 1e-12)) - 1)
                assert per["kl"][k].item() == pytest.approx(kl, rel=1e-4)
                gap = _psnr_by_hand(dec_mu[j], hr[k].numpy()) - _psnr_by_hand(dec_lr[j], hr[k].numpy())
                assert per["gap_psnr"][k].item() == pytest.approx(gap, abs=1e-4)
    assert set(per) >= {"dec_mu_proj_psnr", "dec_lr_proj_psnr", "gap_proj_psnr"}


def test_latent_lr_psnr_is_mu_vs_lr_and_refuses_models_without_a_latent() -> None:
    model = build_model("cnn-vae", seed=0).eval()
    hr = _split().images.float().div(255).unsqueeze(1)
    lr = torch.nn.functional.avg_pool2d(hr, 2)
    per = latent_lr_psnr(model, hr, lr)
    assert per.shape == (6,) and torch.isfinite(per).all()
    with pytest.raises(ValueError, match="no latent image"):
        latent_lr_psnr(build_model("resnet-sr"), hr, lr)


def test_shipped_cnn_vae_latent_is_close_to_lr_and_the_decoder_is_the_limit(data_dir) -> None:
    """Measured on the first 2,000 test images (python -m sr_core eval assets/checkpoints/cnn-vae/checkpoint.pt
    --json --limit 2000): PSNR(mu, LR) 29.07 dB, gap 0.61 dB (decoder(mu) 19.86 vs decoder(LR) 19.25 dB),
    bicubic 19.34 dB. On the first 500 images the tolerances below hold with margin (±1 dB on mu,
    the gap between 0.3 and 1.0 dB)."""
    from sr_core.checkpoint import model_from_checkpoint
    from sr_core.data import load_split

    model, _ = model_from_checkpoint(SHIPPED / "cnn-vae" / "checkpoint.pt")
    split = load_split("fashion-mnist", train=False, data_dir=data_dir, download=False)
    got = latent_metrics(model, split, limit=500)
    assert got["n_images"] == 500 and got["protocol"] == LATENT_PROTOCOL
    assert 28.0 <= got["mu_lr_psnr"] <= 30.0
    assert 0.3 <= got["gap_psnr"] <= 1.0            # decoder(mu) beats decoder(LR), but only a little
    assert got["dec_mu_psnr"] < 21.0                 # ...and both stay near bicubic (~19.3 dB)
    assert 0.0 < got["gap_proj_psnr"] < got["gap_psnr"]  # the projection closes part of the gap


def test_eval_json_has_a_latent_object_only_for_models_with_a_latent(data_dir, capsys) -> None:
    from sr_core.cli.main import main

    for name, has in (("cnn-vae", True), ("resnet-sr", False)):
        assert main(["eval", str(SHIPPED / name / "checkpoint.pt"), "--json", "--limit", "100",
                     "--data-dir", str(data_dir)]) == 0
        out = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
        assert ("latent" in out) == has
        if has:
            assert out["latent"]["n_images"] == 100 and "gap_psnr" in out["latent"]


@pytest.mark.parametrize("model", ["cnn-vae-class"])
def test_tiny_run_metrics_csv_has_the_latent_column_and_the_class_loss(model: str, data_dir, tmp_path) -> None:
    from sr_core.presets import preset_config
    from sr_core.runs.jobs import prepare_run

    cfg = preset_config("tiny", model=model, steps=6, batch_size=20, eval_every=3, eval_limit=100,
                        checkpoint_every=6, device="cpu")
    trainer, run = prepare_run(cfg, runs_dir=tmp_path, name="t", data_dir=data_dir, command=["test"])
    assert trainer.run() == "finished"
    with open(run.path / "metrics.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    test_rows = [r for r in rows if r["split"] == "test"]
    train_rows = [r for r in rows if r["split"] == "train"]
    assert len(test_rows) >= 2 and all(float(r["latent_psnr"]) > 5.0 for r in test_rows)
    assert all(float(r["cls"]) > 0.0 for r in train_rows + test_rows)  # cross-entropy of 10 classes
    assert trainer.snapshot().preview["z"].shape[1:] == (14, 14)

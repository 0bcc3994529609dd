"""evaluate()'s extras on synthetic data: diversity, best-of-8, projection, HF share, temperature,
predicted labels; and that a deterministic model's result keeps the plain keys."""
from __future__ import annotations

import torch

from sr_core.evaluate import evaluate
from sr_core.models import build_model
from tests._synthetic import uniform_split

# Small configs keep the test fast (the defaults are exercised in tests/models/test_models_beyond_paper.py).
SMALL = {"resnet-sr": {"channels": 8, "blocks": 1}, "cvae-sr": {"channels": 8, "blocks": 1, "enc_channels": 8},
         "cnn-vae-class": {}}


def _model(name: str) -> torch.nn.Module:
    torch.manual_seed(0)
    return build_model(name, SMALL[name])


def test_evaluate_extras() -> None:
    split = uniform_split()
    cvae = _model("cvae-sr").eval()
    res = evaluate(cvae, split, projection=True, hf_share=True)
    m = res["model"]
    assert {"psnr", "ssim", "lr_psnr", "diversity", "best_of_8_psnr", "hf_share"} <= set(m)
    assert m["diversity"] > 0 and m["best_of_8_psnr"] >= m["psnr"] - 3.0
    assert res["model+projection"]["lr_psnr"] >= 45
    assert 0 <= res["hr"]["hf_share"] <= 1
    cold = evaluate(cvae, split, temperature=0.0)
    assert cold["model"]["diversity"] == 0 and cold["temperature"] == 0.0
    # Deterministic models: no diversity keys, and the old call gives the old keys.
    plain = evaluate(_model("resnet-sr"), split)
    assert set(plain["model"]) == {"psnr", "ssim", "lr_psnr"} and "model+projection" not in plain
    assert "model+projection" not in evaluate(cvae, split, degradation="bicubic", projection=True, samples=0)
    cls = evaluate(_model("cnn-vae-class"), split)
    assert 0 <= cls["model+predicted_labels"]["accuracy"] <= 1

"""sr_core.evaluate: the eval.json layout (eval_result / write_eval), scoring without the baselines,
progress reports, and the K best-of-8 samples drawn in one batched pass. Synthetic data, CPU."""
from __future__ import annotations

import json
import math

import pytest
import torch

from sr_core.evaluate import eval_result, evaluate, per_image_metrics, predict, write_eval
from sr_core.models import build_model
from tests._synthetic import synthetic_split


@pytest.fixture(scope="module")
def cvae():
    torch.manual_seed(0)
    return build_model("cvae-sr", {}).eval()


def test_eval_result_of_per_image_metrics_is_evaluate(cvae):
    split = synthetic_split(24, train=False)
    per = per_image_metrics(cvae, split, limit=20, temperature=0.7)
    built = eval_result(per, dataset=split.name, degradation="box", samples=8, temperature=0.7, step=5)
    ref = evaluate(cvae, split, limit=20, temperature=0.7)
    assert built.pop("step") == 5
    assert built == ref and ref["n_images"] == 20 and ref["temperature"] == 0.7


@pytest.mark.parametrize("projection", [False, True])
def test_scoring_without_baselines_gives_the_same_model_numbers(cvae, projection):
    split = synthetic_split(16, train=False)
    seen = []
    full = per_image_metrics(cvae, split, batch_size=6, projection=projection)
    lean = per_image_metrics(cvae, split, batch_size=6, projection=projection, baselines=False,
                             progress=lambda done, total: seen.append((done, total)))
    assert {"nearest", "bilinear", "bicubic"} <= set(full) and not {"nearest", "bilinear", "bicubic"} & set(lean)
    for name in lean:
        for k, v in lean[name].items():
            assert torch.equal(v, full[name][k]), (name, k)
    assert seen == [(6, 16), (12, 16), (16, 16)]
    baselines = per_image_metrics(None, split, batch_size=6)
    assert set(baselines) == {"nearest", "bilinear", "bicubic"}
    assert torch.equal(baselines["bicubic"]["psnr"], full["bicubic"]["psnr"])


def test_batched_samples_are_k_draws_per_image_and_reproducible(cvae, monkeypatch):
    import sr_core.evaluate as ev

    hr = synthetic_split(10).hr(slice(0, 10))
    monkeypatch.setattr(ev, "SAMPLE_BATCH", 24)  # 8 samples x 3 images per pass: 4 passes for 10 images
    calls, priors = [], []
    real, real_prior = type(cvae).super_resolve_samples, type(cvae).prior_params

    def counted(self, x, k, *a, **kw):
        calls.append((x.shape[0], k))
        return real(self, x, k, *a, **kw)

    def counted_prior(self, x):
        priors.append(x.shape[0])
        return real_prior(self, x)

    monkeypatch.setattr(type(cvae), "super_resolve_samples", counted)
    monkeypatch.setattr(type(cvae), "prior_params", counted_prior)
    out = predict(cvae, hr, samples=8, seed=3)
    assert out["samples"].shape == (8, 10, 1, 28, 28)
    # After the seed-0 SR (one sample of 10 images): K samples of each 3-image chunk in one pass,
    # with the prior network run once per chunk on the 3 LR images, not on their 24 copies.
    assert calls == [(10, 1), (3, 8), (3, 8), (3, 8), (1, 8)]
    assert priors[-4:] == [3, 3, 3, 1]
    again = predict(cvae, hr, samples=8, seed=3)["samples"]
    assert torch.equal(out["samples"], again)
    assert out["samples"].std(dim=0).mean() > 0  # the 8 draws differ


@pytest.mark.parametrize("temperature", [0.0, 0.5, 1.0])
def test_samples_from_one_prior_equal_super_resolve_of_k_copies(cvae, temperature):
    from sr_core.models.base import SRModel

    lr = synthetic_split(5).hr(slice(0, 5))[:, :, ::2, ::2].contiguous()  # (5, 1, 14, 14) in [0, 1]
    once = cvae.super_resolve_samples(lr, 4, generator=torch.Generator().manual_seed(7), temperature=temperature)
    # The base-class default: the batch repeated K times through super_resolve (prior on every copy).
    copies = SRModel.super_resolve_samples(cvae, lr, 4, generator=torch.Generator().manual_seed(7),
                                           temperature=temperature)
    assert once.shape == (20, 1, 28, 28)
    torch.testing.assert_close(once, copies, rtol=0, atol=1e-6)


def test_write_eval_is_strict_json_in_the_run_folder(tmp_path):
    result = {"protocol": "p", "n_images": 3, "nearest": {"psnr": 20.0, "lr_psnr": math.inf}}
    path = write_eval(tmp_path, result)
    assert path == tmp_path / "eval.json"
    assert json.loads(path.read_text()) == {"protocol": "p", "n_images": 3, "nearest": {"psnr": 20.0, "lr_psnr": None}}
    assert not list(tmp_path.glob("*.tmp*"))

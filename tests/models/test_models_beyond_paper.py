"""The models beyond the paper: resnet-sr, cvae-sr and cnn-vae-class.

Small, CPU-only, synthetic data: shapes, gradients reach every parameter, no NaN, cvae diversity vs
temperature, class conditioning, config round trip through a checkpoint, presets, a few trainer steps.
(The LR-consistent projection: tests/core/test_projection.py; evaluate()'s extras: tests/core/test_evaluate.py.)
"""
from __future__ import annotations

import dataclasses
import math

import pytest
import torch

from sr_core.checkpoint import model_config_dict, model_from_checkpoint, save_checkpoint
from sr_core.presets import PRESETS, preset_config
from sr_core.data import Split
from sr_core.degrade import box_downsample
from sr_core.errors import UserError
from sr_core.models import build_model, describe_models, model_class, model_names
from tests._synthetic import uniform_split

NEW_MODELS = ("resnet-sr", "cvae-sr", "cnn-vae-class")
# Small configs keep every test fast; the defaults are exercised by the registry test.
SMALL = {
    "resnet-sr": {"channels": 8, "blocks": 1},
    "cvae-sr": {"channels": 8, "blocks": 1, "enc_channels": 8},
    "cnn-vae-class": {},
}


def _batch(b: int = 4, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    hr = torch.rand(b, 1, 28, 28, generator=g)
    return hr, box_downsample(hr), torch.arange(b) % 10


def _model(name: str, **overrides) -> torch.nn.Module:
    torch.manual_seed(0)
    return build_model(name, {**SMALL[name], **overrides})


def _split(n: int = 12) -> Split:
    return uniform_split(n)


# ---------------------------------------------------------------- registry and interface

def test_registered_with_flags() -> None:
    for name in NEW_MODELS:
        assert name in model_names()
    assert model_class("resnet-sr").stochastic is False
    assert model_class("resnet-sr").has_reconstruction is False
    assert model_class("cvae-sr").stochastic is True
    assert model_class("cnn-vae-class").stochastic is False
    rows = {r["name"]: r for r in describe_models()}
    assert all(rows[n]["parameters"] > 0 for n in NEW_MODELS)


@pytest.mark.parametrize("name", NEW_MODELS)
def test_shapes_loss_keys_and_finite(name: str) -> None:
    model = _model(name)
    hr, lr, labels = _batch()
    out = model(hr, lr=lr, labels=labels, generator=torch.Generator().manual_seed(1))
    assert out.recon.shape == (4, 1, 28, 28)
    terms = model.loss(out, hr, lr, alpha=0.5, kl_weight=0.0, labels=labels)
    assert set(terms) == set(model.loss_names)
    assert all(torch.isfinite(v) and v.ndim == 0 for v in terms.values())
    assert set(model.loss_names) <= set(terms) and model.loss_names[-1] == "total"
    model.eval()
    sr = model.super_resolve(lr, labels=labels, generator=torch.Generator().manual_seed(2))
    assert sr.shape == (4, 1, 28, 28)
    assert torch.isfinite(sr).all() and sr.min() >= 0 and sr.max() <= 1


@pytest.mark.parametrize("name", NEW_MODELS)
def test_every_parameter_gets_a_gradient(name: str) -> None:
    model = _model(name)
    hr, lr, labels = _batch()
    out = model(hr, lr=lr, labels=labels, generator=torch.Generator().manual_seed(1))
    model.loss(out, hr, lr, alpha=0.5, kl_weight=0.0, labels=labels)["total"].backward()
    for pname, p in model.named_parameters():
        assert p.grad is not None, f"{name}: {pname} gets no gradient"
        assert torch.isfinite(p.grad).all(), f"{name}: {pname} has a non-finite gradient"
        assert p.grad.abs().sum() > 0, f"{name}: {pname} has an all-zero gradient"


@pytest.mark.parametrize("name", ["resnet-sr", "cvae-sr"])
@pytest.mark.parametrize("hw", [(14, 14), (10, 12), (7, 5)])
def test_fully_convolutional(name: str, hw: tuple[int, int]) -> None:
    model = _model(name).eval()
    lr = torch.rand(2, 1, *hw)
    assert model.super_resolve(lr).shape == (2, 1, 2 * hw[0], 2 * hw[1])
    hr = torch.rand(2, 1, 2 * hw[0], 2 * hw[1])
    assert model(hr).recon.shape == hr.shape  # lr derived from hr when not given


def test_bad_choices_are_one_line_errors() -> None:
    with pytest.raises(UserError, match="pixel loss"):
        build_model("resnet-sr", {"loss": "l3"})
    with pytest.raises(UserError, match="base upsampler"):
        build_model("cvae-sr", {"base": "lanczos"})


def test_resnet_losses_and_training_lowers_loss() -> None:
    hr, lr, _ = _batch(8)
    for kind in ("l1", "mse", "psnr"):
        model = _model("resnet-sr", loss=kind)
        opt = torch.optim.Adam(model.parameters(), lr=3e-3)
        first = None
        for _ in range(15):
            total = model.loss(model(hr, lr=lr), hr, lr, alpha=1.0)["total"]
            first = float(total.detach()) if first is None else first
            opt.zero_grad()
            total.backward()
            opt.step()
        assert float(total.detach()) < first, kind


# ---------------------------------------------------------------- cvae-sr

def test_cvae_diversity_depends_on_temperature() -> None:
    model = _model("cvae-sr").eval()
    # Give the prior some spread and the decoder a dependence on z (a fresh model already has both).
    _, lr, _ = _batch()
    gen = torch.Generator().manual_seed(0)
    hot = torch.stack([model.super_resolve(lr, generator=gen, temperature=1.0) for _ in range(4)])
    cold = torch.stack([model.super_resolve(lr, generator=gen, temperature=0.0) for _ in range(4)])
    assert hot.std(dim=0).mean() > 0
    assert cold.std(dim=0).max() == 0
    # The config's temperature is the default.
    model.config.temperature = 0.0
    again = torch.stack([model.super_resolve(lr, generator=gen) for _ in range(3)])
    assert again.std(dim=0).max() == 0


def test_cvae_same_seed_same_sample_and_kl_weight_override() -> None:
    model = _model("cvae-sr").eval()
    hr, lr, _ = _batch()
    a = model.super_resolve(lr, generator=torch.Generator().manual_seed(9))
    b = model.super_resolve(lr, generator=torch.Generator().manual_seed(9))
    assert torch.equal(a, b)
    with torch.no_grad():
        out = model(hr, lr=lr, generator=torch.Generator().manual_seed(1))
        t_cfg = model.loss(out, hr, lr, alpha=1.0, kl_weight=0.0)  # beta from config (1.0 by default)
        t_kw = model.loss(out, hr, lr, alpha=1.0, kl_weight=0.5)
        t0 = model.loss(out, hr, lr, alpha=0.0)
    beta = model.config.beta
    assert math.isclose(float(t_cfg["total"]), float(t_cfg["recon"] + beta * t_cfg["kl"]), rel_tol=1e-5)
    assert math.isclose(float(t_kw["total"]), float(t_kw["recon"] + 0.5 * t_kw["kl"]), rel_tol=1e-5)
    assert math.isclose(float(t0["total"]), float(t0["latent"]), rel_tol=1e-6)


# ---------------------------------------------------------------- cnn-vae-class

def test_class_conditioning_changes_output_and_oracle_vs_predicted() -> None:
    model = _model("cnn-vae-class").eval()
    _, lr, _ = _batch()
    zeros = torch.zeros(4, dtype=torch.long)
    # Fresh embeddings are zero (the model starts as cnn-vae): labels do not matter yet.
    assert torch.allclose(model.super_resolve(lr, labels=zeros), model.super_resolve(lr, labels=zeros + 3))
    with torch.no_grad():
        torch.nn.init.normal_(model.film.weight, std=0.5)
        torch.nn.init.normal_(model.out_bias.weight, std=0.5)
    a = model.super_resolve(lr, labels=zeros)
    b = model.super_resolve(lr, labels=zeros + 3)
    assert (a - b).abs().max() > 1e-3
    pred = model.classify(lr)
    assert pred.shape == (4,) and pred.dtype == torch.long and ((0 <= pred) & (pred < 10)).all()
    probs = model.class_probs(lr)
    assert torch.allclose(probs.sum(dim=1), torch.ones(4), atol=1e-5)
    # labels=None: the classifier's soft prediction; hard labels: its argmax, same as oracle with those labels.
    soft = model.super_resolve(lr)
    assert soft.shape == (4, 1, 28, 28)
    model.config.soft_labels = False
    assert torch.allclose(model.super_resolve(lr), model.super_resolve(lr, labels=pred), atol=1e-6)


def test_class_model_trains_its_classifier() -> None:
    model = _model("cnn-vae-class")
    hr, lr, labels = _batch(8)
    out = model(hr, lr=lr, labels=labels, generator=torch.Generator().manual_seed(0))
    terms = model.loss(out, hr, lr, alpha=0.75, labels=labels)
    expected = (0.75 * terms["recon"] + 0.25 * terms["latent"] + model.config.cls_weight * terms["cls"])
    assert torch.allclose(terms["total"], expected)
    assert float(terms["cls"].detach()) > 0


# ---------------------------------------------------------------- checkpoints, presets, trainer

@pytest.mark.parametrize("name", NEW_MODELS)
def test_config_round_trip_through_checkpoint(name: str, tmp_path) -> None:
    overrides = {"resnet-sr": {"channels": 8, "blocks": 2, "loss": "mse", "base": "nearest"},
                 "cvae-sr": {"channels": 8, "blocks": 1, "enc_channels": 8, "z_channels": 3,
                             "temperature": 0.5, "beta": 0.02},
                 "cnn-vae-class": {"cls_weight": 0.3, "soft_labels": False, "cls_channels": [8, 16]}}[name]
    model = build_model(name, overrides).eval()
    path = save_checkpoint(tmp_path / "ck.pt", model, train_config={"model": name}, step=3)
    ckpt = torch.load(path, weights_only=True)
    assert ckpt["model_config"] == model_config_dict(model)
    loaded, _ = model_from_checkpoint(path)
    assert dataclasses.asdict(loaded.config) == dataclasses.asdict(build_model(name, ckpt["model_config"]).config)
    for k, v in overrides.items():
        assert model_config_dict(loaded)[k] == v
    _, lr, labels = _batch()
    g = lambda: torch.Generator().manual_seed(4)  # noqa: E731
    assert torch.equal(model.super_resolve(lr, labels=labels, generator=g()),
                       loaded.super_resolve(lr, labels=labels, generator=g()))


def test_fp16_weights_load_back_as_float32(tmp_path) -> None:
    model = _model("resnet-sr").eval()
    path = save_checkpoint(tmp_path / "ck.pt", model)
    ckpt = torch.load(path, weights_only=True)
    ckpt["model_state"] = {k: v.half() for k, v in ckpt["model_state"].items()}
    torch.save(ckpt, path)
    loaded, _ = model_from_checkpoint(path)
    assert all(p.dtype == torch.float32 for p in loaded.parameters())


def test_presets_exist_and_validate() -> None:
    for name, model in (("resnet-sr", "resnet-sr"), ("cvae-sr", "cvae-sr"), ("cnn-vae-class", "cnn-vae-class")):
        assert name in PRESETS and PRESETS[name].help
        cfg = preset_config(name).validate()
        assert cfg.model == model
        build_model(cfg.model, cfg.model_config)


@pytest.mark.parametrize("name", NEW_MODELS)
def test_trainer_runs_a_few_steps(name: str) -> None:
    from sr_core.trainer import Trainer

    split = _split(40)
    train = dataclasses.replace(split, train=True)
    cfg = preset_config("tiny", model=name, model_config=SMALL[name], steps=4, batch_size=8, eval_every=2,
                        eval_limit=16, device="cpu")
    trainer = Trainer(build_model(name, cfg.model_config), cfg, train, split)
    assert trainer.run() == "finished"
    snap = trainer.snapshot()
    assert snap.step == 4 and all(math.isfinite(r["total"]) for r in snap.train + snap.test)


@pytest.mark.parametrize("model,degradation,given,expect", [
    ("resnet-sr", "bicubic", {}, False), ("resnet-sr", "box", {}, None), ("cvae-sr", "bicubic", {}, False),
    ("resnet-sr", "bicubic", {"consistent": False}, False), ("cnn-vae", "bicubic", {}, None)])
def test_the_box_projection_is_off_for_another_degradation(model, degradation, given, expect):
    """box(SR) == LR is the wrong constraint for bicubic LR: a run builds its model without it."""
    from sr_core.config import TrainConfig

    cfg = TrainConfig(model=model, degradation=degradation, model_config=given, alpha_schedule=[(0, 1.0)])
    assert cfg.model_overrides().get("consistent") is expect
    built = build_model(model, cfg.model_overrides())
    if expect is not None:
        assert built.config.consistent is expect


def test_an_explicit_box_projection_with_bicubic_is_one_line_error():
    from sr_core.config import TrainConfig

    with pytest.raises(UserError, match="assumes the box degradation"):
        TrainConfig(model="resnet-sr", degradation="bicubic", model_config={"consistent": True},
                    alpha_schedule=[(0, 1.0)]).validate()

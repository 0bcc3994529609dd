"""The model interface contract (sr_core/models/base.py), checked over every registered model:
declared capabilities match behaviour, so callers never need hasattr/getattr/except TypeError."""
from __future__ import annotations

import pytest
import torch

from sr_core.errors import UserError
from sr_core.models import Posterior, SRModel, build_model, model_class, model_names
from sr_core.runs.store import METRIC_FIELDS

torch.set_num_threads(1)
SMALL = {"resnet-sr": {"channels": 8, "blocks": 1}, "cvae-sr": {"channels": 8, "blocks": 1, "enc_channels": 8},
         "cnn-vae-deep": {"channels": 8, "blocks": 1}}


def _model(name: str) -> SRModel:
    return build_model(name, SMALL.get(name), seed=0).eval()


def _batch(b: int = 3) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(0)
    hr = torch.rand(b, 1, 28, 28, generator=g)
    return hr, torch.nn.functional.avg_pool2d(hr, 2), torch.arange(b) % 10


@pytest.mark.parametrize("name", model_names())
def test_latent_capability_matches_encode(name: str) -> None:
    model = _model(name)
    hr, _, _ = _batch()
    if not model.has_latent:
        with pytest.raises(NotImplementedError):
            model.encode(hr)
        return
    post = model.encode(hr, generator=torch.Generator().manual_seed(1))
    assert isinstance(post, Posterior)
    for t in (post.mu, post.sigma, post.z, post.sample(torch.Generator().manual_seed(2))):
        assert t.shape == (3, 1, 14, 14) and torch.isfinite(t).all()
    assert post.mu.min() >= 0 and post.mu.max() <= 1
    assert (post.sigma >= 0).all()
    assert post.kl().shape == (3,) and (post.kl() >= 0).all()
    # mode() is the zero-noise latent; a sample with the same seed as encode's is encode's z.
    again = model.encode(hr, generator=torch.Generator().manual_seed(1))
    assert torch.equal(again.z, post.z)
    assert torch.allclose(post.mode(), post.mu)


@pytest.mark.parametrize("name", model_names())
def test_temperature_changes_only_a_stochastic_models_output(name: str) -> None:
    model = _model(name)
    _, lr, labels = _batch()

    def sr(t: float | None) -> torch.Tensor:
        return model.super_resolve(lr, labels=labels, generator=torch.Generator().manual_seed(3), temperature=t)

    assert model.takes_temperature == (model.default_temperature() is not None) == (model.temperature_range is not None)
    if model.takes_temperature:
        assert model.stochastic
        assert not torch.allclose(sr(0.0), sr(1.0))
        assert torch.equal(sr(None), sr(model.default_temperature()))
    else:
        assert torch.equal(sr(0.0), sr(1.0)) and torch.equal(sr(None), sr(1.0))


@pytest.mark.parametrize("name", model_names())
def test_stochastic_flag_matches_sampling(name: str) -> None:
    model = _model(name)
    _, lr, labels = _batch()
    a = model.super_resolve(lr, labels=labels, generator=torch.Generator().manual_seed(1))
    b = model.super_resolve(lr, labels=labels, generator=torch.Generator().manual_seed(2))
    assert torch.equal(a, b) != model.stochastic


@pytest.mark.parametrize("name", model_names())
def test_labels_and_classifier_capabilities(name: str) -> None:
    model = _model(name)
    with torch.no_grad():  # move the zero-initialized class embeddings so labels can matter
        for p in model.parameters():
            p.add_(0.01 * torch.randn(p.shape, generator=torch.Generator().manual_seed(4)))
    _, lr, _ = _batch()
    gen = lambda: torch.Generator().manual_seed(5)  # noqa: E731
    y0, y3 = torch.zeros(3, dtype=torch.long), torch.full((3,), 3)
    differs = not torch.allclose(model.super_resolve(lr, labels=y0, generator=gen()),
                                 model.super_resolve(lr, labels=y3, generator=gen()))
    assert differs == model.takes_labels
    if model.has_classifier:
        assert model.classify(lr).shape == (3,)
    else:
        with pytest.raises(NotImplementedError):
            model.classify(lr)


@pytest.mark.parametrize("name", model_names())
def test_loss_reports_exactly_its_declared_names_and_they_reach_metrics_csv(name: str) -> None:
    model = _model(name).train()
    hr, lr, labels = _batch(4)
    terms = model.loss(model(hr, lr=lr, labels=labels, generator=torch.Generator().manual_seed(1)), hr, lr,
                       alpha=0.5, labels=labels)
    assert tuple(terms) == model.loss_names == tuple(model.loss_labels)
    assert model.loss_names[-1] == "total"
    assert all(model.loss_labels[k] for k in model.loss_names)
    assert set(model.loss_names) <= set(METRIC_FIELDS)


def test_resnet_loss_is_not_labelled_bce() -> None:
    assert "BCE" not in " ".join(model_class("resnet-sr").loss_labels.values())
    assert "BCE" in model_class("cnn-vae").loss_labels["recon"]


@pytest.mark.parametrize("name", model_names())
def test_forward_without_lr_uses_the_default_degradation(name: str) -> None:
    from sr_core.degrade import DEFAULT_DEGRADATION, get_degradation
    model = _model(name)
    hr, _, labels = _batch()
    lr = get_degradation(DEFAULT_DEGRADATION)(hr)
    a = model(hr, labels=labels, generator=torch.Generator().manual_seed(1)).recon
    b = model(hr, lr=lr, labels=labels, generator=torch.Generator().manual_seed(1)).recon
    assert torch.equal(a, b)


def test_registered_loss_names_cover_every_model_and_metrics_csv() -> None:
    from sr_core.models import registered_loss_names
    names = registered_loss_names()
    assert names[0] == "total" and "cls" in names
    assert all(set(model_class(m).loss_names) <= set(names) for m in model_names())
    assert set(names) <= set(METRIC_FIELDS)


# ---------------------------------------------------------------- declarations checked against behaviour
# (the forward-pass probe that used to live in sr_core.imaging.upscale: callers now read the declaration)

def _sr0(model: SRModel, lr: torch.Tensor) -> torch.Tensor:
    """Deterministic SR (temperature at the bottom of the range for models that take one)."""
    t = model.temperature_range[0] if model.takes_temperature else None
    return model.super_resolve(lr, generator=torch.Generator().manual_seed(0), temperature=t)


@pytest.mark.parametrize("name", model_names())
@torch.no_grad()
def test_fully_convolutional_declaration_matches_a_probe(name: str) -> None:
    model = _model(name)
    probe = torch.rand(1, 1, 10, 12, generator=torch.Generator().manual_seed(0))
    try:
        conv = tuple(_sr0(model, probe).shape) == (1, 1, 20, 24)
    except (RuntimeError, ValueError):  # a linear layer refuses the shape
        conv = False
    assert model.fully_convolutional is conv


@pytest.mark.parametrize("name", model_names())
@torch.no_grad()
def test_trains_any_size_declaration_matches_a_training_pass(name: str) -> None:
    model = _model(name)
    try:
        out = model(torch.rand(2, 1, 32, 32), lr=torch.rand(2, 1, 16, 16), labels=torch.zeros(2, dtype=torch.long))
        any_size = tuple(out.recon.shape) == (2, 1, 32, 32)
    except (RuntimeError, ValueError):  # a linear layer refuses the shape
        any_size = False
    assert model.trains_any_size is any_size


@pytest.mark.parametrize("name", [n for n in model_names() if model_class(n).fully_convolutional])
@torch.no_grad()
def test_receptive_margin_bounds_an_impulse_response(name: str) -> None:
    """One LR pixel changed: the SR changes only within ``receptive_margin`` LR pixels of it (tiling's premise)."""
    model = _model(name)
    with torch.no_grad():  # random (not zero-initialized) weights so every path carries signal
        for p in model.parameters():
            p.copy_(0.3 * torch.randn(p.shape, generator=torch.Generator().manual_seed(6)))
    lr = torch.rand(1, 1, 48, 48, generator=torch.Generator().manual_seed(1))
    bumped = lr.clone()
    bumped[..., 24, 24] = 1.0 - bumped[..., 24, 24]
    diff = (_sr0(model, bumped) - _sr0(model, lr)).abs()[0, 0]  # (96, 96)
    ys, xs = torch.nonzero(diff > 0, as_tuple=True)
    assert len(ys) > 0
    reach = max((ys // 2 - 24).abs().max().item(), (xs // 2 - 24).abs().max().item())  # in LR pixels
    assert 0 < reach <= model.receptive_margin()


@pytest.mark.parametrize("name", model_names())
def test_temperature_range_and_clamp_match_behaviour(name: str) -> None:
    model = _model(name)
    _, lr, labels = _batch()
    if not model.takes_temperature:
        assert model.temperature_range is None and model.clamp_temperature(0.7) is None
        assert model.clamp_temperature(None) is None and model.clamp_temperature(float("nan")) is None
        return
    lo, hi = model.temperature_range
    assert lo < hi and lo <= model.default_temperature() <= hi
    assert model.clamp_temperature(None) == model.default_temperature()
    assert model.clamp_temperature(hi + 10) == hi and model.clamp_temperature(lo - 10) == lo
    for bad in (float("nan"), float("inf"), -float("inf")):
        with pytest.raises(UserError, match="temperature") as err:
            model.clamp_temperature(bad)
        assert "\n" not in str(err.value)

    def sr(t: float, seed: int) -> torch.Tensor:
        return model.super_resolve(lr, labels=labels, generator=torch.Generator().manual_seed(seed), temperature=t)

    assert torch.equal(sr(lo, 1), sr(lo, 2)) == (lo == 0.0)  # the bottom of the range: no spread at T = 0
    spread = [(sr(t, 1) - sr(t, 2)).abs().mean().item() for t in (lo, (lo + hi) / 2, hi)]
    assert spread[0] < spread[1] < spread[2] and all(torch.isfinite(sr(hi, s)).all() for s in (1, 2))
